# Pair-plot style 3x3 scatter matrix, displayed with plt.show() (no savefig).
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
data = rng.multivariate_normal([0, 0, 0], [[1, 0.8, 0.2], [0.8, 1, 0.4], [0.2, 0.4, 1]], size=300)
names = ['alpha', 'beta', 'gamma']
fig, axes = plt.subplots(3, 3, figsize=(8, 8))
for i in range(3):
    for j in range(3):
        ax = axes[i, j]
        if i == j:
            ax.hist(data[:, i], bins=20, color='gray')
        else:
            ax.scatter(data[:, j], data[:, i], s=4, alpha=0.5)
        if i == 2:
            ax.set_xlabel(names[j])
        if j == 0:
            ax.set_ylabel(names[i])
fig.suptitle('Scatter matrix')

plt.show()
