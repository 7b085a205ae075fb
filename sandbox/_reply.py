"""The job's reply: layout finalisation, the text mask fallback, the (header, blobs) wire pair."""

from __future__ import annotations

from ._context import MAX_ELEMENTS, MAX_IMAGES
from ._semantic_common import finish as finish_semantic

def finalize_layout(elements, w, h, missing):
    els = []
    for el in elements[:MAX_ELEMENTS]:
        b = el.get("bbox")
        if not b:
            continue
        x0, y0, x1, y1 = (float(v) for v in b)
        el = dict(el)
        el["bbox"] = [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)]
        c = lambda v, n: int(min(999, max(0, v * 1000.0 / max(n, 1))))
        el["box_1000"] = [c(x0, w), c(y0, h), c(x1, w), c(y1, h)]
        els.append({k: v for k, v in el.items() if v is not None})
    return {"canvas": {"width": w, "height": h}, "elements": els, "missing_glyphs": list(missing)}


def mask_from_boxes(elements, w, h):
    import numpy as np
    m = np.zeros((h, w), np.uint8)
    for el in elements:
        if el.get("type") == "text":
            x0, y0, x1, y1 = el["bbox"]
            m[max(0, int(y0)):max(0, min(h, int(y1 + 1))), max(0, int(x0)):max(0, min(w, int(x1 + 1)))] = 255
    return m.tobytes()


def _finalize_rec(rec, w, h, missing):
    """The wire layout of one captured image: its elements finalised, other keys a capture added
    (e.g. ``semantic``) kept as they are."""
    src = (rec.layout if rec is not None else None) or {}
    out = finalize_layout(src.get("elements", []), w, h, missing)
    for k, v in src.items():
        out.setdefault(k, v)
    if "semantic" in out:   # scaled to this image, checked like the caller will
        out["semantic"] = finish_semantic(out["semantic"], w, h, mask=getattr(rec, "mask", None))
    return out


def build_header(ctx, images, layout_rec, *, ok=True, error=None, error_type=None, traceback=None,
                 error_line=None):
    blobs = []
    hdr_images = []
    for rec in images[:MAX_IMAGES]:
        w, h = rec.size
        hdr_images.append({"width": w, "height": h, "source": rec.source})
        blobs.append(rec.rgba)
    layout = {}
    layouts = []
    has_mask = False
    missing = list(ctx.missing.values())
    for rec in images[:MAX_IMAGES]:
        w, h = rec.size
        layouts.append(_finalize_rec(rec, w, h, missing))
    if images:
        w, h = images[0].size
        layout = layouts[0] if layout_rec is images[0] else _finalize_rec(layout_rec, w, h, missing)
        mask = layout_rec.mask if layout_rec is not None else None
        if mask is None or len(mask) != w * h:
            mask = mask_from_boxes(layout["elements"], w, h) if layout_rec is not None and layout_rec.layout else None
        if mask is not None:
            blobs.append(mask)
            has_mask = True
    elif missing:
        layout = {"canvas": None, "elements": [], "missing_glyphs": missing}
    for m in missing:
        ctx.log.write(f"[sandbox] missing glyphs {m['chars']!r} in font {m['font']} for text {m['text'][:60]!r}"
                      f" (drawn as boxes; install a font that has them, e.g. fonts-noto-cjk)\n")
    header = {"ok": ok, "images": hdr_images, "mask": has_mask, "layout": layout, "layouts": layouts,
              "log": ctx.log.text(),
              "error": error, "error_type": error_type, "traceback": traceback, "error_line": error_line}
    if layouts and layout is layouts[0]:
        del header["layout"]        # sent once: the caller takes layouts[0] as the draft's layout
    _fit_header(header, ctx)
    return header, blobs


MAX_LAYOUTS_JSON = 3 * 1024 * 1024   # the reply header is capped at 4 MiB (_protocol.MAX_HEADER)


def _fit_header(header, ctx):
    """Keep the reply header under its cap: the layouts' ``semantic`` parts go first (the other
    images' before the draft's), then the other images' elements, each with a log line."""
    import json

    def size():
        return len(json.dumps(header.get("layouts") or [], ensure_ascii=True, separators=(",", ":")))

    layouts = header.get("layouts") or []
    if not layouts or size() <= MAX_LAYOUTS_JSON:
        return
    try:
        for lay in layouts[1:] + layouts[:1]:
            if lay.pop("semantic", None) is not None:
                ctx.log.write("[sandbox] a semantic layout was too large to send and was left out\n")
                if size() <= MAX_LAYOUTS_JSON:
                    return
        for lay in layouts[1:]:
            lay["elements"] = []
            if size() <= MAX_LAYOUTS_JSON:
                break
        ctx.log.write("[sandbox] layouts too large to send: elements of other images left out\n")
    finally:
        header["log"] = ctx.log.text()

