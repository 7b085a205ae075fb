# Old-style pyplot state machine: rc(), subplot(2, 2, k), figure text, a tight transparent save.
import matplotlib.pyplot as plt
import numpy as np

plt.rc("font", size=8)
plt.rc("axes", titlesize=9)
x = np.linspace(0, 1, 50)
plt.figure(figsize=(6, 4))
for k, (name, f) in enumerate([("linear", x), ("square", x ** 2), ("root", np.sqrt(x)), ("log", np.log1p(x))]):
    plt.subplot(2, 2, k + 1)
    plt.plot(x, f, lw=1.5)
    plt.title(name)
    plt.grid(True, ls=":")
plt.figtext(0.5, 0.01, "four growth curves", ha="center", style="italic")
plt.tight_layout(rect=(0, 0.04, 1, 1))
plt.savefig("figures/grid.png", bbox_inches="tight", transparent=True)
plt.savefig("figures/grid.svg", bbox_inches="tight", transparent=True)
