"""Installs, once per process, the job-side patches the semantic layout capture needs (PIL draw
calls, pie wedge values). Called by the runner's patch installer."""

from __future__ import annotations

from . import _semantic_mpl, _semantic_pil


def install():
    _semantic_mpl.install()
    _semantic_pil.install()
