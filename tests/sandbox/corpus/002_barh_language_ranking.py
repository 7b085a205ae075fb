# Horizontal bar chart ranking programming languages by popularity, sorted.
import matplotlib.pyplot as plt
import os

langs = ['Python', 'JavaScript', 'Java', 'C#', 'C++', 'Go', 'Rust', 'Kotlin']
score = [31.2, 24.8, 16.1, 9.7, 8.9, 4.3, 3.1, 2.2]
order = sorted(range(len(langs)), key=lambda i: score[i])

fig, ax = plt.subplots(figsize=(8, 6))
bars = ax.barh([langs[i] for i in order], [score[i] for i in order], color='#4C72B0')
for b in bars:
    ax.text(b.get_width() + 0.3, b.get_y() + b.get_height() / 2, f'{b.get_width():.1f}%',
            va='center', fontsize=9)
ax.set_xlabel('Share of developers (%)')
ax.set_title('Most Popular Programming Languages')
ax.set_xlim(0, 36)
ax.spines['top'].set_visible(False)
ax.spines['right'].set_visible(False)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'languages.png'), dpi=100)
