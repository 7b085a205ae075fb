# Uses plt.style.context('ggplot') for a grouped line + bar chart.
import numpy as np
import matplotlib.pyplot as plt

with plt.style.context('ggplot'):
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5))
    x = np.arange(10)
    a.plot(x, x ** 1.5, 'o-', label='growth')
    a.plot(x, 3 * x, 's--', label='linear')
    a.legend()
    a.set_title('ggplot style lines')
    b.bar(['a', 'b', 'c', 'd'], [5, 3, 7, 4])
    b.set_title('ggplot style bars')
    fig.tight_layout()
    fig.savefig(os.path.join(output_dir, 'ggplot.png'), dpi=100)
