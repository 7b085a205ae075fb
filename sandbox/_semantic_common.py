"""Job-side helpers of the semantic layout capture shared by the matplotlib, PIL and SVG readers:
containment (text inside a shape), arrows as edges between nodes, and ``finish`` (rescale to the
returned image, ``box_1000``, validation) called once per returned image by the reply builder."""

from __future__ import annotations

import math

from .semantic import SCHEMA_VERSION, SemanticError, validate_semantic

EDGE_TOL = 4.0   # px: an arrow end this close to a box counts as touching it


def new_semantic(source, width, height):
    return {"version": SCHEMA_VERSION, "source": source, "canvas": {"width": width, "height": height},
            "axes": [], "texts": [], "shapes": [], "edges": []}


def _area(b):
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _contains(b, x, y, tol=0.0):
    return b[0] - tol <= x <= b[2] + tol and b[1] - tol <= y <= b[3] + tol


def link_containment(sem):
    """Each text whose box centre lies in a closed shape's box belongs to the smallest such shape."""
    shapes = [s for s in sem["shapes"] if s["kind"] in ("rect", "ellipse", "polygon", "path") and s.get("bbox")
              and not s.get("part_of")]
    for s in shapes:
        s.setdefault("contains", [])
    for t in sem["texts"]:
        b = t.get("bbox")
        if not b:
            continue
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        best = None
        for s in shapes:
            sb = s["bbox"]
            if _contains(sb, cx, cy) and _area(sb) >= 0.5 * _area(b) and (best is None or _area(sb) < _area(best["bbox"])):
                best = s
        if best is not None:
            t["inside"] = best["id"]
            best["contains"].append(t["id"])


def _dist(b, x, y):
    return math.hypot(max(b[0] - x, 0.0, x - b[2]), max(b[1] - y, 0.0, y - b[3]))


def node_at(sem, x, y, exclude=()):
    """Id of the smallest shape (else text) whose box contains (x, y) within EDGE_TOL px; failing
    that, the nearest one within 2% of the canvas diagonal (arrows often stop short of a box)."""
    cands = [s for s in sem["shapes"] if s["id"] not in exclude and not s.get("part_of") and s["kind"] != "line"
             and s.get("bbox")]
    texts = [t for t in sem["texts"] if t["id"] not in exclude and t.get("bbox")]
    for group in (cands, texts):
        hit = [n for n in group if _contains(n["bbox"], x, y, EDGE_TOL)]
        if hit:
            return min(hit, key=lambda n: _area(n["bbox"]))["id"]
    c = sem.get("canvas") or {}
    reach = max(EDGE_TOL, 0.02 * math.hypot(c.get("width") or 0, c.get("height") or 0))
    near = [(_dist(n["bbox"], x, y), i, n) for i, n in enumerate(cands + texts)]
    near = [t for t in near if t[0] <= reach]
    return min(near, key=lambda t: (t[0], t[1]))[2]["id"] if near else None


def add_edge(sem, start, end, text=None, directed=True, from_id=None):
    """Record an arrow from ``start`` to ``end`` (pixels); its ends are joined to the nodes under them.
    A text node that sits inside a shape is replaced by that shape."""
    inside = {t["id"]: t.get("inside") for t in sem["texts"]}
    a = from_id or node_at(sem, *start)
    b = node_at(sem, *end, exclude=(a,) if a else ())
    a, b = inside.get(a) or a, inside.get(b) or b
    eid = f"e{len(sem['edges'])}"
    sem["edges"].append({"id": eid, "from": a, "to": b, "text": text or None, "start": [float(start[0]), float(start[1])],
                         "end": [float(end[0]), float(end[1])], "directed": bool(directed)})
    return eid


def arrows_from_lines(sem, pts_of):
    """A line with a small triangle at one end is an arrow; a line whose ends touch two different
    closed shapes is a connector. Both become edges (their pieces get ``part_of``)."""
    shapes = sem["shapes"]
    heads = [s for s in shapes if s["kind"] == "polygon" and pts_of.get(s["id"]) and len(pts_of[s["id"]]) in (3, 4)
             and not s.get("contains")]
    for s in shapes:
        pts = pts_of.get(s["id"])
        if s["kind"] != "line" or not pts or len(pts) < 2 or s.get("part_of"):
            continue
        a, b = pts[0], pts[-1]
        free = [h for h in heads if not h.get("part_of")]
        head = next((h for h in free if _contains(h["bbox"], *b, 3.0)), None)
        if head is None:
            head = next((h for h in free if _contains(h["bbox"], *a, 3.0)), None)
            if head is not None:
                a, b = b, a
        s["part_of"] = "pending"
        if head is not None:
            head["part_of"] = "pending"
            b = max(pts_of[head["id"]], key=lambda p: (p[0] - a[0]) ** 2 + (p[1] - a[1]) ** 2)   # the tip
        na, nb = node_at(sem, *a), node_at(sem, *b)
        if head is None and not (na and nb and na != nb):
            s.pop("part_of")
            continue
        eid = add_edge(sem, a, b, directed=head is not None)
        s["part_of"] = eid
        if head is not None:
            head["part_of"] = eid


def _scale_box(b, fx, fy):
    return [b[0] * fx, b[1] * fy, b[2] * fx, b[3] * fy] if b else b


def tighten_texts(sem, mask, w, h):
    """Each text's box shrunk to its ink: the text-only pixels (the job's text mask) inside it."""
    import numpy as np
    m = np.frombuffer(mask, np.uint8).reshape(h, w)
    for t in sem.get("texts", []):
        b = t.get("bbox")
        if not b:
            continue
        x0, y0 = max(0, int(np.floor(b[0]))), max(0, int(np.floor(b[1])))
        x1, y1 = min(w, int(np.ceil(b[2]))), min(h, int(np.ceil(b[3])))
        if x1 <= x0 or y1 <= y0:
            continue
        ys, xs = np.nonzero(m[y0:y1, x0:x1])
        if len(xs):
            t["bbox"] = [float(x0 + xs.min()), float(y0 + ys.min()), float(x0 + xs.max() + 1), float(y0 + ys.max() + 1)]


def finish(sem, w, h, log=None, mask=None):
    """The semantic layout of a returned ``w`` x ``h`` image: boxes scaled from the capture canvas
    (a resized or re-read output), text boxes shrunk to their ink when the text mask (``mask``,
    w*h bytes) is given, then validated like the caller will (None if unusable)."""
    if not isinstance(sem, dict):
        return None
    cw, ch = (sem.get("canvas") or {}).get("width"), (sem.get("canvas") or {}).get("height")
    try:
        if (cw, ch) != (w, h) and cw and ch:
            fx, fy = w / float(cw), h / float(ch)
            for ax in sem.get("axes", []):
                ax["bbox"] = _scale_box(ax.get("bbox"), fx, fy)
                for key in ("bars", "lines", "scatters", "wedges", "cells"):
                    for el in ax.get(key, []):
                        el["bbox"] = _scale_box(el.get("bbox"), fx, fy)
            for key in ("texts", "shapes"):
                for el in sem.get(key, []):
                    el["bbox"] = _scale_box(el.get("bbox"), fx, fy)
                    if el.get("fontsize_px"):
                        el["fontsize_px"] *= fy
            for e in sem.get("edges", []):
                e["start"] = [e["start"][0] * fx, e["start"][1] * fy]
                e["end"] = [e["end"][0] * fx, e["end"][1] * fy]
        sem["canvas"] = {"width": w, "height": h}
        if isinstance(mask, (bytes, bytearray)) and len(mask) == w * h:
            tighten_texts(sem, mask, w, h)
        return validate_semantic(sem, w, h)
    except (SemanticError, KeyError, TypeError, ValueError, IndexError) as e:
        if log is not None:
            log.write(f"[sandbox] semantic layout dropped: {type(e).__name__}: {e}\n")
        return None
