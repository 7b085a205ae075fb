# Sine and cosine with pi-based tick labels written in mathtext.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(-np.pi, np.pi, 256)
plt.figure(figsize=(8, 5))
plt.plot(x, np.sin(x), label=r'$\sin(x)$', color='blue')
plt.plot(x, np.cos(x), label=r'$\cos(x)$', color='red')
plt.xticks([-np.pi, -np.pi / 2, 0, np.pi / 2, np.pi],
           [r'$-\pi$', r'$-\frac{\pi}{2}$', r'$0$', r'$\frac{\pi}{2}$', r'$\pi$'])
plt.yticks([-1, 0, 1])
plt.axhline(0, color='k', lw=0.5)
plt.axvline(0, color='k', lw=0.5)
plt.legend(loc='upper left')
plt.title(r'Trigonometric functions on $[-\pi, \pi]$')
plt.savefig(os.path.join(output_dir, 'trig.png'), dpi=100)
