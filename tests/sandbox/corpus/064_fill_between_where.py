# fill_between with where= to shade regions above/below a threshold differently.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 4 * np.pi, 500)
y = np.sin(x) * (1 + 0.3 * np.cos(3 * x))
fig, ax = plt.subplots(figsize=(10, 4.5))
ax.plot(x, y, color='black', lw=1)
ax.fill_between(x, 0, y, where=y >= 0, color='green', alpha=0.4, interpolate=True, label='surplus')
ax.fill_between(x, 0, y, where=y < 0, color='red', alpha=0.4, interpolate=True, label='deficit')
ax.axhline(0, color='black', lw=0.8)
ax.legend(loc='upper right')
ax.set_title('Surplus and deficit')
fig.savefig(os.path.join(output_dir, 'surplus.png'), dpi=100)
