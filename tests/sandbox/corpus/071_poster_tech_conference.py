# Event poster drawn with fig.text and FancyBboxPatch: title, date block, speakers, footer.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig = plt.figure(figsize=(6, 8.5), dpi=100)
fig.patch.set_facecolor('#0f172a')
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 6)
ax.set_ylim(0, 8.5)
ax.axis('off')
ax.text(3, 7.6, 'DEVCONF 2025', ha='center', fontsize=34, fontweight='bold', color='#38bdf8')
ax.text(3, 7.05, 'Building reliable software at scale', ha='center', fontsize=13, color='#e2e8f0', style='italic')
ax.add_patch(FancyBboxPatch((0.6, 5.3), 4.8, 1.2, boxstyle='round,pad=0.1,rounding_size=0.2',
                            fc='#1e293b', ec='#38bdf8', lw=2))
ax.text(3, 6.05, 'March 14–16, 2025', ha='center', fontsize=18, color='white', fontweight='bold')
ax.text(3, 5.6, 'Convention Center · Hall B · Lisbon', ha='center', fontsize=12, color='#94a3b8')
speakers = [('Ana Ribeiro', 'Distributed Systems'), ('Ken Watanabe', 'Compilers'),
            ('Priya Nair', 'ML Infrastructure'), ('Tom Becker', 'Security')]
ax.text(0.6, 4.7, 'KEYNOTE SPEAKERS', fontsize=12, color='#38bdf8', fontweight='bold')
for i, (name, topic) in enumerate(speakers):
    y = 4.2 - i * 0.65
    ax.add_patch(FancyBboxPatch((0.6, y - 0.22), 4.8, 0.5, boxstyle='round,pad=0.02,rounding_size=0.1',
                                fc='#334155', ec='none'))
    ax.text(0.8, y, name, fontsize=12, color='white', va='center', fontweight='bold')
    ax.text(5.2, y, topic, fontsize=11, color='#cbd5e1', va='center', ha='right')
ax.text(3, 0.9, 'Register at devconf.example.org', ha='center', fontsize=13, color='#fbbf24')
ax.text(3, 0.5, 'Early bird until Feb 1 — €149', ha='center', fontsize=11, color='#e2e8f0')
fig.savefig(os.path.join(output_dir, 'poster.png'), dpi=100, facecolor=fig.get_facecolor())
