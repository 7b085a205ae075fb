# Bar chart using ax.bar_label to print values on top of each bar.
import matplotlib.pyplot as plt

fruits = ['apple', 'banana', 'cherry', 'date', 'elderberry']
counts = [40, 100, 30, 55, 12]
colors = ['tab:red', 'tab:olive', 'tab:pink', 'tab:brown', 'tab:purple']

fig, ax = plt.subplots(figsize=(6.4, 4.8))
bars = ax.bar(fruits, counts, color=colors)
ax.bar_label(bars, padding=3)
ax.set_ylabel('Fruit supply')
ax.set_title('Fruit supply by kind')
ax.set_ylim(0, 115)
plt.savefig(os.path.join(output_dir, 'fruit.png'))
