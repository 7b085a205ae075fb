# Minimal "Tufte" style line chart: no top/right spines, direct labels at line ends.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
years = np.arange(2010, 2024)
series = {'Europe': 60 + np.cumsum(rng.normal(0.5, 1, years.size)),
          'Asia': 45 + np.cumsum(rng.normal(1.5, 1, years.size)),
          'Americas': 55 + np.cumsum(rng.normal(0.8, 1, years.size))}
fig, ax = plt.subplots(figsize=(8, 5))
for (name, vals), col in zip(series.items(), ['#1b9e77', '#d95f02', '#7570b3']):
    ax.plot(years, vals, color=col, linewidth=2)
    ax.text(years[-1] + 0.3, vals[-1], name, color=col, va='center', fontsize=11)
for s in ('top', 'right'):
    ax.spines[s].set_visible(False)
ax.set_xlim(2010, 2026)
ax.set_title('Internet adoption index', loc='left', fontsize=13)
fig.savefig(os.path.join(output_dir, 'tufte.png'), dpi=100)
