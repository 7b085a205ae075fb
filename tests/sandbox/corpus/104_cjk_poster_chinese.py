# CJK: Chinese event poster (读书节) with rounded boxes, mixed Chinese/English/number text.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

plt.rcParams['font.family'] = ['Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'DejaVu Sans']
fig = plt.figure(figsize=(6, 8.5))
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 6)
ax.set_ylim(0, 8.5)
ax.axis('off')
fig.patch.set_facecolor('#fef3c7')
ax.text(3, 7.5, '第十届校园读书节', ha='center', fontsize=28, fontweight='bold', color='#7c2d12')
ax.text(3, 6.9, 'Campus Reading Festival 2025', ha='center', fontsize=13, color='#9a3412')
items = [('4月23日', '开幕式 · 图书馆大厅'), ('4月24日', '作家见面会：《城南旧事》'),
         ('4月25日', '二手书交换市集'), ('4月26日', '诗歌朗诵比赛 · 闭幕')]
for i, (d, t) in enumerate(items):
    y = 5.7 - i * 1.05
    ax.add_patch(FancyBboxPatch((0.5, y - 0.35), 5.0, 0.75, boxstyle='round,pad=0.05,rounding_size=0.15',
                                fc='white', ec='#ea580c', lw=1.5))
    ax.text(0.75, y, d, fontsize=14, fontweight='bold', color='#ea580c', va='center')
    ax.text(2.2, y, t, fontsize=13, va='center')
ax.text(3, 0.8, '欢迎全体师生参加！ 联系电话：010-1234-5678', ha='center', fontsize=11, color='#7c2d12')
fig.savefig(os.path.join(output_dir, 'reading_festival.png'), dpi=100, facecolor=fig.get_facecolor())
