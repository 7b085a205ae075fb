# PIL + numpy: diagonal two-colour gradient image built as an array, with a centred circle.
import numpy as np
from PIL import Image, ImageDraw

W, H = 800, 600
yy, xx = np.mgrid[0:H, 0:W]
t = (xx / W + yy / H) / 2
c1 = np.array([255, 94, 98])
c2 = np.array([64, 120, 255])
arr = (c1[None, None, :] * (1 - t[..., None]) + c2[None, None, :] * t[..., None]).astype(np.uint8)
img = Image.fromarray(arr, 'RGB')
d = ImageDraw.Draw(img)
d.ellipse([250, 150, 550, 450], outline='white', width=8)
d.ellipse([330, 230, 470, 370], fill=(255, 255, 255))
img.save(os.path.join(output_dir, 'gradient.png'))
