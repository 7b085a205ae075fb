# PIL: skill/progress bars with labels and percentages (typical "profile card" request).
from PIL import Image, ImageDraw, ImageFont

skills = [('Python', 0.92, '#3776ab'), ('SQL', 0.80, '#e38c00'), ('JavaScript', 0.65, '#f0db4f'),
          ('Rust', 0.40, '#b7410e'), ('Go', 0.55, '#00add8')]
W, H = 700, 420
img = Image.new('RGB', (W, H), '#ffffff')
d = ImageDraw.Draw(img)
try:
    f = ImageFont.truetype('DejaVuSans.ttf', 22)
    ft = ImageFont.truetype('DejaVuSans-Bold.ttf', 30)
except OSError:
    f, ft = ImageFont.load_default(size=22), ImageFont.load_default(size=30)
d.text((40, 25), 'Skills', font=ft, fill='#111827')
for i, (name, p, col) in enumerate(skills):
    y = 95 + i * 62
    d.text((40, y), name, font=f, fill='#374151')
    d.rounded_rectangle([200, y + 2, 600, y + 28], radius=13, fill='#e5e7eb')
    d.rounded_rectangle([200, y + 2, 200 + int(400 * p), y + 28], radius=13, fill=col)
    d.text((615, y), f'{int(p * 100)}%', font=f, fill='#374151')
img.save(os.path.join(output_dir, 'skills.png'))
