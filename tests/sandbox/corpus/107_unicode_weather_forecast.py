# Unicode text: 5-day weather forecast cards with °C, ±, ↑↓ arrows and % symbols.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

days = [('Mon', 21, 12, 10, '☀'), ('Tue', 19, 11, 40, '☁'), ('Wed', 15, 9, 80, '☂'),
        ('Thu', 17, 10, 30, '☁'), ('Fri', 23, 14, 0, '☀')]
fig, ax = plt.subplots(figsize=(11, 4))
ax.set_xlim(0, 10)
ax.set_ylim(0, 4)
ax.axis('off')
for i, (d, hi, lo, rain, sym) in enumerate(days):
    x = 0.2 + i * 2
    ax.add_patch(FancyBboxPatch((x, 0.3), 1.6, 3.3, boxstyle='round,pad=0.05', fc='#e0f2fe', ec='#0284c7'))
    ax.text(x + 0.8, 3.2, d, ha='center', fontsize=15, fontweight='bold')
    ax.text(x + 0.8, 2.35, sym, ha='center', fontsize=30, color='#f59e0b' if sym == '☀' else '#64748b')
    ax.text(x + 0.8, 1.55, f'↑ {hi}°C   ↓ {lo}°C', ha='center', fontsize=11)
    ax.text(x + 0.8, 1.0, f'rain {rain}%', ha='center', fontsize=10, color='#0369a1')
    ax.text(x + 0.8, 0.55, f'±{1 + i % 2}°', ha='center', fontsize=9, color='gray')
fig.suptitle('Forecast for Zürich — accuracy ±2 °C', fontsize=14)
fig.savefig(os.path.join(output_dir, 'forecast.png'), dpi=100)
