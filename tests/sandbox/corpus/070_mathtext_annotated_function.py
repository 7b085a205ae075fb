# Gaussian pdf with shaded ±1σ region and mathtext annotations with arrows.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(-4, 4, 400)
pdf = np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)
fig, ax = plt.subplots(figsize=(8, 5))
ax.plot(x, pdf, 'k', lw=2)
ax.fill_between(x, pdf, where=np.abs(x) <= 1, color='orange', alpha=0.5)
ax.annotate(r'$68.3\%$ within $\mu \pm \sigma$', xy=(0.3, 0.2), xytext=(1.6, 0.3), fontsize=12,
            arrowprops=dict(arrowstyle='->'))
ax.text(-3.8, 0.35, r'$f(x) = \frac{1}{\sigma\sqrt{2\pi}} e^{-\frac{(x-\mu)^2}{2\sigma^2}}$', fontsize=15)
ax.set_xticks([-3, -2, -1, 0, 1, 2, 3], [r'$-3\sigma$', r'$-2\sigma$', r'$-\sigma$', r'$\mu$',
                                         r'$\sigma$', r'$2\sigma$', r'$3\sigma$'])
ax.set_ylim(0, 0.45)
ax.set_title('Normal distribution')
fig.savefig(os.path.join(output_dir, 'normal.png'), dpi=100)
