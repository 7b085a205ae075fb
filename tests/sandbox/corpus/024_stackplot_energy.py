# Stacked area chart (stackplot) of energy sources over years.
import numpy as np
import matplotlib.pyplot as plt

years = np.arange(2000, 2024)
coal = np.linspace(40, 18, years.size)
gas = np.linspace(20, 25, years.size)
nuclear = np.full(years.size, 15.0)
renew = np.linspace(5, 35, years.size)

fig, ax = plt.subplots(figsize=(10, 5.5))
ax.stackplot(years, coal, gas, nuclear, renew, labels=['Coal', 'Gas', 'Nuclear', 'Renewables'],
             colors=['#555555', '#e67e22', '#9b59b6', '#27ae60'], alpha=0.85)
ax.legend(loc='upper left')
ax.set_xlim(2000, 2023)
ax.set_ylabel('TWh')
ax.set_title('Electricity generation by source')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'stackplot.png'), dpi=100)
