"""CLI: python -m sandbox render FILE [-o OUT.png] [--layout OUT.json] [--mask OUT.png] [--language auto]
        python -m sandbox info
Run from the repo root. FILE may be '-' for stdin."""

from __future__ import annotations

import argparse
import json
import sys

from . import Limits, SandboxPool


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m sandbox", description="Render drawing code in the sandbox.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render a Python or SVG file")
    r.add_argument("file")
    r.add_argument("-o", "--output", help="PNG path for the first image (more images: name-1.png, ...)")
    r.add_argument("--layout", help="write the layout JSON here")
    r.add_argument("--mask", help="write the text mask PNG here")
    r.add_argument("--language", default="auto", choices=["auto", "python", "svg"])
    r.add_argument("--isolation", default="auto", choices=["auto", "strong", "partial", "none", "spawn"])
    r.add_argument("--timeout", type=float, default=20.0)
    r.add_argument("--max-megapixels", type=float, default=4.0)
    sub.add_parser("info", help="print the isolation tier available here")
    a = ap.parse_args(argv)
    if a.cmd == "info":
        with SandboxPool() as pool:
            info = pool.isolation()
            print(json.dumps(info.__dict__, indent=2))
        return 0
    code = sys.stdin.read() if a.file == "-" else open(a.file, encoding="utf-8").read()
    with SandboxPool(isolation=a.isolation) as pool:
        res = pool.render(code, a.language, Limits(timeout_s=a.timeout, max_megapixels=a.max_megapixels))
    print(f"ok={res.ok} tier={res.tier} {res.duration_s * 1000:.0f} ms images="
          f"{[(i.width, i.height, i.source) for i in res.images]}")
    if res.log:
        print("--- log\n" + res.log)
    if not res.ok:
        print(f"--- error [{res.error_type}] {res.error}")
        if res.traceback:
            print(res.traceback)
        return 1
    if a.output:
        from PIL import Image
        base = a.output[:-4] if a.output.lower().endswith(".png") else a.output
        for i, im in enumerate(res.images):
            Image.frombytes("RGBA", (im.width, im.height), im.rgba).save(a.output if i == 0 else f"{base}-{i}.png")
    if a.layout:
        with open(a.layout, "w", encoding="utf-8") as f:
            json.dump(res.layout, f, ensure_ascii=False, indent=1)
    if a.mask and res.text_mask is not None:
        from PIL import Image
        im0 = res.images[0]
        Image.frombytes("L", (im0.width, im0.height), res.text_mask).save(a.mask)
    return 0


if __name__ == "__main__":
    sys.exit(main())
