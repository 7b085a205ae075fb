# Measurements from a text file; a heat map written with plt.imsave one folder up, and a line plot.
import matplotlib.pyplot as plt
import numpy as np

grid = np.loadtxt("measurements.txt")
plt.imsave("../heatmap.png", grid, cmap="coolwarm")
plt.figure(figsize=(4, 3))
plt.plot(grid.mean(axis=0), "o-")
plt.title("column means")
plt.savefig("../means.png")
