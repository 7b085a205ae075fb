"""Semantic layout of PIL drawings: the ImageDraw shape calls (rectangle, ellipse, line, polygon...)
are recorded per image with their pixel boxes and colours; texts come from the runner's text
capture (``ctx.pil``); resize/convert/copy/paste/alpha_composite carry the records over; each save
is read by ``build`` (the runner calls it where it records a PIL save)."""

from __future__ import annotations

from . import _context
from ._semantic_common import arrows_from_lines, link_containment, new_semantic

_PATCHED = False
MAX_SHAPES = 5000


def _store(ctx):
    st = getattr(ctx, "sem_pil", None)
    if st is None:
        st = ctx.sem_pil = {}
    return st


def _rec(ctx, img):
    st = _store(ctx)
    r = st.get(id(img))
    if r is None or r["img"] is not img:
        r = st[id(img)] = {"img": img, "shapes": [], "texts": []}
    return r


def _color(c, mode):
    if c is None:
        return None
    try:
        from PIL import ImageColor
        if isinstance(c, str):
            rgb = ImageColor.getrgb(c)
        elif isinstance(c, int):
            if mode in ("RGB", "RGBA", "RGBX"):
                rgb = (c & 255, (c >> 8) & 255, (c >> 16) & 255)
            else:
                rgb = (c, c, c)
        else:
            rgb = tuple(int(v) for v in c)
            if len(rgb) == 1:
                rgb = rgb * 3
        if len(rgb) == 4 and rgb[3] == 0:
            return None
        return "#%02x%02x%02x" % tuple(max(0, min(255, int(v))) for v in rgb[:3])
    except Exception:
        return None


def _points(xy):
    """PIL's coordinate forms -> [(x, y), ...]."""
    if xy is None:
        return []
    xy = list(xy)
    if xy and isinstance(xy[0], (int, float)):
        return [(float(xy[i]), float(xy[i + 1])) for i in range(0, len(xy) - 1, 2)]
    return [(float(p[0]), float(p[1])) for p in xy]


def _bounds(pts):
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return [min(xs), min(ys), max(xs), max(ys)]


def _record(draw, kind, pts, fill, outline, width, closed=True, extra=None):
    ctx = _context.CTX
    img = getattr(draw, "_image", None)
    if ctx is None or img is None or not pts:
        return
    r = _rec(ctx, img)
    if len(r["shapes"]) >= MAX_SHAPES:
        return
    x0, y0, x1, y1 = _bounds(pts)
    if closed:      # PIL fills x0..x1 inclusive
        b = [x0, y0, x1 + 1, y1 + 1]
    else:           # a line of width w covers w/2 either side of its centre line
        h = max(1.0, float(width or 1)) / 2
        b = [x0 - h + 0.5, y0 - h + 0.5, x1 + h + 0.5, y1 + h + 0.5]
    mode = getattr(img, "mode", "RGB")
    sh = {"kind": kind, "bbox": b, "fill": _color(fill, mode) if closed else None,
          "stroke": _color(outline if closed else fill, mode) if (outline is not None or not closed) else None,
          "pts": pts if not closed or kind == "polygon" else None}
    if extra:
        sh.update(extra)
    r["shapes"].append(sh)


def _rect_pts(xy):
    pts = _points(xy)
    return pts[:2] if len(pts) >= 2 else []


def _texts_of(ctx, img):
    base = ctx.pil.get(id(img)) if isinstance(getattr(ctx, "pil", None), dict) else None
    texts = list(base[1]) if base is not None and base[0] is img else []
    r = _store(ctx).get(id(img))
    if r is not None and r["img"] is img:
        texts += r["texts"]
    return texts


def _carry(ctx, src, dst, fx=1.0, fy=1.0, dx=0.0, dy=0.0):
    """Copy src's records to dst, scaled by (fx, fy) and moved by (dx, dy)."""
    if src is None or dst is None or src is dst:
        return
    texts = _texts_of(ctx, src)
    r = _store(ctx).get(id(src))
    shapes = r["shapes"] if r is not None and r["img"] is src else []
    if not texts and not shapes:
        return
    m = lambda b: [b[0] * fx + dx, b[1] * fy + dy, b[2] * fx + dx, b[3] * fy + dy]
    d = _rec(ctx, dst)
    for t in texts:
        t2 = dict(t, bbox=m(t["bbox"]))
        if t2.get("fontsize"):
            t2["fontsize"] = t2["fontsize"] * fy
        d["texts"].append(t2)
    for s in shapes:
        s2 = dict(s, bbox=m(s["bbox"]))
        if s.get("pts"):
            s2["pts"] = [(x * fx + dx, y * fy + dy) for x, y in s["pts"]]
        d["shapes"].append(s2)


def build(ctx, img):
    """The semantic layout of ``img`` (pixels of ``img``) from everything drawn on it, or None."""
    try:
        return _build(ctx, img)
    except Exception as e:  # noqa: BLE001 - best-effort, never fails the save
        ctx.log.write(f"[sandbox] semantic capture of a PIL save failed: {type(e).__name__}: {e}\n")
        return None


def _build(ctx, img):
    W, H = img.size
    sem = new_semantic("pil", W, H)
    for t in _texts_of(ctx, img):
        if t.get("type", "text") != "text":
            continue
        fs = t.get("fontsize")
        sem["texts"].append({"id": f"t{len(sem['texts'])}", "text": t["text"], "role": "text", "axes": None,
                             "fontsize_px": fs, "rotation": 0.0, "color": t.get("color"), "bbox": t["bbox"],
                             "inside": None})
    r = _store(ctx).get(id(img))
    shapes = r["shapes"] if r is not None and r["img"] is img else []
    pts_of = {}
    for s in shapes:
        sid = f"s{len(sem['shapes'])}"
        pts_of[sid] = s.get("pts")
        sem["shapes"].append({"id": sid, "kind": s["kind"], "fill": s["fill"], "stroke": s["stroke"],
                              "bbox": s["bbox"], "contains": []})
    link_containment(sem)
    arrows_from_lines(sem, pts_of)
    return sem


def install():
    global _PATCHED
    if _PATCHED:
        return
    from PIL import Image, ImageDraw
    D = ImageDraw.ImageDraw

    def wrap(name, fn):
        orig = getattr(D, name)

        def method(self, xy, *args, **kwargs):
            result = orig(self, xy, *args, **kwargs)
            if _context.CTX is not None:
                try:
                    fn(self, xy, *args, **kwargs)
                except Exception as e:  # capture is best-effort; never fail the drawing
                    _context.CTX.log.write(f"[sandbox] semantic capture of {name} failed: {type(e).__name__}: {e}\n")
            return result
        method.__wrapped__ = orig
        setattr(D, name, method)

    def rect(kind):
        return lambda self, xy, fill=None, outline=None, width=1, *a, **k: _record(
            self, kind, _rect_pts(xy), k.get("fill", fill), k.get("outline", outline), width)
    wrap("rectangle", rect("rect"))
    wrap("ellipse", rect("ellipse"))
    wrap("rounded_rectangle", lambda self, xy, radius=0, fill=None, outline=None, width=1, *a, **k: _record(
        self, "rect", _rect_pts(xy), fill, outline, width))
    for name in ("pieslice", "chord"):
        wrap(name, lambda self, xy, start=0, end=360, fill=None, outline=None, width=1, *a, **k: _record(
            self, "path", _rect_pts(xy), fill, outline, width))
    wrap("arc", lambda self, xy, start=0, end=360, fill=None, width=1, *a, **k: _record(
        self, "path", _rect_pts(xy), None, fill, width))
    wrap("line", lambda self, xy, fill=None, width=0, *a, **k: _record(
        self, "line", _points(xy), fill, None, width, closed=False))
    wrap("polygon", lambda self, xy, fill=None, outline=None, width=1, *a, **k: _record(
        self, "polygon", _points(xy), fill, outline, width))

    def regular_polygon(self, bounding_circle, n_sides, rotation=0, fill=None, outline=None, width=1, *a, **k):
        (cx, cy), r = (bounding_circle[0], bounding_circle[1]) if len(bounding_circle) == 2 and \
            not isinstance(bounding_circle[0], (int, float)) else ((bounding_circle[0], bounding_circle[1]),
                                                                  bounding_circle[2])
        _record(self, "polygon", [(cx - r, cy - r), (cx + r, cy + r)], fill, outline, width)
    wrap("regular_polygon", regular_polygon)

    # records follow the image through resize / convert / copy / paste / alpha_composite
    orig_resize = Image.Image.resize

    def resize(self, size, *a, **k):
        out = orig_resize(self, size, *a, **k)
        ctx = _context.CTX
        if ctx is not None and out is not self:
            box = k.get("box") if "box" in k else (a[1] if len(a) > 1 else None)
            if box is None:
                _carry(ctx, self, out, out.size[0] / max(1, self.size[0]), out.size[1] / max(1, self.size[1]))
        return out
    Image.Image.resize = resize
    for name in ("convert", "copy"):
        orig_m = getattr(Image.Image, name)

        def same(self, *a, _orig=orig_m, **k):
            out = _orig(self, *a, **k)
            ctx = _context.CTX
            if ctx is not None and out is not self and getattr(out, "size", None) == self.size:
                _carry(ctx, self, out)
            return out
        setattr(Image.Image, name, same)

    orig_paste = Image.Image.paste

    def paste(self, im, box=None, mask=None):
        result = orig_paste(self, im, box, mask)
        ctx = _context.CTX
        if ctx is not None and isinstance(im, Image.Image):
            dx, dy = (box[0], box[1]) if isinstance(box, (tuple, list)) and len(box) >= 2 else (0, 0)
            _carry(ctx, im, self, dx=float(dx), dy=float(dy))
        return result
    Image.Image.paste = paste

    orig_ac = Image.alpha_composite

    def alpha_composite(im1, im2):
        out = orig_ac(im1, im2)
        ctx = _context.CTX
        if ctx is not None:
            _carry(ctx, im1, out)
            _carry(ctx, im2, out)
        return out
    Image.alpha_composite = alpha_composite

    _PATCHED = True
