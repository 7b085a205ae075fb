# Saves the chart as JPEG (quality 95) instead of PNG.
import numpy as np
import matplotlib.pyplot as plt

theta = np.linspace(0, 2 * np.pi, 9)
fig, ax = plt.subplots(figsize=(6, 6))
for k in range(1, 6):
    ax.fill(np.cos(theta * k / 2) * k, np.sin(theta) * k, alpha=0.3)
ax.set_aspect('equal')
ax.set_title('Layered polygons (JPEG)')
fig.savefig(os.path.join(output_dir, 'polygons.jpg'), dpi=100, pil_kwargs={'quality': 95})
