# System architecture diagram: client, load balancer, services, DB, cache, queue with arrows.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

nodes = {'Browser': (1, 5, '#e0f2fe'), 'Mobile app': (1, 3, '#e0f2fe'),
         'Load balancer': (4, 4, '#fef3c7'), 'API service': (7, 5.2, '#dcfce7'),
         'Auth service': (7, 2.8, '#dcfce7'), 'PostgreSQL': (10.5, 5.8, '#fce7f3'),
         'Redis cache': (10.5, 4.0, '#fce7f3'), 'Job queue': (10.5, 2.2, '#ede9fe')}
edges = [('Browser', 'Load balancer'), ('Mobile app', 'Load balancer'), ('Load balancer', 'API service'),
         ('Load balancer', 'Auth service'), ('API service', 'PostgreSQL'), ('API service', 'Redis cache'),
         ('API service', 'Job queue'), ('Auth service', 'PostgreSQL')]
fig, ax = plt.subplots(figsize=(12, 6.5))
ax.set_xlim(-0.5, 12.5)
ax.set_ylim(1, 7)
ax.axis('off')
W, H = 2.0, 0.8
for name, (x, y, c) in nodes.items():
    ax.add_patch(FancyBboxPatch((x - W / 2, y - H / 2), W, H, boxstyle='round,pad=0.08', fc=c, ec='#334155', lw=1.5))
    ax.text(x, y, name, ha='center', va='center', fontsize=11)
for a, b in edges:
    xa, ya, _ = nodes[a]
    xb, yb, _ = nodes[b]
    ax.annotate('', xy=(xb - W / 2 - 0.1, yb), xytext=(xa + W / 2 + 0.1, ya),
                arrowprops=dict(arrowstyle='-|>', color='#475569', lw=1.3, shrinkA=0, shrinkB=0))
ax.add_patch(FancyBboxPatch((5.6, 1.9), 6.8, 4.6, boxstyle='round,pad=0.1', fc='none', ec='#94a3b8', ls='--'))
ax.text(5.7, 6.35, 'VPC (eu-west-1)', fontsize=9, color='#64748b')
ax.set_title('Service architecture', fontsize=15, fontweight='bold')
fig.savefig(os.path.join(output_dir, 'architecture.png'), dpi=90)
