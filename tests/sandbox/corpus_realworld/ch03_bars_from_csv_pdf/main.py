# Chapter 3, figure 2: yearly rainfall by city (book-style script: data next to the
# script, figure written into the book's figures folder two levels up, as PDF).
import csv

import matplotlib.pyplot as plt
import numpy as np

with open("rainfall.csv", newline="") as f:
    rows = list(csv.DictReader(f))
cities = [r["city"] for r in rows]
values = np.array([[float(r[m]) for m in ("winter", "spring", "summer", "autumn")] for r in rows])

fig = plt.figure(figsize=(6, 3.2))
ax = fig.add_subplot(1, 1, 1)
bottom = np.zeros(len(cities))
for k, season in enumerate(("winter", "spring", "summer", "autumn")):
    ax.bar(cities, values[:, k], bottom=bottom, label=season, edgecolor="white", linewidth=0.5)
    bottom += values[:, k]
ax.set_ylabel("rainfall (mm)")
ax.spines["top"].set_visible(False)
ax.spines["right"].set_visible(False)
ax.legend(frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.12))
plt.tight_layout()
plt.savefig("../../figures/chapter-03/rainfall.pdf")
plt.show()
