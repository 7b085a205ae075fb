# Paths built from the script's own location (__file__), as many repositories do.
import os

import matplotlib.pyplot as plt
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "img")
os.makedirs(OUT, exist_ok=True)

theta = np.linspace(0, 2 * np.pi, 400)
fig = plt.figure(figsize=(4, 4))
ax = fig.add_subplot(projection="polar")
ax.plot(theta, 1 + 0.4 * np.cos(5 * theta), color="crimson")
ax.set_title("rose", va="bottom")
fig.savefig(os.path.join(OUT, "rose.png"))
