# Formula sheet: several mathtext equations (fractions, sums, integrals, greek) via fig.text.
import matplotlib.pyplot as plt

eqs = [
    (r'$E = mc^2$', 'Mass–energy equivalence'),
    (r'$\alpha^2 + \beta^2 = \gamma^2$', 'Pythagoras (greek)'),
    (r'$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$', 'Quadratic formula'),
    (r'$\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}$', 'Basel problem'),
    (r'$\int_{-\infty}^{\infty} e^{-x^2}\,dx = \sqrt{\pi}$', 'Gaussian integral'),
    (r'$e^{i\pi} + 1 = 0$', "Euler's identity"),
    (r'$\nabla \cdot \vec{E} = \frac{\rho}{\varepsilon_0}$', "Gauss's law"),
]
fig = plt.figure(figsize=(9, 7))
fig.text(0.5, 0.94, 'Famous Equations', ha='center', fontsize=22, fontweight='bold')
for i, (eq, name) in enumerate(eqs):
    y = 0.82 - i * 0.115
    fig.text(0.08, y, name, fontsize=13, va='center', color='dimgray')
    fig.text(0.55, y, eq, fontsize=18, va='center')
plt.savefig(os.path.join(output_dir, 'equations.png'), dpi=100)
