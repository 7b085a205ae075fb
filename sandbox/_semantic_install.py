"""Installs, once per process, the job-side patches the semantic layout capture needs (PIL draw
calls, pie wedge values). Called by the runner's patch installer."""

from __future__ import annotations

from . import _semantic_pil

_PIE = False


def install():
    _install_pie()
    _semantic_pil.install()


def _install_pie():
    """Remember each pie wedge's value (pie only keeps the angles); read by _semantic_mpl."""
    global _PIE
    if _PIE:
        return
    from matplotlib.axes import Axes
    orig_pie = Axes.pie

    def pie(self, x, *args, **kwargs):
        result = orig_pie(self, x, *args, **kwargs)
        try:
            import numpy as np
            vals = np.asarray(x, dtype=float).ravel()
            wedges = result[0] if isinstance(result, tuple) else getattr(result, "wedges", [])
            if len(vals) == len(wedges):
                for w, v in zip(wedges, vals):
                    w._coco_value = float(v)
        except Exception:
            pass
        return result
    Axes.pie = pie
    _PIE = True
