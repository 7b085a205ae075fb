"""Pixel measurements for the semantic layout tests: where an element REALLY is in the image."""

from __future__ import annotations

import numpy as np


def rgb(res, i=0):
    im = res.images[i]
    a = np.frombuffer(im.rgba, np.uint8).reshape(im.height, im.width, 4).astype(np.int32)
    alpha = a[..., 3:4]
    return (a[..., :3] * alpha + 255 * (255 - alpha)) // 255     # on white, as the node outputs it


def colour_box(img, hex_colour, tol=60):
    """Box [x0, y0, x1, y1) of the pixels nearer to ``hex_colour`` than ``tol`` (sum of abs diffs)."""
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    ys, xs = np.nonzero(np.abs(img - c).sum(-1) <= tol)
    assert len(xs), f"no pixel of colour {hex_colour}"
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def ink_box(img, background=(255, 255, 255), tol=30):
    ys, xs = np.nonzero(np.abs(img - np.array(background)).sum(-1) > tol)
    assert len(xs), "nothing drawn"
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def near(box, ref, px=1.0):
    return all(abs(a - b) <= px for a, b in zip(box, ref))


def inside(ref, box, px=1.0):
    """ref lies within box, with px of slack."""
    return ref[0] >= box[0] - px and ref[1] >= box[1] - px and ref[2] <= box[2] + px and ref[3] <= box[3] + px


def coverage_box(img, hex_colour, min_cover=0.1):
    """Box of the pixels of a PURE colour (each channel 00 or ff, e.g. #ff00ff) blended over white
    with at least ``min_cover`` coverage, anti-aliased edges included: where a text of that colour
    really is. Full channels stay at 255; the others fall together (equal within 8)."""
    c = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    assert set(c) <= {0, 255} and 0 in c, "use a pure colour"
    full = [i for i in range(3) if c[i] == 255]
    low = [i for i in range(3) if c[i] == 0]
    ok = np.ones(img.shape[:2], bool)
    for i in full:
        ok &= img[..., i] >= 248
    lows = img[..., low]
    ok &= (lows.max(-1) - lows.min(-1) <= 8) & (lows.mean(-1) <= 255 * (1 - min_cover))
    ys, xs = np.nonzero(ok)
    assert len(xs), f"no pixel of colour {hex_colour}"
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
