# Teaching style: one figure at a time, each shown before the next one is made.
import matplotlib.pyplot as plt
import numpy as np
from plot_helpers import PALETTE, clean_axes, new_figure

fig, ax = new_figure()
ax.plot(np.arange(12), np.cumsum(np.arange(12) % 5), color=PALETTE[0], marker="o")
clean_axes(ax, "Running total")
plt.show()

fig, ax = new_figure(4, 4)
sizes = [35, 25, 20, 12, 8]
ax.pie(sizes, labels=["A", "B", "C", "D", "E"], colors=PALETTE, autopct="%1.0f%%", startangle=90)
ax.set_title("Share by group")
plt.show()

fig, ax = new_figure()
ax.barh(["north", "south", "east", "west"], [4.2, 3.1, 5.6, 2.4], color=PALETTE[1:])
clean_axes(ax, "Mean score by region")
plt.show()
