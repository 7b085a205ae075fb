"""Compatibility corpus: ordinary plotting scripts must render the same inside the sandbox as outside.

Every file in ``corpus/`` is a script in the style people and code-writing models write (CoCo's
contract: an injected ``output_dir``, the usual preloaded names, Agg). Each one is rendered twice:

* sandboxed, in a separate process: ``get_pool().render(code, language="python")``
* unsandboxed, in this process, through the same pipeline: ``render_inprocess(code, language="python")``

and the two results must agree exactly: both ok, same number of images, same sizes, pixel-identical
RGBA, and every image must actually show something (not a single flat colour). A mismatch leaves
both PNGs in a temporary folder named in the failure message.

While the in-process render runs, the sandboxed one runs in its worker process (started from a
helper thread), so the two cores of a small machine are both used.

A second check, ``test_pipeline_matches_plain_matplotlib``, guards fidelity: the pipeline's fix-ups
and capture must not change what ordinary, valid code draws. The whole corpus is run once with plain
``exec`` (no sandbox module imported) in a separate interpreter (``python test_compat.py --plain
OUT``), and each pipeline image must equal it pixel for pixel, except for the few scripts listed in
``EXPECTED_PLAIN_DIFFS`` where the sandbox changes the result on purpose (CJK font fallback).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

CORPUS_DIR = Path(__file__).parent / "corpus"
SCRIPTS = sorted(CORPUS_DIR.glob("[0-9][0-9][0-9]_*.py"))

# Scripts whose pipeline output is meant to differ from plain matplotlib (stem -> why): only where
# plain matplotlib draws a missing glyph as a box and the sandbox's CJK fallback draws the glyph.
EXPECTED_PLAIN_DIFFS = {
    "102_cjk_simhei_line": "SimHei is absent: plain matplotlib draws boxes, the sandbox aliases it to a CJK font",
    "105_cjk_mixed_line_legend": "WenQuanYi has no minus sign: plain matplotlib draws a box, the sandbox's glyph "
                                 "fallback (the CJK font, appended after the script's own fonts) draws it",
}

# In-process renders from test_sandboxed_matches_inprocess, reused by the fidelity test:
# stem -> [(width, height, zlib(rgba), source), ...]
_INPROCESS_CACHE: dict = {}


def test_corpus_is_populated():
    assert len(SCRIPTS) >= 110, f"expected at least 110 corpus scripts in {CORPUS_DIR}, found {len(SCRIPTS)}"


@pytest.fixture(scope="module")
def sandbox():
    from comfyui_coco.sandbox import get_pool, render_inprocess

    return get_pool(), render_inprocess


@pytest.fixture(scope="module")
def helper_thread():
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="compat-sandbox") as ex:
        yield ex


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    return tmp_path_factory.mktemp("sandbox_compat")


def _describe(res) -> str:
    parts = [f"ok={res.ok}", f"error_type={getattr(res, 'error_type', None)}", f"error={res.error!r}"]
    tb = getattr(res, "traceback", None)
    if tb:
        parts.append("traceback:\n" + str(tb)[-3000:])
    if res.log:
        parts.append("log:\n" + str(res.log)[-2000:])
    return "\n".join(parts)


def _pixels(img) -> np.ndarray:
    assert len(img.rgba) == img.width * img.height * 4, (
        f"{img.source}: rgba has {len(img.rgba)} bytes, expected {img.width}x{img.height}x4")
    return np.frombuffer(img.rgba, dtype=np.uint8).reshape(img.height, img.width, 4)


def _save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(arr), "RGBA").save(path)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_sandboxed_matches_inprocess(script, sandbox, helper_thread, artifacts):
    pool, render_inprocess = sandbox
    code = script.read_text(encoding="utf-8")

    boxed_future = helper_thread.submit(pool.render, code, language="python")
    try:
        ref = render_inprocess(code, language="python")
    finally:
        res = boxed_future.result()

    assert ref.ok, f"{script.name}: unsandboxed render failed (corpus script is broken?)\n{_describe(ref)}"
    _INPROCESS_CACHE[script.stem] = [(i.width, i.height, zlib.compress(i.rgba, 1), getattr(i, "source", "?"))
                                     for i in ref.images]
    assert res.ok, (f"{script.name}: SANDBOX-ONLY failure (the same code renders fine unsandboxed)\n"
                    f"{_describe(res)}")

    ref_sources = [getattr(i, "source", "?") for i in ref.images]
    res_sources = [getattr(i, "source", "?") for i in res.images]
    assert ref.images, f"{script.name}: no image produced unsandboxed\n{_describe(ref)}"
    assert len(res.images) == len(ref.images), (
        f"{script.name}: sandbox produced {len(res.images)} image(s) {res_sources}, "
        f"unsandboxed {len(ref.images)} {ref_sources}")

    problems = []
    for k, (a, b) in enumerate(zip(res.images, ref.images)):
        tag = f"image {k} ({getattr(b, 'source', '?')})"
        if (a.width, a.height) != (b.width, b.height):
            problems.append(f"{tag}: size sandboxed {a.width}x{a.height} != unsandboxed {b.width}x{b.height}")
            continue
        pa, pb = _pixels(a), _pixels(b)
        flat = pb.reshape(-1, 4)
        if (flat == flat[0]).all():
            problems.append(f"{tag}: blank image, every pixel is RGBA{tuple(int(v) for v in flat[0])}")
        if not np.array_equal(pa, pb):
            diff = np.abs(pa.astype(np.int16) - pb.astype(np.int16))
            n_px = int(diff.any(axis=2).sum())
            ys, xs = np.nonzero(diff.any(axis=2))
            base = artifacts / f"{script.stem}_{k}"
            _save_png(pa, base.with_name(base.name + "_sandboxed.png"))
            _save_png(pb, base.with_name(base.name + "_inprocess.png"))
            problems.append(
                f"{tag}: {n_px} of {pa.shape[0] * pa.shape[1]} pixels differ, max abs diff {int(diff.max())}, "
                f"within x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}; "
                f"PNGs: {base}_sandboxed.png / {base}_inprocess.png")
    if problems:
        pytest.fail(f"{script.name}:\n  " + "\n  ".join(problems), pytrace=False)


# --------------------------------------------------------------------------------------------------
# Fidelity: the pipeline (fix-ups, capture) must draw valid code exactly as plain matplotlib/PIL does.

@pytest.fixture(scope="module")
def plain_renders(tmp_path_factory):
    """Starts the plain run of the whole corpus in a separate interpreter right away (it overlaps the
    sandbox comparisons); the fixture value waits for it and returns its index."""
    out = tmp_path_factory.mktemp("plain_renders")
    # A private, fresh matplotlib cache (about a second to build): a font cache made before fonts
    # were installed would hide them from the plain run but not from the sandbox.
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path_factory.mktemp("plain_mplconfig")))
    proc = subprocess.Popen([sys.executable, __file__, "--plain", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    state = {}

    def wait():
        if not state:
            log, _ = proc.communicate(timeout=900)
            index = out / "index.json"
            assert proc.returncode == 0 and index.exists(), (
                f"plain corpus run failed (rc={proc.returncode}):\n{log.decode(errors='replace')[-4000:]}")
            state["index"] = json.loads(index.read_text())
            state["dir"] = out
        return state
    yield wait
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module", autouse=True)
def _start_plain_early(request):
    # Requesting the fixture starts the subprocess before the first (slow) sandbox comparison.
    if any(SCRIPTS):
        request.getfixturevalue("plain_renders")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_pipeline_matches_plain_matplotlib(script, plain_renders, sandbox, artifacts):
    if script.stem in EXPECTED_PLAIN_DIFFS:
        pytest.skip("expected difference: " + EXPECTED_PLAIN_DIFFS[script.stem])
    cached = _INPROCESS_CACHE.get(script.stem)
    if cached is None:
        _, render_inprocess = sandbox
        ref = render_inprocess(script.read_text(encoding="utf-8"), language="python")
        assert ref.ok, f"{script.name}: unsandboxed render failed\n{_describe(ref)}"
        cached = [(i.width, i.height, zlib.compress(i.rgba, 1), getattr(i, "source", "?")) for i in ref.images]
    state = plain_renders()
    plain = state["index"].get(script.name)
    assert plain is not None and "error" not in plain, f"{script.name}: plain run failed: {plain}"
    assert len(cached) == len(plain["images"]), (
        f"{script.name}: pipeline captured {len(cached)} image(s) {[c[3] for c in cached]}, "
        f"plain matplotlib {len(plain['images'])} {plain['images']}")

    from PIL import Image

    problems = []
    for k, ((w, h, z, source), fname) in enumerate(zip(cached, plain["images"])):
        pb = np.asarray(Image.open(state["dir"] / fname).convert("RGBA"))
        if (w, h) != (pb.shape[1], pb.shape[0]):
            problems.append(f"image {k} ({source}): pipeline {w}x{h}, plain {pb.shape[1]}x{pb.shape[0]}")
            continue
        pa = np.frombuffer(zlib.decompress(z), dtype=np.uint8).reshape(h, w, 4)
        if not np.array_equal(pa, pb):
            diff = np.abs(pa.astype(np.int16) - pb.astype(np.int16))
            n_px = int(diff.any(axis=2).sum())
            base = artifacts / f"{script.stem}_{k}"
            _save_png(pa, base.with_name(base.name + "_pipeline.png"))
            _save_png(pb, base.with_name(base.name + "_plain.png"))
            problems.append(f"image {k} ({source}): {n_px} of {w * h} pixels differ from plain matplotlib, "
                            f"max abs diff {int(diff.max())}; PNGs: {base}_pipeline.png / {base}_plain.png")
    if problems:
        pytest.fail(f"{script.name}: the pipeline changes what valid code draws:\n  " + "\n  ".join(problems),
                    pytrace=False)


def _plain_main(out_dir: str) -> None:
    """Runs every corpus script with plain exec under CoCo's contract (output_dir + the preloaded
    names, Agg) and no sandbox code at all; writes <stem>_<k>.png and index.json into out_dir.
    Files saved into output_dir are the images (sorted by name); if none, the current figure."""
    import io
    import math
    import random
    import shutil
    import tempfile
    import traceback
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.gridspec as gridspec
    import matplotlib.lines as mlines
    import matplotlib.patheffects as patheffects
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker
    import matplotlib.transforms as transforms
    import matplotlib.colors as mcolors
    from PIL import Image

    warnings.simplefilter("ignore")
    exts = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
    index = {}
    for path in SCRIPTS:
        work = tempfile.mkdtemp(prefix="coco-plain-")
        g = dict(__name__="__main__", os=os, json=json, math=math, random=random, np=np, plt=plt, Image=Image,
                 patches=patches, mpatches=patches, mcolors=mcolors, mticker=mticker, mlines=mlines,
                 gridspec=gridspec, transforms=transforms, patheffects=patheffects, matplotlib=matplotlib,
                 output_dir=work)
        try:
            exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), g)
            saved = sorted(f for f in os.listdir(work) if f.lower().endswith(exts))
            if saved:
                imgs = [Image.open(os.path.join(work, f)) for f in saved]
            elif plt.get_fignums():
                buf = io.BytesIO()
                plt.gcf().savefig(buf, format="png")
                buf.seek(0)
                imgs = [Image.open(buf)]
            else:
                imgs = []
            names = []
            for k, im in enumerate(imgs):
                name = f"{path.stem}_{k}.png"
                im.convert("RGBA").save(os.path.join(out_dir, name))
                names.append(name)
            index[path.name] = {"images": names}
        except Exception:  # noqa: BLE001
            index[path.name] = {"error": traceback.format_exc()[-2000:]}
        finally:
            plt.close("all")
            matplotlib.rcdefaults()
            shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--plain":
    _plain_main(sys.argv[2])
