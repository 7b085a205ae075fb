"""ComfyUI-CoCo sandbox: run model-written drawing code (matplotlib/PIL Python or SVG) isolated.

Self-contained: imports nothing from ComfyUI or torch. See README.md in this folder.

    from sandbox import get_pool
    result = get_pool().render(code)          # RenderResult; never raises for user-code problems

``render_inprocess`` runs the same pipeline WITHOUT ANY ISOLATION in the calling process. It exists
for tests and benchmarks only: never call it with code you did not write yourself.
"""

from __future__ import annotations

import tempfile
import time

from ._pool import SandboxPool, get_pool
from ._types import ERROR_TYPES, IsolationInfo, Limits, RenderedImage, RenderResult

__all__ = ["Limits", "RenderedImage", "RenderResult", "IsolationInfo", "SandboxPool", "get_pool",
           "render_inprocess", "detect_language", "ERROR_TYPES"]


def detect_language(code: str) -> str:
    """"svg" if the text is an SVG document (optionally in a ``` fence), else "python"."""
    from ._runner import detect_language as _d
    return _d(code)


def render_inprocess(code: str, language: str = "auto", limits: Limits | None = None, files=None) -> RenderResult:
    """!!! UNSANDBOXED !!!  Runs ``code`` with exec() IN THIS PROCESS, with this process's rights,
    files, network and environment (API keys included). Same fix-ups, capture and layout as the
    sandbox, but no timeout, no memory limit, no isolation of any kind. For tests and benchmarks
    of trusted snippets only. Patches matplotlib/PIL globally (the patches are inert outside a job)."""
    import shutil

    from . import _protocol, _runner
    from . import inputs as _inputs
    limits = (limits or Limits()).clamped()
    t0 = time.monotonic()
    out = tempfile.mkdtemp(prefix="coco-inprocess-")
    try:
        try:
            header, blobs = _runner.run_job(code, language, limits, out, _inputs.encode(files) if files else None)
        except BaseException as e:  # noqa: BLE001
            return _protocol.error_result("WorkerCrashed", f"{type(e).__name__}: {e}", "none: in-process (UNSANDBOXED)",
                                          time.monotonic() - t0)
        blob = b"".join(blobs)
        try:
            return _protocol.to_result(header, blob, limits, "none: in-process (UNSANDBOXED)", time.monotonic() - t0)
        except _protocol.ProtocolError as e:
            return _protocol.error_result("OutputTooLarge", str(e), "none: in-process (UNSANDBOXED)",
                                          time.monotonic() - t0)
    finally:
        shutil.rmtree(out, ignore_errors=True)
