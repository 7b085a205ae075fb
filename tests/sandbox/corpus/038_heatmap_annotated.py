# Annotated heatmap (imshow + ax.text in each cell) of harvest by farmer and vegetable.
import numpy as np
import matplotlib.pyplot as plt

vegetables = ['cucumber', 'tomato', 'lettuce', 'asparagus', 'potato', 'wheat', 'barley']
farmers = ['Farmer Joe', 'Upland Bros.', 'Smith Gardening', 'Agrifun', 'Organiculture',
           'BioGoods Ltd.', 'Cornylee Corp.']
harvest = np.array([[0.8, 2.4, 2.5, 3.9, 0.0, 4.0, 0.0],
                    [2.4, 0.0, 4.0, 1.0, 2.7, 0.0, 0.0],
                    [1.1, 2.4, 0.8, 4.3, 1.9, 4.4, 0.0],
                    [0.6, 0.0, 0.3, 0.0, 3.1, 0.0, 0.0],
                    [0.7, 1.7, 0.6, 2.6, 2.2, 6.2, 0.0],
                    [1.3, 1.2, 0.0, 0.0, 0.0, 3.2, 5.1],
                    [0.1, 2.0, 0.0, 1.4, 0.0, 1.9, 6.3]])

fig, ax = plt.subplots(figsize=(8, 7))
im = ax.imshow(harvest, cmap='YlGn')
ax.set_xticks(range(len(farmers)), labels=farmers, rotation=45, ha='right', rotation_mode='anchor')
ax.set_yticks(range(len(vegetables)), labels=vegetables)
for i in range(len(vegetables)):
    for j in range(len(farmers)):
        ax.text(j, i, harvest[i, j], ha='center', va='center',
                color='white' if harvest[i, j] > 3 else 'black')
ax.set_title('Harvest of local farmers (in tons/year)')
fig.colorbar(im, ax=ax, shrink=0.8)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'harvest.png'), dpi=100)
