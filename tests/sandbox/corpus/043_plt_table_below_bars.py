# Stacked bar chart with a data table underneath (classic plt.table example style).
import numpy as np
import matplotlib.pyplot as plt

data = [[66386, 174296, 75131, 577908, 32015],
        [58230, 381139, 78045, 99308, 160454],
        [89135, 80552, 152558, 497981, 603535],
        [78415, 81858, 150656, 193263, 69638],
        [139361, 331509, 343164, 781380, 52269]]
columns = ('Freeze', 'Wind', 'Flood', 'Quake', 'Hail')
rows = ['%d year' % x for x in (100, 50, 20, 10, 5)]
colors = plt.cm.BuPu(np.linspace(0, 0.5, len(rows)))

fig, ax = plt.subplots(figsize=(9, 6))
index = np.arange(len(columns)) + 0.3
y_offset = np.zeros(len(columns))
cell_text = []
for row in range(len(rows)):
    ax.bar(index, data[row], 0.4, bottom=y_offset, color=colors[row])
    y_offset = y_offset + data[row]
    cell_text.append(['%1.1f' % (x / 1000.0) for x in y_offset])
colors = colors[::-1]
cell_text.reverse()
the_table = plt.table(cellText=cell_text, rowLabels=rows, rowColours=colors,
                      colLabels=columns, loc='bottom')
plt.subplots_adjust(left=0.2, bottom=0.25)
plt.ylabel('Loss in $1000s')
plt.xticks([])
plt.title('Loss by Disaster')
plt.savefig(os.path.join(output_dir, 'table_chart.png'), dpi=100)
