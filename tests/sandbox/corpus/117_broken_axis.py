# Broken y-axis (two subplots with diagonal break marks) to show an outlier.
import numpy as np
import matplotlib.pyplot as plt

pts = np.array([0.15, 0.30, 0.2, 0.25, 0.18, 0.12, 0.9, 0.31, 0.22, 0.28, 0.17, 0.24])
pts[[3, 9]] += 0.8
fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(7, 5))
fig.subplots_adjust(hspace=0.05)
ax1.plot(pts, 'o-')
ax2.plot(pts, 'o-')
ax1.set_ylim(0.78, 1.2)
ax2.set_ylim(0, 0.35)
ax1.spines.bottom.set_visible(False)
ax2.spines.top.set_visible(False)
ax1.xaxis.tick_top()
ax1.tick_params(labeltop=False)
ax2.xaxis.tick_bottom()
d = 0.5
kwargs = dict(marker=[(-1, -d), (1, d)], markersize=12, linestyle='none', color='k', mec='k', mew=1, clip_on=False)
ax1.plot([0, 1], [0, 0], transform=ax1.transAxes, **kwargs)
ax2.plot([0, 1], [1, 1], transform=ax2.transAxes, **kwargs)
ax1.set_title('Broken axis')
fig.savefig(os.path.join(output_dir, 'broken.png'), dpi=100)
