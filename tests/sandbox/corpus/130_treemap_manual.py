# Treemap computed by hand (slice-and-dice) with Rectangle patches and labels.
import matplotlib.pyplot as plt
import matplotlib.patches as patches

items = [('Housing', 1800), ('Food', 650), ('Transport', 420), ('Health', 300), ('Leisure', 280),
         ('Education', 200), ('Clothing', 150), ('Other', 120)]
total = sum(v for _, v in items)
colors = plt.cm.Set3.colors
fig, ax = plt.subplots(figsize=(10, 6))
ax.set_xlim(0, 100)
ax.set_ylim(0, 60)
ax.axis('off')

def layout(rects, x, y, w, h, vertical):
    s = sum(v for _, v in rects)
    if len(rects) == 1:
        return [(rects[0], x, y, w, h)]
    first, rest = rects[0], rects[1:]
    frac = first[1] / s
    if vertical:
        return [(first, x, y, w * frac, h)] + layout(rest, x + w * frac, y, w * (1 - frac), h, not vertical)
    return [(first, x, y + h * (1 - frac), w, h * frac)] + layout(rest, x, y, w, h * (1 - frac), not vertical)

for k, ((name, v), x, y, w, h) in enumerate(layout(items, 0, 0, 100, 60, True)):
    ax.add_patch(patches.Rectangle((x, y), w, h, fc=colors[k % len(colors)], ec='white', lw=3))
    ax.text(x + w / 2, y + h / 2, f'{name}\n{v / total:.0%}', ha='center', va='center',
            fontsize=12 if w * h > 300 else 8)
ax.set_title('Monthly household spending', fontsize=15)
fig.savefig(os.path.join(output_dir, 'treemap.png'), dpi=100)
