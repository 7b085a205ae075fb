# Forecast line with a shaded confidence interval (fill_between).
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
t = np.arange(0, 60)
hist = 50 + 0.5 * t[:40] + rng.normal(0, 2, 40)
fc_t = t[39:]
fc = hist[-1] + 0.5 * (fc_t - 39)
spread = 1.0 + 0.35 * (fc_t - 39)

fig, ax = plt.subplots(figsize=(10, 5))
ax.plot(t[:40], hist, color='black', label='Observed')
ax.plot(fc_t, fc, color='tab:blue', linestyle='--', label='Forecast')
ax.fill_between(fc_t, fc - 1.96 * spread, fc + 1.96 * spread, color='tab:blue', alpha=0.2, label='95% CI')
ax.fill_between(fc_t, fc - spread, fc + spread, color='tab:blue', alpha=0.3, label='68% CI')
ax.axvline(39, color='gray', linewidth=0.8)
ax.legend(loc='upper left')
ax.set_title('Weekly Demand Forecast')
ax.set_xlabel('Week')
ax.set_ylabel('Orders')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'forecast.png'), dpi=100)
