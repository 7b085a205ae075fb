# Gallery of annotation arrow styles and connection styles.
import matplotlib.pyplot as plt

styles = ['-', '->', '-[', '|-|', '-|>', '<-', '<->', '<|-', '<|-|>', 'fancy', 'simple', 'wedge']
fig, ax = plt.subplots(figsize=(8, 8))
ax.set_xlim(0, 10)
ax.set_ylim(0, len(styles) + 1)
ax.axis('off')
for i, st in enumerate(styles):
    y = len(styles) - i
    ax.annotate(st, xy=(8, y), xytext=(2, y), va='center', ha='right', fontsize=12, family='monospace',
                arrowprops=dict(arrowstyle=st, color='C%d' % (i % 10), lw=1.5,
                                connectionstyle='arc3,rad=0.15' if i % 2 else 'arc3'))
ax.set_title('Arrow styles')
plt.savefig(os.path.join(output_dir, 'arrows.png'), dpi=100)
