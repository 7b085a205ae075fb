"""Noise floor of the text scores: each public prompt's required strings drawn plainly (our own
simple matplotlib code, one line per wrapped string, dark text on white) through the drawing-only
path (sandbox pool), OCR'd and scored with the official rules. Whatever is lost here is lost by
OCR, not by a model: LongText EN must reach >= 0.99.

Usage (pack folder):  .venv/bin/python bench/eval_noise_floor.py [--limit N] [--every N] [--sets en,zh,oneig_en,oneig_zh]
                      [--out DIR]   (a rerun with the same --out resumes)
Prints per set the official score, failures, and OCR seconds per image (mean, median, max), and
writes the usual report (report.html/json, summary.txt) into --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVALS = os.path.join(os.path.dirname(REPO), "shared", "evals")
SETS = {"en": "longtext_bench/text_prompts.jsonl", "zh": "longtext_bench/text_prompts_zh.jsonl",
        "oneig_en": "oneig_bench_text/text_content.csv", "oneig_zh": "oneig_bench_text/text_content_zh.csv"}


def _pack():
    if "comfyui_coco" not in sys.modules:
        spec = importlib.util.spec_from_file_location("comfyui_coco", os.path.join(REPO, "__init__.py"),
                                                      submodule_search_locations=[REPO])
        mod = importlib.util.module_from_spec(spec)
        sys.modules["comfyui_coco"] = mod
        spec.loader.exec_module(mod)
    import comfyui_coco.evaluation as ev  # noqa: F401
    return sys.modules["comfyui_coco"]


def plain_code(strings: list[str], lang: str) -> str:
    """Python drawing code that writes the strings, wrapped, on a white canvas."""
    lines = []
    for s in strings:
        for part in s.split("\n"):
            wrapped = textwrap.wrap(part, 60) if lang == "en" else [part[i:i + 32] for i in range(0, len(part), 32)]
            lines += wrapped or [""]
        lines.append("")
    lines = lines[:-1] or [""]
    step, top = 40, 50
    h = top + step * len(lines) + 20
    return (f"LINES = {lines!r}\nW, H = 1400, {h}\n"
            "fig = plt.figure(figsize=(W / 100, H / 100), dpi=100)\n"
            f"for i, line in enumerate(LINES):\n"
            f"    fig.text(30 / W, 1 - ({top} + {step} * i) / H, line, fontsize=18, ha='left', va='center', color='#111111',\n"
            "             parse_math=False)\n"
            "fig.savefig(os.path.join(output_dir, 'draft.png'), dpi=100)\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="en,zh")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--retry-failed", action="store_true", help="run again the items recorded as failed")
    args = ap.parse_args()
    pack = _pack()
    from comfyui_coco.evaluation import aggregate, report, runner, sets
    from comfyui_coco.evaluation.store import Store

    out = args.out or tempfile.mkdtemp(prefix="coco-noise-floor-")
    code_dir = os.path.join(out, "codes")
    print(f"results: {out}")
    for name in args.sets.split(","):
        items = sets.select(sets.load_set(os.path.join(EVALS, SETS[name])), args.limit, every=args.every)
        for it in items:
            d = os.path.join(code_dir, it.set)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, it.id + ".py"), "w", encoding="utf-8") as f:
                f.write(plain_code(it.required_text, it.lang))
        store = Store(out)
        t0 = time.perf_counter()
        counts = runner.run(items, runner.DrawingSource(code_dir, timeout_s=60), store,
                            retry_failed=args.retry_failed)
        wall = time.perf_counter() - t0
        recs = [store.records[f"{it.set}/{it.id}"] for it in items]
        s = aggregate.summarize(recs)
        ocr_s = [r["ocr"]["draft"]["seconds"] for r in recs if "seconds" in (r.get("ocr") or {}).get("draft", {})]
        head = (f"{items[0].set}: n={len(items)} (every {args.every}, limit {args.limit}) ok={s['ok']} failed={s['failed']} "
                f"timeout={s['timeout']} errors={s['error']}")
        if s.get("longtext_draft") is not None:
            head += f"  LongText recall {s['longtext_draft']:.4f}"
        if s.get("oneig_draft"):
            o = s["oneig_draft"]
            head += f"  OneIG score {o['score']:.4f} (ED {o['ED']:.2f}, CR {o['CR']:.3f}, WAC {o['WAC']:.4f})"
        print(head)
        if ocr_s:
            print(f"    OCR s/image: mean {statistics.mean(ocr_s):.2f}, median {statistics.median(ocr_s):.2f}, "
                  f"max {max(ocr_s):.2f}; engine {recs[0]['ocr']['draft'].get('engine')}; this run {counts}, {wall:.0f} s")
        for e in s.get("ocr_errors", []):
            print(f"    {e}")
        worst = sorted((r for r in recs if r["primary"]["text_score"] is not None), key=lambda r: r["primary"]["text_score"])[:3]
        for r in worst:
            t = r["text"]["draft"]
            miss = t.get("longtext", {}).get("missing", [])[:12]
            print(f"    worst {r['id']}: {r['primary']['text_score']:.3f} missing {miss}")
    rep = report.write_all(Store(out).all(), out, {"source_desc": "noise floor: required strings drawn plainly"})
    print(f"report: {rep['paths']['html']}")
    del pack
    return 0


if __name__ == "__main__":
    sys.exit(main())
