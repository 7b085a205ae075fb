# Violin plots with medians shown and custom body colours.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
data = [rng.normal(0, std, 300) for std in range(1, 5)]
fig, ax = plt.subplots(figsize=(8, 5))
parts = ax.violinplot(data, showmeans=False, showmedians=True)
for pc in parts['bodies']:
    pc.set_facecolor('#D43F3A')
    pc.set_edgecolor('black')
    pc.set_alpha(0.7)
ax.set_xticks([1, 2, 3, 4], ['σ=1', 'σ=2', 'σ=3', 'σ=4'])
ax.set_title('Violin plot')
fig.savefig(os.path.join(output_dir, 'violin.png'), dpi=100)
