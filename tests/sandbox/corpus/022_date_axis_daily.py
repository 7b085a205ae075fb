# Time series on a date x-axis (fixed dates) with auto date locator/formatter.
import datetime as dt
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.dates as mdates

start = dt.date(2024, 1, 1)
dates = [start + dt.timedelta(days=i) for i in range(120)]
np.random.seed(7)
visitors = 1000 + np.cumsum(np.random.randn(120) * 20) + 200 * np.sin(np.arange(120) / 7 * 2 * np.pi)

fig, ax = plt.subplots(figsize=(10, 4.5))
ax.plot(dates, visitors, color='teal')
locator = mdates.AutoDateLocator()
ax.xaxis.set_major_locator(locator)
ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
ax.set_title('Daily website visitors (Jan–Apr 2024)')
ax.set_ylabel('Visitors')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'visitors.png'), dpi=100)
