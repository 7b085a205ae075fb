# Unicode scientific units in plain text: µm, Ω, Å, ≤, ≥, ×, ², ³ in labels and a legend.
import numpy as np
import matplotlib.pyplot as plt

R = np.linspace(10, 1000, 100)
fig, ax = plt.subplots(figsize=(8, 5))
ax.plot(R, 5.0 / R * 1000, label='I = V/R  (V = 5 V)')
ax.plot(R, 3.3 / R * 1000, label='I = V/R  (V = 3.3 V)')
ax.set_xlabel('Resistance R (Ω)')
ax.set_ylabel('Current I (mA)')
ax.set_title('Ohm’s law — valid for 10 Ω ≤ R ≤ 1 kΩ')
ax.text(500, 300, 'wire: 0.5 mm², ρ = 1.7×10⁻⁸ Ω·m\nfeature size 0.18 µm ≈ 1800 Å', fontsize=10,
        bbox=dict(boxstyle='round', fc='#f5f5f5'))
ax.legend()
fig.savefig(os.path.join(output_dir, 'ohm.png'), dpi=100)
