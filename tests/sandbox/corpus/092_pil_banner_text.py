# PIL: web banner with solid background, stripes, title/subtitle text (DejaVuSans via system search).
from PIL import Image, ImageDraw, ImageFont
import os

W, H = 1000, 300
img = Image.new('RGB', (W, H), '#1e293b')
d = ImageDraw.Draw(img)
for i in range(0, W + H, 40):
    d.line([(i, 0), (i - H, H)], fill='#334155', width=12)
try:
    title_font = ImageFont.truetype('DejaVuSans-Bold.ttf', 64)
    sub_font = ImageFont.truetype('DejaVuSans.ttf', 28)
except OSError:
    title_font = ImageFont.load_default(size=64)
    sub_font = ImageFont.load_default(size=28)
d.rectangle([40, 60, 960, 240], fill='#0f172a', outline='#38bdf8', width=4)
d.text((W // 2, 125), 'SUMMER SALE', font=title_font, fill='#fbbf24', anchor='mm')
d.text((W // 2, 195), 'Up to 50% off · Ends Sunday', font=sub_font, fill='white', anchor='mm')
img.save(os.path.join(output_dir, 'banner.png'))
