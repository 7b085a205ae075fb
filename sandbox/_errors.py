"""Error classification and user-facing tracebacks (only frames of the user's code)."""

from __future__ import annotations

import errno
import traceback as tb_mod

from ._context import USER_FILENAME, CanvasTooLarge

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


def format_traceback(exc, code_lines):
    frames = _user_frames(exc.__traceback__)
    out = ["Traceback (your code):"]
    for f in frames[-20:]:
        out.append(f'  line {f.lineno}, in {f.name}')
        if f.lineno and 0 < f.lineno <= len(code_lines):
            out.append("    " + code_lines[f.lineno - 1].strip())
    out.append(f"{type(exc).__name__}: {exc}")
    return "\n".join(out), (frames[-1].lineno if frames else None)

