# Constrained layout with a shared colorbar, displayed with plt.show().
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(3)
fig, axs = plt.subplots(2, 2, figsize=(6, 5), layout="constrained")
for k, ax in enumerate(axs.flat):
    im = ax.imshow(rng.random((12, 18)) * (k + 1), cmap="magma", vmin=0, vmax=4)
    ax.set_title(f"sensor {k + 1}")
    ax.set_xlabel("time (s)")
fig.colorbar(im, ax=axs, shrink=0.8, label="reading")
fig.suptitle("Four sensors, one scale")
plt.show()
