# savefig with a file name lacking an extension (matplotlib appends .png) and bbox_inches='tight'.
import matplotlib.pyplot as plt
import numpy as np

x = np.arange(1, 11)
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(x, x ** 2, color=plt.cm.viridis(x / 10))
ax.set_title('Squares')
fig.savefig(os.path.join(output_dir, 'squares'), bbox_inches='tight', pad_inches=0.2)
