"""Layout and text mask of matplotlib and PIL drawings (same pipeline in-process; the sandbox runs it too)."""

from __future__ import annotations

import numpy as np
import pytest

from comfyui_coco.sandbox import render_inprocess


def texts(r):
    return {e["text"]: e for e in r.layout["elements"] if e["type"] == "text"}


def mask(r):
    im = r.images[0]
    return np.frombuffer(r.text_mask, np.uint8).reshape(im.height, im.width)


def test_matplotlib_layout_basics():
    r = render_inprocess("fig, ax = plt.subplots(figsize=(6, 4), dpi=100)\n"
                         "ax.bar(['alpha', 'beta'], [3, 5], color='#336699')\n"
                         "ax.set_title('Big Title', fontsize=20, color='#aa0000')\nax.set_ylabel('units')\n"
                         "fig.savefig(os.path.join(output_dir, 'a.png'))")
    assert r.ok
    assert r.layout["canvas"] == {"width": 600, "height": 400}
    t = texts(r)
    title = t["Big Title"]
    assert title["fontsize"] == 20 and title["color"] == "#aa0000"
    x0, y0, x1, y1 = title["bbox"]
    assert 200 < x0 < 300 < x1 < 400 and 0 <= y0 < y1 < 60          # top centre, origin top-left
    assert title["box_1000"] == [int(x0 * 1000 / 600), int(y0 * 1000 / 400), int(x1 * 1000 / 600), int(y1 * 1000 / 400)]
    assert "alpha" in t and "beta" in t and "units" in t
    assert t["units"]["bbox"][0] < 40                                   # y label at the left edge
    kinds = {e["type"] for e in r.layout["elements"]}
    assert {"text", "axes", "patch"} <= kinds
    bars = [e for e in r.layout["elements"] if e["type"] == "patch" and e.get("color") == "#336699"]
    assert len(bars) == 2 and bars[0]["bbox"][3] > bars[0]["bbox"][1]
    for e in r.layout["elements"]:
        assert all(0 <= v < 1000 for v in e["box_1000"])


def test_text_mask_is_text_pixels_not_boxes():
    r = render_inprocess("fig = plt.figure(figsize=(4, 2), dpi=100)\nfig.text(0.1, 0.5, 'MMMM', fontsize=30)\n"
                         "fig.patches.append(plt.Rectangle((0.6, 0.1), 0.3, 0.8, transform=fig.transFigure, color='k'))\n"
                         "fig.savefig(os.path.join(output_dir, 'm.png'))")
    assert r.ok
    m = mask(r)
    x0, y0, x1, y1 = (int(v) for v in texts(r)["MMMM"]["bbox"])
    inside = m[y0:y1, x0:x1]
    assert 0.15 < (inside > 0).mean() < 0.9        # glyph pixels, not a filled rectangle
    assert m[:, 250:].sum() == 0                    # the black rectangle is not text
    assert (m[:y0 - 2].sum(), m[y1 + 2:].sum()) == (0, 0)


def test_tight_bbox_coordinates_match_saved_image():
    r = render_inprocess("fig, ax = plt.subplots(figsize=(6, 4), dpi=100)\nax.plot([1, 2, 3])\n"
                         "ax.set_title('Tight')\nfig.savefig(os.path.join(output_dir, 't.png'), bbox_inches='tight')")
    assert r.ok
    im = r.images[0]
    assert im.width < 600 and im.height < 400
    assert r.layout["canvas"] == {"width": im.width, "height": im.height}
    x0, y0, x1, y1 = texts(r)["Tight"]["bbox"]
    assert 0 <= x0 < x1 <= im.width and 0 <= y0 < y1 <= im.height
    m = mask(r)
    assert m[int(y0):int(y1) + 1, int(x0):int(x1) + 1].sum() > 0


def test_savefig_dpi_scales_boxes():
    r = render_inprocess("fig = plt.figure(figsize=(2, 1), dpi=50)\nfig.text(0.5, 0.5, 'X', ha='center')\n"
                         "fig.savefig(os.path.join(output_dir, 'd.png'), dpi=200)")
    assert r.ok and (r.images[0].width, r.images[0].height) == (400, 200)
    x0, y0, x1, y1 = texts(r)["X"]["bbox"]
    assert 180 < (x0 + x1) / 2 < 220


def test_rotated_labels_annotations_and_table():
    r = render_inprocess("fig, ax = plt.subplots(figsize=(6, 4), dpi=80)\nax.plot([0, 1], [0, 1])\n"
                         "ax.set_xticks([0, 1], ['left tick', 'right tick'], rotation=45)\n"
                         "ax.annotate('peak', xy=(1, 1), xytext=(0.5, 0.8), arrowprops=dict(arrowstyle='->'))\n"
                         "ax.table(cellText=[['c1', 'c2']], loc='bottom', bbox=[0, -0.6, 1, 0.2])\n"
                         "fig.savefig(os.path.join(output_dir, 'r.png'))")
    assert r.ok
    t = texts(r)
    assert t["left tick"]["rotation"] == 45
    x0, y0, x1, y1 = t["left tick"]["bbox"]
    assert (x1 - x0) > 20 and (y1 - y0) > 20        # a rotated label's box is tall and wide
    assert "peak" in t and "c1" in t and "c2" in t
    assert any(e["type"] == "table" for e in r.layout["elements"])


def test_multiple_figures_layout_is_for_the_first_image():
    r = render_inprocess("f1 = plt.figure(figsize=(2, 1), dpi=50)\nf1.text(0.1, 0.5, 'first')\n"
                         "f2 = plt.figure(figsize=(3, 1), dpi=50)\nf2.text(0.1, 0.5, 'second')\n")
    assert r.ok and [i.source for i in r.images] == ["figure 1", "figure 2"]
    assert "first" in texts(r) and "second" not in texts(r)
    assert r.layout["canvas"] == {"width": 100, "height": 50}
    assert len(r.text_mask) == 100 * 50


def test_pil_text_layout_and_mask():
    r = render_inprocess("im = Image.new('RGB', (300, 100), 'white')\nd = ImageDraw.Draw(im)\n"
                         "f = ImageFont.truetype('DejaVuSans.ttf', 32)\n"
                         "d.rectangle([200, 10, 290, 90], fill='black')\n"
                         "d.text((10, 30), 'Label', font=f, fill=(0, 0, 255))\n"
                         "d.multiline_text((10, 0), 'a\\nb', fill='red')\n"
                         "im.save(os.path.join(output_dir, 'p.png'))")
    assert r.ok, (r.error, r.log)
    t = texts(r)
    lab = t["Label"]
    assert lab["color"] == "#0000ff" and lab["fontsize"] == 32
    x0, y0, x1, y1 = lab["bbox"]
    assert 10 <= x0 < x1 < 200 and 30 <= y0 < y1 < 100
    assert "a\nb" in t and len([e for e in r.layout["elements"] if e["type"] == "text"]) == 2
    m = mask(r)
    assert m[int(y0):int(y1), int(x0):int(x1)].sum() > 0
    assert m[:, 200:].sum() == 0


def test_pil_missing_glyphs():
    r = render_inprocess("im = Image.new('RGB', (200, 50), 'white')\nd = ImageDraw.Draw(im)\n"
                         "f = ImageFont.truetype('DejaVuSans.ttf', 20)\nd.text((5, 5), 'Hi \\u4e2d\\u6587', font=f, fill='black')\n"
                         "im.save(os.path.join(output_dir, 'p.png'))")
    assert r.ok
    mg = r.layout["missing_glyphs"]
    assert mg and mg[0]["chars"] == "\u4e2d\u6587" and mg[0]["font"] == "DejaVuSans.ttf"


def test_image_without_drawing_info_gets_empty_layout():
    r = render_inprocess("import numpy as np\nImage.fromarray(np.zeros((20, 30, 3), np.uint8)).save("
                         "os.path.join(output_dir, 'z.png'))")
    assert r.ok and r.layout["elements"] == [] and r.text_mask == bytes(30 * 20)


@pytest.mark.parametrize("loc", ["upper right", "top left", "bottom", "outside right", "best"])
def test_legend_locations(loc):
    r = render_inprocess(f"plt.figure(figsize=(2, 2), dpi=40)\nplt.plot([1, 2], label='l')\nplt.legend(loc={loc!r})")
    assert r.ok, r.error


def test_pil_text_capture_does_not_recurse():
    r = render_inprocess("im = Image.new('RGB', (60, 20), 'white')\nImageDraw.Draw(im).text((1, 1), 'ok', fill='black')\n"
                         "im.save(os.path.join(output_dir, 'p.png'))")
    assert r.ok and "capture failed" not in r.log
    assert [e["text"] for e in r.layout["elements"]] == ["ok"]
