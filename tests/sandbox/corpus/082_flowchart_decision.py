# Flowchart: start/end ovals, process boxes, decision diamond, arrows with Yes/No labels.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon, Ellipse

fig, ax = plt.subplots(figsize=(8, 9))
ax.set_xlim(0, 10)
ax.set_ylim(0, 12)
ax.axis('off')

def box(x, y, text, fc='#dbeafe'):
    ax.add_patch(FancyBboxPatch((x - 1.6, y - 0.45), 3.2, 0.9, boxstyle='round,pad=0.1', fc=fc, ec='#1e3a8a'))
    ax.text(x, y, text, ha='center', va='center', fontsize=11)

def arrow(x1, y1, x2, y2, label=None):
    ax.annotate('', xy=(x2, y2), xytext=(x1, y1), arrowprops=dict(arrowstyle='-|>', color='black', lw=1.3))
    if label:
        ax.text((x1 + x2) / 2 + 0.15, (y1 + y2) / 2, label, fontsize=10, color='#b91c1c')

ax.add_patch(Ellipse((5, 11.2), 3, 0.9, fc='#bbf7d0', ec='#14532d'))
ax.text(5, 11.2, 'Start', ha='center', va='center', fontsize=12, fontweight='bold')
box(5, 9.8, 'Receive order')
box(5, 8.3, 'Check inventory')
ax.add_patch(Polygon([[5, 7.4], [6.2, 6.5], [5, 5.6], [3.8, 6.5]], fc='#fef9c3', ec='#713f12'))
ax.text(5, 6.5, 'In stock?', ha='center', va='center', fontsize=11)
box(5, 4.6, 'Ship order')
box(8.3, 6.5, 'Back-order', fc='#fee2e2')
box(5, 3.1, 'Send invoice')
ax.add_patch(Ellipse((5, 1.6), 3, 0.9, fc='#fecaca', ec='#7f1d1d'))
ax.text(5, 1.6, 'End', ha='center', va='center', fontsize=12, fontweight='bold')
arrow(5, 10.75, 5, 10.3)
arrow(5, 9.3, 5, 8.8)
arrow(5, 7.8, 5, 7.4)
arrow(5, 5.6, 5, 5.1, 'Yes')
arrow(6.2, 6.5, 6.6, 6.5)
ax.text(6.25, 6.65, 'No', fontsize=10, color='#b91c1c')
ax.plot([8.3, 8.3], [7.05, 8.3], color='black', lw=1.3)
arrow(8.3, 8.3, 6.7, 8.3)
ax.text(7.0, 8.45, 'retry in 24 h', fontsize=9, color='gray')
arrow(5, 4.1, 5, 3.6)
arrow(5, 2.6, 5, 2.05)
ax.set_title('Order processing', fontsize=15, fontweight='bold')
fig.savefig(os.path.join(output_dir, 'flowchart.png'), dpi=100)
