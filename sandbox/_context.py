"""The running job's state (one job at a time per process) and the records of what it saved."""

from __future__ import annotations

import os
import threading

from ._log import CappedLog

USER_FILENAME = "<coco>"
MAX_IMAGES = 16
MAX_ELEMENTS = 2000
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".svg")
VECTOR_FORMATS = ("pdf", "svg", "svgz", "eps", "ps", "pgf")   # matplotlib saves returned as a raster
REDIRECT_DIR = "_saved_elsewhere"   # saves aimed outside scratch land here, under their absolute path

CTX = None                     # the running JobContext (one job at a time per process)
CTX_LOCK = threading.RLock()  # serialises render_inprocess calls
_ORIG_MAKEDIRS = os.makedirs


class CanvasTooLarge(BaseException):
    """Raised before a canvas is allocated. BaseException so that `except Exception` in user code
    cannot swallow it (the job context also remembers it)."""


class SaveRecord:
    def __init__(self, path=None, rgba=None, size=None, source="", layout=None, mask=None):
        self.path = path
        self.rgba = rgba
        self.size = size            # (w, h) of the rendered canvas
        self.source = source
        self.layout = layout        # dict with "elements", "missing_glyphs"
        self.mask = mask            # bytes (w*h) or None
        self.direct = None          # (rgba, mtime_ns, size) of a PNG matplotlib just wrote / a vector save
        self.seq = 0                # when it happened (the job's images come back in this order)
        self.shown_as = None        # the path string the code used, when the save was redirected


class JobContext:
    def __init__(self, limits, output_dir):
        self.limits = limits
        self.output_dir = os.path.realpath(output_dir)
        self.log = CappedLog(int(limits.max_log_bytes))
        self.saves: list[SaveRecord] = []
        self.shown: list = []         # figures captured by plt.show() / at the end, in order
        self.inputs: dict = {}        # realpath of each input file -> (mtime_ns, size) as written
        self.fatal: CanvasTooLarge | None = None
        self.text_cap = None        # _FigCapture currently recording Text.draw calls
        self.in_savefig = 0
        self.pil: dict = {}         # id(image) -> [image, elements, mask_image]
        self.pil_last = None
        self.pil_depth = 0
        self.missing: dict = {}
        self.seq = 0
        self.figure_seen: dict = {}   # id(figure) -> figure, for every figure the job saved or showed
        self.capture_depth = 0

    def next_seq(self):
        self.seq += 1
        return self.seq

    def redirect(self, fname, mkdir=True):
        """Where a save aimed at ``fname`` really goes: the path itself when it lies in scratch,
        else ``scratch/_saved_elsewhere/<its absolute path>``. Missing parent folders are created
        (``mkdir="outside"``: only for a redirected path, as ``os.mkdir`` needs)."""
        p = os.fsdecode(os.fspath(fname))
        full = os.path.realpath(os.path.join(os.getcwd(), p))
        od = self.output_dir
        if full != od and not full.startswith(od.rstrip(os.sep) + os.sep):
            rest = os.path.splitdrive(full)[1].lstrip("\\/")
            full = os.path.join(od, REDIRECT_DIR, rest)
        elif mkdir == "outside":
            return full
        if mkdir:
            parent = os.path.dirname(full)
            if not os.path.isdir(parent):
                _ORIG_MAKEDIRS(parent, exist_ok=True)
            if full in self.inputs:     # a save over an input file replaces the job's read-only copy
                try:
                    os.unlink(full)
                except OSError:
                    pass
        return full

    def display_name(self, path, asked):
        """How an image is named to the user: ``output_dir/<rel>`` or the path the code asked for."""
        rel = os.path.relpath(path, self.output_dir)
        if rel.split(os.sep)[0] == REDIRECT_DIR and asked:
            return os.fsdecode(os.fspath(asked))[:300]
        return "output_dir/" + rel

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


def note_missing(ctx, text, chars, font):
    key = (text[:200], chars, font)
    if chars and key not in ctx.missing:
        ctx.missing[key] = {"text": text[:200], "chars": chars, "font": font}

