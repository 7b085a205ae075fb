"""How much real-world plotting code runs unchanged in the sandbox, and draws what plain matplotlib draws.

Point it at a local copy of any collection of matplotlib scripts (e.g. a clone of a teaching
repository). For every script:

* sandboxed: ``get_pool().render(script, files=<the files beside it>)``, as a user would paste it
  with a CoCo_InputFiles node holding its folder's files (flat names, <= 2 MiB, <= 32 files);
* plain: the same script run by plain Python in a copy of the whole tree (cwd = its folder, so
  ``../data`` reads work there; a separate interpreter per script), missing save folders made; images = every save (vector saves drawn
  at the figure's dpi), then the figures open at ``plt.show()``/the end, as the sandbox returns them.

Prints how many ran, how many matched pixel for pixel, and why the others did not.

Usage (repo root):  .venv/bin/python bench/compat_collection.py PATH [--glob 'code/**/*.py'] [--limit N]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_FILES_BYTES = 2 * 1024 * 1024


def plain_run(script: str, out_dir: str) -> None:
    """Run ``script`` with plain matplotlib (cwd = its folder, missing save folders made); write
    <k>.png and index.json (the recorder: tests/sandbox/plain_matplotlib.py)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "sandbox"))
    from plain_matplotlib import PlainRecorder

    rec = PlainRecorder(make_dirs=True)
    names = []
    for k, img in enumerate(rec.run(script)[:16]):
        names.append(f"{k}.png")
        rec.save_png(img, os.path.join(out_dir, names[-1]))
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump({"images": names}, f)


def _plain_twice_differs(script, work, env, timeout, first_out) -> bool:
    """Run the plain reference once more: True when its images differ from the first run's."""
    import numpy as np
    from PIL import Image

    out = tempfile.mkdtemp(prefix="plain2-", dir=work)
    try:
        p = subprocess.run([sys.executable, __file__, "--plain", script, out], env=env, capture_output=True,
                           timeout=timeout * 3)
    except subprocess.TimeoutExpired:
        return False
    if p.returncode != 0:
        return True
    a = json.load(open(os.path.join(first_out, "index.json")))["images"]
    b = json.load(open(os.path.join(out, "index.json")))["images"]
    if a != b:
        return True
    return any(not np.array_equal(np.asarray(Image.open(os.path.join(first_out, x))),
                                  np.asarray(Image.open(os.path.join(out, x)))) for x in a)


def sibling_files(script: str) -> list:
    files, total = [], 0
    folder = os.path.dirname(script)
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if p == script or not os.path.isfile(p) or name.startswith("."):
            continue
        size = os.path.getsize(p)
        if total + size > MAX_FILES_BYTES or len(files) >= 32:
            continue
        with open(p, "rb") as f:
            files.append((name, f.read()))
        total += size
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--glob", default="**/*.py")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated paths relative to the root")
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    sys.path.insert(0, REPO)
    import numpy as np
    from PIL import Image

    from sandbox import Limits, get_pool

    work = tempfile.mkdtemp(prefix="coco-collection-")
    tree = os.path.join(work, "a", "b", "tree")
    shutil.copytree(a.root, tree, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    scripts = sorted(glob.glob(os.path.join(tree, a.glob), recursive=True))
    scripts = [s for s in scripts if os.path.isfile(s)]
    if a.only:
        scripts = [s for s in scripts if os.path.relpath(s, tree) in a.only.split(",")]
    scripts = scripts[: a.limit or None]
    pool = get_pool()
    why = collections.Counter()
    ran = matched = nondet = 0
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=tempfile.mkdtemp(prefix="coco-collection-mpl-"))
    for i, script in enumerate(scripts):
        rel = os.path.relpath(script, tree)
        with open(script, encoding="utf-8", errors="replace") as f:
            code = f.read()
        res = pool.render(code, language="python", files=sibling_files(script),
                          limits=Limits(timeout_s=a.timeout, cpu_s=int(a.timeout)))
        out = tempfile.mkdtemp(prefix="plain-", dir=work)
        try:
            p = subprocess.run([sys.executable, __file__, "--plain", script, out],
                               env=env, capture_output=True, timeout=a.timeout * 3)
            plain_ok = p.returncode == 0
        except subprocess.TimeoutExpired:
            plain_ok = False
        plain_images = json.load(open(os.path.join(out, "index.json")))["images"] if plain_ok else []
        if not plain_ok:
            why["plain matplotlib fails too"] += 1
            verdict = "plain fails"
        elif not plain_images:
            why["draws nothing with plain matplotlib either (a module)"] += 1
            verdict = "no image in plain either"
        elif not res.ok:
            key = f"{res.error_type}: {(res.error or '').split(':')[0][:60]}"
            why[key] += 1
            verdict = f"FAILED {res.error_type}: {(res.error or '')[:100]}"
        else:
            ran += 1
            names = plain_images
            same = len(names) == len(res.images)
            for im, name in zip(res.images, names):
                pb = np.asarray(Image.open(os.path.join(out, name)).convert("RGBA"))
                pa = np.frombuffer(im.rgba, np.uint8).reshape(im.height, im.width, 4)
                same = same and pa.shape == pb.shape and np.array_equal(pa, pb)
            if not same and _plain_twice_differs(script, work, env, a.timeout, out):
                why["not deterministic (a second plain run differs too)"] += 1
                verdict = "not deterministic"
                ran -= 1
                nondet += 1
            else:
                matched += same
                if not same:
                    why["ran, pixels differ"] += 1
                verdict = "match" if same else f"differs ({len(res.images)} vs {len(names)} images)"
        print(f"[{i + 1}/{len(scripts)}] {rel}: {verdict}", flush=True)
    n = len(scripts)
    plain_fail = why.pop("plain matplotlib fails too", 0) + why.pop("draws nothing with plain matplotlib either (a module)", 0)
    print(f"\n{n} scripts; plain matplotlib fails or draws nothing on {plain_fail}, {nondet} draw differently on "
          f"every run (random without a seed); neither is counted below")
    m = n - plain_fail - nondet
    print(f"sandbox ran {ran}/{m}; pixel-identical to plain matplotlib {matched}/{m}")
    for k, v in why.most_common():
        print(f"  {v:4d}  {k}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plain":
        plain_run(sys.argv[2], sys.argv[3])
    else:
        main()
