# CJK: multi-line chart with Chinese legend entries, mixed with English and the minus sign.
import numpy as np
import matplotlib.pyplot as plt

plt.rcParams['font.sans-serif'] = ['WenQuanYi Zen Hei', 'Noto Sans CJK SC', 'DejaVu Sans']
rng = np.random.default_rng(0)
x = np.arange(2015, 2025)
fig, ax = plt.subplots(figsize=(9, 5.5))
for name in ['手机 (Mobile)', '电脑 (PC)', '平板 (Tablet)']:
    ax.plot(x, np.cumsum(rng.normal(0, 3, x.size)), marker='o', label=name)
ax.axhline(0, color='k', lw=0.6)
ax.set_title('各设备销量同比变化 (%)')
ax.set_xlabel('年份')
ax.legend(title='设备类型')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'devices.png'), dpi=100)
