# Presentation slide: header bar, title, bullet points with sub-bullets, page number.
import matplotlib.pyplot as plt
import matplotlib.patches as patches

fig = plt.figure(figsize=(12, 6.75), dpi=100)
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 16)
ax.set_ylim(0, 9)
ax.axis('off')
ax.add_patch(patches.Rectangle((0, 8.2), 16, 0.8, color='#1d4ed8'))
ax.text(0.5, 8.6, 'Q3 Business Review', color='white', fontsize=14, va='center')
ax.text(0.8, 7.2, 'Key takeaways', fontsize=32, fontweight='bold', color='#111827')
bullets = [('Revenue grew 18% year over year', ['Driven by enterprise tier', 'APAC up 34%']),
           ('Churn fell to 2.1% (from 3.4%)', ['Onboarding revamp shipped in July']),
           ('Hiring on track: 42 of 50 roles filled', []),
           ('Next: pricing update and EU data centre', ['Launch target: November'])]
y = 6.2
for main, subs in bullets:
    ax.text(1.0, y, '■', fontsize=12, color='#1d4ed8', va='center')
    ax.text(1.5, y, main, fontsize=20, va='center')
    y -= 0.7
    for s in subs:
        ax.text(2.2, y, '–  ' + s, fontsize=15, color='#4b5563', va='center')
        y -= 0.55
    y -= 0.15
ax.text(15.5, 0.4, '7', fontsize=12, color='gray', ha='right')
fig.savefig(os.path.join(output_dir, 'slide.png'))
