# Three stacked subplots sharing the x axis (signal, derivative, spectrum-like).
import numpy as np
import matplotlib.pyplot as plt

t = np.linspace(0, 1, 1000)
sig = np.sin(2 * np.pi * 5 * t) + 0.5 * np.sin(2 * np.pi * 12 * t)
fig, (a1, a2, a3) = plt.subplots(3, 1, sharex=True, figsize=(9, 7))
a1.plot(t, sig, 'k')
a1.set_ylabel('x(t)')
a2.plot(t, np.gradient(sig, t), 'b')
a2.set_ylabel("x'(t)")
a3.plot(t, np.cumsum(sig) / 1000, 'g')
a3.set_ylabel(r'$\int x\,dt$')
a3.set_xlabel('time (s)')
a1.set_title('Signal and its derivative / integral')
fig.align_ylabels()
plt.savefig(os.path.join(output_dir, 'signals.png'), dpi=100)
