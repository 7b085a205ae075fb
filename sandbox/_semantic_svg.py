"""Semantic layout of an SVG, read from the sanitised tree the image was rendered from: texts,
rect/circle/ellipse/line/polyline/polygon/path with colours, transforms and the viewBox applied,
strokes counted in the boxes, containment, and arrows (``marker-end``/``marker-start``, or a line
with a small triangle at one end) as edges. Text boxes are measured on the rasteriser's own
pixels (each text drawn alone), up to MAX_MEASURED texts; later ones keep an estimate."""

from __future__ import annotations

import copy
import os
import re

from . import _svg
from ._semantic_common import add_edge, link_containment, new_semantic

MAX_MEASURED = 32
_SKIP = ("defs", "symbol", "clipPath", "mask", "marker", "pattern", "linearGradient", "radialGradient", "filter",
         "style", "title", "desc", "metadata")
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_MARK = "data-coco-sem"


def _color(v):
    if not v or v in ("none", "transparent") or v.startswith("url("):
        return None
    try:
        from PIL import ImageColor
        if v == "currentColor":
            return None
        return "#%02x%02x%02x" % ImageColor.getrgb(v)[:3]
    except Exception:
        return None


def _path_points(d):
    """Absolute points on (or bounding) a path: end points and control points of every command."""
    pts, x, y, sx, sy = [], 0.0, 0.0, 0.0, 0.0
    for cmd, args in re.findall(r"([MmLlHhVvCcSsQqTtAaZz])([^MmLlHhVvCcSsQqTtAaZz]*)", d or ""):
        v = [float(n) for n in re.findall(_NUM, args)]
        rel = cmd.islower()
        c = cmd.upper()
        if c == "Z":
            x, y = sx, sy
            continue
        step = {"M": 2, "L": 2, "T": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "A": 7}[c]
        for i in range(0, len(v) - step + 1, step):
            a = v[i:i + step]
            ox, oy = (x, y) if rel else (0.0, 0.0)
            if c == "H":
                x = a[0] + (x if rel else 0.0)
            elif c == "V":
                y = a[0] + (y if rel else 0.0)
            elif c == "A":
                x, y = a[5] + ox, a[6] + oy
            else:
                for j in range(0, step - 2, 2):
                    pts.append((a[j] + ox, a[j + 1] + oy))
                x, y = a[step - 2] + ox, a[step - 1] + oy
            pts.append((x, y))
            if c == "M" and i == 0:
                sx, sy = x, y
    return pts


class _Reader:
    def __init__(self, root, W, H):
        self.root, self.W, self.H = root, W, H
        self.sem = new_semantic("svg", W, H)
        self.pts_of = {}
        self.heads = {}
        self.text_nodes = []

    def base(self):
        w, h = _svg.canvas_size(self.root)
        vb = _svg._viewbox(self.root)
        if vb:
            s = min(self.W / vb[2], self.H / vb[3])
            return (s, 0, 0, s, -vb[0] * s + (self.W - vb[2] * s) / 2, -vb[1] * s + (self.H - vb[3] * s) / 2)
        return (self.W / w, 0, 0, self.H / h, 0, 0)

    def box(self, m, pts, pad=0.0):
        xs, ys = zip(*[_svg._apply(m, x, y) for x, y in pts])
        sc = (abs(m[0] * m[3] - m[1] * m[2])) ** 0.5
        p = pad * sc
        return [min(xs) - p, min(ys) - p, max(xs) + p, max(ys) + p], [_svg._apply(m, x, y) for x, y in pts]

    def walk(self, el, m, inh):
        _, name = _svg._local(el.tag)
        if name in _SKIP or name is None:
            return
        m = _svg._matmul(m, _svg._parse_transform(el.get("transform")))
        inh = dict(inh)
        st = _svg._style(el)
        for k in ("fill", "stroke", "stroke-width", "font-size", "text-anchor", "marker-end", "marker-start"):
            v = st.get(k) or el.get(k)
            if v:
                inh[k] = v
        if name == "text":
            text = "".join(el.itertext()).strip()
            if text:
                self.text_nodes.append((el, text, m, inh))
            return
        L = lambda k, d=0.0: _svg._length(el.get(k), d) or 0.0
        stroke = _color(inh.get("stroke"))
        sw = (_svg._length(inh.get("stroke-width"), 1.0) or 0.0) if stroke else 0.0
        kind, pts, closed = None, None, True
        if name == "rect":
            x, y = L("x"), L("y")
            kind, pts = "rect", [(x, y), (x + L("width"), y + L("height"))]
        elif name in ("circle", "ellipse"):
            rx = L("r") if name == "circle" else L("rx")
            ry = L("r") if name == "circle" else L("ry")
            cx, cy = L("cx"), L("cy")
            kind, pts = "ellipse", [(cx - rx, cy - ry), (cx + rx, cy + ry), (cx - rx, cy + ry), (cx + rx, cy - ry)]
        elif name == "line":
            kind, pts, closed = "line", [(L("x1"), L("y1")), (L("x2"), L("y2"))], False
        elif name in ("polyline", "polygon"):
            v = _svg._num_list(el.get("points"))
            pts = list(zip(v[0::2], v[1::2]))
            kind, closed = ("line", False) if name == "polyline" else ("polygon", True)
        elif name == "path":
            pts = _path_points(el.get("d"))
            kind = "path"
            closed = bool(re.search(r"[Zz]\s*$", el.get("d") or "")) or _color(inh.get("fill", "#000")) is not None
        if kind and pts:
            fill = _color(inh.get("fill", "#000000")) if closed else None
            b, dev = self.box(m, pts, sw / 2)
            sid = f"s{len(self.sem['shapes'])}"
            self.sem["shapes"].append({"id": sid, "kind": kind, "fill": fill, "stroke": stroke, "bbox": b,
                                       "contains": []})
            self.pts_of[sid] = dev
            if not closed or kind == "path":
                self.heads[sid] = (inh.get("marker-start"), inh.get("marker-end"))
        for child in el:
            self.walk(child, m, inh)

    def texts(self):
        measured = self.measure()
        for i, (el, text, m, inh) in enumerate(self.text_nodes):
            fs = _svg._length(inh.get("font-size", "16"), 16.0) or 16.0
            b = measured.get(i)
            if b is None:
                xs, ys = _svg._num_list(el.get("x")), _svg._num_list(el.get("y"))
                x, y = (xs[0] if xs else 0.0), (ys[0] if ys else 0.0)
                width = sum(fs * (1.0 if ord(c) > 0x2E80 else 0.56) for c in text)
                anchor = inh.get("text-anchor", "start")
                x0 = x - width / 2 if anchor == "middle" else (x - width if anchor == "end" else x)
                b, _ = self.box(m, [(x0, y - 0.8 * fs), (x0 + width, y + 0.25 * fs)])
            self.sem["texts"].append({"id": f"t{len(self.sem['texts'])}", "text": text, "role": "text", "axes": None,
                                      "fontsize_px": round(fs * (abs(m[0] * m[3] - m[1] * m[2])) ** 0.5, 2),
                                      "rotation": 0.0, "color": _color(inh.get("fill", "#000000")), "bbox": b,
                                      "inside": None})

    def measure(self):
        """Ink box of each text, drawn alone by the same rasteriser (None where it draws nothing)."""
        import numpy as np
        out = {}
        nodes = self.text_nodes[:MAX_MEASURED]
        if not nodes:
            return out
        for i, (el, _, _, _) in enumerate(nodes):
            el.set(_MARK, str(i))
        try:
            base = _svg.text_only(self.root)
            for i in range(len(nodes)):
                r = copy.deepcopy(base)
                for parent in list(r.iter()):
                    for child in list(parent):
                        if _svg._local(child.tag)[1] == "text" and child.get(_MARK) != str(i):
                            parent.remove(child)
                rgba = _svg.rasterize(_svg.tostring(r), self.W, self.H)
                a = np.frombuffer(rgba, np.uint8).reshape(self.H, self.W, 4)[..., 3]
                ys, xs = np.nonzero(a > 24)
                if len(xs):
                    out[i] = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
        finally:
            for el, _, _, _ in nodes:
                el.attrib.pop(_MARK, None)
        return out

    def edges(self):
        from ._semantic_common import arrows_from_lines
        for s in self.sem["shapes"]:
            marks = self.heads.get(s["id"])
            pts = self.pts_of.get(s["id"])
            if not marks or not pts or not (marks[0] or marks[1]) or s.get("part_of"):
                continue
            a, b = pts[0], pts[-1]
            if marks[0] and not marks[1]:
                a, b = b, a
            s["part_of"] = add_edge(self.sem, a, b, directed=True)
        arrows_from_lines(self.sem, self.pts_of)

    def read(self):
        self.walk(self.root, self.base(), {})
        self.texts()
        link_containment(self.sem)
        self.edges()
        return self.sem


def capture(root, W, H, log=None):
    """Semantic layout of the sanitised SVG tree ``root`` rendered at W x H pixels, or None."""
    try:
        return _Reader(root, W, H).read()
    except Exception as e:  # noqa: BLE001 - best-effort, never fails the render
        if log is not None:
            log.write(f"[sandbox] semantic layout capture failed: {type(e).__name__}: {e}\n")
        return None


def capture_file(ctx, path, W, H):
    """Semantic layout of an SVG file the job's code wrote (rendered at W x H), or None. The file is
    sanitised again here (its render already passed the same checks); log lines are not repeated."""
    import io as _io
    try:
        with open(path, "rb") as f:
            text = f.read(8 * 1024 * 1024 + 1).decode("utf-8", "replace")
        root, size = _svg.sanitize(text, ctx.limits, _io.StringIO())
        return capture(root, W, H, ctx.log) if tuple(size) == (W, H) else None
    except Exception as e:  # noqa: BLE001 - best-effort
        ctx.log.write(f"[sandbox] semantic layout of {os.path.basename(path)} failed: {type(e).__name__}: {e}\n")
        return None
