# Scatter plot coloured by a third variable with viridis colormap and colorbar.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(0)
x = np.random.rand(200) * 10
y = np.random.rand(200) * 10
z = np.sin(x) + np.cos(y)

fig, ax = plt.subplots(figsize=(8, 6))
sc = ax.scatter(x, y, c=z, cmap='viridis', s=40, edgecolors='k', linewidths=0.3)
cbar = fig.colorbar(sc, ax=ax)
cbar.set_label('sin(x) + cos(y)')
ax.set_xlabel('x')
ax.set_ylabel('y')
ax.set_title('Scatter coloured by value')
fig.savefig(os.path.join(output_dir, 'scatter.png'), dpi=100)
