# Vector field: quiver on the left and streamplot on the right of a vortex field.
import numpy as np
import matplotlib.pyplot as plt

Y, X = np.mgrid[-3:3:20j, -3:3:20j]
U = -Y + 0.3 * X
V = X + 0.3 * Y
speed = np.hypot(U, V)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5))
a1.quiver(X, Y, U, V, speed, cmap='cool')
a1.set_title('quiver')
a1.set_aspect('equal')
Y2, X2 = np.mgrid[-3:3:60j, -3:3:60j]
a2.streamplot(X2, Y2, -Y2 + 0.3 * X2, X2 + 0.3 * Y2, color=np.hypot(X2, Y2), cmap='autumn', density=1.2)
a2.set_title('streamplot')
a2.set_aspect('equal')
fig.savefig(os.path.join(output_dir, 'vectors.png'), dpi=90)
