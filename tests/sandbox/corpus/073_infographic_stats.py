# Infographic: big-number stat tiles in rounded boxes plus a small bar chart and source line.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig = plt.figure(figsize=(10, 7))
fig.patch.set_facecolor('white')
fig.text(0.05, 0.93, 'Global Water Facts', fontsize=26, fontweight='bold', color='#0c4a6e')
fig.text(0.05, 0.885, 'Key numbers everyone should know', fontsize=13, color='#475569')
stats = [('2.2 bn', 'people lack safe\ndrinking water', '#0ea5e9'),
         ('70%', 'of freshwater is used\nby agriculture', '#22c55e'),
         ('2.5%', "of Earth's water\nis fresh", '#f59e0b'),
         ('1 in 4', 'schools lack basic\nwater service', '#ef4444')]
ax = fig.add_axes([0, 0, 1, 1], facecolor='none')
ax.set_xlim(0, 1)
ax.set_ylim(0, 1)
ax.axis('off')
for i, (big, small, col) in enumerate(stats):
    x = 0.05 + i * 0.235
    ax.add_patch(FancyBboxPatch((x, 0.56), 0.2, 0.26, boxstyle='round,pad=0.005,rounding_size=0.02',
                                fc=col, ec='none', alpha=0.15))
    ax.text(x + 0.1, 0.735, big, ha='center', fontsize=26, fontweight='bold', color=col)
    ax.text(x + 0.1, 0.63, small, ha='center', va='center', fontsize=10.5, color='#1e293b')
bar_ax = fig.add_axes([0.2, 0.1, 0.74, 0.36])
regions = ['Sub-Saharan\nAfrica', 'South Asia', 'East Asia', 'Latin America', 'Europe']
access = [30, 58, 76, 75, 96]
bar_ax.barh(regions, access, color='#0ea5e9')
bar_ax.set_xlim(0, 100)
bar_ax.set_xlabel('Population with safely managed water (%)')
for s in ('top', 'right'):
    bar_ax.spines[s].set_visible(False)
fig.text(0.05, 0.02, 'Source: illustrative figures for demonstration', fontsize=8, color='gray')
fig.savefig(os.path.join(output_dir, 'infographic.png'), dpi=100)
