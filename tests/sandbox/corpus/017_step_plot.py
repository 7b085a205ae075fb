# Step plot of a pricing tier schedule using plt.step with where='post'.
import matplotlib.pyplot as plt

usage = [0, 10, 50, 100, 500, 1000]
price = [0.0, 0.12, 0.10, 0.08, 0.05, 0.05]

plt.figure(figsize=(7, 4))
plt.step(usage, price, where='post', linewidth=2, color='darkgreen')
plt.scatter(usage[:-1], price[:-1], color='darkgreen', zorder=3)
plt.xscale('symlog', linthresh=10)
plt.xlabel('Monthly usage (GB)')
plt.ylabel('Price per GB ($)')
plt.title('Tiered Pricing')
plt.grid(alpha=0.4)
plt.savefig(os.path.join(output_dir, 'step.png'), dpi=100)
