# Semi-log plot of exponential growth of cases for several scenarios.
import numpy as np
import matplotlib.pyplot as plt

days = np.arange(0, 60)
fig, ax = plt.subplots(figsize=(8, 5))
for r, c in [(0.05, 'green'), (0.10, 'orange'), (0.20, 'red')]:
    ax.semilogy(days, 10 * np.exp(r * days), color=c, label=f'r = {r:.2f}')
ax.set_xlabel('Day')
ax.set_ylabel('Cases (log scale)')
ax.set_title('Exponential growth scenarios')
ax.grid(True, which='both', linestyle='--', linewidth=0.5)
ax.legend()
fig.savefig(os.path.join(output_dir, 'semilog.png'), dpi=100)
