# GridSpec layout: wide top panel, two bottom panels, and a side panel spanning rows.
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.gridspec as gridspec

rng = np.random.default_rng(0)
fig = plt.figure(figsize=(11, 7))
gs = gridspec.GridSpec(3, 3, figure=fig, hspace=0.5, wspace=0.35)
ax_top = fig.add_subplot(gs[0, :2])
ax_bl = fig.add_subplot(gs[1:, 0])
ax_bm = fig.add_subplot(gs[1:, 1])
ax_side = fig.add_subplot(gs[:, 2])

ax_top.plot(np.cumsum(rng.normal(size=200)), color='navy')
ax_top.set_title('Random walk')
ax_bl.boxplot([rng.normal(0, s, 100) for s in (1, 2, 3)])
ax_bl.set_title('Spread')
ax_bm.imshow(rng.random((10, 10)), cmap='magma')
ax_bm.set_title('Noise')
ax_side.barh(['x', 'y', 'z', 'w'], [4, 2, 6, 3], color='seagreen')
ax_side.set_title('Totals')
fig.suptitle('GridSpec layout')
fig.savefig(os.path.join(output_dir, 'gridspec.png'), dpi=100)
