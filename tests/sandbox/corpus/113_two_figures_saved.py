# Saves two separate figures (chart_1.png, chart_2.png) into output_dir.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(2)
data = np.random.gamma(2.0, 2.0, 500)
fig1, ax1 = plt.subplots(figsize=(6, 4))
ax1.hist(data, bins=30, color='salmon')
ax1.set_title('Wait times (histogram)')
fig1.savefig(os.path.join(output_dir, 'chart_1.png'), dpi=100)
plt.close(fig1)

fig2, ax2 = plt.subplots(figsize=(6, 4))
ax2.boxplot(data, widths=0.5)
ax2.set_title('Wait times (box plot)')
fig2.savefig(os.path.join(output_dir, 'chart_2.png'), dpi=100)
plt.close(fig2)
