# Invitation card with ornamental circles, script-like serif text and centered details.
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.patches as mpatches

fig, ax = plt.subplots(figsize=(6, 8.4))
ax.set_xlim(0, 6)
ax.set_ylim(0, 8.4)
ax.axis('off')
fig.patch.set_facecolor('#fffaf0')
for a in np.linspace(0, 2 * np.pi, 24, endpoint=False):
    ax.add_patch(mpatches.Circle((3 + 0.9 * np.cos(a), 6.9 + 0.9 * np.sin(a)), 0.12, fc='#e8b4b8', ec='none'))
ax.add_patch(mpatches.Circle((3, 6.9), 0.6, fc='none', ec='#c08081', lw=1.5))
ax.text(3, 6.9, 'L & S', ha='center', va='center', fontsize=20, family='serif', color='#8b4a4f')
ax.text(3, 5.4, 'Together with their families', ha='center', fontsize=12, family='serif', style='italic')
ax.text(3, 4.6, 'Laura & Samuel', ha='center', fontsize=30, family='serif', color='#8b4a4f')
ax.text(3, 3.9, 'request the pleasure of your company', ha='center', fontsize=12, family='serif')
ax.text(3, 3.2, 'Saturday, the 14th of June 2025', ha='center', fontsize=14, family='serif', fontweight='bold')
ax.text(3, 2.7, 'at four o\u2019clock in the afternoon', ha='center', fontsize=12, family='serif')
ax.text(3, 2.0, 'Villa Rosa · Lake Como · Italy', ha='center', fontsize=12, family='serif')
ax.plot([1.5, 4.5], [1.5, 1.5], color='#c08081', lw=0.8)
ax.text(3, 1.0, 'Kindly reply by May 1st', ha='center', fontsize=10, family='serif', color='gray')
fig.savefig(os.path.join(output_dir, 'invitation.png'), dpi=100, facecolor='#fffaf0')
