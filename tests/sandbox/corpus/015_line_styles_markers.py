# Demonstrates line styles and marker shapes on polynomial curves.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 2, 15)
styles = [('-', 'o'), ('--', 's'), ('-.', '^'), (':', 'D'), ((0, (5, 1, 1, 1)), 'v')]
fig, ax = plt.subplots(figsize=(7, 5))
for k, (ls, m) in enumerate(styles, start=1):
    ax.plot(x, x ** k, linestyle=ls, marker=m, markersize=6, label=f'$x^{k}$')
ax.set_yscale('linear')
ax.set_ylim(0, 8)
ax.legend()
ax.set_title('Powers of x')
plt.savefig(os.path.join(output_dir, 'styles.png'), dpi=100)
