# Cumulative step histogram (empirical CDF) for two samples.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(1)
a = rng.exponential(2.0, 500)
b = rng.exponential(3.0, 500)
fig, ax = plt.subplots(figsize=(8, 5))
ax.hist(a, bins=100, density=True, histtype='step', cumulative=True, label='model A', lw=2)
ax.hist(b, bins=100, density=True, histtype='step', cumulative=True, label='model B', lw=2)
ax.set_xlim(0, 15)
ax.set_xlabel('Time to failure (h)')
ax.set_ylabel('Cumulative probability')
ax.grid(True, alpha=0.3)
ax.legend(loc='lower right')
ax.set_title('Empirical CDF')
fig.savefig(os.path.join(output_dir, 'cdf.png'), dpi=100)
