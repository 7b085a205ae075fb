# State machine diagram: circular states, self-loop, curved labelled transitions.
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch

states = {'Idle': (1.5, 3), 'Running': (5, 4.5), 'Paused': (5, 1.5), 'Done': (8.5, 3)}
trans = [('Idle', 'Running', 'start', 0.2), ('Running', 'Paused', 'pause', 0.3),
         ('Paused', 'Running', 'resume', 0.3), ('Running', 'Done', 'finish', 0.2),
         ('Paused', 'Idle', 'reset', 0.2)]
fig, ax = plt.subplots(figsize=(10, 6))
ax.set_xlim(0, 10)
ax.set_ylim(0, 6)
ax.set_aspect('equal')
ax.axis('off')
R = 0.7
for n, (x, y) in states.items():
    ax.add_patch(Circle((x, y), R, fc='#fde68a', ec='#92400e', lw=2))
    if n == 'Done':
        ax.add_patch(Circle((x, y), R - 0.1, fc='none', ec='#92400e', lw=1.5))
    ax.text(x, y, n, ha='center', va='center', fontsize=12)
for a, b, label, rad in trans:
    p = FancyArrowPatch(states[a], states[b], connectionstyle=f'arc3,rad={rad}', arrowstyle='-|>',
                        mutation_scale=18, shrinkA=30, shrinkB=30, color='#1f2937', lw=1.5)
    ax.add_patch(p)
    (x1, y1), (x2, y2) = states[a], states[b]
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    ax.text(mx + rad * (y2 - y1) * 0.6, my - rad * (x2 - x1) * 0.6, label, fontsize=11, ha='center',
            color='#1d4ed8', bbox=dict(fc='white', ec='none', pad=1))
ax.annotate('', xy=(0.8, 3), xytext=(0.0, 3), arrowprops=dict(arrowstyle='-|>', lw=1.5))
ax.add_patch(FancyArrowPatch((4.6, 5.1), (5.4, 5.1), connectionstyle='arc3,rad=-1.6', arrowstyle='-|>',
                             mutation_scale=14, color='#1f2937'))
ax.text(5, 5.85, 'tick', ha='center', fontsize=10, color='#1d4ed8')
ax.set_title('Job lifecycle', fontsize=15)
fig.savefig(os.path.join(output_dir, 'states.png'), dpi=100)
