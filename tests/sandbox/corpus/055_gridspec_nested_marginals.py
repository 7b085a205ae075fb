# Scatter with marginal histograms using a gridspec with width/height ratios.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(19680801)
x = np.random.randn(1000)
y = np.random.randn(1000) * 0.8 + 0.3 * x

fig = plt.figure(figsize=(7, 7))
gs = fig.add_gridspec(2, 2, width_ratios=(4, 1), height_ratios=(1, 4),
                      left=0.1, right=0.9, bottom=0.1, top=0.9, wspace=0.05, hspace=0.05)
ax = fig.add_subplot(gs[1, 0])
ax_histx = fig.add_subplot(gs[0, 0], sharex=ax)
ax_histy = fig.add_subplot(gs[1, 1], sharey=ax)
ax_histx.tick_params(axis='x', labelbottom=False)
ax_histy.tick_params(axis='y', labelleft=False)
ax.scatter(x, y, s=6, alpha=0.5)
bins = np.arange(-4, 4.25, 0.25)
ax_histx.hist(x, bins=bins, color='gray')
ax_histy.hist(y, bins=bins, orientation='horizontal', color='gray')
fig.savefig(os.path.join(output_dir, 'marginals.png'), dpi=100)
