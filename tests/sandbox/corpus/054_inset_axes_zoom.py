# Main plot with a zoomed inset (ax.inset_axes + indicate_inset_zoom).
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 10, 1000)
y = np.sin(x) + 0.1 * np.sin(40 * x)
fig, ax = plt.subplots(figsize=(9, 5.5))
ax.plot(x, y, lw=1)
axins = ax.inset_axes([0.55, 0.55, 0.4, 0.4])
axins.plot(x, y, lw=1)
axins.set_xlim(1.2, 2.0)
axins.set_ylim(0.8, 1.15)
axins.set_xticklabels([])
axins.set_yticklabels([])
ax.indicate_inset_zoom(axins, edgecolor='black')
ax.set_ylim(-1.5, 2.2)
ax.set_title('Signal with zoomed inset')
fig.savefig(os.path.join(output_dir, 'inset.png'), dpi=100)
