# 100% stacked horizontal bars for a Likert survey, legend above the plot.
import numpy as np
import matplotlib.pyplot as plt

questions = ['The course was useful', 'Pace was appropriate', 'Materials were clear',
             'Instructor was engaging', 'I would recommend it']
labels = ['Strongly disagree', 'Disagree', 'Neutral', 'Agree', 'Strongly agree']
results = np.array([[2, 5, 10, 45, 38],
                    [5, 12, 25, 40, 18],
                    [3, 8, 14, 50, 25],
                    [1, 4, 9, 36, 50],
                    [4, 6, 12, 38, 40]])
cmap = plt.colormaps['RdYlGn']
colors = cmap(np.linspace(0.15, 0.85, len(labels)))

fig, ax = plt.subplots(figsize=(10, 4.5))
ax.invert_yaxis()
ax.xaxis.set_visible(False)
ax.set_xlim(0, 100)
left = np.zeros(len(questions))
for i, (lab, col) in enumerate(zip(labels, colors)):
    w = results[:, i]
    rects = ax.barh(questions, w, left=left, height=0.6, label=lab, color=col)
    ax.bar_label(rects, labels=[f'{v}%' if v >= 5 else '' for v in w], label_type='center', fontsize=8)
    left += w
ax.legend(ncols=len(labels), bbox_to_anchor=(0, 1), loc='lower left', fontsize='small')
for s in ['top', 'right', 'bottom']:
    ax.spines[s].set_visible(False)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'survey.png'), dpi=100)
