# Radar (spider) chart comparing two products on six attributes, polar axes.
import numpy as np
import matplotlib.pyplot as plt

labels = ['Speed', 'Reliability', 'Comfort', 'Safety', 'Efficiency', 'Price']
a = [4, 3, 5, 4, 3, 2]
b = [3, 5, 3, 5, 4, 4]
angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False).tolist()
angles += angles[:1]
a += a[:1]
b += b[:1]

fig, ax = plt.subplots(figsize=(7, 7), subplot_kw=dict(polar=True))
ax.plot(angles, a, 'o-', linewidth=2, label='Model X')
ax.fill(angles, a, alpha=0.25)
ax.plot(angles, b, 'o-', linewidth=2, label='Model Y')
ax.fill(angles, b, alpha=0.25)
ax.set_thetagrids(np.degrees(angles[:-1]), labels)
ax.set_ylim(0, 5)
ax.set_title('Product comparison', y=1.08)
ax.legend(loc='upper right', bbox_to_anchor=(1.3, 1.1))
fig.savefig(os.path.join(output_dir, 'radar.png'), dpi=100)
