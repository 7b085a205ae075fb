# PIL: hand-rolled bar chart with axes, ticks and value labels (no matplotlib drawing).
from PIL import Image, ImageDraw, ImageFont

data = {'Mon': 12, 'Tue': 19, 'Wed': 7, 'Thu': 15, 'Fri': 22, 'Sat': 9, 'Sun': 4}
W, H, M = 800, 500, 60
img = Image.new('RGB', (W, H), 'white')
d = ImageDraw.Draw(img)
font = ImageFont.load_default(size=16)
vmax = 25
d.line([(M, M), (M, H - M), (W - M // 2, H - M)], fill='black', width=2)
for v in range(0, vmax + 1, 5):
    y = H - M - (H - 2 * M) * v / vmax
    d.line([(M - 5, y), (M, y)], fill='black')
    d.line([(M + 1, y), (W - M // 2, y)], fill='#eeeeee')
    d.text((M - 10, y), str(v), font=font, fill='black', anchor='rm')
bw = (W - 1.5 * M) / len(data)
for i, (k, v) in enumerate(data.items()):
    x0 = M + i * bw + bw * 0.15
    x1 = M + (i + 1) * bw - bw * 0.15
    y = H - M - (H - 2 * M) * v / vmax
    d.rectangle([x0, y, x1, H - M - 1], fill=(70, 130, 180))
    d.text(((x0 + x1) / 2, y - 4), str(v), font=font, fill='black', anchor='mb')
    d.text(((x0 + x1) / 2, H - M + 8), k, font=font, fill='black', anchor='mt')
d.text((W // 2, 20), 'Orders per weekday', font=ImageFont.load_default(size=22), fill='black', anchor='mt')
img.save(os.path.join(output_dir, 'pil_bars.png'))
