# Speedometer gauge built from Wedge patches with a needle and value readout.
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import Wedge, Circle

value = 72
bands = [(0, 40, '#ef4444'), (40, 70, '#f59e0b'), (70, 100, '#22c55e')]
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.set_xlim(-1.2, 1.2)
ax.set_ylim(-0.3, 1.2)
ax.set_aspect('equal')
ax.axis('off')
for lo, hi, c in bands:
    ax.add_patch(Wedge((0, 0), 1.0, 180 - hi * 1.8, 180 - lo * 1.8, width=0.25, fc=c, ec='white', lw=2))
for v in range(0, 101, 10):
    a = np.radians(180 - v * 1.8)
    ax.text(1.12 * np.cos(a), 1.12 * np.sin(a), str(v), ha='center', va='center', fontsize=9)
a = np.radians(180 - value * 1.8)
ax.annotate('', xy=(0.8 * np.cos(a), 0.8 * np.sin(a)), xytext=(0, 0),
            arrowprops=dict(arrowstyle='wedge,tail_width=0.5', fc='#111827', ec='#111827'))
ax.add_patch(Circle((0, 0), 0.06, fc='#111827'))
ax.text(0, -0.2, f'{value}%', ha='center', fontsize=24, fontweight='bold')
ax.set_title('Customer satisfaction', fontsize=14)
fig.savefig(os.path.join(output_dir, 'gauge.png'), dpi=100)
