# Quote card: gradient background (imshow), large quotation marks, italic quote, attribution.
import numpy as np
import matplotlib.pyplot as plt
import textwrap

fig = plt.figure(figsize=(8, 8))
ax = fig.add_axes([0, 0, 1, 1])
grad = np.linspace(0, 1, 256).reshape(-1, 1)
ax.imshow(grad, extent=[0, 1, 0, 1], aspect='auto', cmap='PuBu', alpha=0.9, origin='lower')
ax.set_xlim(0, 1)
ax.set_ylim(0, 1)
ax.axis('off')
quote = ('The greatest value of a picture is when it forces us to notice what we never expected to see.')
ax.text(0.1, 0.78, '\u201C', fontsize=120, color='white', alpha=0.8, va='center')
ax.text(0.5, 0.52, textwrap.fill(quote, 30), ha='center', va='center', fontsize=24,
        style='italic', color='#0b1d3a', linespacing=1.5)
ax.text(0.5, 0.2, '— John W. Tukey', ha='center', fontsize=18, color='#0b1d3a')
fig.savefig(os.path.join(output_dir, 'quote.png'), dpi=100)
