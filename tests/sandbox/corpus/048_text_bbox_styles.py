# Text inside boxes with different boxstyles (round, sawtooth, larrow, ...) and rotation.
import matplotlib.pyplot as plt

boxstyles = ['square', 'round', 'round4', 'roundtooth', 'sawtooth', 'circle', 'larrow', 'rarrow', 'darrow']
fig = plt.figure(figsize=(9, 6))
for i, bs in enumerate(boxstyles):
    x = 0.17 + (i % 3) * 0.33
    y = 0.8 - (i // 3) * 0.3
    fig.text(x, y, bs, ha='center', va='center', size=14, rotation=(i * 7) % 30,
             bbox=dict(boxstyle=bs + ',pad=0.5', fc='lightyellow', ec='darkred', lw=1.5))
fig.suptitle('Box styles', fontsize=16)
fig.savefig(os.path.join(output_dir, 'boxstyles.png'), dpi=100)
