"""Capture: the single place where a matplotlib figure, a saved file or an SVG becomes an image
(+ layout + text pixels). ``FigCapture`` records a figure's draw; ``collect`` gathers a job's images."""

from __future__ import annotations

import io
import os

from . import _context, _fonts
from ._context import IMAGE_EXTS, MAX_ELEMENTS, CanvasTooLarge, SaveRecord

def _hex(c):
    try:
        import matplotlib.colors as mcolors
        return mcolors.to_hex(c)
    except Exception:
        return None


class FigCapture:
    """Connected to a figure's draw_event during savefig: records the texts drawn (Text.draw is
    wrapped), their boxes in the saved image's pixels, other artists' boxes, and the text pixels."""

    def __init__(self, ctx, fig):
        self.ctx, self.fig = ctx, fig
        self.texts = []
        self.recording = True
        self.layout = None
        self.mask = None
        self.size = None
        self.rgba = None

    def on_draw(self, event):
        if "draw_path" in vars(event.renderer):   # matplotlib's layout-only pass (_draw_disabled): skip
            self.texts = []
            return
        try:
            self._capture(event.renderer)
        except Exception as e:  # layout is best-effort; never fail the render for it
            self.ctx.log.write(f"[sandbox] layout capture failed: {type(e).__name__}: {e}\n")
        self.texts = []

    def _capture(self, renderer):
        import matplotlib.font_manager as fm
        W, H = renderer.get_canvas_width_height()
        W, H = float(W), float(H)
        self.size = (int(round(W)), int(round(H)))
        elements = []
        seen = set()

        def box(bb):
            x0, y0, x1, y1 = bb.x0, bb.y0, bb.x1, bb.y1
            if not all(map(lambda v: v == v and abs(v) < 1e7, (x0, y0, x1, y1))):
                return None
            return [round(x0, 2), round(H - y1, 2), round(x1, 2), round(H - y0, 2)]

        texts = []
        for t in self.texts:
            if id(t) in seen:
                continue
            seen.add(id(t))
            s = t.get_text()
            if not s or not t.get_visible() or not s.strip():
                continue
            b = box(t.get_window_extent(renderer))
            if b is None:
                continue
            texts.append(t)
            el = {"type": "text", "text": s, "bbox": b, "fontsize": float(t.get_fontsize()),
                  "color": _hex(t.get_color()), "rotation": float(t.get_rotation()),
                  "font": ",".join(t.get_fontfamily()) if isinstance(t.get_fontfamily(), list) else str(t.get_fontfamily())}
            elements.append(el)
            try:
                clean, ismath = t._preprocess_math(s)
                if not ismath and not t.get_usetex():
                    fp = t.get_fontproperties()
                    import matplotlib
                    key = (tuple(fp.get_family()), fp.get_weight(), fp.get_style(), fp.get_stretch(),
                           tuple(matplotlib.rcParams["font.sans-serif"]), tuple(matplotlib.rcParams["font.serif"]))
                    paths = _fonts.PATHS_CACHE.get(key)
                    if paths is None:
                        paths = _fonts.PATHS_CACHE[key] = fm.fontManager._find_fonts_by_props(fp)
                    chars = _fonts.missing_chars(clean, paths)
                    if chars:
                        fams = [os.path.basename(p) for p in paths]
                        _context.note_missing(self.ctx, clean, chars, ", ".join(fams[:3]))
            except Exception:
                pass

        def add(kind, artist, **extra):
            if len(elements) >= MAX_ELEMENTS or not artist.get_visible():
                return
            try:
                b = box(artist.get_window_extent(renderer))
            except Exception:
                return
            if b is None or b[2] - b[0] <= 0 and b[3] - b[1] <= 0:
                return
            el = {"type": kind, "bbox": b}
            el.update(extra)
            elements.append(el)

        fig = self.fig
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            add("axes", ax, title=ax.get_title() or None)
            for p in ax.patches:
                c = None
                try:
                    c = _hex(p.get_facecolor())
                except Exception:
                    pass
                add("patch", p, color=c)
            for ln in ax.lines:
                add("line", ln, color=_hex(ln.get_color()))
            for im in ax.images:
                add("image", im)
            for col in ax.collections:
                add("collection", col)
            for tab in getattr(ax, "tables", []):
                add("table", tab)
        for p in fig.patches:
            add("patch", p, color=_hex(p.get_facecolor()))
        for ln in fig.lines:
            add("line", ln, color=_hex(ln.get_color()))
        for im in fig.images:
            add("image", im)
        self.layout = {"elements": elements}
        from matplotlib.backends.backend_agg import RendererAgg as _RA
        if isinstance(renderer, _RA):
            self.rgba = bytes(renderer.buffer_rgba())   # what a PNG save writes (saves a decode later)
        # actual text pixels: draw the text artists alone on a transparent canvas of the same size
        from matplotlib.backends.backend_agg import RendererAgg
        if isinstance(renderer, RendererAgg) and texts:
            import numpy as np
            r2 = RendererAgg(int(W), int(H), renderer.dpi)
            self.recording = False
            try:
                for t in texts:
                    t.draw(r2)
            finally:
                self.recording = True
            alpha = np.asarray(r2.buffer_rgba())[..., 3]
            self.mask = (np.where(alpha > 24, 255, 0).astype(np.uint8)).tobytes()
        elif not texts:
            self.mask = bytes(int(W) * int(H))


def capture_figure(ctx, fig, source):
    buf = io.BytesIO()
    cap = None
    fig.savefig(buf, format="rgba", dpi=fig.dpi)
    cap = ctx.saves.pop()  # savefig recorded it; this is a capture, not a save
    w, h = cap.size
    data = buf.getvalue()
    if len(data) != w * h * 4:
        raise RuntimeError(f"figure capture size mismatch ({len(data)} != {w}x{h}x4)")
    cap.rgba = data
    cap.source = source
    return cap


def load_image_file(ctx, path, source):
    from PIL import Image
    if path.lower().endswith(".svg"):
        from . import _svg
        with open(path, "rb") as f:
            data = f.read(8 * 1024 * 1024 + 1)
        w, h, rgba, _layout = _svg.render_svg(data.decode("utf-8", "replace"), ctx.limits, ctx.log)
        return w, h, rgba
    Image.MAX_IMAGE_PIXELS = None   # our own check below, before decoding, names the setting
    with Image.open(path) as im:
        w, h = im.size
        ctx.check_canvas(w, h, f"the saved image {source}")
        im.seek(0)
        rgba = im.convert("RGBA").tobytes()
    return w, h, rgba


def collect(ctx):
    """Saved images in save order (then other image files in output_dir), else the open figures."""
    import matplotlib.pyplot as plt
    out = []
    seen = set()
    od = ctx.output_dir
    last = {}
    for rec in ctx.saves:
        if rec.path is not None:
            last[rec.path] = rec
    for rec in ctx.saves:
        if rec.path is None or rec.path in seen:
            continue
        seen.add(rec.path)
        out.append(last[rec.path])
    extra = []
    for root, dirs, files in os.walk(od):
        if root.count(os.sep) - od.count(os.sep) > 2:
            dirs[:] = []
            continue
        for fn in files:
            p = os.path.realpath(os.path.join(root, fn))
            if p not in seen and fn.lower().endswith(IMAGE_EXTS):
                try:
                    extra.append((os.stat(p).st_mtime_ns, p))
                except OSError:
                    pass
    for _, p in sorted(extra):
        out.append(SaveRecord(path=p, source="file"))
    images = []
    for rec in out:
        if not os.path.exists(rec.path):
            continue
        rel = os.path.relpath(rec.path, od)
        source = "output_dir/" + rel if not rel.startswith("..") else rec.path
        try:
            d = rec.direct
            st = os.stat(rec.path)
            if d is not None and (st.st_mtime_ns, st.st_size) == (d[1], d[2]):
                (w, h), rgba = rec.size, d[0]
            else:
                w, h, rgba = load_image_file(ctx, rec.path, source)
        except CanvasTooLarge:
            raise
        except Exception as e:
            ctx.log.write(f"[sandbox] skipped {source}: not a readable image ({type(e).__name__}: {e})\n")
            continue
        rec.rgba, rec.source = rgba, source
        if rec.size != (w, h):
            rescale(rec, w, h)
        rec.size = (w, h)
        images.append(rec)
    if images:
        return images
    # nothing saved: the open figures (and any snapshot taken by plt.show of figures closed since)
    caps = dict(ctx.shown)
    for num in plt.get_fignums():
        caps[num] = capture_figure(ctx, plt.figure(num), f"figure {num}")
    return [caps[k] for k in sorted(caps)]


def rescale(rec, w, h):
    if rec.layout is None or not rec.size:
        rec.mask = None
        return
    sw, sh = rec.size
    fx, fy = w / max(sw, 1), h / max(sh, 1)
    for el in rec.layout.get("elements", []):
        b = el.get("bbox")
        if b:
            el["bbox"] = [b[0] * fx, b[1] * fy, b[2] * fx, b[3] * fy]
    if rec.mask is not None and len(rec.mask) == sw * sh:
        from PIL import Image
        m = Image.frombytes("L", (sw, sh), rec.mask).resize((w, h), Image.NEAREST)
        rec.mask = m.tobytes()
    else:
        rec.mask = None

