# Leaves a pcolormesh heatmap open (no savefig, no show) with a categorical day/hour grid.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
hours = np.arange(24)
days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
base = np.exp(-((hours - 13) / 5) ** 2)
traffic = base[None, :] * np.array([1, 1, 1, 1.1, 1.2, 0.6, 0.5])[:, None] + rng.uniform(0, 0.1, (7, 24))
fig, ax = plt.subplots(figsize=(11, 4))
m = ax.pcolormesh(hours, np.arange(7), traffic, cmap='YlOrRd', shading='nearest')
ax.set_yticks(range(7), days)
ax.set_xticks(hours[::2])
ax.set_xlabel('Hour of day')
fig.colorbar(m, ax=ax, label='Relative load')
ax.set_title('Server load by weekday and hour')
