# Restaurant menu card: sections, dish names with dotted leaders and prices (€), decorative border.
import matplotlib.pyplot as plt
import matplotlib.patches as patches

menu = {
    'Starters': [('Tomato bruschetta', 6.50), ('Burrata & peaches', 9.00), ('Soup of the day', 5.50)],
    'Mains': [('Wild mushroom risotto', 14.50), ('Grilled sea bass', 19.00), ('Steak frites', 22.50),
              ('Aubergine parmigiana', 13.00)],
    'Desserts': [('Tiramisu', 7.00), ('Crème brûlée', 6.50), ('Lemon sorbet', 5.00)],
}
fig, ax = plt.subplots(figsize=(6, 9))
fig.patch.set_facecolor('#fdf6e3')
ax.set_facecolor('#fdf6e3')
ax.set_xlim(0, 10)
ax.set_ylim(0, 15)
ax.axis('off')
ax.add_patch(patches.Rectangle((0.3, 0.3), 9.4, 14.4, fill=False, ec='#8b5a2b', lw=3))
ax.add_patch(patches.Rectangle((0.5, 0.5), 9.0, 14.0, fill=False, ec='#8b5a2b', lw=1))
ax.text(5, 13.6, 'Trattoria Bella', ha='center', fontsize=28, family='serif', style='italic', color='#5b3a1a')
ax.text(5, 12.9, '~ Menu ~', ha='center', fontsize=14, family='serif', color='#8b5a2b')
y = 12.0
for section, items in menu.items():
    ax.text(5, y, section.upper(), ha='center', fontsize=15, fontweight='bold', family='serif', color='#5b3a1a')
    y -= 0.75
    for dish, price in items:
        ax.text(1.2, y, dish, fontsize=12, family='serif')
        ax.text(8.8, y, f'€{price:.2f}', fontsize=12, family='serif', ha='right')
        ax.plot([5.6, 7.6], [y + 0.1, y + 0.1], linestyle=':', color='gray', lw=1)
        y -= 0.6
    y -= 0.5
ax.text(5, 0.9, 'All prices include VAT · Ask us about allergens', ha='center', fontsize=9, color='gray')
fig.savefig(os.path.join(output_dir, 'menu.png'), dpi=100, facecolor=fig.get_facecolor())
