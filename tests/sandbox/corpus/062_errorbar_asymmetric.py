# Error bars with asymmetric errors and log-scaled y axis.
import numpy as np
import matplotlib.pyplot as plt

x = np.arange(1, 9)
y = np.exp(x / 2.0)
lower = 0.2 * y
upper = 0.5 * y
fig, ax = plt.subplots(figsize=(7, 5))
ax.errorbar(x, y, yerr=[lower, upper], fmt='o-', capsize=4, color='darkblue', ecolor='gray')
ax.set_yscale('log')
ax.set_title('Asymmetric error bars (log scale)')
ax.set_xlabel('Dose level')
ax.set_ylabel('Concentration')
fig.savefig(os.path.join(output_dir, 'asym_err.png'), dpi=100)
