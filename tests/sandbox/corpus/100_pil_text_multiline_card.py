# PIL: note card with multiline_text, word-wrapped paragraph (textwrap) and a header strip.
import textwrap
from PIL import Image, ImageDraw, ImageFont

W, H = 640, 480
img = Image.new('RGB', (W, H), '#fffbea')
d = ImageDraw.Draw(img)
d.rectangle([0, 0, W, 70], fill='#facc15')
try:
    hf = ImageFont.truetype('DejaVuSerif-Bold.ttf', 32)
    bf = ImageFont.truetype('DejaVuSerif.ttf', 20)
except OSError:
    hf, bf = ImageFont.load_default(size=32), ImageFont.load_default(size=20)
d.text((24, 35), 'Meeting notes — 12 March', font=hf, fill='#422006', anchor='lm')
para = ('We agreed to ship the beta to 200 users next month. Maria will own onboarding emails; '
        'Dev will finish the export feature. Open question: do we charge for the API tier before GA? '
        'Next sync on Thursday at 10:00.')
d.multiline_text((24, 100), textwrap.fill(para, 48), font=bf, fill='#1c1917', spacing=8)
for k in range(4):
    y = 350 + k * 28
    d.line([(24, y), (W - 24, y)], fill='#e7d9a8', width=2)
img.save(os.path.join(output_dir, 'note.png'))
