# Pseudo word cloud: words placed by the `random` module with random.seed(42), sizes by frequency.
import random
import matplotlib.pyplot as plt

random.seed(42)
words = {'python': 90, 'data': 75, 'plot': 60, 'numpy': 55, 'chart': 50, 'figure': 45, 'axis': 40,
         'legend': 35, 'color': 32, 'label': 30, 'grid': 25, 'scatter': 24, 'line': 22, 'bar': 20,
         'pie': 18, 'title': 16, 'tick': 14, 'font': 12, 'layout': 11, 'style': 10}
palette = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02']
fig, ax = plt.subplots(figsize=(10, 6))
ax.set_xlim(0, 1)
ax.set_ylim(0, 1)
ax.axis('off')
for w, f in words.items():
    ax.text(random.uniform(0.1, 0.9), random.uniform(0.1, 0.9), w, fontsize=f / 2.2,
            color=random.choice(palette), rotation=random.choice([0, 0, 0, 90]), ha='center', va='center',
            fontweight='bold' if f > 40 else 'normal', alpha=0.9)
fig.savefig(os.path.join(output_dir, 'wordcloud.png'), dpi=100)
