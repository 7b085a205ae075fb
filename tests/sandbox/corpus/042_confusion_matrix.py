# Confusion matrix for a 4-class classifier with counts and row percentages.
import numpy as np
import matplotlib.pyplot as plt

classes = ['cat', 'dog', 'bird', 'fish']
cm = np.array([[50, 3, 2, 0],
               [4, 45, 1, 2],
               [1, 2, 38, 4],
               [0, 1, 5, 42]])
pct = cm / cm.sum(axis=1, keepdims=True)

fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(pct, cmap='Blues', vmin=0, vmax=1)
for i in range(4):
    for j in range(4):
        ax.text(j, i, f'{cm[i, j]}\n({pct[i, j]:.0%})', ha='center', va='center',
                color='white' if pct[i, j] > 0.5 else 'black', fontsize=10)
ax.set_xticks(range(4), classes)
ax.set_yticks(range(4), classes)
ax.set_xlabel('Predicted label')
ax.set_ylabel('True label')
ax.set_title(f'Confusion matrix (accuracy {np.trace(cm) / cm.sum():.1%})')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'confusion.png'), dpi=100)
