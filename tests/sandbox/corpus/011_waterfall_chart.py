# Waterfall chart of a cash-flow bridge, with connector lines and totals.
import matplotlib.pyplot as plt
import numpy as np

steps = ['Start', 'Sales', 'Services', 'COGS', 'Salaries', 'Marketing', 'Tax', 'End']
deltas = [100, 60, 25, -45, -50, -15, -12]
cum = np.cumsum([0] + deltas[:-0 or None])
values = deltas + [sum(deltas)]

fig, ax = plt.subplots(figsize=(10, 5.5))
running = 0
for i, name in enumerate(steps):
    if i == 0:
        bottom, h, color = 0, deltas[0], '#34495e'
        running = deltas[0]
    elif i == len(steps) - 1:
        bottom, h, color = 0, running, '#34495e'
    else:
        d = deltas[i]
        bottom = running if d >= 0 else running + d
        h = abs(d)
        color = '#27ae60' if d >= 0 else '#c0392b'
        running += d
    ax.bar(i, h, bottom=bottom, color=color, width=0.6)
    ax.text(i, bottom + h + 2, f'{h if i in (0, len(steps) - 1) else deltas[i]:+d}' if 0 < i < len(steps) - 1 else f'{h}',
            ha='center', fontsize=9)
    if i < len(steps) - 1:
        ax.plot([i + 0.3, i + 0.7], [running, running], color='gray', linewidth=0.8)
ax.set_xticks(range(len(steps)), steps)
ax.set_title('Cash Flow Bridge (k€)')
ax.set_ylim(0, 200)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'waterfall.png'), dpi=100)
