# Monthly sales from a JSON export; the chart is written twice, as SVG and PNG.
import json

import matplotlib.pyplot as plt

with open("sales.json") as f:
    data = json.load(f)
months = [m["month"] for m in data["months"]]
fig, ax = plt.subplots(figsize=(6, 3.5))
for product in data["products"]:
    ax.plot(months, [m[product] for m in data["months"]], marker="o", label=product)
ax.set_title(data["title"])
ax.set_ylabel("units")
ax.legend(loc="upper left")
fig.autofmt_xdate()
fig.savefig("out/sales.svg", bbox_inches="tight")
fig.savefig("out/sales.png", bbox_inches="tight", dpi=120)
