"""SVG: sanitiser decisions (unit level, no rendering) and rendering/layout through the pipeline."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from comfyui_coco.sandbox import Limits, render_inprocess
from comfyui_coco.sandbox import _svg
from comfyui_coco.sandbox._log import CappedLog

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def svg(body, attrs='width="200" height="100"'):
    return f'<svg {NS} {attrs}>{body}</svg>'


def sanitize(text, limits=None):
    log = CappedLog(10000)
    root, size = _svg.sanitize(text, limits or Limits(), log)
    return root, size, log.text()


def png_b64(size=(8, 8), color=(0, 128, 255)):
    from PIL import Image
    b = io.BytesIO()
    Image.new("RGB", size, color).save(b, "PNG")
    return base64.b64encode(b.getvalue()).decode()


@pytest.mark.parametrize("text,needle", [
    ('<!DOCTYPE svg [<!ENTITY x "y">]>' + svg("<text>&x;</text>"), "DTD"),
    ('<!DOCTYPE svg SYSTEM "http://127.0.0.1/x.dtd">' + svg(""), "DTD"),
    (svg("<script>1</script>"), "<script>"),
    (svg('<image href="file:///etc/passwd"/>'), "external reference"),
    (svg('<image xlink:href="https://example.com/a.png"/>'), "external reference"),
    (svg('<image href="data:image/svg+xml;base64,PHN2Zz4="/>'), "external reference"),
    (svg('<use href="x.svg#a"/>'), "external reference"),
    (svg('<a href="javascript:alert(1)"><rect width="1" height="1"/></a>'), "external reference"),
    (svg('<rect style="fill:url(http://x/y)" width="1" height="1"/>'), "url("),
    (svg("<style>@import 'a.css';</style>"), "@import"),
    (svg("<style>rect { background: url(/etc/passwd) }</style>"), "url("),
    (svg('<g id="a"><use href="#a"/></g>'), "cycle"),
    (svg("", 'width="5000" height="10"'), "max_side=4096"),
    (svg("", 'width="3000" height="3000"'), "max_megapixels=4"),
    (svg("", 'viewBox="0 0 100000 10"'), "max_side"),
    (svg("", 'width="100in" height="100in"'), "max_side"),
])
def test_refused(text, needle):
    with pytest.raises((_svg.UnsafeSVG, _svg.SVGTooLarge)) as e:
        sanitize(text)
    assert needle in str(e.value)


def test_use_bomb_counted_before_rendering():
    defs = '<g id="l0"><rect width="1" height="1"/></g>' + "".join(
        f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>" for i in range(1, 7))
    with pytest.raises(_svg.UnsafeSVG, match="use bomb"):
        sanitize(svg(f"<defs>{defs}</defs><use href='#l6'/>"))
    # a modest amount of reuse is fine
    small = '<g id="l0"><rect width="1" height="1"/></g>' + "".join(
        f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>" for i in range(1, 3))
    sanitize(svg(f"<defs>{small}</defs><use href='#l2'/>"))


def test_standard_doctype_is_accepted():
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + svg('<rect width="5" height="5"/>'))
    sanitize(doc)
    with pytest.raises(_svg.UnsafeSVG):
        sanitize(doc.replace('svg11.dtd">', 'svg11.dtd" [<!ENTITY a "b">]>'))


def test_dropped_with_log_lines():
    root, size, log = sanitize(svg('<foreignObject><p>x</p></foreignObject><rect onclick="x()" width="5" '
                                   'height="5"/><blink/>', 'width="50" height="40" onload="alert(1)"'))
    text = _svg.tostring(root)
    assert "foreignObject" not in text and "onclick" not in text and "onload" not in text and "blink" not in text
    assert "dropped <foreignObject>" in log and "onclick" in log
    assert size == (50, 40)


def test_allowed_inline_png_and_internal_refs():
    body = (f'<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
            f'<g id="dot"><circle r="3"/></g></defs><rect width="9" height="9" fill="url(#g)"/>'
            f'<use xlink:href="#dot" x="20"/><image href="data:image/png;base64,{png_b64()}" width="8" height="8"/>')
    root, size, log = sanitize(svg(body))
    text = _svg.tostring(root)
    assert "url(#g)" in text and "#dot" in text and "data:image/png;base64," in text
    assert "dropped" not in log and size == (200, 100)


def test_inline_png_too_large_is_refused():
    with pytest.raises(_svg.UnsafeSVG, match="max_side"):
        sanitize(svg(f'<image href="data:image/png;base64,{png_b64((5000, 2))}"/>'))


@pytest.mark.parametrize("attrs,size", [('width="200" height="100"', (200, 100)),
                                        ('viewBox="0 0 300 150"', (300, 150)),
                                        ('width="2in" height="1in"', (192, 96)),
                                        ('width="400" viewBox="0 0 200 100"', (400, 200)),
                                        ("", (100, 100))])
def test_canvas_size(attrs, size):
    _, got, _ = sanitize(svg("", attrs))
    assert got == size


def test_render_text_layout_and_mask():
    code = svg('<rect width="400" height="200" fill="#ffffff"/>'
               '<text x="200" y="110" font-size="40" text-anchor="middle" fill="#cc0000">Hello SVG</text>'
               '<circle cx="40" cy="40" r="20" fill="#00aa00"/>', 'width="400" height="200"')
    r = render_inprocess(code)
    assert r.ok, r.error
    im = r.images[0]
    assert (im.width, im.height, im.source) == (400, 200, "svg")
    texts = [e for e in r.layout["elements"] if e["type"] == "text"]
    assert texts and texts[0]["text"] == "Hello SVG" and texts[0]["fontsize"] == 40
    x0, y0, x1, y1 = texts[0]["bbox"]
    assert 60 < x0 < 200 < x1 < 340 and 60 < y0 < 110 < y1 < 130
    assert all(0 <= v < 1000 for v in texts[0]["box_1000"])
    mask = np.frombuffer(r.text_mask, np.uint8).reshape(200, 400)
    assert mask[75:115, 100:300].sum() > 0          # text pixels
    assert mask[20:60, 20:60].sum() == 0            # the circle is not text
    circles = [e for e in r.layout["elements"] if e.get("shape") == "circle"]
    assert circles and circles[0]["bbox"] == [20.0, 20.0, 60.0, 60.0]


def test_viewbox_scaling_of_boxes():
    r = render_inprocess(svg('<rect x="10" y="10" width="50" height="25"/>', 'width="200" height="100" viewBox="0 0 100 50"'))
    assert r.ok
    rect = [e for e in r.layout["elements"] if e.get("shape") == "rect"][0]
    assert rect["bbox"] == [20.0, 20.0, 120.0, 70.0]


def test_svg_missing_glyphs_reported():
    r = render_inprocess(svg('<text x="5" y="50" font-size="20">Glyph \U00013000</text>'))
    assert r.ok
    assert r.layout["missing_glyphs"] and "\U00013000" in r.layout["missing_glyphs"][0]["chars"]


def test_refusal_through_pipeline_is_one_line():
    r = render_inprocess(svg('<image href="file:///etc/passwd"/>'))
    assert not r.ok and r.error_type == "UnsafeSVG" and "\n" not in r.error and "file:///etc/passwd" in r.error


def test_python_saving_svg_file_is_rendered():
    """A matplotlib SVG save comes back as the figure rendered at its own dpi (what a PNG save at
    that dpi draws), not as the SVG rasterised at 96 px/in (which 50c9c3a returned: 192x96)."""
    code = ("plt.figure(figsize=(2, 1), dpi=72)\nplt.title('svg out')\n"
            "plt.savefig(os.path.join(output_dir, 'a.svg'))\n")
    r = render_inprocess(code)
    assert r.ok, (r.error, r.log)
    assert r.images[0].source == "output_dir/a.svg" and (r.images[0].width, r.images[0].height) == (144, 72)
    png = render_inprocess(code.replace("'a.svg'", "'a.png'"))
    assert png.ok and png.images[0].rgba == r.images[0].rgba
