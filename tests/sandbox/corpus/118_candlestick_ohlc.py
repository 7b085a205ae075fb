# Candlestick (OHLC) chart drawn manually with vlines + bars, plus volume subplot, fixed-seed data.
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
n = 40
close = 100 + np.cumsum(rng.normal(0, 1.5, n))
open_ = np.concatenate([[100], close[:-1]]) + rng.normal(0, 0.5, n)
high = np.maximum(open_, close) + rng.uniform(0.2, 1.5, n)
low = np.minimum(open_, close) - rng.uniform(0.2, 1.5, n)
vol = rng.integers(1000, 5000, n)
up = close >= open_
col = np.where(up, '#26a69a', '#ef5350')
fig, (ax, axv) = plt.subplots(2, 1, sharex=True, figsize=(11, 6), gridspec_kw={'height_ratios': [3, 1]})
x = np.arange(n)
ax.vlines(x, low, high, color=col, lw=1)
ax.bar(x, np.abs(close - open_), bottom=np.minimum(open_, close), color=col, width=0.6)
ax.plot(x[4:], np.convolve(close, np.ones(5) / 5, mode='valid'), color='#1e88e5', lw=1.2, label='MA(5)')
ax.legend(loc='upper left')
ax.set_title('XYZ Corp — daily candles')
axv.bar(x, vol, color=col, width=0.6)
axv.set_ylabel('Volume')
fig.tight_layout()
fig.savefig(os.path.join(output_dir, 'candles.png'), dpi=100)
