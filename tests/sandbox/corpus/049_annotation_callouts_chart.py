# Line chart with event call-outs (curved arrows, rounded boxes) marking product launches.
import numpy as np
import matplotlib.pyplot as plt

x = np.arange(36)
users = 1000 * (1 + np.tanh((x - 18) / 6)) + 50 * x
events = [(6, 'Beta launch'), (14, 'Mobile app'), (24, 'v2.0 release'), (31, 'EU expansion')]

fig, ax = plt.subplots(figsize=(10, 5.5))
ax.plot(x, users, color='#2c7fb8', linewidth=2.5)
for k, (mx, label) in enumerate(events):
    my = users[mx]
    ax.annotate(label, xy=(mx, my), xytext=(mx - 4, my + 600 + 150 * (k % 2)),
                bbox=dict(boxstyle='round,pad=0.4', fc='white', ec='#2c7fb8'),
                arrowprops=dict(arrowstyle='-|>', connectionstyle='arc3,rad=-0.3', color='#555555'),
                fontsize=10)
    ax.plot(mx, my, 'o', color='#d95f0e', markersize=8)
ax.set_ylim(0, 4300)
ax.set_xlabel('Month since founding')
ax.set_ylabel('Active users')
ax.set_title('User growth and milestones')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'milestones.png'), dpi=100)
