# matplotlib.sankey: simple energy-flow Sankey diagram.
import matplotlib.pyplot as plt
from matplotlib.sankey import Sankey

fig = plt.figure(figsize=(8, 6))
ax = fig.add_subplot(1, 1, 1, xticks=[], yticks=[], title='Household energy flow (kWh)')
sankey = Sankey(ax=ax, unit=None, scale=0.01, offset=0.2)
sankey.add(flows=[100, -35, -25, -20, -20], labels=['Grid', 'Heating', 'Appliances', 'Lighting', 'Losses'],
           orientations=[0, 1, 0, -1, -1], pathlengths=[0.4, 0.3, 0.3, 0.3, 0.3], facecolor='#8fbc8f')
sankey.finish()
fig.savefig(os.path.join(output_dir, 'sankey.png'), dpi=100)
