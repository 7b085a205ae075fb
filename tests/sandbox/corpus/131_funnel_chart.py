# Sales funnel: centred horizontal bars of decreasing width with conversion percentages.
import matplotlib.pyplot as plt

stages = ['Visitors', 'Sign-ups', 'Activated', 'Trial', 'Paid']
counts = [12000, 4200, 2600, 1100, 420]
colors = ['#0c4a6e', '#075985', '#0369a1', '#0284c7', '#0ea5e9']
fig, ax = plt.subplots(figsize=(9, 5.5))
for i, (s, c, col) in enumerate(zip(stages, counts, colors)):
    y = len(stages) - 1 - i
    ax.barh(y, c, left=-c / 2, color=col, height=0.8)
    ax.text(-6800, y, s, ha='left', va='center', color='#0f172a', fontsize=12, fontweight='bold')
    ax.text(0, y, f'{c:,}', ha='center', va='center', color='white' if c > 2000 else '#0f172a', fontsize=11)
    if i:
        ax.text(6500, y + 0.5, f'{c / counts[i - 1]:.0%} ↓', fontsize=10, color='#334155', va='center')
ax.set_xlim(-7000, 8000)
ax.axis('off')
ax.set_title('Conversion funnel — Q2', fontsize=15)
fig.savefig(os.path.join(output_dir, 'funnel.png'), dpi=100)
