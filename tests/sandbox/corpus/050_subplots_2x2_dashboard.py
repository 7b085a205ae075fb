# 2x2 subplots dashboard: line, bar, scatter, histogram with suptitle.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(1)
fig, axs = plt.subplots(2, 2, figsize=(10, 8))
t = np.arange(30)
axs[0, 0].plot(t, np.cumsum(np.random.randn(30)), color='tab:blue')
axs[0, 0].set_title('Cumulative signal')
axs[0, 1].bar(['A', 'B', 'C', 'D'], [3, 7, 5, 2], color='tab:orange')
axs[0, 1].set_title('Category counts')
axs[1, 0].scatter(np.random.rand(50), np.random.rand(50), c='tab:green', alpha=0.6)
axs[1, 0].set_title('Random scatter')
axs[1, 1].hist(np.random.randn(500), bins=25, color='tab:red', alpha=0.8)
axs[1, 1].set_title('Distribution')
fig.suptitle('Overview dashboard', fontsize=16)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'dashboard.png'), dpi=100)
