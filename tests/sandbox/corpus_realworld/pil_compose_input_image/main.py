# A logo from the input files placed on a chart; the result is saved next to the data folder.
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

logo = Image.open("logo.png").convert("RGBA")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(np.arange(10), np.arange(10) ** 1.5, color="#7a3e9d", lw=2)
ax.set_title("Growth")
fig.figimage(np.asarray(logo), xo=10, yo=10, zorder=3)
fig.savefig("../results/growth.jpg", dpi=100, pil_kwargs={"quality": 90})
card = Image.new("RGB", (240, 120), "white")
card.paste(logo.resize((96, 96)), (12, 12), logo.resize((96, 96)))
card.save("../results/card.png")
