# Save a plain version, then annotate the same figure and save it again; the figure stays open.
import matplotlib.pyplot as plt
import numpy as np

t = np.linspace(0, 10, 200)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(t, np.sin(t) * t, color="tab:blue")
fig.savefig("plain.png")
peak = t[np.argmax(np.sin(t) * t)]
ax.annotate("peak", xy=(peak, max(np.sin(t) * t)), xytext=(peak - 3, 6), arrowprops={"arrowstyle": "->"})
ax.set_title("annotated")
fig.savefig("annotated.png")
