# PIL: checkerboard with chess coordinates, drawn square by square; text from matplotlib's bundled DejaVu font.
import os
from PIL import Image, ImageDraw, ImageFont
import matplotlib

S = 80
img = Image.new('RGB', (8 * S + 60, 8 * S + 60), '#3f2a14')
d = ImageDraw.Draw(img)
font = ImageFont.truetype(os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', 'DejaVuSans.ttf'), 20)
for r in range(8):
    for c in range(8):
        x0, y0 = 30 + c * S, 30 + r * S
        d.rectangle([x0, y0, x0 + S - 1, y0 + S - 1], fill='#f0d9b5' if (r + c) % 2 == 0 else '#b58863')
for i in range(8):
    d.text((30 + i * S + S // 2, 8 * S + 45), 'abcdefgh'[i], font=font, fill='white', anchor='mm')
    d.text((15, 30 + i * S + S // 2), str(8 - i), font=font, fill='white', anchor='mm')
img.save(os.path.join(output_dir, 'board.png'))
