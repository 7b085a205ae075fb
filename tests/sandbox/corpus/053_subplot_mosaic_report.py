# plt.subplot_mosaic layout with named panels (A big, B/C small, D wide bottom).
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
fig, axd = plt.subplot_mosaic([['A', 'A', 'B'], ['A', 'A', 'C'], ['D', 'D', 'D']],
                              figsize=(10, 8), layout='constrained')
axd['A'].scatter(rng.normal(size=300), rng.normal(size=300), s=8, alpha=0.5)
axd['A'].set_title('A: main scatter')
axd['B'].pie([3, 2, 1], labels=['x', 'y', 'z'])
axd['B'].set_title('B')
axd['C'].bar(range(5), rng.integers(1, 10, 5))
axd['C'].set_title('C')
axd['D'].plot(np.sin(np.linspace(0, 20, 300)), color='purple')
axd['D'].set_title('D: timeline')
for k, ax in axd.items():
    ax.text(0.02, 0.95, k, transform=ax.transAxes, fontsize=14, fontweight='bold', va='top')
fig.savefig(os.path.join(output_dir, 'mosaic.png'), dpi=100)
