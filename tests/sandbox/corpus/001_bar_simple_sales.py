# Simple vertical bar chart of monthly sales, saved to output_dir.
import matplotlib.pyplot as plt
import os

months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun']
sales = [120, 135, 150, 110, 170, 190]

fig, ax = plt.subplots(figsize=(8, 5))
ax.bar(months, sales, color='steelblue')
ax.set_title('Monthly Sales')
ax.set_xlabel('Month')
ax.set_ylabel('Units sold')
plt.tight_layout()
plt.savefig(os.path.join(output_dir, 'chart.png'), dpi=100)
plt.close()
