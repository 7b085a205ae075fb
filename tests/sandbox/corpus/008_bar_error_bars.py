# Bar chart of experiment means with standard-deviation error bars and caps.
import matplotlib.pyplot as plt
import numpy as np

conditions = ['Control', 'Drug A', 'Drug B', 'Drug C']
means = [5.2, 7.8, 6.4, 9.1]
stds = [0.8, 1.1, 0.6, 1.5]

fig, ax = plt.subplots(figsize=(6, 5))
ax.bar(conditions, means, yerr=stds, capsize=6, color=['gray', 'tab:blue', 'tab:orange', 'tab:green'],
       alpha=0.85, ecolor='black')
ax.set_ylabel('Response (a.u.)')
ax.set_title('Treatment effect (mean ± SD, n=12)')
ax.set_ylim(0, 12)
fig.savefig(os.path.join(output_dir, 'errorbars.png'), dpi=100, bbox_inches='tight')
