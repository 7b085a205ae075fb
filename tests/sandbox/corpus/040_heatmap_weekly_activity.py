# GitHub-style weekly activity grid: 7 rows x 26 weeks of squares via pcolormesh.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
data = rng.poisson(2.0, size=(7, 26)) * (rng.random((7, 26)) > 0.3)
fig, ax = plt.subplots(figsize=(11, 3))
ax.pcolormesh(data, cmap='Greens', edgecolors='white', linewidth=2)
ax.set_aspect('equal')
ax.set_yticks(np.arange(7) + 0.5, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])
ax.set_xticks([0.5, 4.5, 8.5, 13.5, 17.5, 21.5], ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'])
ax.invert_yaxis()
ax.tick_params(length=0)
for s in ax.spines.values():
    s.set_visible(False)
ax.set_title('Contributions in the first half of 2024', loc='left')
fig.savefig(os.path.join(output_dir, 'activity.png'), dpi=100, bbox_inches='tight')
