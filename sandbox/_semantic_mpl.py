"""Semantic layout of a matplotlib figure, read at the draw the saved image is made from (no extra
draw): per-axes chart kind, titles, labels, ticks, legend, data in data coordinates (bars, lines,
areas, scatters, wedges, heatmap/table cells), shapes, and arrows as edges. Pixel boxes come from
the renderer of that draw, so ``bbox_inches="tight"`` and ``dpi=`` are right."""

from __future__ import annotations

import math
import re

from ._semantic_common import add_edge, link_containment, new_semantic

MAX_CELLS = 2000
MAX_ITEMS = 2000      # bars, lines, collections, shapes read per axes: a huge figure is not read in full
MAX_POINTS = 5000        # per line
MAX_FIGURE_POINTS = 20000  # all lines and areas of one figure (then "truncated": the reply stays small)
_MATHDEFAULT = re.compile(r"^\$\\mathdefault\{(.*)\}\$$")


def _hex(c):
    try:
        import matplotlib.colors as mcolors
        rgba = mcolors.to_rgba(c)
        return None if rgba[3] == 0 else mcolors.to_hex(rgba)
    except Exception:
        return None


def _f(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _plain(s):
    """A tick label's mathtext wrapper removed: '$\\mathdefault{10^{2}}$' -> '10^{2}'."""
    m = _MATHDEFAULT.match(s) if isinstance(s, str) else None
    return m.group(1).replace("\\times", "\u00d7").replace("\\minus", "\u2212") if m else s


def _label(a):
    s = a.get_label() if hasattr(a, "get_label") else None
    return s if isinstance(s, str) and s and not s.startswith("_") else None


class _Reader:
    def __init__(self, fig, renderer, drawn):
        self.fig, self.r = fig, renderer
        W, H = renderer.get_canvas_width_height()
        self.W, self.H = float(W), float(H)
        self.sem = new_semantic("matplotlib", int(round(W)), int(round(H)))
        self.drawn = []
        seen = set()
        for t in drawn:
            if id(t) not in seen:
                seen.add(id(t))
                self.drawn.append(t)
        self.drawn_ids = seen
        self.roles = {}          # id(Text) -> (role, axes id)
        self.tid = {}            # id(Text) -> text id
        self.used = set()        # ids of patches already read as data
        self.points_left = MAX_FIGURE_POINTS

    def box(self, bb, clip=None):
        try:
            x0, y0, x1, y1 = bb.x0, bb.y0, bb.x1, bb.y1
        except AttributeError:
            return None
        if not all(math.isfinite(v) and abs(v) < 1e7 for v in (x0, y0, x1, y1)):
            return None
        b = [x0, self.H - y1, x1, self.H - y0]
        if clip is not None:
            b = [max(b[0], clip[0]), max(b[1], clip[1]), min(b[2], clip[2]), min(b[3], clip[3])]
            if b[2] < b[0] or b[3] < b[1]:
                return None
        return [round(v, 2) for v in b]

    def abox(self, artist, pad=0.0):
        try:
            bb = artist.get_window_extent(self.r)
        except Exception:
            return None
        clip = None
        if artist.get_clip_on() and artist.get_clip_box() is not None:
            clip = self.box(artist.get_clip_box())
        if pad and bb is not None:
            bb = bb.padded(pad)
        return self.box(bb, clip)

    def text_box(self, t):
        """The text's own box (an Annotation's window extent also covers its arrow)."""
        from matplotlib.text import Text
        try:
            bb = Text.get_window_extent(t, self.r)
        except Exception:
            return None
        clip = None
        if t.get_clip_on() and t.get_clip_box() is not None:
            clip = self.box(t.get_clip_box())
        return self.box(bb, clip)

    def to_px(self, transform, x, y):
        px, py = transform.transform((x, y))
        return [float(px), self.H - float(py)]

    # ------------------------------------------------------------------ texts and their roles
    def register_roles(self, ax, aid):
        from matplotlib.text import Annotation
        R = self.roles
        for t in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)):
            if t is not None:
                R[id(t)] = ("title", aid)
        axes_of = [("x", ax.xaxis), ("y", ax.yaxis)] + ([("z", ax.zaxis)] if hasattr(ax, "zaxis") else [])
        for n, axis in axes_of:
            R[id(axis.label)] = (n + "label", aid)
            for tick in list(axis.majorTicks) + list(axis.minorTicks):
                R[id(tick.label1)] = (n + "tick", aid)
                R[id(tick.label2)] = (n + "tick", aid)
        leg = ax.get_legend()
        if leg is not None:
            for t in leg.get_texts():
                R[id(t)] = ("legend", aid)
        for tab in getattr(ax, "tables", []):
            for cell in tab.get_celld().values():
                R[id(cell.get_text())] = ("cell", aid)
        for t in ax.texts:
            if isinstance(t, Annotation):
                R[id(t)] = ("annotation" if t.arrow_patch is not None else "label", aid)
            else:
                R[id(t)] = ("text", aid)

    def read_texts(self):
        fig = self.fig
        for attr, role in (("_suptitle", "suptitle"), ("_supxlabel", "xlabel"), ("_supylabel", "ylabel")):
            t = getattr(fig, attr, None)
            if t is not None:
                self.roles[id(t)] = (role, None)
        for leg in fig.legends:
            for t in leg.get_texts():
                self.roles[id(t)] = ("legend", None)
        for t in self.drawn:
            s = _plain(t.get_text())
            if not s or not s.strip() or not t.get_visible():
                continue
            b = self.text_box(t)
            if b is None:
                continue
            role, aid = self.roles.get(id(t), ("text", None))
            tid = f"t{len(self.sem['texts'])}"
            self.tid[id(t)] = tid
            self.sem["texts"].append({"id": tid, "text": s, "role": role, "axes": aid,
                                      "fontsize_px": round(float(self.r.points_to_pixels(t.get_fontsize())), 2),
                                      "rotation": float(t.get_rotation()), "color": _hex(t.get_color()), "bbox": b,
                                      "inside": None})
            bp = t.get_bbox_patch()
            if bp is not None and bp.get_visible():
                pb = self.abox(bp)
                if pb is not None:
                    self.add_shape(bp, pb, kind=self.shape_kind(bp))

    # ------------------------------------------------------------------ shapes
    def shape_kind(self, p):
        import matplotlib.patches as mp
        if isinstance(p, (mp.Ellipse, mp.Circle)):
            return "ellipse"
        if isinstance(p, mp.FancyBboxPatch):
            style = type(p.get_boxstyle()).__name__.lower()
            return "ellipse" if style in ("circle", "ellipse") else "rect"
        if isinstance(p, mp.Rectangle):
            return "rect"
        if isinstance(p, (mp.Polygon, mp.RegularPolygon)):
            return "polygon"
        return "path"

    def add_shape(self, p, b, kind):
        sid = f"s{len(self.sem['shapes'])}"
        fill = _hex(p.get_facecolor()) if p.get_fill() else None
        stroke = _hex(p.get_edgecolor()) if p.get_linewidth() else None
        self.sem["shapes"].append({"id": sid, "kind": kind, "fill": fill, "stroke": stroke, "bbox": b, "contains": []})
        return sid

    # ------------------------------------------------------------------ axes data
    def take_points(self, n):
        """How many of n points this line may keep (per-line and per-figure caps)."""
        k = max(0, min(n, MAX_POINTS, self.points_left))
        self.points_left -= k
        if k < n:
            self.sem["truncated"] = True
        return k

    def tick_map(self, axis):
        out = []
        for tick in axis.majorTicks:
            if id(tick.label1) in self.drawn_ids and tick.label1.get_text().strip():
                out.append((float(tick.get_loc()), _plain(tick.label1.get_text())))
        return out

    @staticmethod
    def nearest(ticks, v, width):
        if not ticks or v is None:
            return None
        locs = sorted(t[0] for t in ticks)
        gaps = [b - a for a, b in zip(locs, locs[1:]) if b > a]
        tol = max(min(gaps) / 2 if gaps else abs(width), abs(width) / 2) * 1.0001
        loc, label = min(ticks, key=lambda t: abs(t[0] - v))
        return label if abs(loc - v) <= tol else None

    def read_bars(self, ax, entry):
        from matplotlib.container import BarContainer
        conts = [c for c in ax.containers if isinstance(c, BarContainer)]
        xt, yt = self.tick_map(ax.xaxis), self.tick_map(ax.yaxis)
        kinds, centers, bases = set(), [], False
        for c in conts:
            horiz = c.orientation == "horizontal"
            rects = list(c.patches)
            vals = list(c.datavalues) if getattr(c, "datavalues", None) is not None else [None] * len(rects)
            hist = (not horiz and len(rects) >= 2 and _label(c) is None and all(
                math.isclose(a.get_x() + a.get_width(), b.get_x(), rel_tol=1e-9, abs_tol=1e-12)
                for a, b in zip(rects, rects[1:])))
            for rect, v in zip(rects, vals):
                self.used.add(id(rect))
                if len(entry["bars"]) >= MAX_ITEMS:
                    continue
                if horiz:
                    center, base, width = rect.get_y() + rect.get_height() / 2, rect.get_x(), rect.get_height()
                else:
                    center, base, width = rect.get_x() + rect.get_width() / 2, rect.get_y(), rect.get_width()
                centers.append(round(center, 9))
                bases = bases or (_f(base) not in (0.0, None))
                bar = {"category": None if hist else self.nearest(yt if horiz else xt, _f(center), width),
                       "series": _label(c), "value": _f(v), "orientation": "h" if horiz else "v", "base": _f(base),
                       "bbox": self.abox(rect) if rect.get_visible() else None}
                if hist:
                    bar["x0"], bar["x1"] = _f(rect.get_x()), _f(rect.get_x() + rect.get_width())
                entry["bars"].append(bar)
            kinds.add("histogram" if hist else ("barh" if horiz else "bar"))
        if not conts:
            return []
        if "histogram" in kinds:
            return ["histogram"]
        if len(conts) >= 2 and bases:
            return ["stacked_bar"]
        if len(conts) >= 2 and len(set(centers)) > len(conts[0].patches):
            return ["grouped_bar"]
        return sorted(kinds)

    def read_lines(self, ax, entry):
        import numpy as np
        found = False
        for ln in ax.lines[:MAX_ITEMS]:
            if not ln.get_visible():
                continue
            xy = np.asarray(ln.get_xydata(), dtype=float)
            if xy.ndim != 2 or not len(xy):
                continue
            pts = [[_f(x), _f(y)] for x, y in xy[:self.take_points(len(xy))]]
            pts = [p for p in pts if p[0] is not None and p[1] is not None]
            pad = self.r.points_to_pixels(ln.get_linewidth()) / 2 if ln.get_linestyle() not in ("None", "") else 0
            entry["lines"].append({"label": _label(ln), "points": pts, "color": _hex(ln.get_color()),
                                   "fill": False, "bbox": self.abox(ln, pad)})
            found = True
        return ["line"] if found else []

    def read_collections(self, ax, entry, aid):
        import matplotlib.collections as mc
        kinds = []
        for col in ax.collections[:MAX_ITEMS]:
            if not col.get_visible():
                continue
            if isinstance(col, mc.QuadMesh):
                self.read_quadmesh(ax, col, entry)
                kinds.append("heatmap")
            elif isinstance(col, mc.PathCollection):
                fc = col.get_facecolor()
                entry["scatters"].append({"label": _label(col), "count": int(len(col.get_offsets())),
                                          "color": _hex(fc[0]) if len(fc) else None, "bbox": self.abox(col)})
                kinds.append("scatter")
            elif type(col).__name__ in ("PolyCollection", "FillBetweenPolyCollection") and col.get_paths():
                v = col.get_paths()[0].vertices
                v = v[:self.take_points(len(v))]
                fc = col.get_facecolor()
                entry["lines"].append({"label": _label(col), "points": [[_f(x), _f(y)] for x, y in v
                                                                        if _f(x) is not None and _f(y) is not None],
                                       "color": _hex(fc[0]) if len(fc) else None, "fill": True,
                                       "bbox": self.abox(col)})
                kinds.append("area")
        return kinds

    def cell_texts(self, aid):
        return [t for t in self.sem["texts"] if t["axes"] == aid and t["role"] in ("text", "label")]

    def add_cells(self, entry, aid, grid):
        """grid: [(row, col, value, bbox_px)]; the first text centred in a cell becomes its text (role
        cell). Texts are matched through the grid's column/row edges (bisect), not cell by cell."""
        import bisect
        grid = grid[:MAX_CELLS]
        by_corner = {(b[0], b[1]): k for k, (_, _, _, b) in enumerate(grid) if b is not None}
        xs, ys = sorted({c[0] for c in by_corner}), sorted({c[1] for c in by_corner})
        found = {}
        for t in self.cell_texts(aid):
            tb = t["bbox"]
            cx, cy = (tb[0] + tb[2]) / 2, (tb[1] + tb[3]) / 2
            i, j = bisect.bisect_right(xs, cx) - 1, bisect.bisect_right(ys, cy) - 1
            k = by_corner.get((xs[i], ys[j])) if i >= 0 and j >= 0 else None
            if k is not None and k not in found:
                b = grid[k][3]
                if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]:
                    found[k] = t["text"]
                    t["role"] = "cell"
        for k, (row, col, value, b) in enumerate(grid):
            entry["cells"].append({"row": row, "col": col, "text": found.get(k), "value": value, "bbox": b})

    def read_quadmesh(self, ax, col, entry):
        import numpy as np
        coords = np.asarray(col._coordinates)
        arr = np.ma.asarray(col.get_array())
        nr, nc = coords.shape[0] - 1, coords.shape[1] - 1
        if nr * nc > MAX_CELLS or arr.size != nr * nc:
            return
        arr = arr.reshape(nr, nc)
        tr = col.get_transform()
        grid = []
        for i in range(nr):
            for j in range(nc):
                p0 = self.to_px(tr, *coords[i, j])
                p1 = self.to_px(tr, *coords[i + 1, j + 1])
                b = [round(min(p0[0], p1[0]), 2), round(min(p0[1], p1[1]), 2), round(max(p0[0], p1[0]), 2),
                     round(max(p0[1], p1[1]), 2)]
                v = arr[i, j]
                grid.append((i, j, None if np.ma.is_masked(v) else _f(v), b))
        self.add_cells(entry, entry["id"], grid)

    def read_images(self, ax, entry):
        import numpy as np
        kinds = []
        for im in ax.images:
            if not im.get_visible():
                continue
            A = im.get_array()
            if A is None:
                continue
            if A.ndim != 2:
                kinds.append("image")
                continue
            kinds.append("heatmap")
            nr, nc = A.shape
            if nr * nc > MAX_CELLS:
                continue
            left, right, bottom, top = im.get_extent()
            y_start, y_end = (top, bottom) if im.origin == "upper" else (bottom, top)
            tr = ax.transData
            grid = []
            for i in range(nr):
                for j in range(nc):
                    xa, xb = left + j * (right - left) / nc, left + (j + 1) * (right - left) / nc
                    ya, yb = y_start + i * (y_end - y_start) / nr, y_start + (i + 1) * (y_end - y_start) / nr
                    p0, p1 = self.to_px(tr, xa, ya), self.to_px(tr, xb, yb)
                    b = [round(min(p0[0], p1[0]), 2), round(min(p0[1], p1[1]), 2), round(max(p0[0], p1[0]), 2),
                         round(max(p0[1], p1[1]), 2)]
                    v = A[i, j]
                    grid.append((i, j, None if np.ma.is_masked(v) else _f(v), b))
            self.add_cells(entry, entry["id"], grid)
        return kinds

    def read_tables(self, ax, entry):
        found = False
        for tab in getattr(ax, "tables", []):
            for (row, col), cell in sorted(tab.get_celld().items()):
                if not cell.get_visible():
                    continue
                entry["cells"].append({"row": int(row), "col": int(col), "text": cell.get_text().get_text(),
                                       "value": None, "fill": _hex(cell.get_facecolor()),
                                       "bbox": self.abox(cell)})
                found = True
        return ["table"] if found else []

    def read_patches(self, ax, entry):
        import matplotlib.patches as mp
        kinds = []
        for p in ax.patches:
            if id(p) in self.used or not p.get_visible() or len(self.sem["shapes"]) + len(entry["wedges"]) >= MAX_ITEMS:
                continue
            if isinstance(p, mp.Wedge):
                frac = abs(p.theta2 - p.theta1) / 360.0
                entry["wedges"].append({"label": _label(p), "value": _f(getattr(p, "_coco_value", None)),
                                        "fraction": min(1.0, frac), "color": _hex(p.get_facecolor()),
                                        "bbox": self.abox(p)})
                kinds.append("donut" if p.width is not None else "pie")
            elif isinstance(p, (mp.FancyArrowPatch, mp.FancyArrow)):
                continue   # read as edges
            else:
                b = self.abox(p)
                if b is not None:
                    self.add_shape(p, b, self.shape_kind(p))
        return kinds

    def read_axes(self, ax, aid):
        entry = {"id": aid, "kind": "empty", "kinds": [], "title": ax.get_title() or None,
                 "xlabel": ax.get_xlabel() or None, "ylabel": ax.get_ylabel() or None,
                 "zlabel": (ax.get_zlabel() or None) if hasattr(ax, "get_zlabel") else None,
                 "xscale": ax.get_xscale(), "yscale": ax.get_yscale(), "x_inverted": bool(ax.xaxis_inverted()),
                 "y_inverted": bool(ax.yaxis_inverted()), "xlim": [_f(v) for v in ax.get_xlim()],
                 "ylim": [_f(v) for v in ax.get_ylim()], "bars": [], "lines": [], "scatters": [], "wedges": [],
                 "cells": [], "bbox": self.abox(ax)}
        leg = ax.get_legend()
        entry["legend"] = [t.get_text() for t in leg.get_texts()] if leg is not None and leg.get_visible() else []
        own = [t for t in self.sem["texts"] if t["axes"] == aid]
        entry["xticklabels"] = [t["text"] for t in own if t["role"] == "xtick"]
        entry["yticklabels"] = [t["text"] for t in own if t["role"] == "ytick"]
        kinds = self.read_bars(ax, entry) + self.read_lines(ax, entry) + self.read_collections(ax, entry, aid)
        kinds += self.read_images(ax, entry) + self.read_tables(ax, entry) + self.read_patches(ax, entry)
        kinds = list(dict.fromkeys(kinds))
        if "heatmap" in kinds or "table" in kinds:
            entry["lines"] = [ln for ln in entry["lines"] if ln["fill"]]
        entry["kinds"] = kinds
        if ax.name == "polar":
            entry["kind"] = "polar"
        elif ax.name == "3d":
            entry["kind"] = "3d"
        elif len(kinds) == 1:
            entry["kind"] = kinds[0]
        elif kinds:
            entry["kind"] = "mixed"
        return entry

    # ------------------------------------------------------------------ arrows
    def read_edges(self):
        import matplotlib.patches as mp
        from matplotlib.text import Annotation
        for t in self.drawn:
            if isinstance(t, Annotation) and t.arrow_patch is not None and t.arrow_patch.get_visible():
                pos = getattr(t.arrow_patch, "_posA_posB", None)
                if pos is None:
                    continue
                tr = t.arrow_patch.get_transform()
                start, end = self.to_px(tr, *pos[0]), self.to_px(tr, *pos[1])
                tid = self.tid.get(id(t))
                add_edge(self.sem, start, end, text=t.get_text() or None, directed=self.directed(t.arrow_patch),
                         from_id=tid)
        for ax in self.fig.axes:
            for p in ax.patches:
                if not p.get_visible():
                    continue
                if isinstance(p, mp.FancyArrowPatch) and getattr(p, "_posA_posB", None) is not None:
                    tr = p.get_transform()
                    (a, b) = p._posA_posB
                    add_edge(self.sem, self.to_px(tr, *a), self.to_px(tr, *b), directed=self.directed(p))
                elif isinstance(p, mp.FancyArrow) and hasattr(p, "_dx"):
                    tr = p.get_transform()
                    add_edge(self.sem, self.to_px(tr, p._x, p._y), self.to_px(tr, p._x + p._dx, p._y + p._dy))

    @staticmethod
    def directed(p):
        try:
            return type(p.get_arrowstyle()).__name__ != "Curve"
        except Exception:
            return True

    def read(self):
        aids = []
        for i, ax in enumerate(self.fig.axes):
            aids.append(f"ax{i}")
            if ax.get_visible() and not hasattr(ax, "_colorbar"):
                self.register_roles(ax, aids[-1])
        self.read_texts()
        for ax, aid in zip(self.fig.axes, aids):
            if ax.get_visible() and not hasattr(ax, "_colorbar"):
                self.sem["axes"].append(self.read_axes(ax, aid))
        for p in self.fig.patches:
            b = self.abox(p) if p.get_visible() else None
            if b is not None:
                self.add_shape(p, b, self.shape_kind(p))
        link_containment(self.sem)
        self.read_edges()
        for a in self.sem["axes"]:
            if a["kind"] == "empty" and (self.sem["shapes"] or self.sem["edges"]):
                a["kind"] = "diagram"
        return self.sem


def capture(fig, renderer, drawn_texts, log=None):
    """Semantic layout of ``fig`` as drawn by ``renderer`` (pixels of that canvas), or None if it
    cannot be read. ``drawn_texts`` are the Text artists this draw drew, in order (recorded by the
    runner's Text.draw wrapper). Best-effort: never fails the render."""
    try:
        return _Reader(fig, renderer, drawn_texts).read()
    except Exception as e:  # noqa: BLE001
        if log is not None:
            log.write(f"[sandbox] semantic layout capture failed: {type(e).__name__}: {e}\n")
        return None
