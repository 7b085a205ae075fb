# Chart with a very long title wrapped with textwrap, long subtitle and footnote.
import textwrap
import matplotlib.pyplot as plt

title = ('Share of respondents who reported using at least one generative AI tool at work '
         'at least once per week, broken down by industry sector and company size, 2024 survey')
sectors = ['Tech', 'Finance', 'Media', 'Health', 'Retail', 'Manufacturing', 'Government']
vals = [78, 61, 66, 39, 42, 33, 24]
fig, ax = plt.subplots(figsize=(9, 6))
ax.bar(sectors, vals, color='#6366f1')
ax.set_title('\n'.join(textwrap.wrap(title, 70)), fontsize=13, loc='left')
ax.set_ylabel('% of respondents')
ax.set_ylim(0, 100)
fig.text(0.01, 0.01, 'Note: n = 4,812; weighted to population; margin of error ±2.1 pp.', fontsize=8, color='gray')
fig.tight_layout(rect=(0, 0.03, 1, 1))
fig.savefig(os.path.join(output_dir, 'long_title.png'), dpi=100)
