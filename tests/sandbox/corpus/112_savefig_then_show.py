# savefig followed by plt.show() — the usual notebook habit.
import matplotlib.pyplot as plt

langs = ['English', 'Mandarin', 'Hindi', 'Spanish', 'French', 'Arabic']
speakers = [1456, 1138, 610, 559, 310, 274]
plt.figure(figsize=(8, 5))
plt.barh(langs[::-1], speakers[::-1], color='darkcyan')
plt.xlabel('Total speakers (millions)')
plt.title('Most spoken languages')
plt.tight_layout()
plt.savefig(os.path.join(output_dir, 'languages.png'), dpi=100)
plt.show()
