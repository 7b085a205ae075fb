# A standalone table rendered with ax.table (axis off), header row styled.
import matplotlib.pyplot as plt

header = ['Team', 'P', 'W', 'D', 'L', 'GD', 'Pts']
rows = [['Arsenal', 38, 28, 5, 5, 62, 89],
        ['Man City', 38, 27, 7, 4, 61, 88],
        ['Liverpool', 38, 24, 10, 4, 45, 82],
        ['Aston Villa', 38, 20, 8, 10, 15, 68],
        ['Tottenham', 38, 20, 6, 12, 13, 66],
        ['Chelsea', 38, 18, 9, 11, 14, 63]]

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.axis('off')
tbl = ax.table(cellText=rows, colLabels=header, loc='center', cellLoc='center')
tbl.auto_set_font_size(False)
tbl.set_fontsize(11)
tbl.scale(1, 1.6)
for (r, c), cell in tbl.get_celld().items():
    if r == 0:
        cell.set_facecolor('#40466e')
        cell.set_text_props(color='white', weight='bold')
    elif r % 2 == 0:
        cell.set_facecolor('#f1f1f2')
ax.set_title('League Table', fontweight='bold', pad=10)
fig.savefig(os.path.join(output_dir, 'league.png'), dpi=100, bbox_inches='tight')
