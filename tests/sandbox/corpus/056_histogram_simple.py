# Histogram of normally distributed exam scores with a mean line.
import numpy as np
import matplotlib.pyplot as plt

np.random.seed(0)
scores = np.clip(np.random.normal(72, 10, 400), 0, 100)
plt.figure(figsize=(8, 5))
plt.hist(scores, bins=20, color='skyblue', edgecolor='black')
plt.axvline(scores.mean(), color='red', linestyle='--', label=f'mean = {scores.mean():.1f}')
plt.xlabel('Score')
plt.ylabel('Number of students')
plt.title('Distribution of exam scores')
plt.legend()
plt.savefig(os.path.join(output_dir, 'hist.png'), dpi=100)
