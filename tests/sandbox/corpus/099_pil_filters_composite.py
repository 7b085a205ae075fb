# PIL: procedural image (numpy noise, fixed seed) blurred, alpha-composited with a translucent overlay and text.
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

rng = np.random.default_rng(0)
noise = (rng.random((300, 400, 3)) * 255).astype(np.uint8)
base = Image.fromarray(noise).resize((800, 600), Image.NEAREST).filter(ImageFilter.GaussianBlur(12)).convert('RGBA')
overlay = Image.new('RGBA', base.size, (0, 0, 0, 0))
od = ImageDraw.Draw(overlay)
od.rounded_rectangle([100, 200, 700, 400], radius=30, fill=(255, 255, 255, 190))
od.text((400, 300), 'Frosted Glass', font=ImageFont.load_default(size=56), fill=(20, 20, 20, 255), anchor='mm')
out = Image.alpha_composite(base, overlay)
out.save(os.path.join(output_dir, 'frosted.png'))
