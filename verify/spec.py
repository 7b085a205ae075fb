"""Our spec format, and exact structure checks of a draft's semantic layout against it.

A spec item (one per prompt; JSON / JSON Lines)::

    {"id": "chart-001", "category": "chart", "lang": "en",
     "prompt": "A bar chart titled \"Quarterly sales\" ...",
     "required_text": ["Quarterly sales", "Q1", "Q2"],
     "spec": {                                  # optional; which keys depends on the category
        # charts
        "chart_type": "bar", "title": "Quarterly sales", "categories": ["Q1", "Q2"],
        "values": [12.5, 20],                   # one per category (or {"series": [...]})
        "category_axis_label": "Quarter", "value_axis_label": "Sales (k$)",
        # tables
        "title": "...", "header": ["Name", "Score"], "rows": [["Ann", "9"], ...],
        # graphs / diagrams
        "nodes": ["Start", "Check", "End"], "edges": [["Start", "Check"], ["Check", "End"]],
        "directed": true}}

``check_structure(spec, semantic)`` compares the ``spec`` part with the semantic layout the sandbox
read from the executed drawing (``RenderResult.layout["semantic"]``, docs/semantic_layout.md) and
returns findings; ``structure_score`` is the fraction of them that hold. A finding is a dict
``{"kind", "ok", "expected", "found", "message"}``; kinds: chart_type, title, category, value,
axis_label, table_cell, graph_node, graph_edge (see ``KINDS``).
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Optional

CATEGORIES = ("chart", "table", "graph", "math", "text", "poster", "diagram", "other")
KINDS = ("chart_type", "title", "category", "value", "axis_label", "table_cell", "graph_node", "graph_edge")
VALUE_REL_TOL = 1e-3   # values come from the code exactly; the tolerance only absorbs the spec's rounding
VALUE_ABS_TOL = 1e-6

_BAR_FAMILY = {"bar", "grouped_bar", "stacked_bar"}
_SYNONYMS = {"column": "bar", "columns": "bar", "vbar": "bar", "horizontal_bar": "barh", "hbar": "barh",
             "doughnut": "donut", "ring": "donut", "hist": "histogram", "heat": "heatmap", "imshow": "heatmap",
             "lines": "line", "plot": "line", "points": "scatter", "stacked": "stacked_bar",
             "grouped": "grouped_bar", "stackplot": "area", "fill": "area"}


class SpecError(ValueError):
    """A spec item that does not follow the format."""


def finding(kind: str, ok: bool, expected: Any = None, found: Any = None, message: str = "", **extra) -> dict:
    f = {"kind": kind, "ok": bool(ok), "expected": expected, "found": found, "message": message}
    f.update(extra)
    return f


def norm_text(s: Any) -> str:
    """Whitespace (newlines included) collapsed to single spaces; case and characters kept."""
    return " ".join(str(s if s is not None else "").split())


def validate_item(item: dict) -> dict:
    """Check a spec item's shape and return a normalised copy (raises ``SpecError``)."""
    if not isinstance(item, dict):
        raise SpecError(f"a spec item must be an object, got {type(item).__name__}")
    out = dict(item)
    for key in ("id", "prompt"):
        if not isinstance(out.get(key), str) or not out[key].strip():
            raise SpecError(f"spec item {out.get('id')!r}: '{key}' must be a non-empty string")
    out.setdefault("category", "other")
    out.setdefault("lang", "en")
    req = out.get("required_text", [])
    if isinstance(req, str):
        req = [req]
    if not isinstance(req, list) or not all(isinstance(r, str) for r in req):
        raise SpecError(f"spec item {out['id']!r}: 'required_text' must be a list of strings")
    out["required_text"] = [r for r in req if r.strip()]
    spec = out.get("spec")
    if spec is not None:
        if not isinstance(spec, dict):
            raise SpecError(f"spec item {out['id']!r}: 'spec' must be an object")
        cats, vals = spec.get("categories"), spec.get("values")
        if cats is not None and not isinstance(cats, list):
            raise SpecError(f"spec item {out['id']!r}: 'categories' must be a list")
        if isinstance(vals, list) and cats is not None and len(vals) != len(cats):
            raise SpecError(f"spec item {out['id']!r}: {len(vals)} values for {len(cats)} categories")
        for e in spec.get("edges", []) or []:
            if not (isinstance(e, (list, tuple)) and len(e) == 2):
                raise SpecError(f"spec item {out['id']!r}: each edge must be [from, to]")
    return out


def load_items(path: str) -> list[dict]:
    """Spec items from a JSON list, a JSON object with "items", or JSON Lines."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    s = text.lstrip()
    if s.startswith("[") or (s.startswith("{") and '"items"' in s[:2000] and "\n{" not in s):
        data = json.loads(text)
        items = data.get("items", []) if isinstance(data, dict) else data
    else:
        items = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
    return [validate_item(i) for i in items]


# ---- reading the semantic layout --------------------------------------------------------------

def canonical_kind(kind: Optional[str]) -> str:
    k = (kind or "").strip().lower().replace("-", "_").replace(" ", "_")
    k = k[:-6] if k.endswith("_chart") else k
    return _SYNONYMS.get(k, k)


def _data_axes(semantic: dict) -> list[dict]:
    axes = [a for a in (semantic or {}).get("axes", []) or [] if isinstance(a, dict)]
    return [a for a in axes if a.get("kind") not in (None, "empty")] or axes


def _main_axes(semantic: dict, want: Optional[str] = None) -> Optional[dict]:
    axes = _data_axes(semantic)
    if want:
        for a in axes:
            kinds = {canonical_kind(k) for k in [a.get("kind"), *(a.get("kinds") or [])]}
            if canonical_kind(want) in kinds:
                return a
    return axes[0] if axes else None


def _texts(semantic: dict) -> list[dict]:
    return [t for t in (semantic or {}).get("texts", []) or [] if isinstance(t, dict)]


def _all_strings(semantic: dict) -> list[str]:
    return [norm_text(t.get("text")) for t in _texts(semantic) if norm_text(t.get("text"))]


def kind_matches(expected: str, found_kinds: Iterable[str]) -> bool:
    e = canonical_kind(expected)
    found = {canonical_kind(k) for k in found_kinds if k}
    if e in found:
        return True
    if e == "bar" and found & _BAR_FAMILY:
        return True
    if e == "pie" and "donut" in found:
        return True
    return False


def _series_values(ax: dict) -> dict[str, list[tuple[str, float]]]:
    """Per data kind, the (category, value) pairs in drawing order."""
    out: dict[str, list] = {"bars": [], "wedges": [], "lines": []}
    for b in ax.get("bars", []) or []:
        out["bars"].append((norm_text(b.get("category")), b.get("value"), norm_text(b.get("series"))))
    for w in ax.get("wedges", []) or []:
        out["wedges"].append((norm_text(w.get("label")), w.get("value"), ""))
    ticks = [norm_text(t) for t in ax.get("xticklabels", []) or []]
    for ln in ax.get("lines", []) or []:
        for x, y in ln.get("points", []) or []:
            cat = ""
            if isinstance(x, (int, float)) and float(x).is_integer() and 0 <= int(x) < len(ticks):
                cat = ticks[int(x)]
            out["lines"].append((cat, y, norm_text(ln.get("label"))))
    return out


def _categories_found(ax: dict) -> list[str]:
    cats: list[str] = []
    for b in ax.get("bars", []) or []:
        c = norm_text(b.get("category"))
        if c and c not in cats:
            cats.append(c)
    for w in ax.get("wedges", []) or []:
        c = norm_text(w.get("label"))
        if c and c not in cats:
            cats.append(c)
    if not cats:
        horizontal = canonical_kind(ax.get("kind")) == "barh"
        ticks = ax.get("yticklabels" if horizontal else "xticklabels", []) or []
        cats = [norm_text(t) for t in ticks if norm_text(t)]
    return cats + [norm_text(x) for x in ax.get("legend", []) or [] if norm_text(x) and norm_text(x) not in cats]


def _close(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=VALUE_REL_TOL, abs_tol=VALUE_ABS_TOL)
    except (TypeError, ValueError):
        return False


def _value_for(ax: dict, category: str, series_index: int = 0, series: Optional[str] = None):
    """The value drawn for a category: of the series named ``series`` when one is drawn with that
    name, else of the n-th series drawn; None when nothing is drawn for it."""
    data = _series_values(ax)
    for key in ("bars", "wedges", "lines"):
        rows = [(v, s) for c, v, s in data[key] if c == category]
        if not rows:
            continue
        named = [v for v, s in rows if series is not None and s == norm_text(series)]
        if named:
            return named[0]
        return rows[series_index][0] if series_index < len(rows) else rows[0][0]
    return None


# ---- the checks -------------------------------------------------------------------------------

def _check_chart(spec: dict, semantic: dict) -> list[dict]:
    out: list[dict] = []
    want = spec.get("chart_type")
    ax = _main_axes(semantic, want)
    if ax is None:
        out.append(finding("chart_type", False, want or "a chart", None, "no chart axes were drawn"))
        return out
    found_kinds = [ax.get("kind"), *(ax.get("kinds") or [])]
    if want:
        ok = kind_matches(want, found_kinds)
        out.append(finding("chart_type", ok, want, ax.get("kind"),
                           "" if ok else f"the chart is a {ax.get('kind')} chart, expected {want}"))
    if spec.get("title"):
        exp = norm_text(spec["title"])
        titles = [norm_text(ax.get("title"))] + [norm_text(t.get("text")) for t in _texts(semantic)
                                                  if t.get("role") in ("title", "suptitle")]
        ok = exp in titles
        out.append(finding("title", ok, exp, titles[0] or None,
                           "" if ok else f'the title should read "{exp}" (found "{titles[0] or "no title"}")'))
    horizontal = canonical_kind(ax.get("kind")) == "barh"
    for key, axis in (("category_axis_label", "y" if horizontal else "x"),
                      ("value_axis_label", "x" if horizontal else "y")):
        if spec.get(key):
            exp, got = norm_text(spec[key]), norm_text(ax.get(f"{axis}label"))
            ok = exp == got
            out.append(finding("axis_label", ok, exp, got or None,
                               "" if ok else f'the {axis} axis label should read "{exp}" (found "{got or "none"}")'))
    cats = [norm_text(c) for c in spec.get("categories") or []]
    found_cats = _categories_found(ax)
    for c in cats:
        ok = c in found_cats
        out.append(finding("category", ok, c, None if ok else found_cats[:12],
                           "" if ok else f'category "{c}" is missing from the chart'))
    vals = spec.get("values")
    series = vals.items() if isinstance(vals, dict) else [(None, vals)] if vals is not None else []
    for si, (name, vlist) in enumerate(series):
        for c, v in zip(cats, vlist or []):
            got = _value_for(ax, c, si, name)
            ok = got is not None and _close(got, v)
            label = f"{c}" + (f" ({name})" if name else "")
            msg = "" if ok else (f'the value for "{label}" is {got}, expected {v}' if got is not None
                                 else f'no value is drawn for "{label}" (expected {v})')
            out.append(finding("value", ok, v, got, msg, category=c, series=name))
    return out


def _check_table(spec: dict, semantic: dict) -> list[dict]:
    out: list[dict] = []
    ax = _main_axes(semantic, "table")
    cells = {}
    if ax is not None:
        for c in ax.get("cells", []) or []:
            cells[(c.get("row"), c.get("col"))] = norm_text(c.get("text"))
    strings = set(_all_strings(semantic))
    if spec.get("title"):
        exp = norm_text(spec["title"])
        ok = exp in strings or (ax is not None and norm_text(ax.get("title")) == exp)
        out.append(finding("title", ok, exp, None, "" if ok else f'the table title "{exp}" is missing'))
    grid = ([spec["header"]] if spec.get("header") else []) + list(spec.get("rows") or [])
    for r, row in enumerate(grid):
        for c, val in enumerate(row):
            exp = norm_text(val)
            if cells:
                got = cells.get((r, c))
                ok = got == exp
                msg = "" if ok else f'cell (row {r}, column {c}) should read "{exp}" (found "{got or "nothing"}")'
            else:  # a table drawn with shapes and text: the cell text must appear somewhere
                got = exp if exp in strings else None
                ok = got is not None
                msg = "" if ok else f'the table cell "{exp}" (row {r}, column {c}) is missing'
            out.append(finding("table_cell", ok, exp, got, msg, row=r, col=c))
    return out


def _element_texts(semantic: dict) -> dict[str, str]:
    """id → text for texts and for shapes (the texts they contain, joined)."""
    texts = {t.get("id"): norm_text(t.get("text")) for t in _texts(semantic) if t.get("id")}
    for s in (semantic or {}).get("shapes", []) or []:
        if isinstance(s, dict) and s.get("id"):
            texts[s["id"]] = norm_text(" ".join(texts.get(i, "") for i in s.get("contains", []) or []))
    return texts


def _check_graph(spec: dict, semantic: dict) -> list[dict]:
    out: list[dict] = []
    strings = _all_strings(semantic)
    for n in spec.get("nodes") or []:
        exp = norm_text(n)
        ok = exp in strings
        out.append(finding("graph_node", ok, exp, None, "" if ok else f'the node "{exp}" is missing'))
    names = _element_texts(semantic)
    drawn = []
    for e in (semantic or {}).get("edges", []) or []:
        if isinstance(e, dict):
            drawn.append((names.get(e.get("from"), ""), names.get(e.get("to"), ""), bool(e.get("directed"))))
    directed = spec.get("directed")
    for a, b in spec.get("edges") or []:
        a, b = norm_text(a), norm_text(b)
        fwd = [d for d in drawn if d[0] == a and d[1] == b]
        back = [d for d in drawn if d[0] == b and d[1] == a]
        ok = bool(fwd) or (not directed and bool(back))
        if ok and directed and not any(d[2] for d in fwd):
            ok, msg = False, f'the edge "{a}" → "{b}" has no arrow head'
        elif ok:
            msg = ""
        elif back:
            msg = f'the edge between "{a}" and "{b}" points the wrong way'
        else:
            msg = f'no edge joins "{a}" to "{b}"'
        out.append(finding("graph_edge", ok, [a, b], None if not ok else [a, b], msg))
    return out


def check_structure(spec: Optional[dict], semantic: Optional[dict]) -> list[dict]:
    """Findings for every structural claim of ``spec`` (the item's ``spec`` object, or a whole item
    whose ``spec`` key holds it) against the semantic layout."""
    if not spec:
        return []
    if "spec" in spec and isinstance(spec.get("spec"), dict):
        spec = spec["spec"]
    semantic = semantic or {}
    out: list[dict] = []
    if any(spec.get(k) for k in ("chart_type", "categories", "values", "category_axis_label", "value_axis_label")):
        out += _check_chart(spec, semantic)
    elif spec.get("title") and not (spec.get("header") or spec.get("rows")):
        exp = norm_text(spec["title"])
        ok = exp in _all_strings(semantic)
        out.append(finding("title", ok, exp, None, "" if ok else f'the title "{exp}" is missing'))
    if spec.get("header") or spec.get("rows"):
        out += _check_table(spec, semantic)
    if spec.get("nodes") or spec.get("edges"):
        out += _check_graph(spec, semantic)
    return out


def structure_score(findings: list[dict]) -> float:
    """Fraction of findings that hold (1.0 when there are none)."""
    if not findings:
        return 1.0
    return sum(1 for f in findings if f.get("ok")) / len(findings)
