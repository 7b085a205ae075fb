# Logo-like figure saved with transparent=True (RGBA output with alpha channel).
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Wedge

fig, ax = plt.subplots(figsize=(4, 4))
ax.set_xlim(-1.2, 1.2)
ax.set_ylim(-1.2, 1.2)
ax.set_aspect('equal')
ax.axis('off')
ax.add_patch(Circle((0, 0), 1.0, fc='#0ea5e9'))
ax.add_patch(Wedge((0, 0), 1.0, 30, 150, fc='#f43f5e'))
ax.add_patch(Circle((0, 0), 0.45, fc='white'))
ax.text(0, 0, 'AC', ha='center', va='center', fontsize=26, fontweight='bold', color='#0f172a')
fig.savefig(os.path.join(output_dir, 'logo.png'), dpi=100, transparent=True)
