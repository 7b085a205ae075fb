# One figure per group, written into a folder the script never creates.
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(11)
for i, group in enumerate(["north", "centre", "south"]):
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.scatter(rng.normal(size=60), rng.normal(size=60) + i, s=12, alpha=0.7)
    ax.set_title(f"group {group}")
    fig.savefig(f"plots/by_group/{i:02d}_{group}.png", dpi=90)
    plt.close(fig)
