# The script picks its own sans-serif font (and only that rcParam).
import matplotlib.pyplot as plt

plt.rcParams["font.sans-serif"] = ["DejaVu Sans Mono", "Liberation Sans"]
plt.rcParams["font.size"] = 11
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(["alpha", "beta", "gamma"], [3, 5, 2], color="#3a7ca5")
ax.set_title("Monospaced labels on purpose")
ax.set_xlabel("variant")
fig.savefig("mono.png")
