# Stacked bar chart of quarterly revenue by product line, with legend.
import numpy as np
import matplotlib.pyplot as plt

quarters = ['Q1', 'Q2', 'Q3', 'Q4']
hardware = np.array([20, 24, 22, 30])
software = np.array([15, 18, 25, 28])
services = np.array([8, 9, 12, 14])

fig, ax = plt.subplots(figsize=(7, 5))
ax.bar(quarters, hardware, label='Hardware', color='#1f77b4')
ax.bar(quarters, software, bottom=hardware, label='Software', color='#ff7f0e')
ax.bar(quarters, services, bottom=hardware + software, label='Services', color='#2ca02c')
ax.set_ylabel('Revenue ($M)')
ax.set_title('Quarterly Revenue by Product Line')
ax.legend(loc='upper left')
plt.savefig(os.path.join(output_dir, 'stacked.png'), dpi=100, bbox_inches='tight')
