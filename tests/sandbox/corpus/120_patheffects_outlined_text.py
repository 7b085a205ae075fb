# Path effects: stroked/outlined title, shadowed line, glowing text over an image background.
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.patheffects as pe

x = np.linspace(0, 10, 100)
fig, ax = plt.subplots(figsize=(8, 5))
ax.imshow(np.outer(np.linspace(0, 1, 50), np.linspace(0, 1, 80)), extent=[0, 10, -1.5, 1.5],
          aspect='auto', cmap='twilight')
ax.plot(x, np.sin(x), lw=4, color='white', path_effects=[pe.SimpleLineShadow(offset=(3, -3)), pe.Normal()])
ax.text(5, 1.0, 'OUTLINED', ha='center', fontsize=36, color='yellow', fontweight='bold',
        path_effects=[pe.withStroke(linewidth=5, foreground='black')])
ax.text(5, -1.1, 'glow', ha='center', fontsize=28, color='white',
        path_effects=[pe.withStroke(linewidth=10, foreground='#ff00ff', alpha=0.4), pe.Normal()])
ax.set_title('Path effects demo')
fig.savefig(os.path.join(output_dir, 'patheffects.png'), dpi=100)
