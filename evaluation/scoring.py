"""Score one item: executability, official text scores (OCR), structure against the spec, times.

Shared by the command line runner and the CoCo_Evaluate node. OCR goes through ``verify.ocr``
and the structure check through ``verify.spec``; both are optional here: when one is missing the
score is ``None`` and the record says why (the message names the install command).
"""

from __future__ import annotations

import dataclasses
import json
import time

from . import rules
from .sets import Item


def ocr_image(image, lang: str) -> dict:
    """{"text", "engine", "seconds"} or {"error": why}. ``image`` is a PIL image."""
    try:
        from ..verify import ocr as vocr
    except ImportError as e:
        return {"error": f"OCR is not available: verify/ocr.py could not be imported ({e})"}
    ok, msg = vocr.available(lang)
    if not ok:
        return {"error": f"OCR is not available for '{lang}': {msg}"}
    t0 = time.perf_counter()
    try:
        res = vocr.ocr_text(image, lang=lang)
    except vocr.OcrUnavailable as e:
        return {"error": f"OCR is not available for '{lang}': {e}"}
    return {"text": res.text, "engine": res.engine, "seconds": time.perf_counter() - t0}


def text_scores(item: Item, ocr_text: str) -> dict:
    """The official score(s) of one image for the item's rule: {"longtext": ...} or {"oneig": ...}."""
    out = {}
    if item.scorer == "longtext" and item.required_text:
        out["longtext"] = rules.longtext_item(item.required_text, ocr_text, item.lang).to_dict()
    elif item.scorer == "oneig":
        # the official script normalises the CSV's list literal itself (escapes like \n included)
        gt = item.meta.get("text_content") or item.required_text
        out["oneig"] = rules.oneig_item(gt, ocr_text, item.lang).to_dict()
    return out


def _finding_dict(f) -> dict:
    if dataclasses.is_dataclass(f):
        return dataclasses.asdict(f)
    if isinstance(f, dict):
        return f
    return {"message": str(f)}


def structure_from_layout(item: Item, layout: dict | None) -> dict | None:
    """verify.spec's checks of the spec against the draft's semantic layout."""
    if not item.spec:
        return None
    semantic = (layout or {}).get("semantic") if isinstance(layout, dict) else None
    if not semantic:
        return {"score": 0.0 if layout is not None else None,
                "error": "the draft has no semantic layout" if layout is not None else "no layout collected"}
    try:
        from ..verify import spec as vspec
    except ImportError as e:
        return {"score": None, "error": f"structure checks unavailable: verify/spec.py could not be imported ({e})"}
    try:
        findings = vspec.check_structure(item.spec, semantic)
        score = vspec.structure_score(findings) if findings else None
    except Exception as e:  # noqa: BLE001 - an unsupported spec kind must not lose the item
        return {"score": None, "error": f"{type(e).__name__}: {e}"}
    if not findings:
        return {"score": None, "error": "verify/spec.py has no structure check for this spec (e.g. GenEval objects)"}
    return {"score": None if score is None else float(score), "findings": [_finding_dict(f) for f in findings]}


def spec_questions(spec: dict) -> list[tuple[str, str]]:
    """The spec's questions a reader can answer from the picture's text alone: (what, expected text)."""
    qs: list[tuple[str, str]] = []

    def add(what, value):
        if isinstance(value, (str, int, float)) and str(value).strip():
            qs.append((what, str(value)))

    add("title", spec.get("title"))
    for key in ("category_axis_label", "value_axis_label", "x_label", "y_label"):
        add(key, spec.get(key))
    for c in spec.get("categories") or []:
        add("category", c)
    for h in spec.get("header") or []:
        add("header", h)
    for r, row in enumerate(spec.get("rows") or []):
        for cell in row if isinstance(row, list) else []:
            add(f"cell r{r}", cell)
    for n in spec.get("nodes") or []:
        add("node", n.get("label", n.get("id")) if isinstance(n, dict) else n)
    for e in spec.get("edges") or []:
        if isinstance(e, dict):
            add("edge label", e.get("label"))
    return qs


def structure_from_ocr(item: Item, ocr_text: str) -> dict | None:
    """The same spec questions answered from an image's OCR text: each expected string counts as
    found when all its normalised words (characters for zh) are in the OCR text's multiset."""
    if not item.spec:
        return None
    qs = spec_questions(item.spec)
    if not qs:
        return None
    from collections import Counter

    have = Counter(rules.longtext_units(rules.longtext_normalize(ocr_text or "", item.lang), item.lang))
    checks = []
    for what, expected in qs:
        need = Counter(rules.longtext_units(rules.longtext_normalize(expected, item.lang), item.lang))
        checks.append({"what": what, "expected": expected, "found": bool(need) and not (need - have)})
    return {"score": sum(c["found"] for c in checks) / len(checks), "checks": checks}


def score_images(item: Item, images: dict, layout: dict | None, use_ocr: bool = True) -> dict:
    """Scores for the images collected for one item (``images``: {"draft": PIL, "final": PIL}).

    Returns {"ocr": {name: ...}, "text": {name: {...}}, "structure": {"layout": ..., "ocr_<name>": ...},
    "times": {"ocr_s", "score_s"}}. A missing image scores as an image without text."""
    out = {"ocr": {}, "text": {}, "structure": {}, "times": {}}
    t_ocr = 0.0
    t0 = time.perf_counter()
    for name in ("draft", "final"):
        if name not in images:
            continue
        im = images[name]
        if im is None:
            o = {"text": "", "engine": "none", "seconds": 0.0, "note": "no image"}
        elif use_ocr:
            o = ocr_image(im, item.lang)
        else:
            o = {"error": "OCR switched off"}
        out["ocr"][name] = o
        if "text" in o:
            t_ocr += o.get("seconds", 0.0)
            out["text"][name] = text_scores(item, o["text"])
            s = structure_from_ocr(item, o["text"])
            if s is not None:
                out["structure"][f"ocr_{name}"] = s
    s = structure_from_layout(item, layout)
    if s is not None:
        out["structure"]["layout"] = s
    out["times"] = {"ocr_s": t_ocr, "score_s": time.perf_counter() - t0 - t_ocr}
    return out


def primary(record: dict) -> dict:
    """The headline numbers of a record: text score of the final image (else the draft), structure."""
    text = record.get("text") or {}
    src = "final" if "final" in text else ("draft" if "draft" in text else None)
    t = text.get(src, {}) if src else {}
    val = None
    if "longtext" in t:
        val = t["longtext"]["recall"]
    elif "oneig" in t:
        val = t["oneig"]["score"]
    st = (record.get("structure") or {}).get("layout") or {}
    return {"text_source": src, "text_score": val, "structure": st.get("score")}


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
