# Horizontal timeline with alternating stems above/below (fixed dates, matplotlib release style).
from datetime import datetime
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.dates as mdates

events = [('v1.0', datetime(2012, 3, 1)), ('v1.5', datetime(2013, 6, 15)), ('v2.0', datetime(2015, 1, 10)),
          ('v2.2', datetime(2016, 8, 20)), ('v3.0', datetime(2018, 5, 5)), ('v3.3', datetime(2020, 2, 1)),
          ('v3.6', datetime(2021, 11, 30)), ('v4.0', datetime(2023, 9, 12))]
names = [e[0] for e in events]
dates = [e[1] for e in events]
levels = np.tile([-5, 5, -3, 3, -1, 1], int(np.ceil(len(dates) / 6)))[:len(dates)]

fig, ax = plt.subplots(figsize=(11, 4.5), layout='constrained')
ax.set(title='Release history')
ax.vlines(dates, 0, levels, color='tab:red')
ax.plot(dates, np.zeros_like(dates), '-o', color='k', markerfacecolor='w')
for d, l, r in zip(dates, levels, names):
    ax.annotate(r, xy=(d, l), xytext=(-3, np.sign(l) * 3), textcoords='offset points',
                horizontalalignment='right', verticalalignment='bottom' if l > 0 else 'top')
ax.xaxis.set_major_locator(mdates.YearLocator(2))
ax.xaxis.set_major_formatter(mdates.DateFormatter('%Y'))
ax.yaxis.set_visible(False)
ax.spines[['left', 'top', 'right']].set_visible(False)
ax.margins(y=0.1)
fig.savefig(os.path.join(output_dir, 'timeline.png'), dpi=100)
