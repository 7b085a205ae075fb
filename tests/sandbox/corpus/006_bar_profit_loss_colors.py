# Bar chart with positive/negative values coloured green/red and a zero line.
import numpy as np
import matplotlib.pyplot as plt

months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
profit = np.array([12, -5, 8, 15, -12, 3, 20, -8, 6, 11, -3, 18])
colors = ['#2ecc71' if p >= 0 else '#e74c3c' for p in profit]

fig, ax = plt.subplots(figsize=(10, 5))
ax.bar(months, profit, color=colors, edgecolor='black', linewidth=0.6)
ax.axhline(0, color='black', linewidth=1)
ax.set_title('Monthly Profit / Loss (k$)', fontsize=14, fontweight='bold')
ax.set_ylabel('k$')
for i, v in enumerate(profit):
    ax.text(i, v + (1 if v >= 0 else -2), str(v), ha='center', fontsize=9)
plt.tight_layout()
plt.savefig(os.path.join(output_dir, 'profit_loss.png'), dpi=100)
