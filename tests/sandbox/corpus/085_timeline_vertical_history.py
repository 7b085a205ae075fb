# Vertical timeline of a company history: central line, circles, year labels, description boxes.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

items = [('2015', 'Founded in a garage in Berlin'), ('2016', 'Seed round: €1.2M'),
         ('2018', 'First 1,000 customers'), ('2019', 'Opened office in Paris'),
         ('2021', 'Series B: €40M'), ('2023', 'Launched mobile platform'), ('2024', '500 employees')]
fig, ax = plt.subplots(figsize=(8, 9))
ax.set_xlim(0, 10)
ax.set_ylim(0, len(items) + 1)
ax.axis('off')
ax.plot([5, 5], [0.5, len(items) + 0.5], color='#9ca3af', lw=3, zorder=1)
for i, (year, desc) in enumerate(items):
    y = len(items) - i
    left = i % 2 == 0
    ax.scatter([5], [y], s=250, color='#7c3aed', zorder=3, edgecolors='white', linewidths=2)
    ax.text(5.5 if left else 4.5, y, year, fontsize=14, fontweight='bold', va='center',
            ha='left' if left else 'right', color='#7c3aed')
    bx = 0.3 if left else 5.8
    ax.add_patch(FancyBboxPatch((bx, y - 0.3), 3.9, 0.6, boxstyle='round,pad=0.05', fc='#ede9fe', ec='#7c3aed'))
    ax.text(bx + 1.95, y, desc, ha='center', va='center', fontsize=10.5)
ax.set_title('Our Journey', fontsize=20, fontweight='bold')
fig.savefig(os.path.join(output_dir, 'history.png'), dpi=100)
