# CJK: Chinese bar chart (城市销售额) with a CJK font family list in rcParams.
import matplotlib.pyplot as plt

plt.rcParams['font.sans-serif'] = ['Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'DejaVu Sans']
plt.rcParams['axes.unicode_minus'] = False
cities = ['北京', '上海', '广州', '深圳', '杭州', '成都']
sales = [320, 410, 275, 390, 210, 180]
fig, ax = plt.subplots(figsize=(8, 5))
bars = ax.bar(cities, sales, color='#c0392b')
ax.bar_label(bars, fmt='%d 万')
ax.set_title('2024年各城市销售额')
ax.set_xlabel('城市')
ax.set_ylabel('销售额（万元）')
ax.set_ylim(0, 460)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'sales_cn.png'), dpi=100)
