# Certificate of completion: double border, serif title, name, signature lines.
import matplotlib.pyplot as plt
import matplotlib.patches as patches

fig = plt.figure(figsize=(11, 8))
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 11)
ax.set_ylim(0, 8)
ax.axis('off')
ax.add_patch(patches.Rectangle((0.3, 0.3), 10.4, 7.4, fill=False, ec='#b8860b', lw=6))
ax.add_patch(patches.Rectangle((0.55, 0.55), 9.9, 6.9, fill=False, ec='#b8860b', lw=1.5))
ax.text(5.5, 6.5, 'Certificate of Completion', ha='center', fontsize=36, family='serif', color='#333333')
ax.text(5.5, 5.6, 'This is to certify that', ha='center', fontsize=16, family='serif', style='italic')
ax.text(5.5, 4.7, 'Jordan A. Smith', ha='center', fontsize=32, family='serif', fontweight='bold', color='#1a3c6e')
ax.plot([3, 8], [4.5, 4.5], color='#b8860b', lw=1)
ax.text(5.5, 3.8, 'has successfully completed the course', ha='center', fontsize=15, family='serif')
ax.text(5.5, 3.2, 'Introduction to Data Visualization (40 hours)', ha='center', fontsize=18, family='serif',
        fontweight='bold')
for x, who in [(2.8, 'Course Instructor'), (8.2, 'Program Director')]:
    ax.plot([x - 1.5, x + 1.5], [1.6, 1.6], color='black', lw=1)
    ax.text(x, 1.25, who, ha='center', fontsize=12, family='serif')
ax.add_patch(patches.Circle((5.5, 1.6), 0.6, fc='#d4af37', ec='#b8860b', lw=2))
ax.text(5.5, 1.6, '2025', ha='center', va='center', fontsize=14, fontweight='bold', color='white')
fig.savefig(os.path.join(output_dir, 'certificate.png'), dpi=100)
