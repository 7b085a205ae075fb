# Organisation chart: CEO, 3 VPs, 2 reports each; boxes connected by elbow lines.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

org = {'CEO\nA. Lindqvist': ['CTO\nR. Osei', 'CFO\nM. Tanaka', 'COO\nJ. Alvarez'],
       'CTO\nR. Osei': ['Eng Manager\nL. Chen', 'Head of Data\nS. Patel'],
       'CFO\nM. Tanaka': ['Controller\nD. Kim', 'FP&A Lead\nE. Rossi'],
       'COO\nJ. Alvarez': ['Ops Manager\nT. Novak', 'Support Lead\nH. Ali']}
pos = {'CEO\nA. Lindqvist': (6, 6)}
for i, vp in enumerate(org['CEO\nA. Lindqvist']):
    pos[vp] = (2 + i * 4, 4)
    for j, rep in enumerate(org[vp]):
        pos[rep] = (2 + i * 4 - 1 + j * 2, 2)
level_color = {6: '#1e40af', 4: '#3b82f6', 2: '#93c5fd'}

fig, ax = plt.subplots(figsize=(12, 7))
ax.set_xlim(-0.5, 12.5)
ax.set_ylim(1, 7)
ax.axis('off')
for parent, kids in org.items():
    px, py = pos[parent]
    for k in kids:
        kx, ky = pos[k]
        mid = (py + ky) / 2
        ax.plot([px, px, kx, kx], [py - 0.35, mid, mid, ky + 0.35], color='#6b7280', lw=1.2, zorder=1)
for name, (x, y) in pos.items():
    w = 1.8 if y == 2 else 2.4
    ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.35), w, 0.7, boxstyle='round,pad=0.05',
                                fc=level_color[y], ec='white', zorder=2))
    ax.text(x, y, name, ha='center', va='center', fontsize=9 if y == 2 else 10,
            color='white' if y > 2 else '#0f172a', zorder=3, fontweight='bold' if y == 6 else 'normal')
ax.set_title('Company Organisation Chart', fontsize=16, fontweight='bold')
fig.savefig(os.path.join(output_dir, 'org_chart.png'), dpi=100)
