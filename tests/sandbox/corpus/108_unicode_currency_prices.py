# Unicode currency symbols: price comparison bars labelled in €, £, ¥, $, ₹ with thousands separators.
import matplotlib.pyplot as plt

items = [('Berlin', '€', 3.20), ('London', '£', 4.10), ('Tokyo', '¥', 480), ('New York', '$', 5.25),
         ('Mumbai', '₹', 220)]
usd = [3.48, 5.20, 3.21, 5.25, 2.64]
fig, ax = plt.subplots(figsize=(9, 5))
bars = ax.bar([i[0] for i in items], usd, color=['#1f77b4', '#d62728', '#9467bd', '#2ca02c', '#ff7f0e'])
for b, (city, sym, local) in zip(bars, items):
    ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 0.1, f'{sym}{local:,.2f}', ha='center', fontsize=12)
ax.set_ylabel('Price in US$')
ax.set_ylim(0, 6.2)
ax.set_title('Cappuccino price index — local currency on top (≈ values)')
fig.savefig(os.path.join(output_dir, 'coffee.png'), dpi=100)
