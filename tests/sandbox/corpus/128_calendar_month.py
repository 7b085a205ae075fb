# Month calendar (June 2025) drawn with the calendar module: grid of day cells, weekends shaded, events.
import calendar
import matplotlib.pyplot as plt
import matplotlib.patches as patches

year, month = 2025, 6
weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(year, month)
events = {3: 'Dentist', 12: 'Team offsite', 20: 'Mia’s birthday', 27: 'Release v3'}
fig, ax = plt.subplots(figsize=(10, 7.5))
ax.set_xlim(0, 7)
ax.set_ylim(0, len(weeks) + 1)
ax.axis('off')
ax.text(3.5, len(weeks) + 0.75, f'{calendar.month_name[month]} {year}', ha='center', fontsize=22, fontweight='bold')
for i, d in enumerate(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']):
    ax.text(i + 0.5, len(weeks) + 0.2, d, ha='center', fontsize=12, color='#374151')
for r, week in enumerate(weeks):
    y = len(weeks) - 1 - r
    for c, day in enumerate(week):
        fc = '#f3f4f6' if c >= 5 else 'white'
        ax.add_patch(patches.Rectangle((c, y), 1, 1, fc=fc, ec='#d1d5db'))
        if day:
            ax.text(c + 0.08, y + 0.85, str(day), fontsize=12, va='top')
            if day in events:
                ax.add_patch(patches.FancyBboxPatch((c + 0.08, y + 0.12), 0.84, 0.28,
                                                    boxstyle='round,pad=0.02', fc='#dbeafe', ec='#3b82f6'))
                ax.text(c + 0.5, y + 0.26, events[day], ha='center', va='center', fontsize=8.5)
fig.savefig(os.path.join(output_dir, 'calendar.png'), dpi=100)
