# KPI dashboard: four rounded KPI cards with deltas (▲▼) and small sparklines in axes.
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

rng = np.random.default_rng(0)
kpis = [('Revenue', '$1.24M', +8.2), ('Active users', '58,310', +3.1),
        ('Conversion', '3.42%', -0.4), ('NPS', '47', +5.0)]
fig = plt.figure(figsize=(12, 4))
fig.patch.set_facecolor('#f3f4f6')
for i, (name, val, delta) in enumerate(kpis):
    x0 = 0.02 + i * 0.245
    bg = fig.add_axes([x0, 0.08, 0.225, 0.84])
    bg.axis('off')
    bg.add_patch(FancyBboxPatch((0.02, 0.02), 0.96, 0.96, boxstyle='round,pad=0,rounding_size=0.06',
                                fc='white', ec='#d1d5db', transform=bg.transAxes))
    bg.text(0.1, 0.82, name, fontsize=12, color='#6b7280', transform=bg.transAxes)
    bg.text(0.1, 0.58, val, fontsize=26, fontweight='bold', transform=bg.transAxes)
    up = delta >= 0
    bg.text(0.1, 0.42, f"{'▲' if up else '▼'} {abs(delta):.1f}% vs last month", fontsize=10,
            color='#16a34a' if up else '#dc2626', transform=bg.transAxes)
    sp = fig.add_axes([x0 + 0.02, 0.14, 0.185, 0.22])
    series = np.cumsum(rng.normal(0.2 if up else -0.2, 1, 30))
    sp.plot(series, color='#16a34a' if up else '#dc2626', lw=1.5)
    sp.fill_between(range(30), series, series.min(), color='#16a34a' if up else '#dc2626', alpha=0.1)
    sp.axis('off')
fig.savefig(os.path.join(output_dir, 'kpis.png'), dpi=100, facecolor=fig.get_facecolor())
