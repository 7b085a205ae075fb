# Mind map: central topic circle with branches radiating to subtopics (curved connectors).
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Circle, FancyArrowPatch

branches = {'Research': ['Papers', 'Interviews'], 'Design': ['Wireframes', 'Prototype'],
            'Build': ['Backend', 'Frontend', 'Tests'], 'Launch': ['Marketing', 'Docs'],
            'Measure': ['Analytics', 'Feedback']}
palette = ['#ef4444', '#f59e0b', '#10b981', '#3b82f6', '#8b5cf6']
fig, ax = plt.subplots(figsize=(10, 9))
ax.set_xlim(-6, 6)
ax.set_ylim(-5.5, 5.5)
ax.set_aspect('equal')
ax.axis('off')
ax.add_patch(Circle((0, 0), 1.2, fc='#111827'))
ax.text(0, 0, 'New\nProduct', ha='center', va='center', color='white', fontsize=15, fontweight='bold')
for k, ((b, subs), col) in enumerate(zip(branches.items(), palette)):
    a = np.pi / 2 + k * 2 * np.pi / len(branches)
    bx, by = 3.0 * np.cos(a), 3.0 * np.sin(a)
    ax.add_patch(FancyArrowPatch((1.2 * np.cos(a), 1.2 * np.sin(a)), (bx, by), arrowstyle='-',
                                 connectionstyle='arc3,rad=0.2', color=col, lw=3))
    ax.add_patch(FancyBboxPatch((bx - 0.8, by - 0.3), 1.6, 0.6, boxstyle='round,pad=0.1', fc=col, ec='none'))
    ax.text(bx, by, b, ha='center', va='center', color='white', fontsize=11, fontweight='bold')
    for j, s in enumerate(subs):
        sa = a + (j - (len(subs) - 1) / 2) * 0.35
        sx, sy = 4.9 * np.cos(sa), 4.7 * np.sin(sa)
        ax.plot([bx, sx], [by, sy], color=col, lw=1.2)
        ax.text(sx, sy, s, ha='center', va='center', fontsize=9.5,
                bbox=dict(boxstyle='round,pad=0.3', fc='white', ec=col))
fig.savefig(os.path.join(output_dir, 'mindmap.png'), dpi=90)
