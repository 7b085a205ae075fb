# Horizontal lollipop chart (hlines + scatter) of city populations.
import matplotlib.pyplot as plt
import numpy as np

cities = ['Tokyo', 'Delhi', 'Shanghai', 'São Paulo', 'Mexico City', 'Cairo', 'Mumbai', 'Beijing']
pop = [37.4, 31.0, 27.1, 22.0, 21.8, 21.3, 20.7, 20.5]
y = np.arange(len(cities))

fig, ax = plt.subplots(figsize=(8, 5))
ax.hlines(y, 0, pop, color='skyblue', linewidth=3)
ax.scatter(pop, y, color='navy', s=80, zorder=3)
ax.set_yticks(y, cities)
ax.invert_yaxis()
ax.set_xlabel('Population (millions)')
ax.set_title('Largest Urban Areas')
ax.set_xlim(0, 40)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'lollipop.png'), dpi=90)
