# Measurements with x and y error bars plus a theoretical curve.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(5)
x = np.linspace(0.5, 5, 10)
y_true = 9.81 * x ** 2 / 2
y = y_true * (1 + np.random.normal(0, 0.05, x.size))
fig, ax = plt.subplots(figsize=(8, 5))
ax.errorbar(x, y, xerr=0.1, yerr=0.08 * y, fmt='s', color='black', markersize=5,
            capsize=3, label='measured')
xs = np.linspace(0, 5.2, 200)
ax.plot(xs, 9.81 * xs ** 2 / 2, 'r-', label=r'$d = \frac{1}{2} g t^2$')
ax.set_xlabel('Time t (s)')
ax.set_ylabel('Distance d (m)')
ax.legend()
ax.set_title('Free fall experiment')
fig.savefig(os.path.join(output_dir, 'freefall.png'), dpi=100)
