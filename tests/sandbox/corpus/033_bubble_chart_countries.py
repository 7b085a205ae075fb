# Bubble chart (GDP vs life expectancy, bubble size = population) with labels.
import matplotlib.pyplot as plt
import numpy as np

countries = ['USA', 'China', 'India', 'Germany', 'Brazil', 'Nigeria', 'Japan', 'Mexico']
gdp = [65, 12, 2.3, 48, 9, 2.1, 40, 10]
life = [78.5, 77.1, 70.2, 81.0, 75.9, 54.7, 84.6, 75.0]
pop = [331, 1412, 1380, 83, 213, 211, 125, 128]
region = [0, 1, 1, 2, 0, 3, 1, 0]

fig, ax = plt.subplots(figsize=(10, 6))
sc = ax.scatter(gdp, life, s=np.array(pop) * 1.5, c=region, cmap='Set1', alpha=0.6, edgecolors='black')
for c, xg, yl in zip(countries, gdp, life):
    ax.annotate(c, (xg, yl), ha='center', va='center', fontsize=9)
ax.set_xscale('log')
ax.set_xlabel('GDP per capita (k$, log)')
ax.set_ylabel('Life expectancy (years)')
ax.set_title('Wealth and Health of Nations')
ax.set_ylim(50, 90)
fig.savefig(os.path.join(output_dir, 'bubbles.png'), dpi=100)
