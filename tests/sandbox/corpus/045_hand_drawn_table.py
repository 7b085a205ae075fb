# Hand-drawn table using Rectangle patches and text (common LLM pattern for "a table image").
import matplotlib.pyplot as plt
import matplotlib.patches as patches

cols = ['Plan', 'Price', 'Storage', 'Users', 'Support']
rows = [['Free', '$0', '5 GB', '1', 'Community'],
        ['Pro', '$12/mo', '100 GB', '5', 'Email'],
        ['Team', '$30/mo', '1 TB', '25', 'Priority'],
        ['Enterprise', 'Contact', 'Unlimited', 'Unlimited', '24/7 phone']]
col_w = [2.2, 1.6, 1.8, 1.8, 2.2]
row_h = 0.8

fig, ax = plt.subplots(figsize=(10, 4.5))
ax.set_xlim(0, sum(col_w))
ax.set_ylim(0, row_h * (len(rows) + 1))
ax.axis('off')
y = row_h * len(rows)
x = 0
for c, w in zip(cols, col_w):
    ax.add_patch(patches.Rectangle((x, y), w, row_h, facecolor='#2c3e50', edgecolor='white'))
    ax.text(x + w / 2, y + row_h / 2, c, ha='center', va='center', color='white', fontsize=12, fontweight='bold')
    x += w
for r, row in enumerate(rows):
    y = row_h * (len(rows) - 1 - r)
    x = 0
    for val, w in zip(row, col_w):
        fc = '#ecf0f1' if r % 2 == 0 else 'white'
        ax.add_patch(patches.Rectangle((x, y), w, row_h, facecolor=fc, edgecolor='#bdc3c7'))
        ax.text(x + w / 2, y + row_h / 2, val, ha='center', va='center', fontsize=11)
        x += w
plt.title('Pricing Plans', fontsize=16, fontweight='bold')
plt.savefig(os.path.join(output_dir, 'pricing_table.png'), dpi=100, bbox_inches='tight')
