# Log-log scatter of a noisy power law with a fitted line and formula label.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
x = np.logspace(0, 4, 60)
y = 3.0 * x ** -1.5 * np.exp(rng.normal(0, 0.3, x.size))
slope, intercept = np.polyfit(np.log10(x), np.log10(y), 1)

fig, ax = plt.subplots(figsize=(7, 6))
ax.loglog(x, y, 'o', markersize=4, alpha=0.7, label='data')
ax.loglog(x, 10 ** intercept * x ** slope, 'k-', label=fr'fit: $y \propto x^{{{slope:.2f}}}$')
ax.set_xlabel('Frequency')
ax.set_ylabel('Power')
ax.legend()
ax.set_title('Power-law spectrum')
ax.grid(True, which='major', alpha=0.4)
fig.savefig(os.path.join(output_dir, 'loglog.png'), dpi=100)
