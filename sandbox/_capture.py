"""Capture: the single place where a matplotlib figure, a saved file or an SVG becomes an image
(+ layout + text pixels). ``FigCapture`` records a figure's draw; ``collect`` gathers a job's images."""

from __future__ import annotations

import io
import os

from . import _context, _fonts, _semantic_mpl, _semantic_pil, _semantic_svg
from ._context import IMAGE_EXTS, MAX_ELEMENTS, VECTOR_FORMATS, CanvasTooLarge, SaveRecord

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
        self.layout["semantic"] = _semantic_mpl.capture(fig, renderer, self.texts, self.ctx.log)   # same draw
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


_RASTER_KEYS = ("bbox_inches", "pad_inches", "facecolor", "edgecolor", "transparent", "bbox_extra_artists")


def _save_format(path, kwargs):
    import matplotlib
    fmt = kwargs.get("format")
    if not fmt:
        ext = os.path.splitext(path)[1][1:]
        fmt = ext if ext else matplotlib.rcParams["savefig.format"]
    return str(fmt).lower()


def _draw_save(ctx, fig, orig_savefig, fname, args, kwargs, capture=True):
    """One matplotlib save with the layout/text capture connected to its draw (the single place a
    matplotlib image is captured: FigCapture runs on that draw, no extra draw)."""
    cap = FigCapture(ctx, fig) if capture else None
    cid = fig.canvas.mpl_connect("draw_event", cap.on_draw) if capture else None
    prev = ctx.text_cap
    ctx.text_cap = cap
    ctx.in_savefig += 1
    try:
        result = orig_savefig(fig, fname, *args, **kwargs)
    finally:
        ctx.in_savefig -= 1
        ctx.text_cap = prev
        if cid is not None:
            fig.canvas.mpl_disconnect(cid)
    return result, cap


def record_figure_save(ctx, fig, orig_savefig, fname, args, kwargs):
    """``Figure.savefig`` inside a job. A path anywhere is redirected into scratch (missing folders
    made) and recorded in write order. Raster formats are captured at the draw that writes them;
    vector formats (pdf, svg, eps, ...) are written as asked, and the image returned for them is the
    figure rendered to a raster at the figure's own dpi (not the vector file rasterised)."""
    asked = fname if isinstance(fname, (str, os.PathLike)) else None
    target = ctx.redirect(fname) if asked is not None else fname
    fmt = _save_format(os.fsdecode(os.fspath(target)) if asked is not None else "", kwargs)
    if asked is not None and fmt in VECTOR_FORMATS:
        result, _ = _draw_save(ctx, fig, orig_savefig, target, args, kwargs, capture=False)
        path = _saved_path(target, fmt)
        rk = {k: v for k, v in kwargs.items() if k in _RASTER_KEYS}
        rec = capture_figure(ctx, fig, "", fit=True, **rk)
        rec.path, rec.shown_as, rec.source = path, asked, "figure"
        try:
            st = os.stat(path)
            rec.direct = (rec.rgba, st.st_mtime_ns, st.st_size)
        except OSError:
            pass
        rec.seq = ctx.next_seq()
        ctx.saves.append(rec)
        return result
    dpi = kwargs.get("dpi")
    if isinstance(dpi, (int, float)) and dpi > 0 and fmt not in VECTOR_FORMATS:
        w, h = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
        ctx.check_canvas(w, h, f"the saved image (figsize {fig.get_figwidth():g}x{fig.get_figheight():g}"
                               f" in at dpi {dpi:g})")
    result, cap = _draw_save(ctx, fig, orig_savefig, target, args, kwargs)
    path = _saved_path(target, fmt) if asked is not None else None
    rec = SaveRecord(path=path, size=cap.size, layout=cap.layout, mask=cap.mask, source="figure")
    rec.shown_as = asked
    if path is not None and cap.rgba is not None and cap.size and fmt == "png" \
            and len(cap.rgba) == cap.size[0] * cap.size[1] * 4:
        try:
            st = os.stat(path)
            rec.direct = (cap.rgba, st.st_mtime_ns, st.st_size)
        except OSError:
            pass
    rec.seq = ctx.next_seq()
    ctx.saves.append(rec)
    # a save into a buffer counts too: code that post-processes the pixels (PIL) and saves the
    # result does not get the raw figure back as well (unless nothing else came out, see collect)
    _mark_current(ctx, fig)
    return result


def _saved_path(target, fmt):
    path = os.path.realpath(os.fspath(target))
    if not os.path.splitext(path)[1] and not os.path.exists(path) and os.path.exists(path + "." + fmt):
        path = path + "." + fmt
    return path


def _mark_current(ctx, fig):
    """The figure's pixels are now in an image: it is not captured again unless it changes."""
    ctx.figure_seen[id(fig)] = fig
    fig.stale = False


def _is_current(ctx, fig):
    return ctx.figure_seen.get(id(fig)) is fig and not fig.stale


def record_pil_save(ctx, img, target, asked):
    """``Image.save`` to a path inside a job (already redirected into scratch): record it with the
    text layout/pixels the PIL text wrapper collected for this image."""
    rec = ctx.pil.get(id(img))
    if rec is None and ctx.pil_last is not None and ctx.pil_last[0].size == img.size:
        rec = ctx.pil_last
    if rec is not None:
        layout = {"elements": list(rec[1])}
        mask = rec[2].tobytes() if rec[2] is not None else None
    else:
        layout = {"elements": []}
        mask = bytes(img.size[0] * img.size[1])
    layout["semantic"] = _semantic_pil.build(ctx, img)
    save = SaveRecord(path=os.path.realpath(target), size=img.size, layout=layout, mask=mask, source="pil")
    save.shown_as = asked
    if not save.path.lower().endswith(IMAGE_EXTS):     # pdf, eps, ...: the pixels that were saved
        try:
            ctx.check_canvas(img.size[0], img.size[1], "the saved image")
            st = os.stat(save.path)
            save.direct = (img.convert("RGBA").tobytes(), st.st_mtime_ns, st.st_size)
        except OSError:
            pass
    save.seq = ctx.next_seq()
    ctx.saves.append(save)


def capture_figure(ctx, fig, source, fit=False, **kwargs):
    """Render ``fig`` to RGBA at its own dpi (the layout and text pixels come from the same draw).
    ``fit``: lower the dpi when that raster would exceed the canvas limits (vector saves)."""
    buf = io.BytesIO()
    dpi = fig.dpi
    if fit:
        lim = ctx.limits
        w, h = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
        scale = min(1.0, lim.max_side / max(w, h, 1), (lim.max_megapixels * 1e6 / max(w * h, 1)) ** 0.5)
        if scale < 1.0:
            dpi = max(1.0, int(dpi * scale * 0.999))
            ctx.log.write(f"[sandbox] figure rendered at dpi {dpi:g} instead of {fig.dpi:g} to stay within "
                          f"the canvas limits\n")
    fig.savefig(buf, format="rgba", dpi=dpi, **kwargs)
    cap = ctx.saves.pop()  # savefig recorded it; this is a capture, not a save
    w, h = cap.size
    data = buf.getvalue()
    if len(data) != w * h * 4:
        raise RuntimeError(f"figure capture size mismatch ({len(data)} != {w}x{h}x4)")
    cap.rgba = data
    cap.source = source
    cap.seq = ctx.next_seq()
    _mark_current(ctx, fig)
    return cap


def _open_figures():
    from matplotlib._pylab_helpers import Gcf
    return [(m.num, m.canvas.figure) for m in sorted(Gcf.get_all_fig_managers(), key=lambda m: m.num)]


def capture_open_figures(ctx):
    """plt.show() and the end of a job: every open figure not already in an image unchanged."""
    for num, fig in _open_figures():
        if not _is_current(ctx, fig):
            ctx.shown.append(capture_figure(ctx, fig, f"figure {num}"))


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
    """Every image of the job in the order it was made: saves anywhere (a path saved twice keeps its
    first place and its last content), plt.show() snapshots, other image files written into scratch,
    then the figures still open that no image shows as they are now."""
    od = ctx.output_dir
    last = {}
    for rec in ctx.saves:
        if rec.path is not None:
            last[rec.path] = rec
    seen = set()
    out = []
    for rec in ctx.saves:
        if rec.path is None or rec.path in seen:
            continue
        seen.add(rec.path)
        keep = last[rec.path]
        keep.seq = rec.seq
        out.append(keep)
    extra = []
    skip = seen
    for root, dirs, files in os.walk(od):
        if root.count(os.sep) - od.count(os.sep) > 2:
            dirs[:] = []
            continue
        for fn in files:
            p = os.path.realpath(os.path.join(root, fn))
            if p not in skip and fn.lower().endswith(IMAGE_EXTS):
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                if ctx.inputs.get(p) == (st.st_mtime_ns, st.st_size):
                    continue
                extra.append((st.st_mtime_ns, p))
    for _, p in sorted(extra):
        out.append(SaveRecord(path=p, source="file"))
        out[-1].seq = ctx.next_seq()
    images = []
    for rec in out:
        if not os.path.exists(rec.path):
            continue
        source = ctx.display_name(rec.path, rec.shown_as)
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
        if rec.layout is None and rec.path.lower().endswith(".svg"):   # an SVG file the code wrote itself
            rec.layout = {"elements": [], "semantic": _semantic_svg.capture_file(ctx, rec.path, w, h)}
        if rec.size != (w, h):
            rescale(rec, w, h)
        rec.size = (w, h)
        images.append(rec)
    capture_open_figures(ctx)
    images += ctx.shown
    if not images:     # only saved into buffers: the open figures are the output
        ctx.figure_seen.clear()
        capture_open_figures(ctx)
        images += ctx.shown
    images.sort(key=lambda r: r.seq)
    return images


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

