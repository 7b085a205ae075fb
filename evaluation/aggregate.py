"""Aggregate item records per set, per category within a set, and per language, with the official
set-level rules (LongText micro recall; OneIG mean ED, mean CR, micro WAC, then the formula)."""

from __future__ import annotations

from collections import defaultdict

from . import rules

IMAGES = ("draft", "final")


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def summarize(records: list[dict]) -> dict:
    n = len(records)
    by_status = defaultdict(int)
    for r in records:
        by_status[r.get("status", "error")] += 1
    ran = n - by_status["error"]
    out = {"n": n, "ok": by_status["ok"], "failed": by_status["failed"], "timeout": by_status["timeout"],
           "error": by_status["error"], "exec_rate": by_status["ok"] / ran if ran else None,
           "rounds_mean": _mean([(r.get("exec") or {}).get("rounds") for r in records])}
    langs = {r.get("lang") for r in records}
    for im in IMAGES:
        lt = [r["text"][im]["longtext"] for r in records if "longtext" in (r.get("text") or {}).get(im, {})]
        if lt:
            out[f"longtext_{im}"] = rules.longtext_aggregate(lt)
            out[f"longtext_{im}_n"] = len(lt)
        oi = [r["text"][im]["oneig"] for r in records if "oneig" in (r.get("text") or {}).get(im, {})]
        if oi and len(langs) == 1:
            out[f"oneig_{im}"] = rules.oneig_aggregate(oi, next(iter(langs)))
        st = [((r.get("structure") or {}).get(f"ocr_{im}") or {}).get("score") for r in records]
        if any(s is not None for s in st):
            out[f"structure_ocr_{im}"] = _mean(st)
    lay = [((r.get("structure") or {}).get("layout") or {}).get("score") for r in records]
    if any(s is not None for s in lay):
        out["structure_layout"] = _mean(lay)
    times = defaultdict(list)
    for r in records:
        for k, v in (r.get("times") or {}).items():
            if isinstance(v, (int, float)):
                times[k].append(v)
    out["times_mean"] = {k: _mean(v) for k, v in sorted(times.items())}
    extra = defaultdict(list)
    for r in records:
        for k, v in (r.get("extra") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                extra[k].append(v)
    if extra:
        out["extra_mean"] = {k: _mean(v) for k, v in sorted(extra.items())}
    ocr_errors = sorted({o["error"] for r in records for o in (r.get("ocr") or {}).values() if "error" in o})
    if ocr_errors:
        out["ocr_errors"] = ocr_errors
    return out


def aggregate(records: list[dict]) -> dict:
    """{"overall": ..., "sets": {set: ...}, "categories": {set: {category: ...}}, "langs": {lang: ...}}."""
    sets, cats, langs = defaultdict(list), defaultdict(lambda: defaultdict(list)), defaultdict(list)
    for r in records:
        sets[r["set"]].append(r)
        cats[r["set"]][r.get("category", "")].append(r)
        langs[r.get("lang", "")].append(r)
    return {"overall": summarize(records),
            "sets": {k: summarize(v) for k, v in sorted(sets.items())},
            "categories": {s: {c: summarize(v) for c, v in sorted(cs.items())} for s, cs in sorted(cats.items())},
            "langs": {k: summarize(v) for k, v in sorted(langs.items())}}
