"""Peak RAM and time of loading a scaled BAGEL checkpoint: bf16 folder vs fp8 single file.

One run, side by side. It writes a checkpoint with the real key layout and scaled sizes (seeded
random weights, ``tests/models/make_tiny.py``): an official bf16 folder and the fp8 single file
converted from it by ``convert.py``. Then each load runs in a fresh subprocess:

* ``bf16 folder``: ``load_coco(folder, "bf16")``
* ``fp8 from folder``: ``load_coco(folder, "fp8_e4m3fn")`` (bf16 -> fp8 while streaming)
* ``fp8 single file``: ``load_coco(file, "fp8_e4m3fn")``

Each subprocess reports ``ru_maxrss`` after its imports (the baseline: Python, torch, ComfyUI)
and after the load, the load time, and the bytes of the loaded tensors. The ratio
fp8 / bf16 is printed for the raw peak and for the peak above the baseline (target <= 0.55).
The files are read through the page cache (written just before), so times are warm-cache times.

    .venv/bin/python bench/load.py [--hidden 2048 --layers 8 --intermediate 8192] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _child(path: str, weight_dtype: str) -> None:
    sys.path.insert(0, str(REPO))
    from models.bagel.convert import ensure_comfy

    ensure_comfy()
    import torch

    from models.bagel import loader, modeling, pipeline  # noqa: F401  (imports count in the baseline)

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    model = loader.load_coco(path, weight_dtype)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tensors = {}  # by storage pointer: tensors shared between the parts count once
    for patcher in (model.llm_patcher, model.vit_patcher):
        for t in list(patcher.model.parameters()) + list(patcher.model.buffers()):
            tensors[t.data_ptr()] = t.numel() * t.element_size()
    dtypes = sorted({str(p.dtype) for pt in (model.llm_patcher, model.vit_patcher) for p in pt.model.parameters()})
    print(json.dumps({"base": base, "peak": peak, "seconds": dt, "model_bytes": sum(tensors.values()),
                      "dtypes": dtypes, "torch": torch.__version__}))


def _child_convert(src: str, out: str) -> None:
    sys.path.insert(0, str(REPO))
    from models.bagel.convert import ensure_comfy

    ensure_comfy()
    from models.bagel import convert, modeling  # noqa: F401

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    convert.convert_checkpoint(src, out, "fp8_e4m3fn", overwrite=True)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"base": base, "peak": peak, "seconds": dt}))


def _run(path: Path, weight_dtype: str, mode: str = "--child") -> dict:
    r = subprocess.run([sys.executable, __file__, mode, str(path), weight_dtype], capture_output=True,
                       text=True, cwd=str(REPO))
    if r.returncode:
        raise SystemExit(f"load of {path} ({weight_dtype}) failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--intermediate", type=int, default=8192)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--dir", default=None, help="where to write the checkpoints (default: a temp dir, removed)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-convert", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return _child(*a.child)
    if a.child_convert:
        return _child_convert(*a.child_convert)

    sys.path.insert(0, str(REPO / "tests" / "models"))
    sys.path.insert(0, str(REPO))
    from models.bagel.convert import ensure_comfy

    ensure_comfy()
    import make_tiny

    work = Path(a.dir or tempfile.mkdtemp(prefix="coco-bench-load-"))
    try:
        sizes = dict(hidden=a.hidden, layers=a.layers, intermediate=a.intermediate, heads=a.heads,
                     kv_heads=a.kv_heads, vocab=a.vocab, vit_hidden=512, vit_layers=2, vit_patches=8, latent_size=8)
        folder, single = work / "bench_bf16", work / "bench_fp8.safetensors"
        t0 = time.perf_counter()
        if not (folder / "ema.safetensors").exists():
            make_tiny.make_folder(folder, seed=0, **sizes)
        t1 = time.perf_counter()
        conv = _run(folder, str(single), "--child-convert")  # convert.py in its own process
        t2 = t1 + conv["seconds"]
        shapes = make_tiny.official_shapes(*make_tiny.tiny_configs(**sizes))
        params = sum(int(torch_numel(s)) for s in shapes.values())
        print(f"model: hidden {a.hidden}, {a.layers} MoT layers, intermediate {a.intermediate}, vocab {a.vocab}: "
              f"{params / 1e6:.0f} M params, {len(shapes)} tensors")
        print(f"files: ema.safetensors {(folder / 'ema.safetensors').stat().st_size / 2**20:.0f} MiB "
              f"(written in {t1 - t0:.1f} s), fp8 single file {single.stat().st_size / 2**20:.0f} MiB "
              f"(converted in {t2 - t1:.1f} s)")
        runs = [("bf16 folder", folder, "bf16"), ("fp8 from folder", folder, "fp8_e4m3fn"),
                ("fp8 single file", single, "fp8_e4m3fn")]
        res = {name: _run(path, wd) for name, path, wd in runs}
        mib = 2 ** 20
        print(f"\n{'load':<17}{'time s':>8}{'model MiB':>11}{'baseline MiB':>14}{'peak MiB':>10}{'peak-base MiB':>15}")
        for name, r in res.items():
            print(f"{name:<17}{r['seconds']:>8.2f}{r['model_bytes'] / mib:>11.0f}{r['base'] / mib:>14.0f}"
                  f"{r['peak'] / mib:>10.0f}{(r['peak'] - r['base']) / mib:>15.0f}   {', '.join(r['dtypes'])}")
        print(f"{'convert -> fp8':<17}{conv['seconds']:>8.2f}{'':>11}{conv['base'] / mib:>14.0f}"
              f"{conv['peak'] / mib:>10.0f}{(conv['peak'] - conv['base']) / mib:>15.0f}   (streaming writer)")
        b, f = res["bf16 folder"], res["fp8 single file"]
        raw = f["peak"] / b["peak"]
        net = (f["peak"] - f["base"]) / (b["peak"] - b["base"])
        print(f"\nfp8 single file / bf16 folder: peak RSS {raw:.2f}x, peak above baseline {net:.2f}x "
              f"(target <= 0.55), time {f['seconds'] / b['seconds']:.2f}x")
        ff = res["fp8 from folder"]
        print(f"fp8 from folder / bf16 folder: peak above baseline "
              f"{(ff['peak'] - ff['base']) / (b['peak'] - b['base']):.2f}x, time {ff['seconds'] / b['seconds']:.2f}x")
    finally:
        if not a.dir:
            shutil.rmtree(work, ignore_errors=True)


def torch_numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


if __name__ == "__main__":
    main()
