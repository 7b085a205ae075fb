"""ComfyUI's Cancel, polled from one place: :func:`check_interrupt` raises ComfyUI's
``InterruptProcessingException`` when the user pressed Cancel, and does nothing outside ComfyUI
(plain scripts, the pure-Python tests). Standard library at import time."""

from __future__ import annotations


def check_interrupt() -> None:
    try:
        import comfy.model_management as mm
    except ImportError:  # not inside ComfyUI
        return
    mm.throw_exception_if_processing_interrupted()
