# Donut chart (pie with wedgeprops width) with a total in the centre.
import matplotlib.pyplot as plt

labels = ['Organic', 'Paid search', 'Social', 'Email', 'Referral']
visits = [4200, 2600, 1800, 900, 500]
colors = plt.cm.Set2.colors[:5]

fig, ax = plt.subplots(figsize=(7, 7))
wedges, texts, autotexts = ax.pie(visits, labels=labels, colors=colors, autopct='%.0f%%',
                                  pctdistance=0.8, startangle=90,
                                  wedgeprops=dict(width=0.4, edgecolor='white'))
for t in autotexts:
    t.set_color('white')
    t.set_fontweight('bold')
ax.text(0, 0.08, f'{sum(visits):,}', ha='center', va='center', fontsize=26, fontweight='bold')
ax.text(0, -0.12, 'total visits', ha='center', va='center', fontsize=12, color='gray')
ax.set_title('Traffic sources, March')
fig.savefig(os.path.join(output_dir, 'donut.png'), dpi=100)
