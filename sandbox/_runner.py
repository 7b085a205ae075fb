"""The job pipeline: fix-ups, exec with CoCo's preloaded names, output capture, layout, text mask.

Runs inside the sandbox child (after the kernel layers are in place) or, for tests and benchmarks
only, in the calling process via ``render_inprocess`` (NO isolation). It returns a plain
``(header: dict, blobs: list[bytes])`` pair: the wire format of ``_protocol``.

matplotlib/numpy/PIL are imported lazily (``warm_imports``) so that importing the ``sandbox``
package itself stays light.
"""

from __future__ import annotations

import contextlib
import errno
import io
import linecache
import os
import re
import sys
import textwrap
import threading
import traceback as tb_mod
import warnings

USER_FILENAME = "<coco>"
MAX_IMAGES = 16
MAX_ELEMENTS = 2000
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".svg")

_ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x80-\x9f]"
                   r"|[\x00-\x08\x0b-\x1f\x7f]")


def strip_escapes(s: str) -> str:
    """Remove ANSI CSI/OSC escape sequences and control characters (keeps \\n and \\t)."""
    return _ANSI.sub("", s.replace("\r\n", "\n").replace("\r", "\n"))


def cap_text(s: str, max_bytes: int) -> str:
    b = s.encode("utf-8", "replace")
    if len(b) <= max_bytes:
        return s
    return b[:max_bytes].decode("utf-8", "ignore") + f"\n[log truncated: {len(b) - max_bytes} more bytes]"


class CanvasTooLarge(BaseException):
    """Raised before a canvas is allocated. BaseException so that `except Exception` in user code
    cannot swallow it (the job context also remembers it)."""


class CappedLog:
    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        n = len(s)
        if self.size < self.cap * 2:
            room = self.cap * 2 - self.size
            self.parts.append(s[:room])
            self.size += min(n, room)
            self.dropped += max(0, n - room)
        else:
            self.dropped += n
        return n

    def text(self) -> str:
        s = strip_escapes("".join(self.parts))
        s = cap_text(s, self.cap)
        if self.dropped:
            s += f"\n[log truncated: {self.dropped} more characters]"
        return s


class _Stream(io.TextIOBase):
    def __init__(self, log: CappedLog):
        self._log = log

    def write(self, s):
        return self._log.write(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"


# ----------------------------------------------------------------------------------------------
# language detection and code fix-ups

def detect_language(code: str) -> str:
    s = code.lstrip("\ufeff \t\r\n")
    s = re.sub(r"^```[a-zA-Z]*\s*\n", "", s)
    head = s[:512].lower()
    if head.startswith("<?xml") or head.startswith("<svg") or head.startswith("<!doctype svg") \
            or (head.startswith("<!--") and "<svg" in s.lower()):
        return "svg"
    if head.startswith("<!doctype") and "<svg" in s.lower():
        return "svg"
    return "python"


def strip_fences(code: str) -> str:
    """Blank out markdown fence lines (line numbers are kept)."""
    lines = code.split("\n")
    fence = [i for i, ln in enumerate(lines) if re.match(r"^\s*```", ln)]
    if fence:
        for i in fence:
            lines[i] = ""
        if len(fence) >= 2 and fence[0] > 0 and any(lines[j].strip() for j in range(fence[0])):
            # prose before the first fence: keep only the fenced block (blank the rest)
            for j in range(fence[0]):
                lines[j] = ""
            for j in range(fence[1] + 1, len(lines)):
                lines[j] = ""
    return "\n".join(lines)


BAD_COLOURS = {"brick": "firebrick", "mintgreen": "#98ff98", "darkpink": "#e75480", "lightolive": "#b8b35a",
               "darkolive": "darkolivegreen", "darkviolet2": "darkviolet", "lightred": "#ff7f7f",
               "darkyellow": "#9b870c", "lightpurple": "#cbc3e3", "darkgrey2": "dimgray", "skyblue2": "skyblue",
               "lightorange": "#ffd580", "darkteal": "#014d4e", "lightbrown": "#c4a484", "navyblue": "navy",
               "mint": "#98ff98", "gold2": "gold", "lightnavy": "#4a6d8c"}


def fix_code(code: str) -> str:
    """CoCo's text fix-ups; the number of lines never changes, so line numbers stay the user's."""
    code = code.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    code = strip_fences(code)
    lines = code.split("\n")
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if nonblank:
        first = nonblank[0]
        rest = [lines[i] for i in nonblank[1:]]
        # first line indented while the rest starts at column 0: a copy/paste artefact
        if lines[first][:1] in (" ", "\t") and rest and any(not r[:1].isspace() for r in rest):
            lines[first] = lines[first].lstrip()
        code = textwrap.dedent("\n".join(lines))
    # stem(..., baseline=...) was removed from matplotlib; also handled at runtime
    return code


# ----------------------------------------------------------------------------------------------
# job context and the global patches (installed once per process; active only while a job runs)

_CTX = None                    # the running JobContext (one job at a time per process)
_CTX_LOCK = threading.RLock()  # serialises render_inprocess calls
_PATCHED = False
_CSS: tuple = ()
_FRESH_PROCESS = False         # set in a sandbox job child: rcParams are already the worker's defaults
_CJK_FAMILIES: list[str] = []
_FONT_FILES: list[str] = []


class SaveRecord:
    def __init__(self, path=None, rgba=None, size=None, source="", layout=None, mask=None):
        self.path = path
        self.rgba = rgba
        self.size = size            # (w, h) of the rendered canvas
        self.source = source
        self.layout = layout        # dict with "elements", "missing_glyphs"
        self.mask = mask            # bytes (w*h) or None
        self.direct = None          # (rgba, mtime_ns, size) of a PNG matplotlib just wrote


class JobContext:
    def __init__(self, limits, output_dir):
        self.limits = limits
        self.output_dir = os.path.realpath(output_dir)
        self.log = CappedLog(int(limits.max_log_bytes))
        self.saves: list[SaveRecord] = []
        self.shown: dict = {}
        self.fatal: CanvasTooLarge | None = None
        self.text_cap = None        # _FigCapture currently recording Text.draw calls
        self.in_savefig = 0
        self.pil: dict = {}         # id(image) -> [image, elements, mask_image]
        self.pil_last = None
        self.pil_depth = 0
        self.missing: dict = {}

    def check_canvas(self, w, h, what):
        lim = self.limits
        w, h = int(round(w)), int(round(h))
        problem = None
        if w > lim.max_side or h > lim.max_side:
            problem = f"a side is larger than max_side={lim.max_side}"
        elif w * h > lim.max_megapixels * 1e6:
            problem = f"{w * h / 1e6:.1f} MP is more than max_megapixels={lim.max_megapixels:g}"
        if problem:
            exc = CanvasTooLarge(f"{what} would be {w}x{h} px: {problem}. Lower figsize/dpi (or the image "
                                 f"size) in the code, or raise the limit.")
            self.fatal = self.fatal or exc
            raise exc


def _hex(c):
    try:
        import matplotlib.colors as mcolors
        return mcolors.to_hex(c)
    except Exception:
        return None


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


_CMAP_CACHE: dict = {}
_PATHS_CACHE: dict = {}


def _resolve_font(path):
    """PIL accepts bare font file names ('DejaVuSans.ttf') that it finds in the system font dirs."""
    if os.path.isabs(path) and os.path.exists(path):
        return path
    import matplotlib
    base = os.path.basename(path)
    for d in (os.path.join(matplotlib.get_data_path(), "fonts", "ttf"),) + _FONT_DIRS:
        for root, _dirs, files in os.walk(d):
            if base in files:
                return os.path.join(root, base)
    return path


def _charmap(path):
    cm = _CMAP_CACHE.get(path)
    if cm is None:
        try:
            from matplotlib import ft2font
            cm = set(ft2font.FT2Font(_resolve_font(path)).get_charmap())
        except Exception:
            cm = None     # unknown font: report nothing rather than everything
        _CMAP_CACHE[path] = cm
    return cm


def _missing_chars(text, paths):
    maps = [_charmap(p) for p in paths]
    if any(m is None for m in maps):
        return ""
    out = []
    for ch in text:
        if ch.isspace() or ord(ch) < 32 or ch in out:
            continue
        if not any(ord(ch) in m for m in maps):
            out.append(ch)
    return "".join(out)


def _note_missing(ctx, text, chars, font):
    key = (text[:200], chars, font)
    if chars and key not in ctx.missing:
        ctx.missing[key] = {"text": text[:200], "chars": chars, "font": font}


class _FigCapture:
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
                    paths = _PATHS_CACHE.get(key)
                    if paths is None:
                        paths = _PATHS_CACHE[key] = fm.fontManager._find_fonts_by_props(fp)
                    chars = _missing_chars(clean, paths)
                    if chars:
                        fams = [os.path.basename(p) for p in paths]
                        _note_missing(self.ctx, clean, chars, ", ".join(fams[:3]))
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


def _install_patches():
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
        ctx = _CTX
        if ctx is not None:
            w, h = self.figure.bbox.size
            ctx.check_canvas(w, h, f"the figure canvas ({self.figure.get_figwidth():g}x"
                                   f"{self.figure.get_figheight():g} in at dpi {self.figure.dpi:g})")
        return orig_get_renderer(self, *a, **k)
    FigureCanvasAgg.get_renderer = get_renderer

    # --- savefig: record the save and capture layout + text pixels of the saved image
    orig_savefig = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        ctx = _CTX
        if ctx is None:
            return orig_savefig(self, fname, *args, **kwargs)
        cap = _FigCapture(ctx, self)
        cid = self.canvas.mpl_connect("draw_event", cap.on_draw)
        prev = ctx.text_cap
        ctx.text_cap = cap
        ctx.in_savefig += 1
        try:
            dpi = kwargs.get("dpi")
            if isinstance(dpi, (int, float)) and dpi > 0:
                w, h = self.get_figwidth() * dpi, self.get_figheight() * dpi
                ctx.check_canvas(w, h, f"the saved image (figsize {self.get_figwidth():g}x{self.get_figheight():g}"
                                       f" in at dpi {dpi:g})")
            result = orig_savefig(self, fname, *args, **kwargs)
        finally:
            ctx.in_savefig -= 1
            ctx.text_cap = prev
            self.canvas.mpl_disconnect(cid)
        path = None
        if isinstance(fname, (str, os.PathLike)):
            path = os.path.realpath(os.fspath(fname))
            fmt = kwargs.get("format")
            if not os.path.splitext(path)[1] and not os.path.exists(path):
                ext = "." + (fmt or matplotlib.rcParams["savefig.format"])
                if os.path.exists(path + ext):
                    path = path + ext
        rec = SaveRecord(path=path, size=cap.size, layout=cap.layout, mask=cap.mask, source="figure")
        if path is not None and cap.rgba is not None and cap.size:
            fmt = (kwargs.get("format") or os.path.splitext(path)[1][1:] or "").lower()
            if fmt == "png" and len(cap.rgba) == cap.size[0] * cap.size[1] * 4:
                try:
                    st = os.stat(path)
                    rec.direct = (cap.rgba, st.st_mtime_ns, st.st_size)
                except OSError:
                    pass
        ctx.saves.append(rec)
        ctx.last_fig_capture = (self, cap)
        return result
    Figure.savefig = savefig

    orig_text_draw = mtext.Text.draw

    def text_draw(self, renderer, *a, **k):
        ctx = _CTX
        if ctx is not None and ctx.text_cap is not None and ctx.text_cap.recording:
            ctx.text_cap.texts.append(self)
        return orig_text_draw(self, renderer, *a, **k)
    mtext.Text.draw = text_draw
    if "draw" in mtext.Annotation.__dict__:
        orig_ann_draw = mtext.Annotation.draw

        def ann_draw(self, renderer, *a, **k):
            ctx = _CTX
            if ctx is not None and ctx.text_cap is not None and ctx.text_cap.recording:
                ctx.text_cap.texts.append(self)
            return orig_ann_draw(self, renderer, *a, **k)
        mtext.Annotation.draw = ann_draw

    # --- plt.show: snapshot open figures (Agg cannot show); plt.xkcd: disabled
    def show(*a, **k):
        ctx = _CTX
        if ctx is None:
            return None
        for num in plt.get_fignums():
            ctx.shown[num] = _capture_figure(ctx, plt.figure(num), f"figure {num}")
    plt.show = show
    plt.xkcd = lambda *a, **k: _cl.nullcontext()

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
            if _CTX is not None:
                _CTX.log.write(f"[sandbox] legend loc {loc!r} is not valid; using {new!r}\n")
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
            if _CTX is not None and isinstance(c, str) and re.fullmatch(r"[A-Za-z][A-Za-z ]{3,}[A-Za-z]\d*", c.strip()):
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
            _CTX.log.write(f"[sandbox] invalid colour {c!r} replaced by {repl!r}\n")
            return orig_to_rgba(repl, alpha)
    mcolors._to_rgba_no_colorcycle = to_rgba

    # --- PIL: canvas size, saves, text layout and text pixels, missing font files
    orig_new = Image.new

    def new(mode, size, *args, **kwargs):
        ctx = _CTX
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
        ctx = _CTX
        result = orig_save(self, fp, *args, **kwargs)
        if ctx is not None and not ctx.in_savefig and isinstance(fp, (str, os.PathLike)):
            rec = ctx.pil.get(id(self))
            if rec is None and ctx.pil_last is not None and ctx.pil_last[0].size == self.size:
                rec = ctx.pil_last
            layout = mask = None
            if rec is not None:
                layout = {"elements": list(rec[1])}
                mask = rec[2].tobytes() if rec[2] is not None else None
            else:
                layout = {"elements": []}
                mask = bytes(self.size[0] * self.size[1])
            ctx.saves.append(SaveRecord(path=os.path.realpath(os.fspath(fp)), size=self.size, layout=layout,
                                        mask=mask, source="pil"))
        return result
    Image.Image.save = save

    orig_text = ImageDraw.ImageDraw.text
    import inspect
    sig = inspect.signature(orig_text)
    bbox_params = set(inspect.signature(ImageDraw.ImageDraw.textbbox).parameters)

    def text(self, *args, **kwargs):
        ctx = _CTX
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
                chars = _missing_chars(s, [path])
                if chars:
                    _note_missing(ctx, s, chars, os.path.basename(path))
        except Exception as e:
            ctx.log.write(f"[sandbox] text layout capture failed: {type(e).__name__}: {e}\n")
        return result
    ImageDraw.ImageDraw.text = text

    orig_truetype = ImageFont.truetype

    def truetype(font=None, size=10, *args, **kwargs):
        try:
            return orig_truetype(font, size, *args, **kwargs)
        except OSError:
            if _CTX is None or not isinstance(font, (str, os.PathLike)):
                raise
            repl = _FONT_FILES[0] if _FONT_FILES else None
            name = os.path.basename(os.fspath(font)).lower()
            if _CJK_FONT_FILE and any(k in name for k in ("sim", "hei", "song", "kai", "yahei", "msyh", "ming",
                                                           "noto", "cjk", "gothic", "mincho", "pingfang", "han")):
                repl = _CJK_FONT_FILE
            if repl is None:
                raise
            _CTX.log.write(f"[sandbox] font {os.fspath(font)!r} not found; using {os.path.basename(repl)}\n")
            return orig_truetype(repl, size, *args, **kwargs)
    ImageFont.truetype = truetype
    _PATCHED = True


_CJK_FONT_FILE = None
_CJK_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans SC",
              "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "AR PL SungtiL GB", "AR PL KaitiM GB",
              "IPAexGothic", "IPAGothic", "Noto Serif CJK SC", "Unifont")
_ALIASES = ("SimHei", "Microsoft YaHei", "SimSun", "KaiTi", "FangSong", "STHeiti", "STSong", "Heiti TC",
            "PingFang SC", "Arial Unicode MS", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei")
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts",
              os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"))


def setup_fonts():
    """Make a CJK-capable fallback chain (DejaVu Sans first, then any CJK font present) and alias the
    CJK font names models like to use (SimHei, Microsoft YaHei, ...) to it. Idempotent."""
    global _CJK_FONT_FILE
    import matplotlib
    from matplotlib import font_manager as fm
    if _CJK_FAMILIES or _FONT_FILES:
        pass
    else:
        names = {f.name for f in fm.fontManager.ttflist}
        # fonts installed after matplotlib built its cache are not in it: add the CJK ones
        if not any(n in names for n in _CJK_NAMES):
            for d in _FONT_DIRS:
                if not os.path.isdir(d):
                    continue
                for root, _dirs, files in os.walk(d):
                    for fn in files:
                        low = fn.lower()
                        if any(k in low for k in ("cjk", "wqy", "droidsansfallback", "uming", "ukai", "ipaex",
                                                  "sourcehan", "notosanssc")) and low.endswith((".ttf", ".ttc", ".otf")):
                            try:
                                fm.fontManager.addfont(os.path.join(root, fn))
                            except Exception:
                                pass
            names = {f.name for f in fm.fontManager.ttflist}
        for n in _CJK_NAMES:
            if n in names:
                _CJK_FAMILIES.append(n)
        dejavu = fm.findfont("DejaVu Sans", fallback_to_default=True)
        _FONT_FILES.append(dejavu)
        if _CJK_FAMILIES:
            entry = next(f for f in fm.fontManager.ttflist if f.name == _CJK_FAMILIES[0])
            _CJK_FONT_FILE = entry.fname
            for alias in _ALIASES:
                if alias not in names:
                    fm.fontManager.ttflist.append(fm.FontEntry(fname=entry.fname, name=alias, style="normal",
                                                               variant="normal", weight=400, stretch="normal",
                                                               size="scalable"))
            fm.fontManager._findfont_cached.cache_clear()
    rc = matplotlib.rcParams
    # matplotlib falls back glyph by glyph only across the concrete families of font.family
    rc["font.family"] = ["DejaVu Sans"] + _CJK_FAMILIES[:1] + ["sans-serif"]
    rc["font.sans-serif"] = ["DejaVu Sans"] + _CJK_FAMILIES + [f for f in rc["font.sans-serif"]
                                                               if f not in ("DejaVu Sans",) + tuple(_CJK_FAMILIES)]


def warm_imports():
    """Import everything a job uses (the zygote calls this once, before any fork)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot  # noqa: F401
    import matplotlib.patches, matplotlib.colors, matplotlib.ticker, matplotlib.lines  # noqa: E401,F401
    import matplotlib.path, matplotlib.patheffects, matplotlib.gridspec, matplotlib.transforms  # noqa: E401,F401
    import matplotlib.font_manager, matplotlib.backends.backend_agg, matplotlib.image  # noqa: E401,F401
    import matplotlib.table, matplotlib.collections, mpl_toolkits.mplot3d  # noqa: E401,F401
    import numpy  # noqa: F401
    import PIL.Image, PIL.ImageDraw, PIL.ImageFont, PIL.PngImagePlugin, PIL.JpegImagePlugin  # noqa: E401,F401
    import PIL.ImageColor, PIL.ImageFilter, PIL.ImageOps, PIL.ImageEnhance  # noqa: E401,F401
    import json, random, datetime, collections, itertools, functools, math  # noqa: E401,F401
    try:
        import pandas  # noqa: F401
    except Exception:
        pass
    try:
        import resvg_py  # noqa: F401
        import defusedxml.ElementTree  # noqa: F401
    except Exception:
        pass
    setup_fonts()
    _install_patches()


def _preloaded(output_dir):
    import collections, datetime, functools, itertools, json, math, random  # noqa: E401

    import matplotlib
    import matplotlib.colors as mcolors
    import matplotlib.gridspec as gridspec
    import matplotlib.lines as mlines
    import matplotlib.patches as patches
    import matplotlib.path as mpath
    import matplotlib.patheffects as patheffects
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker
    import matplotlib.transforms as transforms
    import numpy as np
    import PIL
    from PIL import Image, ImageColor, ImageDraw, ImageFont
    g = {"__name__": "__main__", "__builtins__": __builtins__, "os": os, "sys": sys, "json": json, "re": re,
         "math": math, "random": random, "datetime": datetime, "collections": collections,
         "itertools": itertools, "functools": functools, "PIL": PIL, "Image": Image, "ImageDraw": ImageDraw,
         "ImageFont": ImageFont, "ImageColor": ImageColor, "np": np, "numpy": np, "matplotlib": matplotlib,
         "plt": plt, "patches": patches, "mpatches": patches, "mcolors": mcolors, "mticker": mticker,
         "mlines": mlines, "mpath": mpath, "patheffects": patheffects, "gridspec": gridspec,
         "transforms": transforms, "output_dir": output_dir}
    if "pandas" in sys.modules:
        g["pd"] = g["pandas"] = sys.modules["pandas"]
    return g


def _capture_figure(ctx, fig, source):
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


# ----------------------------------------------------------------------------------------------
# error formatting

def _user_frames(tb):
    return [f for f in tb_mod.extract_tb(tb) if f.filename == USER_FILENAME]


def _forbidden(exc) -> bool:
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, PermissionError):
            return True
        if isinstance(e, OSError) and e.errno in (errno.EPERM, errno.EACCES, errno.EROFS):
            return True
        if isinstance(e, OSError) and e.errno is None and "Permission denied" in str(e):
            return True   # dlopen and friends
        stack += [e.__cause__, e.__context__, getattr(e, "reason", None) if isinstance(getattr(e, "reason", None),
                                                                                         BaseException) else None]
    return False


def classify(exc, ctx) -> tuple:
    if ctx.fatal is not None or isinstance(exc, CanvasTooLarge):
        return "CanvasTooLarge", str(ctx.fatal or exc)
    if isinstance(exc, MemoryError):
        return "MemoryLimit", (f"MemoryError: {exc or 'out of memory'} (the job may use at most "
                               f"memory_mb={ctx.limits.memory_mb} MB)")
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "OutputTooLarge", f"{type(exc).__name__}: {exc} (files in output_dir are capped)"
    if _forbidden(exc):
        return "Forbidden", (f"{type(exc).__name__}: {exc} — the sandbox does not allow this (no files outside "
                             f"output_dir, no network, no processes)")
    return "RuntimeError", f"{type(exc).__name__}: {exc}"


def _fmt_tb(exc, code_lines):
    frames = _user_frames(exc.__traceback__)
    out = ["Traceback (your code):"]
    for f in frames[-20:]:
        out.append(f'  line {f.lineno}, in {f.name}')
        if f.lineno and 0 < f.lineno <= len(code_lines):
            out.append("    " + code_lines[f.lineno - 1].strip())
    out.append(f"{type(exc).__name__}: {exc}")
    return "\n".join(out), (frames[-1].lineno if frames else None)


# ----------------------------------------------------------------------------------------------
# the job

def _load_image_file(ctx, path, source):
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


def _collect(ctx):
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
                w, h, rgba = _load_image_file(ctx, rec.path, source)
        except CanvasTooLarge:
            raise
        except Exception as e:
            ctx.log.write(f"[sandbox] skipped {source}: not a readable image ({type(e).__name__}: {e})\n")
            continue
        rec.rgba, rec.source = rgba, source
        if rec.size != (w, h):
            _rescale(rec, w, h)
        rec.size = (w, h)
        images.append(rec)
    if images:
        return images
    # nothing saved: the open figures (and any snapshot taken by plt.show of figures closed since)
    caps = dict(ctx.shown)
    for num in plt.get_fignums():
        caps[num] = _capture_figure(ctx, plt.figure(num), f"figure {num}")
    return [caps[k] for k in sorted(caps)]


def _rescale(rec, w, h):
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


def finalize_layout(elements, w, h, missing):
    els = []
    for el in elements[:MAX_ELEMENTS]:
        b = el.get("bbox")
        if not b:
            continue
        x0, y0, x1, y1 = (float(v) for v in b)
        el = dict(el)
        el["bbox"] = [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)]
        c = lambda v, n: int(min(999, max(0, v * 1000.0 / max(n, 1))))
        el["box_1000"] = [c(x0, w), c(y0, h), c(x1, w), c(y1, h)]
        els.append({k: v for k, v in el.items() if v is not None})
    return {"canvas": {"width": w, "height": h}, "elements": els, "missing_glyphs": list(missing)}


def mask_from_boxes(elements, w, h):
    import numpy as np
    m = np.zeros((h, w), np.uint8)
    for el in elements:
        if el.get("type") == "text":
            x0, y0, x1, y1 = el["bbox"]
            m[max(0, int(y0)):max(0, min(h, int(y1 + 1))), max(0, int(x0)):max(0, min(w, int(x1 + 1)))] = 255
    return m.tobytes()


def build_header(ctx, images, layout_rec, *, ok=True, error=None, error_type=None, traceback=None,
                 error_line=None):
    blobs = []
    hdr_images = []
    for rec in images[:MAX_IMAGES]:
        w, h = rec.size
        hdr_images.append({"width": w, "height": h, "source": rec.source})
        blobs.append(rec.rgba)
    layout = {}
    has_mask = False
    missing = list(ctx.missing.values())
    if images:
        w, h = images[0].size
        els = (layout_rec.layout or {}).get("elements", []) if layout_rec is not None else []
        layout = finalize_layout(els, w, h, missing)
        mask = layout_rec.mask if layout_rec is not None else None
        if mask is None or len(mask) != w * h:
            mask = mask_from_boxes(layout["elements"], w, h) if layout_rec is not None and layout_rec.layout else None
        if mask is not None:
            blobs.append(mask)
            has_mask = True
    elif missing:
        layout = {"canvas": None, "elements": [], "missing_glyphs": missing}
    for m in missing:
        ctx.log.write(f"[sandbox] missing glyphs {m['chars']!r} in font {m['font']} for text {m['text'][:60]!r}"
                      f" (drawn as boxes; install a font that has them, e.g. fonts-noto-cjk)\n")
    header = {"ok": ok, "images": hdr_images, "mask": has_mask, "layout": layout, "log": ctx.log.text(),
              "error": error, "error_type": error_type, "traceback": traceback, "error_line": error_line}
    return header, blobs


def run_python(code: str, limits, output_dir: str):
    """Run user Python in this process and return (header, blobs). The caller provides isolation."""
    global _CTX
    warm_imports()
    import matplotlib
    import matplotlib.pyplot as plt
    ctx = JobContext(limits, output_dir)
    code = fix_code(code)
    lines = code.split("\n")
    linecache.cache[USER_FILENAME] = (len(code), None, [ln + "\n" for ln in lines], USER_FILENAME)
    try:
        compiled = compile(code, USER_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as e:
        line = e.lineno
        msg = f"{type(e).__name__}: {e.msg}" + (f" (line {line})" if line else "")
        tb = msg + (f"\n    {lines[line - 1].strip()}" if line and 0 < line <= len(lines) else "")
        return build_header(ctx, [], None, ok=False, error=msg, error_type="SyntaxError", traceback=tb,
                            error_line=line)
    g = _preloaded(output_dir)
    err = None
    old_cwd = os.getcwd()
    with _CTX_LOCK:
        _CTX = ctx
        try:
            with matplotlib.rc_context(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(_Stream(ctx.log)), contextlib.redirect_stderr(_Stream(ctx.log)):
                warnings.simplefilter("default")
                warnings.showwarning = lambda m, c, f, n, file=None, line=None: ctx.log.write(
                    f"{c.__name__}: {m}" + (f" (line {n})" if f == USER_FILENAME else "") + "\n")
                if not _FRESH_PROCESS:
                    matplotlib.rcdefaults()   # same starting state as a fresh worker (style-blacklisted keys kept)
                setup_fonts()
                matplotlib.rcParams["figure.max_open_warning"] = 0
                plt.close("all")
                os.chdir(output_dir)
                try:
                    exec(compiled, g)
                except SystemExit as e:
                    if e.code not in (None, 0):
                        err = e
                except BaseException as e:  # noqa: BLE001 - user code may raise anything
                    err = e
                images = []
                if err is None or (isinstance(err, SystemExit)):
                    try:
                        images = _collect(ctx)
                    except BaseException as e:  # noqa: BLE001
                        err = e
                plt.close("all")
        finally:
            try:
                os.chdir(old_cwd)
            except OSError:
                pass
            _CTX = None
    if err is not None:
        g.clear()          # drop what the code allocated (a memory bomb) before formatting the error
        import gc
        gc.collect()
        etype, msg = classify(err, ctx)
        tb, line = _fmt_tb(err, lines)
        if line:
            msg += f" (line {line})"
        return build_header(ctx, [], None, ok=False, error=msg, error_type=etype,
                            traceback=tb if etype != "CanvasTooLarge" or line else None, error_line=line)
    if not images:
        return build_header(ctx, [], None, ok=False, error="the code ran but produced no image: save one into "
                            "output_dir or leave a matplotlib figure open", error_type="NoOutput")
    if len(images) > MAX_IMAGES:
        return build_header(ctx, [], None, ok=False, error=f"the code produced {len(images)} images; at most "
                            f"{MAX_IMAGES} are returned", error_type="OutputTooLarge")
    return build_header(ctx, images, images[0])


def run_job(code: str, language: str, limits, output_dir: str):
    lang = detect_language(code) if language in (None, "", "auto") else language
    if lang == "svg":
        from . import _svg
        return _svg.run_svg(code, limits)
    if lang != "python":
        ctx = JobContext(limits, output_dir)
        return build_header(ctx, [], None, ok=False, error=f"unknown language {language!r} (use auto, python or svg)",
                            error_type="RuntimeError")
    return run_python(code, limits, output_dir)
