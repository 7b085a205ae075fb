# Grouped bar chart comparing three years across five regions.
import numpy as np
import matplotlib.pyplot as plt

regions = ['North', 'South', 'East', 'West', 'Central']
data = {
    '2021': [45, 38, 52, 41, 30],
    '2022': [50, 42, 55, 47, 35],
    '2023': [58, 40, 61, 53, 39],
}
x = np.arange(len(regions))
width = 0.25

fig, ax = plt.subplots(figsize=(9, 5))
for i, (year, vals) in enumerate(data.items()):
    ax.bar(x + (i - 1) * width, vals, width, label=year)
ax.set_xticks(x)
ax.set_xticklabels(regions)
ax.set_ylabel('Customers (thousands)')
ax.set_title('Customers by Region, 2021-2023')
ax.legend(title='Year')
ax.grid(axis='y', linestyle='--', alpha=0.5)
ax.set_axisbelow(True)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'grouped.png'), dpi=100)
