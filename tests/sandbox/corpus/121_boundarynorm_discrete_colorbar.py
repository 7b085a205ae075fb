# Discrete colour levels with BoundaryNorm + ListedColormap and an extended colorbar (air-quality map).
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.colors as mcolors

rng = np.random.default_rng(0)
aqi = np.clip(rng.gamma(3, 30, size=(12, 18)), 0, 320)
bounds = [0, 50, 100, 150, 200, 300]
cmap = mcolors.ListedColormap(['#00e400', '#ffff00', '#ff7e00', '#ff0000', '#8f3f97']).with_extremes(over='#7e0023')
norm = mcolors.BoundaryNorm(bounds, cmap.N)
fig, ax = plt.subplots(figsize=(9, 5.5))
im = ax.imshow(aqi, cmap=cmap, norm=norm)
cb = fig.colorbar(im, ax=ax, extend='max', ticks=bounds)
cb.set_label('AQI')
ax.set_title('Air quality index by grid cell')
ax.set_xticks([])
ax.set_yticks([])
fig.savefig(os.path.join(output_dir, 'aqi.png'), dpi=100)
