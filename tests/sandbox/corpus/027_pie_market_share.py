# Pie chart of smartphone market share with percentage labels (autopct).
import matplotlib.pyplot as plt

labels = ['Samsung', 'Apple', 'Xiaomi', 'Oppo', 'Vivo', 'Others']
sizes = [22, 20, 13, 9, 8, 28]
fig, ax = plt.subplots(figsize=(7, 7))
ax.pie(sizes, labels=labels, autopct='%1.1f%%', startangle=90)
ax.axis('equal')
ax.set_title('Global Smartphone Market Share')
plt.savefig(os.path.join(output_dir, 'pie.png'), dpi=100)
