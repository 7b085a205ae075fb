# 2D histogram with logarithmic colour normalisation.
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.colors as mcolors

rng = np.random.default_rng(0)
x = np.concatenate([rng.normal(0, 1, 20000), rng.normal(3, 0.5, 5000)])
y = np.concatenate([rng.normal(0, 1, 20000), rng.normal(2, 0.5, 5000)])
fig, ax = plt.subplots(figsize=(7, 6))
h = ax.hist2d(x, y, bins=60, norm=mcolors.LogNorm(), cmap='plasma')
fig.colorbar(h[3], ax=ax)
ax.set_title('2D histogram (log colour scale)')
fig.savefig(os.path.join(output_dir, 'hist2d.png'), dpi=100)
