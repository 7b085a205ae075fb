# Business card 3.5x2 in at 300 dpi: coloured side band, name, title, contact lines with unicode.
import matplotlib.pyplot as plt
import matplotlib.patches as patches

fig = plt.figure(figsize=(3.5, 2.0), dpi=300)
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 3.5)
ax.set_ylim(0, 2)
ax.axis('off')
ax.add_patch(patches.Rectangle((0, 0), 0.25, 2, color='#e11d48'))
ax.text(0.45, 1.55, 'Maria Gonzalez', fontsize=13, fontweight='bold', color='#111827')
ax.text(0.45, 1.32, 'Senior Product Designer', fontsize=7.5, color='#6b7280')
ax.plot([0.45, 3.2], [1.2, 1.2], color='#e5e7eb', lw=0.8)
lines = ['☎  +34 600 123 456', '✉  maria@studio.example', '⌂  Calle Mayor 12, Madrid']
for i, l in enumerate(lines):
    ax.text(0.45, 0.9 - i * 0.25, l, fontsize=7, color='#374151')
ax.text(3.3, 0.15, 'STUDIO·NORTE', fontsize=6, ha='right', color='#e11d48', fontweight='bold')
fig.savefig(os.path.join(output_dir, 'card.png'), dpi=300)
