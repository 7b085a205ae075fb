# Ends with plt.show() and never saves: the sandbox must capture the open figure.
import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 2 * np.pi, 200)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(x, np.sin(x) ** 2, label='sin²x')
ax.plot(x, np.cos(x) ** 2, label='cos²x')
ax.plot(x, np.sin(x) ** 2 + np.cos(x) ** 2, 'k--', label='sum = 1')
ax.legend(loc='center right')
ax.set_title('Pythagorean identity')
plt.show()
