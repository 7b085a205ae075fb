# CJK: Japanese pie chart (好きな果物) with fontfamily passed per text and a JP font first.
import matplotlib.pyplot as plt

jp = ['Noto Sans CJK JP', 'WenQuanYi Zen Hei', 'DejaVu Sans']
labels = ['りんご', 'バナナ', 'みかん', 'ぶどう', 'いちご']
votes = [28, 17, 22, 13, 20]
fig, ax = plt.subplots(figsize=(7, 7))
ax.pie(votes, labels=labels, autopct='%1.0f%%', startangle=90, textprops={'fontfamily': jp, 'fontsize': 13})
ax.set_title('好きな果物アンケート（100人）', fontfamily=jp, fontsize=16)
fig.savefig(os.path.join(output_dir, 'fruits_jp.png'), dpi=100)
