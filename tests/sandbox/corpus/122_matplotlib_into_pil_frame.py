# Renders a matplotlib chart to a PIL image via a buffer, then frames it with a caption using PIL.
import io
import matplotlib.pyplot as plt
from PIL import Image, ImageDraw, ImageFont

fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
ax.plot([1, 2, 3, 4, 5], [2, 3, 5, 7, 11], 'o-', color='crimson')
ax.set_title('Primes')
buf = io.BytesIO()
fig.savefig(buf, format='png')
plt.close(fig)
buf.seek(0)
chart = Image.open(buf).convert('RGB')
canvas = Image.new('RGB', (chart.width + 80, chart.height + 140), '#f5f5f4')
canvas.paste(chart, (40, 40))
d = ImageDraw.Draw(canvas)
d.rectangle([38, 38, 40 + chart.width + 1, 40 + chart.height + 1], outline='#44403c', width=2)
d.text((canvas.width // 2, chart.height + 90), 'Figure 1. The first five primes.',
       font=ImageFont.load_default(size=24), fill='#1c1917', anchor='mm')
canvas.save(os.path.join(output_dir, 'framed.png'))
