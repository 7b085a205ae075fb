# PIL: geometric composition with rectangles, polygons, ellipses, arcs and lines on RGBA.
from PIL import Image, ImageDraw

img = Image.new('RGBA', (700, 700), (250, 248, 240, 255))
d = ImageDraw.Draw(img)
d.rectangle([50, 50, 300, 300], fill=(230, 57, 70, 255))
d.rectangle([320, 50, 650, 180], fill=(29, 53, 87, 255))
d.ellipse([380, 220, 640, 480], fill=(241, 196, 15, 255), outline=(0, 0, 0, 255), width=5)
d.polygon([(60, 650), (200, 360), (340, 650)], fill=(69, 123, 157, 255))
d.arc([380, 500, 640, 760], start=180, end=360, fill=(0, 0, 0, 255), width=10)
d.rounded_rectangle([100, 330, 300, 380], radius=20, fill=(42, 157, 143, 255))
for k in range(8):
    d.line([(320, 200 + k * 20), (360, 200 + k * 20)], fill=(0, 0, 0, 255), width=3)
d.regular_polygon((190, 175, 60), n_sides=6, fill=(255, 255, 255, 255))
img.save(os.path.join(output_dir, 'shapes.png'))
