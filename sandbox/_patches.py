"""The global matplotlib/PIL patches, installed once per process and inert outside a job."""

from __future__ import annotations

import os
import re

from . import _context, _fonts, _semantic_install
from ._capture import capture_open_figures, record_figure_save, record_pil_save
from ._fixups import BAD_COLOURS

_PATCHED = False
_CSS: tuple = ()


def _pil_hex(fill, mode="RGB"):
    try:
        from PIL import ImageColor
        if fill is None:
            return "#000000"
        if isinstance(fill, str):
            rgb = ImageColor.getrgb(fill)
        elif isinstance(fill, int):
            rgb = (fill, fill, fill)
        else:
            rgb = tuple(fill)
        return "#%02x%02x%02x" % tuple(int(v) for v in rgb[:3])
    except Exception:
        return None



def install_patches():
    """Idempotent global patches of matplotlib/PIL. Without an active job they call through."""
    global _PATCHED
    if _PATCHED:
        return
    import contextlib as _cl

    import matplotlib
    import matplotlib.colors as mcolors
    import matplotlib.legend as mlegend
    import matplotlib.pyplot as plt
    import matplotlib.text as mtext
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image, ImageDraw, ImageFont

    # --- canvas size, checked before Agg allocates anything
    orig_get_renderer = FigureCanvasAgg.get_renderer

    def get_renderer(self, *a, **k):
        ctx = _context.CTX
        if ctx is not None:
            w, h = self.figure.bbox.size
            ctx.check_canvas(w, h, f"the figure canvas ({self.figure.get_figwidth():g}x"
                                   f"{self.figure.get_figheight():g} in at dpi {self.figure.dpi:g})")
        return orig_get_renderer(self, *a, **k)
    FigureCanvasAgg.get_renderer = get_renderer

    # --- savefig: saves anywhere land in scratch (missing folders made); each save is recorded and
    # captured (layout + text pixels) by _capture at the draw that makes the saved image
    orig_savefig = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        ctx = _context.CTX
        if ctx is None:
            return orig_savefig(self, fname, *args, **kwargs)
        return record_figure_save(ctx, self, orig_savefig, fname, args, kwargs)
    Figure.savefig = savefig

    orig_text_draw = mtext.Text.draw

    def text_draw(self, renderer, *a, **k):
        ctx = _context.CTX
        if ctx is not None and ctx.text_cap is not None and ctx.text_cap.recording:
            ctx.text_cap.texts.append(self)
        return orig_text_draw(self, renderer, *a, **k)
    mtext.Text.draw = text_draw
    if "draw" in mtext.Annotation.__dict__:
        orig_ann_draw = mtext.Annotation.draw

        def ann_draw(self, renderer, *a, **k):
            ctx = _context.CTX
            if ctx is not None and ctx.text_cap is not None and ctx.text_cap.recording:
                ctx.text_cap.texts.append(self)
            return orig_ann_draw(self, renderer, *a, **k)
        mtext.Annotation.draw = ann_draw

    # --- plt.show: snapshot the open figures that changed since their last save/snapshot (Agg cannot
    # show; nothing is drawn again for an unchanged figure); plt.xkcd: disabled
    def show(*a, **k):
        ctx = _context.CTX
        if ctx is None:
            return None
        capture_open_figures(ctx)
    plt.show = show
    plt.xkcd = lambda *a, **k: _cl.nullcontext()

    # --- matplotlib.use("TkAgg") / plt.switch_backend("Qt5Agg"): interactive backends cannot run
    # here; the job keeps drawing with Agg (as a script on a desktop would show what Agg draws)
    orig_use, orig_switch = matplotlib.use, plt.switch_backend

    def _interactive(name):
        low = str(name).lower()
        return not (low in ("agg", "pdf", "svg", "ps", "pgf", "cairo", "template") or low.startswith("module://"))

    def use(backend, *a, **k):
        ctx = _context.CTX
        if ctx is not None and _interactive(backend):
            ctx.log.write(f"[sandbox] matplotlib.use({backend!r}) ignored: the sandbox draws with Agg\n")
            return None
        return orig_use(backend, *a, **k)
    matplotlib.use = use

    def switch_backend(newbackend):
        ctx = _context.CTX
        if ctx is not None and _interactive(newbackend):
            ctx.log.write(f"[sandbox] plt.switch_backend({newbackend!r}) ignored: the sandbox draws with Agg\n")
            return None
        return orig_switch(newbackend)
    plt.switch_backend = switch_backend

    # --- stem(baseline=...) / use_line_collection were removed from matplotlib
    orig_stem = Axes.stem

    def stem(self, *args, **kwargs):
        kwargs.pop("baseline", None)
        kwargs.pop("use_line_collection", None)
        return orig_stem(self, *args, **kwargs)
    Axes.stem = stem

    # --- invalid legend loc strings
    valid = set(mlegend.Legend.codes) if hasattr(mlegend.Legend, "codes") else set()
    loc_map = {"top": "upper center", "bottom": "lower center", "left": "center left", "right": "center right",
               "top right": "upper right", "top left": "upper left", "bottom right": "lower right",
               "bottom left": "lower left", "middle": "center", "centre": "center", "upper": "upper center",
               "lower": "lower center", "outside": "best", "auto": "best", "top center": "upper center",
               "bottom center": "lower center", "center top": "upper center", "center bottom": "lower center"}
    orig_legend_init = mlegend.Legend.__init__

    def legend_init(self, *args, **kwargs):
        loc = kwargs.get("loc")
        if isinstance(loc, str) and valid and loc not in valid:
            key = re.sub(r"[\s_\-]+", " ", loc.strip().lower())
            new = key if key in valid else loc_map.get(key, "best")
            if _context.CTX is not None:
                _context.CTX.log.write(f"[sandbox] legend loc {loc!r} is not valid; using {new!r}\n")
            kwargs["loc"] = new
        return orig_legend_init(self, *args, **kwargs)
    mlegend.Legend.__init__ = legend_init

    # --- invalid colour names
    cmap = mcolors.get_named_colors_mapping()
    for bad, good in BAD_COLOURS.items():
        if bad not in cmap:
            try:
                cmap[bad] = mcolors.to_hex(good)
            except Exception:
                pass
    global _CSS
    _CSS = tuple(mcolors.CSS4_COLORS)
    orig_to_rgba = mcolors._to_rgba_no_colorcycle

    def to_rgba(c, alpha=None):
        try:
            return orig_to_rgba(c, alpha)
        except ValueError:
            # matplotlib itself probes strings with to_rgba (plot format strings like 'ro', 'k--',
            # is_color_like): only rescue what clearly is a misspelt colour NAME, i.e. a word of 5+
            # letters that contains a real colour name; anything else raises as before.
            repl = None
            if _context.CTX is not None and isinstance(c, str) and re.fullmatch(r"[A-Za-z][A-Za-z ]{3,}[A-Za-z]\d*", c.strip()):
                name = re.sub(r"[\s\d]+", "", c.strip().lower())
                for cand in (name.replace("grey", "gray"), name.replace("dark", "", 1), name.replace("light", "", 1),
                             name.replace("deep", "", 1), name.replace("pale", "", 1)):
                    if cand in cmap and len(cand) >= 3:
                        repl = cand
                        break
                else:
                    hits = sorted((k for k in _CSS if len(k) >= 4 and k in name), key=len, reverse=True)
                    repl = hits[0] if hits else None
            if repl is None:
                raise
            _context.CTX.log.write(f"[sandbox] invalid colour {c!r} replaced by {repl!r}\n")
            return orig_to_rgba(repl, alpha)
    mcolors._to_rgba_no_colorcycle = to_rgba

    # --- PIL: canvas size, saves, text layout and text pixels, missing font files
    orig_new = Image.new

    def new(mode, size, *args, **kwargs):
        ctx = _context.CTX
        if ctx is not None:
            try:
                w, h = size
                ctx.check_canvas(w, h, "Image.new")
            except (TypeError, ValueError):
                pass
        return orig_new(mode, size, *args, **kwargs)
    Image.new = new

    orig_save = Image.Image.save

    def save(self, fp, *args, **kwargs):
        ctx = _context.CTX
        if ctx is None or ctx.in_savefig or not isinstance(fp, (str, os.PathLike)):
            return orig_save(self, fp, *args, **kwargs)
        target = ctx.redirect(fp)
        result = orig_save(self, target, *args, **kwargs)
        record_pil_save(ctx, self, target, fp)
        return result
    Image.Image.save = save

    # --- folders made anywhere are made inside scratch (where the saves aimed there will land)
    orig_mkdir = os.mkdir

    def mkdir(path, mode=0o777, *, dir_fd=None):
        ctx = _context.CTX
        if ctx is not None and dir_fd is None and isinstance(path, (str, bytes, os.PathLike)):
            path = ctx.redirect(path, mkdir="outside")
        return orig_mkdir(path, mode, dir_fd=dir_fd)
    os.mkdir = mkdir

    orig_text = ImageDraw.ImageDraw.text
    import inspect
    sig = inspect.signature(orig_text)
    bbox_params = set(inspect.signature(ImageDraw.ImageDraw.textbbox).parameters)

    def text(self, *args, **kwargs):
        ctx = _context.CTX
        if ctx is None or ctx.pil_depth:
            return orig_text(self, *args, **kwargs)
        ctx.pil_depth += 1
        try:
            result = orig_text(self, *args, **kwargs)
        finally:
            ctx.pil_depth -= 1
        try:
            img = getattr(self, "_image", None)
            ba = sig.bind(self, *args, **kwargs)
            ba.apply_defaults()
            a = dict(ba.arguments)
            s = a.get("text")
            if img is None or not isinstance(s, str) or not s.strip():
                return result
            kw = {k: v for k, v in a.items() if k in bbox_params and k not in ("self", "xy", "text")}
            kw.update({k: v for k, v in (a.get("kwargs") or {}).items() if k in bbox_params})
            bb = self.textbbox(a["xy"], s, **kw)
            rec = ctx.pil.get(id(img))
            if rec is None:
                rec = ctx.pil[id(img)] = [img, [], orig_new("L", img.size, 0)]
            ctx.pil_last = rec
            font = a.get("font")
            size = getattr(font, "size", None) or kw.get("font_size")
            rec[1].append({"type": "text", "text": s, "bbox": [float(v) for v in bb],
                           "fontsize": float(size) if size else None, "color": _pil_hex(a.get("fill")),
                           "font": os.path.basename(getattr(font, "path", "") or "") or "default"})
            mkw = {k: v for k, v in kw.items() if k in sig.parameters}
            orig_text(ImageDraw.Draw(rec[2]), a["xy"], s, fill=255, **mkw)   # not through this wrapper
            path = getattr(font, "path", None)
            if isinstance(path, str):
                chars = _fonts.missing_chars(s, [path])
                if chars:
                    _context.note_missing(ctx, s, chars, os.path.basename(path))
        except Exception as e:
            ctx.log.write(f"[sandbox] text layout capture failed: {type(e).__name__}: {e}\n")
        return result
    ImageDraw.ImageDraw.text = text

    orig_truetype = ImageFont.truetype

    def truetype(font=None, size=10, *args, **kwargs):
        try:
            return orig_truetype(font, size, *args, **kwargs)
        except OSError:
            if _context.CTX is None or not isinstance(font, (str, os.PathLike)):
                raise
            repl = _fonts.FONT_FILES[0] if _fonts.FONT_FILES else None
            name = os.path.basename(os.fspath(font)).lower()
            if _fonts.cjk_font_file() and any(k in name for k in ("sim", "hei", "song", "kai", "yahei", "msyh", "ming",
                                                           "noto", "cjk", "gothic", "mincho", "pingfang", "han")):
                repl = _fonts.cjk_font_file()
            if repl is None:
                raise
            _context.CTX.log.write(f"[sandbox] font {os.fspath(font)!r} not found; using {os.path.basename(repl)}\n")
            return orig_truetype(repl, size, *args, **kwargs)
    ImageFont.truetype = truetype
    _semantic_install.install()   # PIL draw calls and pie values for the semantic layout
    _PATCHED = True

