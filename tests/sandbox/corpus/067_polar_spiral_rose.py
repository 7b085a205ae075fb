# Polar line plots: Archimedean spiral and a rose curve r = cos(4θ).
import numpy as np
import matplotlib.pyplot as plt

theta = np.linspace(0, 6 * np.pi, 1000)
fig, (a1, a2) = plt.subplots(1, 2, subplot_kw={'projection': 'polar'}, figsize=(11, 5.5))
a1.plot(theta, theta, color='darkred')
a1.set_title('Archimedean spiral  r = θ', va='bottom')
t2 = np.linspace(0, 2 * np.pi, 1000)
a2.plot(t2, np.abs(np.cos(4 * t2)), color='darkgreen')
a2.set_rticks([0.25, 0.5, 0.75, 1.0])
a2.set_title('Rose  r = |cos 4θ|', va='bottom')
fig.savefig(os.path.join(output_dir, 'polar.png'), dpi=100)
