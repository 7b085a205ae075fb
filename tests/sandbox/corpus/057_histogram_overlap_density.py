# Two overlapping density histograms with alpha and a fitted normal pdf curve.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
a = rng.normal(165, 7, 1000)
b = rng.normal(178, 8, 1000)
fig, ax = plt.subplots(figsize=(9, 5))
bins = np.linspace(130, 210, 50)
for d, lab, c in [(a, 'Women', 'tab:pink'), (b, 'Men', 'tab:blue')]:
    ax.hist(d, bins=bins, density=True, alpha=0.5, color=c, label=lab)
    mu, sd = d.mean(), d.std()
    ax.plot(bins, np.exp(-(bins - mu) ** 2 / (2 * sd ** 2)) / (sd * np.sqrt(2 * np.pi)), color=c, lw=2)
ax.set_xlabel('Height (cm)')
ax.set_ylabel('Density')
ax.legend()
ax.set_title('Height distribution by sex')
fig.savefig(os.path.join(output_dir, 'heights.png'), dpi=100)
