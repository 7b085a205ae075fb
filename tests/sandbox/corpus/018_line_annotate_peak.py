# Line plot with annotated maximum and minimum using arrows.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 10, 400)
y = np.sin(x) * np.exp(-x / 6) + 0.2 * np.cos(3 * x)
imax, imin = np.argmax(y), np.argmin(y)

fig, ax = plt.subplots(figsize=(9, 5))
ax.plot(x, y, color='purple')
ax.annotate(f'max = {y[imax]:.2f}', xy=(x[imax], y[imax]), xytext=(x[imax] + 1.5, y[imax] + 0.3),
            arrowprops=dict(facecolor='black', shrink=0.05, width=1.5, headwidth=8))
ax.annotate(f'min = {y[imin]:.2f}', xy=(x[imin], y[imin]), xytext=(x[imin] + 1, y[imin] - 0.4),
            arrowprops=dict(arrowstyle='->', color='red', lw=1.5))
ax.set_ylim(-1.3, 1.6)
ax.set_title('Damped oscillation with extrema')
plt.savefig(os.path.join(output_dir, 'annotated.png'), dpi=100)
