"""Saves anywhere, input files, vector saves and every figure: the contract pieces one by one.

Each test names what it guards; where it says "fails on af28d09" that is the runner before this
work (checked by running the same code against that commit's sandbox/).
"""

from __future__ import annotations

import hashlib

import pytest

from comfyui_coco.sandbox import Limits, get_pool, render_inprocess


def _ok(r):
    assert r.ok, f"{r.error_type}: {r.error}\n{r.traceback}\n{r.log}"
    return r


def test_saves_outside_scratch_land_in_scratch(tmp_path):
    """In-process there is no Landlock: only the redirect keeps the files out of tmp_path (on
    af28d09 the first save wrote tmp_path/a/b/x.png... after failing on the missing folder)."""
    target = tmp_path / "a" / "b"
    code = (f"plt.figure(figsize=(2, 1))\nplt.plot([1, 2])\nplt.savefig({str(target / 'x.png')!r})\n"
            f"os.makedirs({str(tmp_path / 'made')!r}, exist_ok=True)\n"
            f"plt.savefig({str(tmp_path / 'made' / 'y.pdf')!r})\n"
            "from PIL import Image\nImage.new('RGB', (8, 4), 'red').save('../../../elsewhere/z.png')\n")
    r = _ok(render_inprocess(code))
    assert [im.source for im in r.images] == [str(target / "x.png"), str(tmp_path / "made" / "y.pdf"),
                                              "../../../elsewhere/z.png"]
    assert [(im.width, im.height) for im in r.images] == [(200, 100), (200, 100), (8, 4)]
    assert list(tmp_path.iterdir()) == []


def test_relative_saves_into_missing_folders_in_the_sandbox():
    code = ("import os\nos.makedirs('../../figures/ch1', exist_ok=True)\n"
            "plt.figure(figsize=(2, 1))\nplt.bar([0, 1], [1, 2])\n"
            "plt.savefig('../../figures/ch1/bars.png')\nplt.savefig('never/made/before/bars.jpg')\n")
    r = _ok(get_pool().render(code))
    assert [im.source for im in r.images] == ["../../figures/ch1/bars.png", "output_dir/never/made/before/bars.jpg"]


FILES = [("helpers.py", b"TITLE = 'from helpers'\ndef double(x):\n    return 2 * x\n"),
         ("data.csv", b"k,v\na,1\nb,3\n"),
         ("house.mplstyle", b"axes.facecolor: '#eeeeee'\n"),
         ("logo.png", None)]


def _files():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (6, 6), (200, 0, 0, 255)).save(buf, format="PNG")
    return [(n, d if d is not None else buf.getvalue()) for n, d in FILES]


def test_input_files_beside_the_code_read_only():
    """The job imports the helper, reads the table and the style, opens the image; it cannot change
    them; the input image is not returned as an output (only the chart is)."""
    code = ("import csv, helpers\nplt.style.use('house.mplstyle')\n"
            "rows = list(csv.DictReader(open('data.csv')))\n"
            "plt.figure(figsize=(2, 2))\nplt.bar([r['k'] for r in rows], [helpers.double(float(r['v'])) for r in rows])\n"
            "plt.title(helpers.TITLE)\nprint(Image.open('logo.png').size)\n"
            "try:\n    open('data.csv', 'a').write('x')\nexcept OSError as e:\n    print('refused', type(e).__name__)\n")
    r = _ok(get_pool().render(code, files=_files()))
    assert len(r.images) == 1 and r.images[0].source == "figure 1"
    assert "(6, 6)" in r.log and "refused PermissionError" in r.log
    texts = [e.get("text") for e in r.layouts[0]["elements"] if e["type"] == "text"]
    assert "from helpers" in texts


@pytest.mark.parametrize("name", ["../evil.py", "/etc/passwd", ".hidden", "main.py", "a\x00b", "", "x" * 200])
def test_bad_input_file_names_are_refused(name):
    r = get_pool().render("plt.plot([1])", files=[(name, b"x")])
    assert not r.ok and r.error_type == "RuntimeError" and "input files refused" in r.error


def test_input_files_over_the_cap_are_refused():
    r = render_inprocess("plt.plot([1])", files=[("big.csv", b"0" * (2 * 1024 * 1024 + 1))])
    assert not r.ok and "input files refused" in r.error


def test_vector_save_dpi_is_not_a_raster_canvas():
    """A 12x9 in PDF at dpi=600 is 7200x5400 only on paper: it is not refused (af28d09:
    CanvasTooLarge) and comes back as the figure at its own dpi."""
    code = ("fig = plt.figure(figsize=(12, 9))\nplt.plot([1, 2])\nplt.savefig('p.pdf', dpi=600)\n"
            "plt.savefig('p.eps')\n")
    r = _ok(get_pool().render(code, limits=Limits(max_megapixels=4)))
    assert [(im.width, im.height) for im in r.images] == [(1200, 900), (1200, 900)]
    assert r.images[0].rgba == r.images[1].rgba


def test_vector_save_of_a_huge_figure_is_rendered_smaller():
    # fig.savefig: plt.savefig would also draw the canvas once more at the figure's dpi (pyplot's
    # draw_idle), a real 12 MP raster that the canvas check rightly refuses
    r = _ok(render_inprocess("fig = plt.figure(figsize=(40, 30))\nplt.plot([1, 2])\nfig.savefig('big.svg')\n",
                             limits=Limits(max_megapixels=2)))
    im = r.images[0]
    assert im.width * im.height <= 2e6 and abs(im.width / im.height - 4 / 3) < 0.01
    assert "instead of 100" in r.log


def test_raster_save_beyond_the_limit_is_still_refused():
    r = render_inprocess("plt.figure(figsize=(12, 9))\nplt.plot([1])\nplt.savefig('p.png', dpi=600)\n")
    assert not r.ok and r.error_type == "CanvasTooLarge"


def test_every_figure_comes_back_in_order():
    """Shown then closed, saved, left open: three images in that order (af28d09 returned only the
    saved one)."""
    code = ("plt.figure(figsize=(1, 1))\nplt.title('one')\nplt.show()\nplt.close()\n"
            "fig2 = plt.figure(figsize=(2, 1))\nplt.title('two')\nplt.savefig('two.png')\n"
            "fig3 = plt.figure(figsize=(3, 1))\nplt.title('three')\n")
    r = _ok(render_inprocess(code))
    assert [im.source for im in r.images] == ["figure 1", "output_dir/two.png", "figure 2"]  # numbers reused
    assert [(im.width, im.height) for im in r.images] == [(100, 100), (200, 100), (300, 100)]
    texts = [[e["text"] for e in lay["elements"] if e["type"] == "text"] for lay in r.layouts]
    assert [[t for t in ts if t in ("one", "two", "three")] for ts in texts] == [["one"], ["two"], ["three"]]
    assert r.layout["canvas"] == {"width": 100, "height": 100}


def test_a_saved_figure_is_not_repeated_unless_it_changed():
    saved_only = _ok(render_inprocess("plt.figure(figsize=(2, 1))\nplt.plot([1, 2])\nplt.savefig('a.png')\n"
                                      "plt.show()\n"))
    assert [im.source for im in saved_only.images] == ["output_dir/a.png"]
    changed = _ok(render_inprocess("plt.figure(figsize=(2, 1))\nplt.plot([1, 2])\nplt.savefig('a.png')\n"
                                   "plt.title('later')\n"))
    assert [im.source for im in changed.images] == ["output_dir/a.png", "figure 1"]


def test_show_does_not_draw_again():
    """plt.show() takes the one snapshot; the unchanged figure is not drawn a second time at the
    end (a constrained layout moves on a second draw: af28d09 returned that second draw)."""
    code = ("fig, axs = plt.subplots(2, 2, figsize=(4, 3), layout='constrained')\n"
            "for ax in axs.flat:\n    im = ax.imshow(np.arange(12).reshape(3, 4))\n    ax.set_title('t')\n"
            "fig.colorbar(im, ax=axs)\nfig.suptitle('once')\nplt.show()\n")
    once = _ok(render_inprocess(code))
    plain = _ok(render_inprocess(code.replace("plt.show()\n", "fig.savefig('x.png')\n")))
    assert len(once.images) == 1
    assert hashlib.sha1(once.images[0].rgba).digest() == hashlib.sha1(plain.images[0].rgba).digest()


def test_desktop_and_notebook_idioms_run():
    """matplotlib.use("TkAgg") (af28d09: ImportError, headless), notebook magics (af28d09:
    SyntaxError) and pathlib folders outside scratch."""
    code = ("%matplotlib inline\nimport matplotlib\nmatplotlib.use('TkAgg')\nimport matplotlib.pyplot as plt\n"
            "from pathlib import Path\nout = Path('..') / 'figs'\nout.mkdir(parents=True, exist_ok=True)\n"
            "plt.plot([1, 2])\nplt.savefig(out / 'p.png')\nplt.show()\n")
    r = _ok(get_pool().render(code))
    assert [im.source for im in r.images] == ["../figs/p.png"]
    assert "matplotlib.use('TkAgg') ignored" in r.log
    kept = _ok(render_inprocess("s = '''\n%d items\n''' % 3\nplt.title(s.strip())\n"))
    assert "3 items" in [e.get("text") for e in kept.layout["elements"]]


def test_a_figure_post_processed_through_a_buffer_comes_back_once():
    code = ("import io\nfig = plt.figure(figsize=(2, 1))\nplt.plot([1, 2])\nbuf = io.BytesIO()\n"
            "fig.savefig(buf, format='png')\nbuf.seek(0)\nim = Image.open(buf).convert('L')\n"
            "im.save(os.path.join(output_dir, 'grey.png'))\n")
    r = _ok(render_inprocess(code))
    assert [im.source for im in r.images] == ["output_dir/grey.png"]
    only_buffer = _ok(render_inprocess("import io\nplt.figure(figsize=(2, 1))\nplt.savefig(io.BytesIO())\n"))
    assert [im.source for im in only_buffer.images] == ["figure 1"]


def test_reply_header_stays_under_its_cap():
    """Layouts of many images (or a huge semantic layout) must not push the reply header past
    the protocol's 4 MiB: the draft's layout is sent once (as layouts[0]) and oversize parts are
    dropped with a log line (seen: polar-patterns.py of a public collection failed with
    OutputTooLarge 'header too large', its 2.4 MB semantic layout sent twice)."""
    import json

    from comfyui_coco.sandbox import _protocol
    from comfyui_coco.sandbox._context import JobContext, SaveRecord
    from comfyui_coco.sandbox._reply import build_header

    ctx = JobContext(Limits(), ".")
    big = [{"type": "text", "text": "x" * 200, "bbox": [0, 0, 5, 5]} for _ in range(2000)]
    recs = [SaveRecord(rgba=bytes(4 * 4), size=(2, 2), layout={"elements": list(big), "semantic": {"pad": "y" * 900000}})
            for _ in range(8)]
    header, blobs = build_header(ctx, recs, recs[0])
    assert "layout" not in header and len(header["layouts"]) == 8
    assert len(json.dumps(header)) < _protocol.MAX_HEADER
    assert "left out" in header["log"]
    res = _protocol.to_result(header, b"".join(blobs), Limits(), "test", 0.0)
    assert res.ok and len(res.layouts) == 8 and res.layout["canvas"] == {"width": 2, "height": 2}


def test_a_save_over_an_input_file_replaces_the_jobs_copy():
    """Repositories keep the rendered figure beside the script: a save over that input name
    replaces the job's read-only copy (seen: advanced-linestyles.py of a public collection failed
    with Forbidden, its own PDF was among the files given)."""
    r = _ok(get_pool().render("plt.figure(figsize=(2, 1))\nplt.plot([1, 2])\nplt.savefig('chart.png')\n",
                              files=[("chart.png", _files()[3][1])]))
    assert [(im.source, im.width) for im in r.images] == [("output_dir/chart.png", 200)]
