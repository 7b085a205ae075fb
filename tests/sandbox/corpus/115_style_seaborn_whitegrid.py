# plt.style.use('seaborn-v0_8-whitegrid') with a categorical dot plot and custom palette.
import matplotlib.pyplot as plt
import numpy as np

plt.style.use('seaborn-v0_8-whitegrid')
rng = np.random.default_rng(0)
teams = ['Red', 'Blue', 'Green', 'Gold']
fig, ax = plt.subplots(figsize=(8, 5))
for i, t in enumerate(teams):
    vals = rng.normal(50 + 5 * i, 8, 25)
    ax.scatter(np.full(25, i) + rng.uniform(-0.15, 0.15, 25), vals, alpha=0.7, s=30)
    ax.hlines(vals.mean(), i - 0.3, i + 0.3, color='black', lw=2)
ax.set_xticks(range(len(teams)), teams)
ax.set_ylabel('Score')
ax.set_title('Scores by team (strip plot with means)')
fig.savefig(os.path.join(output_dir, 'strip.png'), dpi=100)
