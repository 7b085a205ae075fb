"""The semantic layout of PIL and SVG drawings: texts exact, shapes with colours and boxes within
1 px of their own pixels, containment, arrows as edges, boxes that follow a resize."""

from __future__ import annotations

from comfyui_coco.sandbox import render_inprocess

from .helpers import colour_box, coverage_box, ink_box, near, rgb
from .test_matplotlib import sem_of

PIL_FLOW = """
from PIL import Image, ImageDraw, ImageFont
S = {scale}
img = Image.new("RGB", (400 * S, 200 * S), "white")
d = ImageDraw.Draw(img)
f = ImageFont.truetype("DejaVuSans.ttf", 20 * S)
d.rectangle([20 * S, 50 * S, 140 * S, 110 * S], fill="#ffcc00")
d.text((40 * S, 65 * S), "Start", fill="#ff0000", font=f)
d.ellipse([250 * S, 40 * S, 380 * S, 120 * S], fill="white", outline=(120, 200, 120), width=3 * S)
d.text((280 * S, 65 * S), "End", fill="#0000ff", font=f)
d.line([(140 * S, 80 * S), (240 * S, 80 * S)], fill="#000000", width=3 * S)
d.polygon([(240 * S, 72 * S), (250 * S, 80 * S), (240 * S, 88 * S)], fill="#000000")
d.text((150 * S, 150 * S), "free note", fill="#ff00ff", font=f)
if S != 1:
    img = img.resize((400, 200), Image.LANCZOS)
img.save(output_dir + "/flow.png")
"""


def check_flow(sem, img, exact_shapes=True):
    assert sem["source"] == "pil"
    texts = {t["text"]: t for t in sem["texts"]}
    assert set(texts) == {"Start", "End", "free note"}
    shapes = {s["id"]: s for s in sem["shapes"]}
    start, end = shapes[texts["Start"]["inside"]], shapes[texts["End"]["inside"]]
    assert (start["kind"], start["fill"]) == ("rect", "#ffcc00")
    assert (end["kind"], end["fill"], end["stroke"]) == ("ellipse", "#ffffff", "#78c878")
    assert texts["free note"]["inside"] is None
    (edge,) = sem["edges"]
    assert (edge["from"], edge["to"], edge["directed"]) == (start["id"], end["id"], True)
    assert [s["part_of"] for s in sem["shapes"] if s["kind"] in ("line", "polygon")] == [edge["id"]] * 2
    tol = 1.0 if exact_shapes else 2.0
    assert near(start["bbox"], colour_box(img, "#ffcc00", 40), tol), (start["bbox"], colour_box(img, "#ffcc00", 40))
    assert near(end["bbox"], colour_box(img, "#78c878", 40), tol), (end["bbox"], colour_box(img, "#78c878", 40))
    for text, col in (("Start", "#ff0000"), ("End", "#0000ff"), ("free note", "#ff00ff")):
        assert near(texts[text]["bbox"], coverage_box(img, col), tol), (text, texts[text]["bbox"], coverage_box(img, col))


def test_pil_shapes_texts_containment_and_arrow():
    res = render_inprocess(PIL_FLOW.format(scale=1))
    check_flow(sem_of(res), rgb(res))


def test_pil_boxes_follow_a_supersampled_drawing_resized_down():
    res = render_inprocess(PIL_FLOW.format(scale=3))
    assert (res.images[0].width, res.images[0].height) == (400, 200)
    check_flow(sem_of(res), rgb(res), exact_shapes=False)


SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 200 100">
<defs><marker id="m" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto">
<path d="M0,0 L6,3 L0,6 z" fill="#00aa00"/></marker></defs>
<g transform="translate(10,10)">
  <rect x="0" y="20" width="60" height="30" fill="#ffcc00"/>
  <text x="30" y="40" text-anchor="middle" font-size="12" fill="#ff0000">Start</text>
</g>
<circle cx="160" cy="45" r="25" fill="#78a0ff"/>
<text x="160" y="50" text-anchor="middle" font-size="12" fill="#0000ff">End</text>
<line x1="70" y1="45" x2="132" y2="45" stroke="#00aa00" stroke-width="2" marker-end="url(#m)"/>
<polygon points="10,80 40,95 10,95" fill="#aa00aa"/>
<path d="m60,75 h30 v12 l-15,8 z" fill="#00aaff"/>
<text x="120" y="90" font-size="10" fill="#ff00ff" transform="rotate(-10 120 90)">tilted</text>
</svg>"""


def test_svg_shapes_transforms_markers_and_text_boxes():
    res = render_inprocess(SVG)
    sem, img = sem_of(res), rgb(res)
    assert sem["source"] == "svg" and sem["canvas"] == {"width": 400, "height": 200}
    texts = {t["text"]: t for t in sem["texts"]}
    shapes = {s["id"]: s for s in sem["shapes"]}
    start, end = shapes[texts["Start"]["inside"]], shapes[texts["End"]["inside"]]
    assert (start["kind"], start["fill"], end["kind"], end["fill"]) == ("rect", "#ffcc00", "ellipse", "#78a0ff")
    assert near(start["bbox"], [20, 60, 140, 120]) and near(start["bbox"], colour_box(img, "#ffcc00", 40))
    assert near(end["bbox"], colour_box(img, "#78a0ff", 40))
    tri = next(s for s in sem["shapes"] if s["fill"] == "#aa00aa")
    ink = ink_box(img[150:, :110], tol=20)          # the triangle alone in that corner, faint tips included
    assert tri["kind"] == "polygon" and near(tri["bbox"], [ink[0], ink[1] + 150, ink[2], ink[3] + 150]), (tri, ink)
    path = next(s for s in sem["shapes"] if s["fill"] == "#00aaff")
    assert path["kind"] == "path" and near(path["bbox"], [120, 150, 180, 190]), path   # relative commands
    assert near(path["bbox"], colour_box(img, "#00aaff", 40)), (path, colour_box(img, "#00aaff", 40))
    (edge,) = sem["edges"]
    assert (edge["from"], edge["to"], edge["directed"]) == (start["id"], end["id"], True)
    for text, col in (("Start", "#ff0000"), ("End", "#0000ff"), ("tilted", "#ff00ff")):
        assert near(texts[text]["bbox"], coverage_box(img, col)), (text, texts[text]["bbox"], coverage_box(img, col))


def test_svg_file_written_by_python_code():
    code = "svg = " + repr(SVG) + "\nopen(os.path.join(output_dir, 'd.svg'), 'w').write(svg)\n"
    res = render_inprocess(code)
    sem = sem_of(res)
    assert sem["source"] == "svg" and {t["text"] for t in sem["texts"]} == {"Start", "End", "tilted"}
    assert len(sem["edges"]) == 1 and sem["edges"][0]["directed"]
