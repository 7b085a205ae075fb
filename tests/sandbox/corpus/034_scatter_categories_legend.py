# Scatter of three clusters (fixed seed) with per-class colours and markers.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
centers = {'setosa': (1.5, 0.3), 'versicolor': (4.3, 1.3), 'virginica': (5.5, 2.0)}
markers = {'setosa': 'o', 'versicolor': 's', 'virginica': '^'}
fig, ax = plt.subplots(figsize=(7, 5))
for name, (cx, cy) in centers.items():
    pts = rng.normal([cx, cy], [0.25, 0.15], size=(50, 2))
    ax.scatter(pts[:, 0], pts[:, 1], label=name, marker=markers[name], alpha=0.75)
ax.set_xlabel('Petal length (cm)')
ax.set_ylabel('Petal width (cm)')
ax.legend(title='Species')
ax.set_title('Iris-like clusters')
fig.savefig(os.path.join(output_dir, 'clusters.png'), dpi=100)
