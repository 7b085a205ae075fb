# Bars filled with hatch patterns (print-friendly, black and white).
import matplotlib.pyplot as plt

labels = ['Wind', 'Solar', 'Hydro', 'Nuclear', 'Gas', 'Coal']
share = [24, 18, 12, 20, 16, 10]
hatches = ['/', '\\', '|', '-', '+', 'x']

fig, ax = plt.subplots(figsize=(8, 5))
for i, (l, s, h) in enumerate(zip(labels, share, hatches)):
    ax.bar(l, s, color='white', edgecolor='black', hatch=h, linewidth=1.2)
ax.set_ylabel('Share of generation (%)')
ax.set_title('Electricity Generation Mix')
plt.savefig(os.path.join(output_dir, 'hatch.png'), dpi=100)
