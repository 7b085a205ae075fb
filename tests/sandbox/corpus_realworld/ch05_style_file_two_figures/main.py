# Two figures that share a house style loaded from a .mplstyle file beside the script.
import matplotlib.pyplot as plt
import numpy as np

plt.style.use("./house.mplstyle")

x = np.linspace(0, 4 * np.pi, 300)
fig1, ax1 = plt.subplots(figsize=(5, 3))
for k in range(4):
    ax1.plot(x, np.sin(x + k * np.pi / 4) * np.exp(-x / 10), label=f"phase {k}")
ax1.set_title("Damped waves")
ax1.legend()
fig1.savefig("output/waves.png")

fig2, ax2 = plt.subplots(figsize=(5, 3))
rng = np.random.default_rng(5)
ax2.hist([rng.normal(0, 1, 400), rng.normal(1.5, 0.7, 400)], bins=24, histtype="stepfilled", alpha=0.6,
         label=["control", "treated"])
ax2.set_title("Response distribution")
ax2.legend()
fig2.savefig("output/response.png", dpi=80)
