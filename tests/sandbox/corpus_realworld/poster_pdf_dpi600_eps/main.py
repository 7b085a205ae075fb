# A poster panel saved for print: PDF at dpi=600 and EPS (vector; no 600-dpi raster is made).
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(-3, 3, 200)
y = np.linspace(-3, 3, 200)
X, Y = np.meshgrid(x, y)
Z = np.exp(-(X ** 2 + Y ** 2) / 2) * np.cos(2 * X) + 0.2 * Y

fig, ax = plt.subplots(figsize=(12, 9))
cs = ax.contourf(X, Y, Z, levels=20, cmap="viridis")
ax.contour(X, Y, Z, levels=10, colors="k", linewidths=0.4)
fig.colorbar(cs, ax=ax, label="amplitude")
ax.set_title("Interference pattern", fontsize=20)
fig.savefig("print/panel.pdf", dpi=600)
fig.savefig("print/panel.eps")
