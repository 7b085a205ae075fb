# Twin y-axes: monthly rainfall bars and temperature line (climate chart).
import matplotlib.pyplot as plt
import numpy as np

months = ['J', 'F', 'M', 'A', 'M', 'J', 'J', 'A', 'S', 'O', 'N', 'D']
rain = [78, 62, 70, 55, 60, 48, 40, 45, 58, 80, 90, 85]
temp = [3.1, 4.0, 7.2, 10.5, 14.3, 17.6, 19.8, 19.4, 16.2, 11.8, 7.0, 4.0]

fig, ax1 = plt.subplots(figsize=(9, 5))
ax1.bar(range(12), rain, color='cornflowerblue', alpha=0.8, label='Rainfall')
ax1.set_ylabel('Rainfall (mm)', color='cornflowerblue')
ax1.set_xticks(range(12), months)
ax2 = ax1.twinx()
ax2.plot(range(12), temp, color='firebrick', marker='o', linewidth=2, label='Temperature')
ax2.set_ylabel('Temperature (°C)', color='firebrick')
ax2.set_ylim(0, 25)
fig.legend(loc='upper left', bbox_to_anchor=(0.1, 0.9))
ax1.set_title('Climate Chart — Brussels')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'climate.png'), dpi=100)
