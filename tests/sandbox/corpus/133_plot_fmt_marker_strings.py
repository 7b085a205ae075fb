# plt.plot with marker-only format strings ('ro', 'bs', 'g^', 'o'): points only, no connecting lines.
import numpy as np
import matplotlib.pyplot as plt

t = np.arange(0.0, 5.0, 0.25)
plt.figure(figsize=(8, 5))
plt.plot(t, t, 'ro', label='linear')
plt.plot(t, t ** 1.5, 'bs', label='t^1.5')
plt.plot(t, t ** 2, 'g^', label='quadratic')
plt.plot(t, 20 - 3 * t, 'o', label='falling')
plt.legend()
plt.title('Marker-only format strings')
plt.savefig(os.path.join(output_dir, 'markers.png'), dpi=100)
