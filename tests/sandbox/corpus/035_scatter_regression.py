# Scatter with linear regression line (np.polyfit) and R² in a text box.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(3)
hours = np.random.uniform(0, 10, 60)
score = 50 + 4.5 * hours + np.random.normal(0, 6, 60)
m, b = np.polyfit(hours, score, 1)
pred = m * hours + b
r2 = 1 - np.sum((score - pred) ** 2) / np.sum((score - score.mean()) ** 2)

plt.figure(figsize=(8, 6))
plt.scatter(hours, score, alpha=0.7, color='slateblue', label='Students')
xs = np.linspace(0, 10, 50)
plt.plot(xs, m * xs + b, color='crimson', linewidth=2, label=f'y = {m:.2f}x + {b:.1f}')
plt.text(0.5, 100, f'R² = {r2:.3f}', fontsize=12, bbox=dict(boxstyle='round', facecolor='wheat', alpha=0.7))
plt.xlabel('Hours studied')
plt.ylabel('Exam score')
plt.title('Study time vs exam score')
plt.legend(loc='lower right')
plt.savefig(os.path.join(output_dir, 'regression.png'), dpi=100)
