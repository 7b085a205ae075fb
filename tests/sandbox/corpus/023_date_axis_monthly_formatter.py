# Monthly data with DateFormatter('%b %Y') and rotated tick labels via autofmt_xdate.
from datetime import datetime
import matplotlib.pyplot as plt
import matplotlib.dates as mdates

dates = [datetime(2023, m, 1) for m in range(1, 13)] + [datetime(2024, m, 1) for m in range(1, 7)]
revenue = [210, 225, 240, 238, 260, 275, 290, 300, 295, 310, 330, 360, 340, 355, 370, 390, 405, 420]

fig, ax = plt.subplots(figsize=(10, 5))
ax.plot(dates, revenue, marker='o', color='darkorange')
ax.xaxis.set_major_locator(mdates.MonthLocator(interval=2))
ax.xaxis.set_major_formatter(mdates.DateFormatter('%b %Y'))
fig.autofmt_xdate()
ax.set_ylabel('Revenue (k$)')
ax.set_title('Monthly Recurring Revenue')
ax.grid(True, alpha=0.3)
plt.savefig(os.path.join(output_dir, 'mrr.png'), dpi=100)
