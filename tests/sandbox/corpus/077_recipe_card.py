# Recipe card: title banner, ingredients list with bullets, numbered steps (wrapped), info pills.
import textwrap
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

ingredients = ['250 g spaghetti', '2 cloves garlic', '4 tbsp olive oil', '1 tsp chilli flakes',
               'Handful of parsley', 'Salt & black pepper', '30 g parmesan']
steps = ['Bring a large pot of salted water to the boil and cook the spaghetti until al dente.',
         'Meanwhile, gently fry the sliced garlic and chilli in the olive oil until golden.',
         'Drain the pasta, keeping a cup of the cooking water.',
         'Toss the pasta in the pan with the oil, adding splashes of water to emulsify.',
         'Finish with chopped parsley, pepper and grated parmesan. Serve immediately.']
fig = plt.figure(figsize=(8, 10))
ax = fig.add_axes([0, 0, 1, 1])
ax.set_xlim(0, 8)
ax.set_ylim(0, 10)
ax.axis('off')
ax.add_patch(FancyBboxPatch((0.3, 8.7), 7.4, 1.0, boxstyle='round,pad=0.05', fc='#f97316', ec='none'))
ax.text(4, 9.2, 'Spaghetti Aglio e Olio', ha='center', va='center', fontsize=24, color='white', fontweight='bold')
for i, (lab, val) in enumerate([('Prep', '5 min'), ('Cook', '12 min'), ('Serves', '2')]):
    x = 0.5 + i * 2.5
    ax.add_patch(FancyBboxPatch((x, 7.9), 2.0, 0.5, boxstyle='round,pad=0.02,rounding_size=0.25',
                                fc='#ffedd5', ec='#f97316'))
    ax.text(x + 1.0, 8.15, f'{lab}: {val}', ha='center', va='center', fontsize=12)
ax.text(0.5, 7.3, 'Ingredients', fontsize=16, fontweight='bold', color='#9a3412')
for i, ing in enumerate(ingredients):
    ax.text(0.7, 6.8 - i * 0.38, '•  ' + ing, fontsize=12)
ax.text(0.5, 3.9, 'Method', fontsize=16, fontweight='bold', color='#9a3412')
y = 3.45
for i, s in enumerate(steps, 1):
    wrapped = textwrap.fill(s, 62)
    ax.text(0.7, y, f'{i}.', fontsize=12, fontweight='bold', va='top')
    ax.text(1.05, y, wrapped, fontsize=11.5, va='top')
    y -= 0.36 * (wrapped.count('\n') + 1) + 0.15
fig.savefig(os.path.join(output_dir, 'recipe.png'), dpi=90)
