# Pie chart with an exploded slice, shadow and custom colours.
import matplotlib.pyplot as plt

labels = 'Rent', 'Food', 'Transport', 'Leisure', 'Savings'
sizes = [35, 20, 10, 15, 20]
explode = (0, 0, 0, 0, 0.1)
colors = ['#ff9999', '#66b3ff', '#99ff99', '#ffcc99', '#c2c2f0']

plt.figure(figsize=(6, 6))
plt.pie(sizes, explode=explode, labels=labels, colors=colors, autopct='%1.0f%%',
        shadow=True, startangle=140, textprops={'fontsize': 12})
plt.title('Monthly Budget', fontsize=15)
plt.savefig(os.path.join(output_dir, 'budget.png'), dpi=100)
