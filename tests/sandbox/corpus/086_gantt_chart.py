# Gantt chart with broken_barh-like barh, fixed dates, today line, and progress shading.
from datetime import date, timedelta
import matplotlib.pyplot as plt
import matplotlib.dates as mdates

tasks = [('Requirements', date(2024, 1, 8), 10, 1.0, 'Planning'),
         ('Design', date(2024, 1, 15), 14, 1.0, 'Planning'),
         ('Backend API', date(2024, 1, 29), 25, 0.7, 'Build'),
         ('Frontend', date(2024, 2, 5), 28, 0.5, 'Build'),
         ('Integration', date(2024, 3, 1), 12, 0.1, 'Build'),
         ('QA & testing', date(2024, 3, 11), 15, 0.0, 'Release'),
         ('Launch', date(2024, 3, 27), 3, 0.0, 'Release')]
colors = {'Planning': '#60a5fa', 'Build': '#f59e0b', 'Release': '#10b981'}
fig, ax = plt.subplots(figsize=(11, 5))
for i, (name, start, dur, done, phase) in enumerate(tasks):
    s = mdates.date2num(start)
    ax.barh(i, dur, left=s, color=colors[phase], alpha=0.35, edgecolor=colors[phase])
    ax.barh(i, dur * done, left=s, color=colors[phase])
    ax.text(s + dur + 0.5, i, f'{int(done * 100)}%', va='center', fontsize=9)
ax.set_yticks(range(len(tasks)), [t[0] for t in tasks])
ax.invert_yaxis()
ax.xaxis_date()
ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=2))
ax.xaxis.set_major_formatter(mdates.DateFormatter('%d %b'))
today = mdates.date2num(date(2024, 2, 20))
ax.axvline(today, color='red', linestyle='--', lw=1)
ax.text(today, -0.8, 'today', color='red', ha='center', fontsize=9)
handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
ax.legend(handles, colors.keys(), loc='lower left')
ax.grid(axis='x', alpha=0.3)
ax.set_title('Project Plan — Website Relaunch')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'gantt.png'), dpi=100)
