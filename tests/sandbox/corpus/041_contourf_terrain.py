# Filled contour map with contour lines and inline labels (terrain-like).
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(-3, 3, 200)
y = np.linspace(-2, 2, 150)
X, Y = np.meshgrid(x, y)
Z = (1 - X / 2 + X ** 5 + Y ** 3) * np.exp(-X ** 2 - Y ** 2)

fig, ax = plt.subplots(figsize=(8, 5.5))
cf = ax.contourf(X, Y, Z, levels=15, cmap='terrain')
cs = ax.contour(X, Y, Z, levels=8, colors='black', linewidths=0.6)
ax.clabel(cs, inline=True, fontsize=8, fmt='%.2f')
fig.colorbar(cf, ax=ax, label='elevation')
ax.set_title('Contour map')
fig.savefig(os.path.join(output_dir, 'contour.png'), dpi=100)
