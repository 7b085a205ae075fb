# Three-set Venn diagram with translucent circles and region labels.
import matplotlib.pyplot as plt
from matplotlib.patches import Circle

fig, ax = plt.subplots(figsize=(7, 7))
ax.set_xlim(-3, 3)
ax.set_ylim(-3, 3)
ax.set_aspect('equal')
ax.axis('off')
specs = [((-0.8, 0.6), '#e41a1c', 'Design'), ((0.8, 0.6), '#377eb8', 'Engineering'),
         ((0, -0.75), '#4daf4a', 'Business')]
for (x, y), c, name in specs:
    ax.add_patch(Circle((x, y), 1.5, fc=c, alpha=0.3, ec=c, lw=2))
ax.text(-1.8, 1.9, 'Design', fontsize=14, color='#e41a1c', fontweight='bold', ha='center')
ax.text(1.8, 1.9, 'Engineering', fontsize=14, color='#377eb8', fontweight='bold', ha='center')
ax.text(0, -2.6, 'Business', fontsize=14, color='#4daf4a', fontweight='bold', ha='center')
ax.text(0, 0.15, 'Product\nManager', ha='center', va='center', fontsize=11, fontweight='bold')
ax.text(0, 1.3, 'UX eng.', ha='center', fontsize=10)
ax.text(-1.0, -0.55, 'Marketing', ha='center', fontsize=10)
ax.text(1.0, -0.55, 'Sales eng.', ha='center', fontsize=10)
ax.set_title('Who builds the product?', fontsize=15)
fig.savefig(os.path.join(output_dir, 'venn.png'), dpi=100)
