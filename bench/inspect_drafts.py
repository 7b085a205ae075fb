"""The inspector on the labelled set (tests/verify/labelled_set.py): precision and recall per
finding kind, exact (layout) checks and OCR side by side, plus the time each part takes.

Each case is a real drawing rendered by the sandbox, either correct or broken one way. A kind is
"predicted" for a case when the inspector reports a failed finding of that kind; it is "true" when
the case is labelled with it. OCR ("ocr_text") is scored against the cases whose required text is
really missing from the pixels (missing_text, wrong_category, wrong_axis_label). The model critique is not scored (no model here).

Usage (repo root):  .venv/bin/python bench/inspect_drafts.py [--no-ocr]
(Not named inspect.py: a script in bench/ would shadow the standard library module inspect.)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests", "verify"))

import labelled_set as LS  # noqa: E402
from sandbox import get_pool  # noqa: E402
from verify import ocr as O  # noqa: E402
from verify.inspector import InspectSettings, inspect_draft  # noqa: E402

OCR_TRUE = {"missing_text", "wrong_category", "wrong_axis_label"}  # required text absent from the pixels


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-ocr", action="store_true", help="skip OCR (exact checks only)")
    args = ap.parse_args()
    pool = get_pool()
    cases = LS.cases()
    kinds = list(LS.EXACT_KINDS)
    use_ocr = not args.no_ocr
    if use_ocr:
        for lang in ("en", "zh"):
            ok, msg = O.available(lang)
            print(f"OCR {lang}: {msg}")
        kinds.append("ocr_text")
    tp = dict.fromkeys(kinds, 0)
    fp = dict.fromkeys(kinds, 0)
    fn = dict.fromkeys(kinds, 0)
    t_exact = t_ocr = 0.0
    print(f"\n{'case':<22} {'labelled':<28} {'reported (exact)':<34} {'ocr misses'}")
    for c in cases:
        res = pool.render(c.code, language="python")
        if not res.ok:
            print(f"{c.name:<22} RENDER FAILED: {res.error}")
            return 1
        img = res.images[0].to_pil()
        t0 = time.perf_counter()
        rep = inspect_draft(img, res.layout, c.spec["prompt"], InspectSettings(spec=c.spec, ocr="off"))
        t_exact += time.perf_counter() - t0
        got = {f["kind"] for f in rep.findings if not f["ok"]}
        truth = set(c.expect)
        misses = []
        if use_ocr:
            t0 = time.perf_counter()
            orep = inspect_draft(img, res.layout, c.spec["prompt"], InspectSettings(spec=c.spec, ocr="auto"))
            t_ocr += time.perf_counter() - t0
            misses = [f["expected"] for f in orep.findings if f["kind"] == "ocr_text" and not f["ok"]]
            if misses:
                got.add("ocr_text")
            if c.name in OCR_TRUE:
                truth.add("ocr_text")
        for k in kinds:
            if k in got and k in truth:
                tp[k] += 1
            elif k in got:
                fp[k] += 1
            elif k in truth:
                fn[k] += 1
        print(f"{c.name:<22} {','.join(sorted(c.expect)) or '-':<28} "
              f"{','.join(sorted(got - {'ocr_text'})) or '-':<34} {misses or '-'}")
    print(f"\n{'kind':<15} {'precision':>9} {'recall':>7}   (tp/fp/fn)")
    for k in kinds:
        p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else float("nan")
        r = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else float("nan")
        print(f"{k:<15} {p:>9.2f} {r:>7.2f}   ({tp[k]}/{fp[k]}/{fn[k]})")
    n = len(cases)
    print(f"\n{n} drafts; exact checks {1000 * t_exact / n:.1f} ms/draft"
          + (f", with OCR {1000 * t_ocr / n:.0f} ms/draft ({t_ocr / max(t_exact, 1e-9):.0f}x)" if use_ocr else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
