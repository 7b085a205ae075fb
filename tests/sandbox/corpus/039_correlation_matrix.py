# Correlation matrix heatmap (lower triangle masked) with diverging colormap.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
names = ['age', 'income', 'spend', 'visits', 'tenure', 'score']
base = rng.standard_normal((300, 3))
data = np.column_stack([base[:, 0], base[:, 0] * 0.7 + base[:, 1] * 0.3, base[:, 1],
                        base[:, 1] * 0.5 + base[:, 2], base[:, 0] * 0.4 + base[:, 2] * 0.6, base[:, 2]])
corr = np.corrcoef(data, rowvar=False)
mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
shown = np.ma.array(corr, mask=mask)

fig, ax = plt.subplots(figsize=(7, 6))
im = ax.imshow(shown, cmap='RdBu_r', vmin=-1, vmax=1)
ax.set_xticks(range(len(names)), names, rotation=30)
ax.set_yticks(range(len(names)), names)
for i in range(len(names)):
    for j in range(i + 1):
        ax.text(j, i, f'{corr[i, j]:.2f}', ha='center', va='center', fontsize=9,
                color='white' if abs(corr[i, j]) > 0.6 else 'black')
fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
ax.set_title('Feature correlations')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'corr.png'), dpi=100)
