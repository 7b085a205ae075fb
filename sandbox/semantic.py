"""The semantic layout of a rendered drawing: schema version, validation, GoT chain (stdlib only).

The schema is documented in docs/semantic_layout.md. The job side (the sandbox child) builds one
semantic layout per returned image; everything it sends is untrusted, so the caller passes it
through :func:`validate_semantic`, which rebuilds it from the known fields only: numbers finite,
strings capped and stripped of control characters, boxes clipped to the canvas, ``box_1000``
recomputed from ``bbox``, ids checked and dangling references dropped, list sizes capped.

:func:`got_chain` writes the GoT-style text chain (one object per line, reading order, boxes in
[0,1000)); :func:`parse_got_chain` reads it (or a user's edit of it) back. ``chain_objects`` is
the structured list both are made from.
"""

from __future__ import annotations

import math
import re

from ._got_chain import chain_line, chain_objects, got_chain, got_palette, object_prompt, parse_got_chain

__all__ = ["SCHEMA_VERSION", "SemanticError", "validate_semantic", "box_1000", "got_chain",
           "parse_got_chain", "chain_objects", "chain_line", "object_prompt", "got_palette", "AXES_KINDS",
           "TEXT_ROLES", "SHAPE_KINDS", "SOURCES"]

SCHEMA_VERSION = 1
SOURCES = ("matplotlib", "pil", "svg")
AXES_KINDS = ("bar", "barh", "stacked_bar", "grouped_bar", "line", "scatter", "pie", "donut", "histogram",
              "area", "heatmap", "table", "polar", "3d", "image", "diagram", "mixed", "empty")
TEXT_ROLES = ("title", "suptitle", "xlabel", "ylabel", "zlabel", "xtick", "ytick", "ztick", "legend",
              "annotation", "cell", "label", "text")
SHAPE_KINDS = ("rect", "ellipse", "line", "polygon", "path")

# caps applied by validate_semantic (a job may send anything; these bound the caller's work)
MAX_AXES = 64
MAX_PER_AXES = 2000        # bars, lines, scatters, wedges, cells (each)
MAX_POINTS = 5000          # per line
MAX_TICKS = 500
MAX_TEXTS = 5000
MAX_SHAPES = 5000
MAX_EDGES = 2000
MAX_STR = 2000
MAX_TOTAL = 30000          # all elements of one layout together

_ID = re.compile(r"^[a-z]{1,3}[0-9]{1,6}$")
_COLOR = re.compile(r"^#[0-9a-f]{6}$")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SCALES = ("linear", "log", "symlog", "logit", "function", "functionlog", "asinh", "date", "category")


class SemanticError(ValueError):
    """The semantic layout is unusable as a whole (not a dict, wrong version/source, canvas mismatch)."""


def box_1000(bbox, width, height):
    """GoT convention: int(v * 1000 / size), clipped to 0..999, per axis."""
    c = lambda v, n: int(min(999, max(0, v * 1000.0 / max(n, 1))))
    x0, y0, x1, y1 = bbox
    return [c(x0, width), c(y0, height), c(x1, width), c(y1, height)]


class _Budget:
    def __init__(self):
        self.left = MAX_TOTAL
        self.truncated = False

    def take(self, items, cap):
        if not isinstance(items, list):
            return []
        n = min(len(items), cap, self.left)
        if n < len(items):
            self.truncated = True
        self.left -= n
        return items[:n]


def _num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except (OverflowError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _str(v, cap=MAX_STR):
    if not isinstance(v, str):
        return None
    return _CTRL.sub("", v[:cap * 2])[:cap]


def _bool(v):
    return v if isinstance(v, bool) else False


def _color(v):
    return v.lower() if isinstance(v, str) and _COLOR.match(v.lower()) else None


def _enum(v, allowed, default):
    return v if isinstance(v, str) and v in allowed else default


class _Validator:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.budget = _Budget()
        self.ids = set()

    def bbox(self, b):
        """Clipped pixel box, or None when missing/invalid/entirely off the canvas."""
        if not isinstance(b, (list, tuple)) or len(b) != 4:
            return None
        v = [_num(x) for x in b]
        if any(x is None for x in v):
            return None
        x0, x1 = sorted((v[0], v[2]))
        y0, y1 = sorted((v[1], v[3]))
        if x1 < 0 or y1 < 0 or x0 > self.w or y0 > self.h:
            return None
        cl = lambda x, n: round(min(float(n), max(0.0, x)), 2)
        return [cl(x0, self.w), cl(y0, self.h), cl(x1, self.w), cl(y1, self.h)]

    def point(self, p, clip):
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            return None
        x, y = _num(p[0]), _num(p[1])
        if x is None or y is None:
            return None
        if clip:
            return [round(min(float(self.w), max(0.0, x)), 2), round(min(float(self.h), max(0.0, y)), 2)]
        return [x, y]

    def boxed(self, src, out, required=True):
        b = self.bbox(src.get("bbox"))
        if b is None and required:
            return None
        out["bbox"] = b
        out["box_1000"] = box_1000(b, self.w, self.h) if b else None
        return out

    def new_id(self, v):
        if isinstance(v, str) and _ID.match(v) and v not in self.ids:
            self.ids.add(v)
            return v
        return None

    def items(self, lst, cap, one):
        out = []
        for it in self.budget.take(lst, cap):
            if isinstance(it, dict):
                r = one(it)
                if r is not None:
                    out.append(r)
        return out

    def bar(self, b):
        r = {"category": _str(b.get("category")), "series": _str(b.get("series")), "value": _num(b.get("value")),
             "orientation": _enum(b.get("orientation"), ("v", "h"), "v"), "base": _num(b.get("base"))}
        for k in ("x0", "x1"):          # histogram bin edges (data coordinates)
            if _num(b.get(k)) is not None:
                r[k] = _num(b.get(k))
        return self.boxed(b, r, required=False)

    def line(self, ln):
        pts = ln.get("points") if isinstance(ln.get("points"), list) else []
        if len(pts) > MAX_POINTS:
            self.budget.truncated = True
        pts = [p for p in (self.point(p, False) for p in pts[:MAX_POINTS]) if p is not None]
        r = {"label": _str(ln.get("label")), "points": pts, "color": _color(ln.get("color")),
             "fill": _bool(ln.get("fill"))}
        return self.boxed(ln, r, required=False)

    def scatter(self, s):
        n = _num(s.get("count"))
        r = {"label": _str(s.get("label")), "count": int(max(0, min(n, 1e9))) if n is not None else 0,
             "color": _color(s.get("color"))}
        return self.boxed(s, r, required=False)

    def wedge(self, w):
        f = _num(w.get("fraction"))
        r = {"label": _str(w.get("label")), "value": _num(w.get("value")),
             "fraction": min(1.0, max(0.0, f)) if f is not None else None, "color": _color(w.get("color"))}
        return self.boxed(w, r, required=False)

    def cell(self, c):
        row, col = _num(c.get("row")), _num(c.get("col"))
        if row is None or col is None or row < -1 or col < -1:
            return None
        r = {"row": int(min(row, 1e6)), "col": int(min(col, 1e6)), "text": _str(c.get("text")),
             "value": _num(c.get("value")), "fill": _color(c.get("fill"))}
        return self.boxed(c, r, required=False)

    def axes(self, a):
        r = {"id": self.new_id(a.get("id")), "kind": _enum(a.get("kind"), AXES_KINDS, "mixed")}
        if r["id"] is None:
            return None
        kinds = a.get("kinds") if isinstance(a.get("kinds"), list) else []
        r["kinds"] = [k for k in kinds[:len(AXES_KINDS)] if isinstance(k, str) and k in AXES_KINDS]
        for k in ("title", "xlabel", "ylabel", "zlabel"):
            r[k] = _str(a.get(k))
        for k in ("xticklabels", "yticklabels", "legend"):
            lst = a.get(k) if isinstance(a.get(k), list) else []
            if len(lst) > MAX_TICKS:
                self.budget.truncated = True
            r[k] = [s for s in (_str(x, 200) for x in lst[:MAX_TICKS]) if s is not None]
        for k in ("xscale", "yscale"):
            r[k] = _enum(a.get(k), _SCALES, "linear")
        for k in ("x_inverted", "y_inverted"):
            r[k] = _bool(a.get(k))
        for k in ("xlim", "ylim"):
            lim = a.get(k)
            if isinstance(lim, list) and len(lim) == 2 and all(_num(v) is not None for v in lim):
                r[k] = [_num(lim[0]), _num(lim[1])]
        r["bars"] = self.items(a.get("bars"), MAX_PER_AXES, self.bar)
        r["lines"] = self.items(a.get("lines"), MAX_PER_AXES, self.line)
        r["scatters"] = self.items(a.get("scatters"), MAX_PER_AXES, self.scatter)
        r["wedges"] = self.items(a.get("wedges"), MAX_PER_AXES, self.wedge)
        r["cells"] = self.items(a.get("cells"), MAX_PER_AXES, self.cell)
        return self.boxed(a, r, required=False)

    def text(self, t):
        s = _str(t.get("text"))
        if not s:
            return None
        r = {"id": self.new_id(t.get("id")), "text": s, "role": _enum(t.get("role"), TEXT_ROLES, "text"),
             "axes": t.get("axes") if isinstance(t.get("axes"), str) else None,
             "fontsize_px": _num(t.get("fontsize_px")), "rotation": _num(t.get("rotation")) or 0.0,
             "color": _color(t.get("color")), "inside": t.get("inside") if isinstance(t.get("inside"), str) else None}
        if r["id"] is None:
            return None
        return self.boxed(t, r)

    def shape(self, s):
        r = {"id": self.new_id(s.get("id")), "kind": _enum(s.get("kind"), SHAPE_KINDS, "path"),
             "fill": _color(s.get("fill")), "stroke": _color(s.get("stroke")),
             "contains": [c for c in (s.get("contains") or [])[:MAX_TEXTS] if isinstance(c, str)]
             if isinstance(s.get("contains"), list) else [],
             "part_of": s.get("part_of") if isinstance(s.get("part_of"), str) else None}
        if r["id"] is None:
            return None
        return self.boxed(s, r)

    def edge(self, e):
        r = {"id": self.new_id(e.get("id")), "text": _str(e.get("text")),
             "from": e.get("from") if isinstance(e.get("from"), str) else None,
             "to": e.get("to") if isinstance(e.get("to"), str) else None,
             "start": self.point(e.get("start"), True), "end": self.point(e.get("end"), True),
             "directed": _bool(e.get("directed"))}
        if r["id"] is None or r["start"] is None or r["end"] is None:
            return None
        (x0, y0), (x1, y1) = r["start"], r["end"]
        r["bbox"] = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
        r["box_1000"] = box_1000(r["bbox"], self.w, self.h)
        return r


def validate_semantic(obj, width, height) -> dict:
    """Rebuild an untrusted semantic layout for an image of ``width`` x ``height`` pixels.

    Raises SemanticError when it cannot be used at all (callers then drop it). Otherwise returns a
    new dict with only documented fields: unknown keys dropped, invalid elements dropped, boxes
    clipped, ``box_1000`` recomputed, references to unknown ids set to None, lists capped (then
    ``"truncated": true``)."""
    if not isinstance(obj, dict):
        raise SemanticError("semantic layout is not an object")
    if isinstance(width, bool) or isinstance(height, bool) or not isinstance(width, int) \
            or not isinstance(height, int) or width <= 0 or height <= 0:
        raise SemanticError("image size must be positive integers")
    ver = obj.get("version")
    if isinstance(ver, bool) or not isinstance(ver, int) or not 1 <= ver <= SCHEMA_VERSION:
        raise SemanticError(f"unsupported semantic layout version {ver!r} (this reader: {SCHEMA_VERSION})")
    if obj.get("source") not in SOURCES:
        raise SemanticError(f"unknown semantic layout source {str(obj.get('source'))[:40]!r}")
    canvas = obj.get("canvas")
    if not isinstance(canvas, dict) or canvas.get("width") != width or canvas.get("height") != height:
        raise SemanticError(f"semantic layout canvas does not match the {width}x{height} image")
    v = _Validator(width, height)
    axes = v.items(obj.get("axes"), MAX_AXES, v.axes)
    texts = v.items(obj.get("texts"), MAX_TEXTS, v.text)
    shapes = v.items(obj.get("shapes"), MAX_SHAPES, v.shape)
    edges = v.items(obj.get("edges"), MAX_EDGES, v.edge)
    axes_ids = {a["id"] for a in axes}
    text_ids = {t["id"] for t in texts}
    shape_ids = {s["id"] for s in shapes}
    node_ids = text_ids | shape_ids
    for t in texts:
        if t["axes"] not in axes_ids:
            t["axes"] = None
        if t["inside"] not in shape_ids:
            t["inside"] = None
    edge_ids = {e["id"] for e in edges}
    for s in shapes:
        s["contains"] = [c for c in dict.fromkeys(s["contains"]) if c in text_ids]
        if s["part_of"] not in edge_ids:
            s["part_of"] = None
    for e in edges:
        for k in ("from", "to"):
            if e[k] not in node_ids:
                e[k] = None
    out = {"version": SCHEMA_VERSION, "source": obj["source"], "canvas": {"width": width, "height": height},
           "axes": axes, "texts": texts, "shapes": shapes, "edges": edges}
    if v.budget.truncated or obj.get("truncated") is True:
        out["truncated"] = True
    return out
