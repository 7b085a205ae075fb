# UML-like sequence diagram: lifelines, activation boxes, request/response arrows with labels.
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

actors = ['User', 'Web app', 'API', 'Database']
xs = [1, 4, 7, 10]
msgs = [(0, 1, 'click "Buy"', False), (1, 2, 'POST /orders', False), (2, 3, 'INSERT order', False),
        (3, 2, 'order_id = 812', True), (2, 1, '201 Created', True), (1, 0, 'show confirmation', True)]
fig, ax = plt.subplots(figsize=(11, 7))
ax.set_xlim(0, 11)
ax.set_ylim(0, 9)
ax.axis('off')
for name, x in zip(actors, xs):
    ax.add_patch(Rectangle((x - 0.8, 8.0), 1.6, 0.6, fc='#e2e8f0', ec='black'))
    ax.text(x, 8.3, name, ha='center', va='center', fontsize=11, fontweight='bold')
    ax.plot([x, x], [0.5, 8.0], color='gray', ls='--', lw=1)
for x, (y0, y1) in zip(xs[1:], [(1.2, 7.2), (1.9, 6.4), (3.3, 5.6)]):
    ax.add_patch(Rectangle((x - 0.12, y0), 0.24, y1 - y0, fc='white', ec='black'))
y = 7.0
for a, b, label, ret in msgs:
    ax.annotate('', xy=(xs[b], y), xytext=(xs[a], y),
                arrowprops=dict(arrowstyle='->' if ret else '-|>', ls='--' if ret else '-', lw=1.2))
    ax.text((xs[a] + xs[b]) / 2, y + 0.12, label, ha='center', fontsize=10, family='monospace')
    y -= 1.0
ax.set_title('Checkout sequence', fontsize=14)
fig.savefig(os.path.join(output_dir, 'sequence.png'), dpi=100)
