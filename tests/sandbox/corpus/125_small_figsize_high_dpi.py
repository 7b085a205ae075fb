# Small figsize at high dpi (3x2 in @ 300 dpi) sparkline-style chart with fill.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(5)
y = 50 + np.cumsum(rng.normal(0, 1, 60))
fig, ax = plt.subplots(figsize=(3, 2), dpi=300)
ax.plot(y, color='#6d28d9', lw=1)
ax.fill_between(range(60), y, y.min() - 1, color='#6d28d9', alpha=0.15)
ax.scatter([59], [y[-1]], color='#6d28d9', s=8, zorder=3)
ax.set_title(f'Last: {y[-1]:.1f}', fontsize=8)
ax.tick_params(labelsize=6)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'spark.png'))
