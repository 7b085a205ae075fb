"""The reference side of the compat comparisons: a script run by plain Python + matplotlib (Agg),
its images collected under the sandbox's contract and nothing else. One home for
``test_compat_realworld.py`` (``--plain`` subprocess) and ``bench/compat_collection.py``.

Every save is an image (a raster file read back; a vector save drawn by ``savefig(format="png",
dpi=fig.dpi)`` with the same bbox options), in write order, a file saved again keeping its first
place with its last content; then the figures open at ``plt.show()``/the end that no image shows
unchanged. A figure saved into a buffer counts as shown (scripts that post-process it with PIL save
the result); when a script saved nothing, its open figures are its images. Never imports the sandbox.
"""

from __future__ import annotations

import io
import os
import runpy
import sys

VECTOR = ("pdf", "svg", "svgz", "eps", "ps")
RASTER_KEYS = ("bbox_inches", "pad_inches", "facecolor", "edgecolor", "transparent", "bbox_extra_artists")
READABLE = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class PlainRecorder:
    """Patches ``Figure.savefig``, ``Image.save`` and ``plt.show`` once (Agg); :meth:`run` runs one
    script and returns its images (PIL RGBA). ``make_dirs``: create the folders a save names (a real
    checkout has them; a copied corpus may not)."""

    def __init__(self, make_dirs: bool = False):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure
        from PIL import Image

        self.make_dirs = make_dirs
        self._orig_savefig, self._orig_save = Figure.savefig, Image.Image.save
        self._reset()
        rec = self

        def savefig(fig, fname, *a, **kw):
            rec._mkdirs(fname)
            r = rec._orig_savefig(fig, fname, *a, **kw)
            if isinstance(fname, (str, os.PathLike)):
                path = os.path.realpath(os.fspath(fname))
                fmt = (kw.get("format") or os.path.splitext(path)[1][1:]
                       or matplotlib.rcParams["savefig.format"]).lower()
                if not os.path.exists(path) and os.path.exists(path + "." + fmt):
                    path += "." + fmt
                if fmt in VECTOR:
                    img = rec._png_of(fig, **{k: v for k, v in kw.items() if k in RASTER_KEYS})
                else:
                    with Image.open(path) as im:
                        img = im.convert("RGBA")
                rec._record(path, img)
            rec._mark(fig)
            return r

        def save(im, fp, *a, **kw):
            rec._mkdirs(fp)
            r = rec._orig_save(im, fp, *a, **kw)
            if isinstance(fp, (str, os.PathLike)):
                path = os.path.realpath(os.fspath(fp))
                if path.lower().endswith(READABLE):
                    with Image.open(path) as f:
                        img = f.convert("RGBA")
                else:
                    img = im.convert("RGBA")
                rec._record(path, img)
            return r

        Figure.savefig, Image.Image.save = savefig, save
        plt.show = lambda *a, **k: self._open_figures()

    def _reset(self):
        self._images, self._paths, self._current = [], {}, {}

    def _mkdirs(self, fname):
        if self.make_dirs and isinstance(fname, (str, os.PathLike)):
            os.makedirs(os.path.dirname(os.path.abspath(os.fspath(fname))), exist_ok=True)

    def _png_of(self, fig, **kw):
        from PIL import Image

        buf = io.BytesIO()
        self._orig_savefig(fig, buf, format="png", dpi=fig.dpi, **kw)
        buf.seek(0)
        return Image.open(buf).convert("RGBA")

    def _record(self, path, img):
        if path is not None and path in self._paths:
            self._images[self._paths[path]] = img      # same file saved again: first place, last content
            return
        if path is not None:
            self._paths[path] = len(self._images)
        self._images.append(img)

    def _mark(self, fig):
        self._current[id(fig)] = fig
        fig.stale = False

    def _open_figures(self, force: bool = False):
        from matplotlib._pylab_helpers import Gcf

        for m in sorted(Gcf.get_all_fig_managers(), key=lambda m: m.num):
            fig = m.canvas.figure
            if force or not (self._current.get(id(fig)) is fig and not fig.stale):
                self._record(None, self._png_of(fig))
                self._mark(fig)

    def run(self, script: str) -> list:
        """Run ``script`` as ``__main__`` with cwd = its folder (importable) and return its images."""
        self._reset()
        script = os.path.abspath(script)
        os.chdir(os.path.dirname(script))
        sys.path.insert(0, os.path.dirname(script))
        sys.argv = [script]
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as e:
            if e.code not in (None, 0):
                raise RuntimeError(f"exit status {e.code}") from None
        self._open_figures()
        if not self._images:
            self._open_figures(force=True)
        return list(self._images)

    def save_png(self, img, path: str) -> None:
        self._orig_save(img, path)
