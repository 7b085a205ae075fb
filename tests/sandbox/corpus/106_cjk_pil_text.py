# CJK with PIL: greeting card text drawn with a CJK TrueType font searched by file name, with fallbacks.
from PIL import Image, ImageDraw, ImageFont

font = None
for name in ('NotoSansCJK-Regular.ttc', 'wqy-zenhei.ttc', 'NotoSansCJKsc-Regular.otf'):
    try:
        font = ImageFont.truetype(name, 48)
        small = ImageFont.truetype(name, 24)
        break
    except OSError:
        continue
if font is None:
    font = ImageFont.load_default(size=48)
    small = ImageFont.load_default(size=24)
img = Image.new('RGB', (800, 400), '#b91c1c')
d = ImageDraw.Draw(img)
d.rectangle([20, 20, 780, 380], outline='#fde68a', width=6)
d.text((400, 160), '新年快乐 · 万事如意', font=font, fill='#fde68a', anchor='mm')
d.text((400, 260), '明けましておめでとう  /  Happy New Year 2025', font=small, fill='white', anchor='mm')
img.save(os.path.join(output_dir, 'greeting.png'))
