# Table whose cell colours encode the values (plt.table with cellColours from a colormap).
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.colors as mcolors

rng = np.random.default_rng(0)
vals = np.round(rng.uniform(-5, 5, size=(6, 5)), 1)
norm = mcolors.TwoSlopeNorm(vmin=-5, vcenter=0, vmax=5)
colours = plt.cm.RdYlGn(norm(vals))
colours[..., 3] = 0.7
rows = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'META', 'NVDA']
cols = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.axis('off')
t = ax.table(cellText=[[f'{v:+.1f}%' for v in r] for r in vals], cellColours=colours,
             rowLabels=rows, colLabels=cols, loc='center', cellLoc='center')
t.scale(1, 1.5)
ax.set_title('Daily returns, week 12')
fig.savefig(os.path.join(output_dir, 'returns.png'), dpi=100)
