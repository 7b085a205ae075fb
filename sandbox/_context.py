"""The running job's state (one job at a time per process) and the records of what it saved."""

from __future__ import annotations

import os
import threading

from ._log import CappedLog

USER_FILENAME = "<coco>"
MAX_IMAGES = 16
MAX_ELEMENTS = 2000
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".svg")

CTX = None                     # the running JobContext (one job at a time per process)
CTX_LOCK = threading.RLock()  # serialises render_inprocess calls


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


def note_missing(ctx, text, chars, font):
    key = (text[:200], chars, font)
    if chars and key not in ctx.missing:
        ctx.missing[key] = {"text": text[:200], "chars": chars, "font": font}

