# Pie with many small slices; labels moved into a legend to the right.
import matplotlib.pyplot as plt

labels = ['Chrome', 'Safari', 'Edge', 'Firefox', 'Samsung Internet', 'Opera', 'UC Browser', 'Other']
share = [64.7, 18.6, 5.2, 2.8, 2.6, 2.2, 1.1, 2.8]
fig, ax = plt.subplots(figsize=(9, 6))
wedges, _ = ax.pie(share, startangle=90, counterclock=False,
                   colors=plt.cm.tab10.colors[:len(share)])
ax.legend(wedges, [f'{l} ({s}%)' for l, s in zip(labels, share)], title='Browser',
          loc='center left', bbox_to_anchor=(1, 0, 0.5, 1))
ax.set_title('Browser market share')
plt.tight_layout()
plt.savefig(os.path.join(output_dir, 'browsers.png'), dpi=100)
