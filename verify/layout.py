"""Read what the inspector needs out of a draft's layout (``RenderResult.layout``).

Two sources, both from the sandbox:

* ``layout["semantic"]`` — the semantic layout (docs/semantic_layout.md): texts with roles, font
  size in pixels and the shape they sit in; boxes *clipped to the canvas* by the caller's validator
  (an element entirely off the canvas is dropped there);
* ``layout["elements"]`` — the measured pixel boxes of every drawn element, *not* clipped, so a text
  that runs off the canvas shows here as a box beyond it.

``load_layout`` accepts the layout dict, the JSON string of CoCo_SandboxRender's ``layout`` output,
or a semantic layout on its own.
"""

from __future__ import annotations

import bisect
import json
from typing import Any, Optional

from .spec import norm_text

PT_TO_PX_GUESS = 100.0 / 72.0  # only for plain element layouts without pixel font sizes (dpi 100)


def load_layout(layout: Any) -> dict:
    if layout is None or layout == "":
        return {}
    if isinstance(layout, (bytes, bytearray)):
        layout = layout.decode("utf-8", "replace")
    if isinstance(layout, str):
        layout = json.loads(layout)
    if not isinstance(layout, dict):
        raise ValueError(f"a layout must be a JSON object, got {type(layout).__name__}")
    if "axes" in layout and "texts" in layout and "semantic" not in layout:  # a bare semantic layout
        return {"canvas": layout.get("canvas"), "semantic": layout, "elements": [], "missing_glyphs": []}
    return layout


def semantic_of(layout: dict) -> Optional[dict]:
    sem = layout.get("semantic")
    return sem if isinstance(sem, dict) else None


def canvas_size(layout: dict, image_size: Optional[tuple] = None) -> tuple[int, int]:
    for c in (layout.get("canvas"), (semantic_of(layout) or {}).get("canvas")):
        if isinstance(c, dict) and c.get("width") and c.get("height"):
            return int(c["width"]), int(c["height"])
    if image_size:
        return int(image_size[0]), int(image_size[1])
    return 0, 0


def _box(b) -> Optional[list]:
    try:
        x0, y0, x1, y1 = (float(v) for v in b)
    except (TypeError, ValueError):
        return None
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def texts(layout: dict) -> list[dict]:
    """Every drawn text: ``{"id", "text", "bbox", "fontsize_px", "role", "inside", "rotation"}``
    (semantic layout when present, else the plain elements)."""
    sem = semantic_of(layout)
    out = []
    if sem is not None:
        for t in sem.get("texts", []) or []:
            b = _box(t.get("bbox"))
            if b is None or not norm_text(t.get("text")):
                continue
            out.append({"id": t.get("id"), "text": str(t.get("text")), "bbox": b,
                        "fontsize_px": t.get("fontsize_px"), "role": t.get("role") or "text",
                        "inside": t.get("inside"), "rotation": float(t.get("rotation") or 0.0)})
        return out
    for i, el in enumerate(layout.get("elements", []) or []):
        if el.get("type") != "text" or not norm_text(el.get("text")):
            continue
        b = _box(el.get("bbox"))
        if b is None:
            continue
        size = el.get("fontsize")
        out.append({"id": f"e{i}", "text": str(el.get("text")), "bbox": b,
                    "fontsize_px": float(size) * PT_TO_PX_GUESS if isinstance(size, (int, float)) else None,
                    "role": "text", "inside": None, "rotation": float(el.get("rotation") or 0.0)})
    return out


def raw_text_boxes(layout: dict) -> list[tuple[str, list]]:
    """(text, unclipped pixel box) of every text element the sandbox measured."""
    out = []
    for el in layout.get("elements", []) or []:
        if el.get("type") == "text" and norm_text(el.get("text")):
            b = _box(el.get("bbox"))
            if b is not None:
                out.append((str(el["text"]), b))
    return out


def shapes_by_id(layout: dict) -> dict[str, dict]:
    sem = semantic_of(layout) or {}
    return {s["id"]: s for s in sem.get("shapes", []) or [] if isinstance(s, dict) and s.get("id")}


def missing_glyphs(layout: dict) -> list[dict]:
    """``[{"chars", "font", "text"}]``: characters the fonts could not draw (drawn as boxes)."""
    return [m for m in layout.get("missing_glyphs", []) or [] if isinstance(m, dict)]


def text_height_px(t: dict) -> float:
    """The text's glyph size in pixels: the font size when known, else the box's short side."""
    if isinstance(t.get("fontsize_px"), (int, float)) and t["fontsize_px"] > 0:
        return float(t["fontsize_px"])
    x0, y0, x1, y1 = t["bbox"]
    rot = abs(float(t.get("rotation") or 0.0)) % 180
    return (x1 - x0) if 45 < rot < 135 else (y1 - y0)


# ---- texts that continue each other (a string wrapped over two draw calls) ----------------------

SIZE_RATIO_MAX = 1.25        # font sizes of two parts of one string (1.5 when a size is guessed from the box)
LINE_GAP_MAX_EM = 1.0        # ink gap between a line and the next, in font sizes
WORD_GAP_MAX_EM = 1.0        # gap between two parts on one line, in font sizes


def _upright(t: dict) -> bool:
    return abs(float(t.get("rotation") or 0.0)) < 1.0


def _sized(t: dict) -> bool:
    return isinstance(t.get("fontsize_px"), (int, float)) and t["fontsize_px"] > 0


def continues(a: dict, b: dict) -> Optional[str]:
    """How ``b`` continues ``a`` in reading order: ``"line"`` (the next line: just below, with the
    boxes overlapping horizontally), ``"same"`` (to the right on the same line, a small gap), or
    None. Both upright and of similar font size; anything farther apart is unrelated."""
    if not (_upright(a) and _upright(b)):
        return None
    ha, hb = text_height_px(a), text_height_px(b)
    if ha <= 0 or hb <= 0:
        return None
    ratio = max(ha, hb) / min(ha, hb)
    if ratio > (SIZE_RATIO_MAX if _sized(a) and _sized(b) else 1.5):
        return None
    h = max(ha, hb)
    ax0, ay0, ax1, ay1 = a["bbox"]
    bx0, by0, bx1, by1 = b["bbox"]
    v_overlap = min(ay1, by1) - max(ay0, by0)
    if v_overlap >= 0.5 * min(ay1 - ay0, by1 - by0) and bx0 > ax0 and -0.25 * h <= bx0 - ax1 <= WORD_GAP_MAX_EM * h:
        return "same"
    if by0 > ay0 and -0.25 * h <= by0 - ay1 <= LINE_GAP_MAX_EM * h and min(ax1, bx1) - max(ax0, bx0) > 0:
        return "line"
    return None


def successors(texts: list[dict]) -> dict[int, list[dict]]:
    """``id(text)`` → the texts that continue it (``continues``), in reading order (same line
    first, then the next line, left to right)."""
    order = sorted((t for t in texts if t.get("bbox")), key=lambda t: t["bbox"][1])
    tops = [t["bbox"][1] for t in order]
    out: dict[int, list[dict]] = {}
    for a in order:
        h = text_height_px(a)
        lo = bisect.bisect_left(tops, a["bbox"][1] - 2.0 * h)
        hi = bisect.bisect_right(tops, a["bbox"][3] + (LINE_GAP_MAX_EM + 0.5) * 1.5 * h)
        found = [(k, b) for b in order[lo:hi] if b is not a for k in [continues(a, b)] if k]
        if found:
            found.sort(key=lambda kb: (kb[0] != "same", kb[1]["bbox"][1], kb[1]["bbox"][0]))
            out[id(a)] = [b for _, b in found]
    return out
