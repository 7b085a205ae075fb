# Physics plot with mathtext axis labels, subscripts/superscripts and units.
import numpy as np
import matplotlib.pyplot as plt

T = np.linspace(100, 6000, 300)
h, c, k = 6.626e-34, 3.0e8, 1.381e-23
fig, ax = plt.subplots(figsize=(8, 5.5))
lam = np.linspace(0.1e-6, 3e-6, 400)
for temp in (3000, 4000, 5000, 6000):
    B = (2 * h * c ** 2 / lam ** 5) / (np.exp(h * c / (lam * k * temp)) - 1)
    ax.plot(lam * 1e6, B / 1e13, label=f'T = {temp} K')
ax.set_xlabel(r'Wavelength $\lambda$ ($\mu$m)')
ax.set_ylabel(r'$B_\lambda(T)$ ($10^{13}$ W sr$^{-1}$ m$^{-3}$)')
ax.set_title(r'Planck: $B_\lambda = \frac{2hc^2}{\lambda^5}\,\frac{1}{e^{hc/\lambda k_B T}-1}$', fontsize=13)
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'planck.png'), dpi=100)
