# Hexbin density plot of correlated gaussian data with colorbar.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
x = rng.standard_normal(5000)
y = 0.6 * x + 0.8 * rng.standard_normal(5000)
fig, ax = plt.subplots(figsize=(7, 6))
hb = ax.hexbin(x, y, gridsize=30, cmap='inferno')
fig.colorbar(hb, ax=ax, label='count')
ax.set_title('Hexbin density')
fig.savefig(os.path.join(output_dir, 'hexbin.png'), dpi=100)
