"""Real-world style scripts run unchanged in the sandbox and draw what plain matplotlib draws.

Each folder of ``corpus_realworld/`` is one script as people keep them in repositories and teaching
collections (our own code, written in that style): ``main.py`` plus the files beside it (CSV, JSON,
a text table, a ``.mplstyle``, a helper module, an input image) and ``case.json`` (the folders a
plain run needs to exist, the number of images). The scripts save into relative folders that do
not exist in the sandbox (``../../figures/chapter-03/x.pdf``), build paths from ``__file__``, save
PDF/SVG/EPS (``dpi=600`` on a big PDF), make several figures, ``plt.show()`` between them.

* sandboxed: ``get_pool().render(main.py, files=<the other files>)`` — the real isolated worker;
* reference: the same script run by plain Python (``runpy``, Agg) in a temp dir where the data
  files sit beside it and its output folders exist (``python test_compat_realworld.py --plain``,
  a separate interpreter that never imports the sandbox). The reference applies the sandbox's
  contract with plain matplotlib only: every save is an image (a raster file read back; a vector
  save drawn by ``savefig(format="png", dpi=fig.dpi)``, same bbox options), then the figures
  open at ``plt.show()``/the end that no image shows unchanged, in the order they were made.

Every image must match pixel for pixel. Seen failing with the runner of af28d09 (before saves
anywhere, input files, vector saves as images, every figure): 11 of the first 12 cases fail — 9 do not
run (missing data/style/module, missing folder, ``__file__``, the dpi=600 PDF refused as a canvas),
constrained_colorbar_show differs (the figure was drawn again after ``plt.show()``) and
sans_serif_choice differs (the sandbox's ``font.family`` overrode the script's ``font.sans-serif``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

CORPUS = Path(__file__).parent / "corpus_realworld"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "main.py").exists())


def case_files(case: Path) -> list:
    return [(p.name, p.read_bytes()) for p in sorted(case.iterdir())
            if p.is_file() and p.name not in ("main.py", "case.json")]


def test_corpus_is_populated():
    assert len(CASES) >= 14


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    out = tmp_path_factory.mktemp("realworld_plain")
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path_factory.mktemp("realworld_mplconfig")))
    proc = subprocess.Popen([sys.executable, __file__, "--plain", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    state = {}

    def wait():
        if not state:
            log, _ = proc.communicate(timeout=600)
            assert proc.returncode == 0, f"plain run failed:\n{log.decode(errors='replace')[-4000:]}"
            state["index"] = json.loads((out / "index.json").read_text())
            state["dir"] = out
        return state
    yield wait
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_realworld_script_matches_plain_matplotlib(case, plain):
    from PIL import Image

    from comfyui_coco.sandbox import get_pool

    want = json.loads((case / "case.json").read_text())["images"]
    res = get_pool().render((case / "main.py").read_text(), language="python", files=case_files(case))
    assert res.ok, f"{case.name}: {res.error_type}: {res.error}\n{res.traceback}\n{res.log}"
    state = plain()
    ref = state["index"][case.name]
    assert "error" not in ref, f"{case.name}: the plain run failed: {ref.get('error')}"
    sources = [im.source for im in res.images]
    assert len(res.images) == len(ref["images"]) == want, (sources, ref["images"])
    assert len(res.layouts) == len(res.images)
    for k, (im, name) in enumerate(zip(res.images, ref["images"])):
        pb = np.asarray(Image.open(state["dir"] / name).convert("RGBA"))
        pa = np.frombuffer(im.rgba, np.uint8).reshape(im.height, im.width, 4)
        assert pa.shape == pb.shape, f"{case.name} image {k} ({im.source}): {pa.shape} != plain {pb.shape}"
        if not np.array_equal(pa, pb):
            n = int(np.any(pa != pb, axis=2).sum())
            keep = Path(tempfile.mkdtemp(prefix=f"realworld-{case.name}-"))
            Image.fromarray(pa.copy(), "RGBA").save(keep / "sandbox.png")
            Image.fromarray(pb.copy(), "RGBA").save(keep / "plain.png")
            pytest.fail(f"{case.name} image {k} ({im.source}): {n} pixels differ from plain matplotlib; {keep}")


# ---------------------------------------------------------------------------------------------- plain

def _plain_main(out_dir: str) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    from plain_matplotlib import PlainRecorder     # this folder is sys.path[0] of the --plain run

    rec = PlainRecorder()
    index = {}
    home, argv = os.getcwd(), sys.argv
    for case in CASES:
        root = tempfile.mkdtemp(prefix="coco-realworld-plain-")
        work = os.path.join(root, "repo", "chapter", "src")
        shutil.copytree(case, work)
        for d in json.loads((case / "case.json").read_text())["dirs"]:
            os.makedirs(os.path.join(work, d), exist_ok=True)
        mods = set(sys.modules)
        try:
            names = []
            for k, img in enumerate(rec.run(os.path.join(work, "main.py"))):
                names.append(f"{case.name}_{k}.png")
                rec.save_png(img, os.path.join(out_dir, names[-1]))
            index[case.name] = {"images": names}
        except Exception as e:  # noqa: BLE001
            import traceback
            index[case.name] = {"error": f"{type(e).__name__}: {e}\n{traceback.format_exc()[-1500:]}"}
        finally:
            os.chdir(home)
            sys.argv = argv
            if work in sys.path:
                sys.path.remove(work)
            for name in set(sys.modules) - mods:
                if (getattr(sys.modules[name], "__file__", "") or "").startswith(work):
                    del sys.modules[name]
            plt.close("all")
            matplotlib.rcdefaults()
            shutil.rmtree(root, ignore_errors=True)
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--plain":
    _plain_main(sys.argv[2])
