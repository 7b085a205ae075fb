"""ComfyUI's Cancel, polled from one place: :func:`check_interrupt` raises ComfyUI's
``InterruptProcessingException`` when the user pressed Cancel, :func:`interrupted` only says so;
both do nothing outside ComfyUI (plain scripts, the pure-Python tests). Standard library at import
time."""

from __future__ import annotations


def interrupted() -> bool:
    """True once the user pressed Cancel, without raising (for work that stops and cleans up itself,
    e.g. the sandbox pool's ``should_cancel``); False outside ComfyUI."""
    try:
        import comfy.model_management as mm
    except ImportError:
        return False
    return bool(mm.processing_interrupted())


def check_interrupt() -> None:
    try:
        import comfy.model_management as mm
    except ImportError:  # not inside ComfyUI
        return
    mm.throw_exception_if_processing_interrupted()
