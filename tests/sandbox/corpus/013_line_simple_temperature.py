# Simple line plot of average daily temperature over a week, with markers.
import matplotlib.pyplot as plt
import os

days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
temps = [18.5, 20.1, 22.3, 21.0, 19.4, 23.8, 25.2]

plt.figure(figsize=(8, 4.5))
plt.plot(days, temps, marker='o', color='tomato', linewidth=2)
plt.title('Average Temperature This Week')
plt.ylabel('Temperature (°C)')
plt.grid(True, alpha=0.3)
plt.savefig(os.path.join(output_dir, 'temperature.png'), dpi=100)
