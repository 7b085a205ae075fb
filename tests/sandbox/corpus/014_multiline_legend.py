# Several lines (stock-like random walks with a fixed seed) with a legend.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(42)
days = np.arange(100)
fig, ax = plt.subplots(figsize=(10, 6))
for name, drift in [('ACME', 0.3), ('Globex', 0.1), ('Initech', -0.05), ('Umbrella', 0.2)]:
    prices = 100 + np.cumsum(np.random.randn(100) + drift)
    ax.plot(days, prices, label=name, linewidth=1.8)
ax.set_title('Simulated Stock Prices')
ax.set_xlabel('Trading day')
ax.set_ylabel('Price ($)')
ax.legend(loc='upper left', frameon=True)
ax.grid(True, linestyle=':')
fig.savefig(os.path.join(output_dir, 'stocks.png'), dpi=100)
