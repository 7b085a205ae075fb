# Polar bar chart (wind rose) with 16 directions and colour by magnitude.
import numpy as np
import matplotlib.pyplot as plt

n = 16
theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
rng = np.random.default_rng(0)
freq = rng.uniform(2, 12, n)
fig = plt.figure(figsize=(7, 7))
ax = fig.add_subplot(projection='polar')
bars = ax.bar(theta, freq, width=2 * np.pi / n * 0.9, bottom=1.0,
              color=plt.cm.viridis(freq / freq.max()), edgecolor='k', alpha=0.85)
ax.set_theta_zero_location('N')
ax.set_theta_direction(-1)
ax.set_xticks(np.linspace(0, 2 * np.pi, 8, endpoint=False), ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'])
ax.set_title('Wind rose (frequency %)', pad=20)
fig.savefig(os.path.join(output_dir, 'windrose.png'), dpi=100)
