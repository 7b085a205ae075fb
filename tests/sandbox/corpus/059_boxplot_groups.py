# Box plots of response times for several servers, with notches and colour fills.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(10)
data = [np.random.lognormal(mean=m, sigma=0.4, size=200) for m in (3.0, 3.2, 2.8, 3.5, 3.1)]
labels = ['eu-west', 'eu-central', 'us-east', 'ap-south', 'us-west']
fig, ax = plt.subplots(figsize=(9, 5.5))
bp = ax.boxplot(data, notch=True, patch_artist=True, tick_labels=labels)
for patch, color in zip(bp['boxes'], plt.cm.Pastel1.colors):
    patch.set_facecolor(color)
ax.set_ylabel('Latency (ms)')
ax.set_title('Response time by region')
ax.yaxis.grid(True, alpha=0.4)
fig.savefig(os.path.join(output_dir, 'boxplot.png'), dpi=100)
