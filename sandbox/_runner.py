"""The job pipeline: fix-ups, exec with CoCo's preloaded names, output capture, layout, text mask.

Runs inside the sandbox child (after the kernel layers are in place) or, for tests and benchmarks
only, in the calling process via ``render_inprocess`` (NO isolation). It returns a plain
``(header: dict, blobs: list[bytes])`` pair: the wire format of ``_protocol``.

matplotlib/numpy/PIL are imported lazily (``warm_imports``) so that importing the ``sandbox``
package itself stays light.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import sys
import warnings

from . import _capture, _context, _fonts, _patches, _semantic_svg, _svg
from . import inputs as _inputs
from ._context import MAX_IMAGES, USER_FILENAME, JobContext, SaveRecord
from ._errors import classify, format_traceback
from ._fixups import detect_language, fix_code
from ._log import LogStream
from ._reply import build_header


_FRESH_PROCESS = False         # set in a sandbox job child: rcParams are already the worker's defaults


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
    _fonts.setup_fonts()
    _patches.install_patches()


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
         "transforms": transforms, "output_dir": output_dir, "__file__": os.path.join(output_dir, "main.py")}
    if "pandas" in sys.modules:
        g["pd"] = g["pandas"] = sys.modules["pandas"]
    return g


def run_python(code: str, limits, output_dir: str, files=None):
    """Run user Python in this process and return (header, blobs). The caller provides isolation.
    ``files``: the request's input files, placed read-only in ``output_dir`` (the cwd) first."""
    warm_imports()
    import matplotlib
    import matplotlib.pyplot as plt
    ctx = JobContext(limits, output_dir)
    try:
        ctx.inputs = _inputs.place(_inputs.decode(files), ctx.output_dir)
    except (_inputs.InputError, OSError) as e:
        return build_header(ctx, [], None, ok=False, error=f"input files refused: {e}", error_type="RuntimeError")
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
    old_argv, old_path, old_mods = sys.argv, list(sys.path), set(sys.modules)
    with _context.CTX_LOCK:
        _context.CTX = ctx
        try:
            with matplotlib.rc_context(), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(LogStream(ctx.log)), contextlib.redirect_stderr(LogStream(ctx.log)):
                warnings.simplefilter("default")
                warnings.showwarning = lambda m, c, f, n, file=None, line=None: ctx.log.write(
                    f"{c.__name__}: {m}" + (f" (line {n})" if f == USER_FILENAME else "") + "\n")
                if not _FRESH_PROCESS:
                    matplotlib.rcdefaults()   # same starting state as a fresh worker (style-blacklisted keys kept)
                _fonts.setup_fonts()
                matplotlib.rcParams["figure.max_open_warning"] = 0
                plt.close("all")
                os.chdir(output_dir)
                sys.argv = [g["__file__"]]
                sys.path.insert(0, ctx.output_dir)   # helper modules among the input files import
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
                        images = _capture.collect(ctx)
                    except BaseException as e:  # noqa: BLE001
                        err = e
                plt.close("all")
        finally:
            try:
                os.chdir(old_cwd)
            except OSError:
                pass
            sys.argv, sys.path[:] = old_argv, old_path
            for name in set(sys.modules) - old_mods:   # modules the job imported from its scratch
                f = getattr(sys.modules.get(name), "__file__", None) or ""
                if f.startswith(ctx.output_dir + os.sep):
                    del sys.modules[name]
            _context.CTX = None
    if err is not None:
        g.clear()          # drop what the code allocated (a memory bomb) before formatting the error
        import gc
        gc.collect()
        etype, msg = classify(err, ctx)
        tb, line = format_traceback(err, lines)
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


def run_svg(code, limits):
    warm_imports()
    ctx = JobContext(limits, os.getcwd())
    s = code.strip().lstrip("\ufeff")
    s = re.sub(r"^```[a-zA-Z]*\s*\n", "", s)
    s = re.sub(r"\n```\s*$", "", s)
    try:
        W, H, rgba, (root, elements) = _svg.render_svg(s, limits, ctx.log)
    except _svg.UnsafeSVG as e:
        return build_header(ctx, [], None, ok=False, error=f"unsafe SVG refused: {e}", error_type="UnsafeSVG")
    except _svg.SVGTooLarge as e:
        return build_header(ctx, [], None, ok=False, error=f"unsafe SVG refused: {e}", error_type="UnsafeSVG")
    except MemoryError as e:
        return build_header(ctx, [], None, ok=False, error=f"MemoryError while rendering SVG: {e}",
                            error_type="MemoryLimit")
    except Exception as e:
        return build_header(ctx, [], None, ok=False, error=f"{type(e).__name__}: {e}",
                            error_type="RuntimeError")
    mask = None
    if any(el.get("type") == "text" for el in elements):
        try:
            import numpy as np
            t = _svg.rasterize(_svg.tostring(_svg.text_only(root)), W, H)
            a = np.frombuffer(t, np.uint8).reshape(H, W, 4)[..., 3]
            mask = np.where(a > 24, 255, 0).astype(np.uint8).tobytes()
        except Exception as e:
            ctx.log.write(f"[sandbox] SVG text mask failed: {e}\n")
    else:
        mask = bytes(W * H)
    for m in _svg.missing_glyphs(elements):
        _context.note_missing(ctx, m["text"], m["chars"], m["font"])
    rec = SaveRecord(rgba=rgba, size=(W, H), source="svg", mask=mask,
                     layout={"elements": elements, "semantic": _semantic_svg.capture(root, W, H, ctx.log)})
    return build_header(ctx, [rec], rec)


def run_job(code: str, language: str, limits, output_dir: str, files=None):
    lang = detect_language(code) if language in (None, "", "auto") else language
    if lang == "svg":
        return run_svg(code, limits)
    if lang != "python":
        ctx = JobContext(limits, output_dir)
        return build_header(ctx, [], None, ok=False, error=f"unknown language {language!r} (use auto, python or svg)",
                            error_type="RuntimeError")
    return run_python(code, limits, output_dir, files)
