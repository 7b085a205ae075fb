# CJK: the very common "SimHei" idiom (font absent on Linux) — relies on the sandbox CJK fallback.
import numpy as np
import matplotlib.pyplot as plt

plt.rcParams['font.sans-serif'] = ['SimHei']
plt.rcParams['axes.unicode_minus'] = False
months = np.arange(1, 13)
temp = [-3, 0, 7, 14, 20, 25, 27, 26, 21, 13, 5, -1]
plt.figure(figsize=(9, 5))
plt.plot(months, temp, marker='o', color='tab:blue', label='平均气温')
plt.axhline(0, color='gray', lw=0.8)
plt.xticks(months, [f'{m}月' for m in months])
plt.title('北京月平均气温')
plt.ylabel('温度 (°C)')
plt.legend()
plt.grid(alpha=0.3)
plt.savefig(os.path.join(output_dir, 'beijing_temp.png'), dpi=100)
