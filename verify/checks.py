"""Exact checks of a draft against its prompt, read from the layout the sandbox measured.

Each check returns findings (dicts ``{"kind", "ok", "expected", "found", "message", ...}``, as in
``verify.spec``). Text checks report every required string (found or not); the geometric checks
(overlap, clipping, size, glyphs) report only problems, and ``tested`` counts what they looked at.
"""

from __future__ import annotations

import math
import re
from . import layout as L
from .spec import finding, norm_text

# quoted strings in a prompt: "…", “…”, «…», 「…」, 『…』, and '…' that is not an apostrophe
_QUOTES = [
    re.compile(r'"([^"\n]{1,300}?)"'),
    re.compile(r"“([^”\n]{1,300}?)”"),
    re.compile(r"«\s?([^»\n]{1,300}?)\s?»"),
    re.compile(r"「([^」\n]{1,300}?)」"),
    re.compile(r"『([^』\n]{1,300}?)』"),
    re.compile(r"‘([^’\n]{1,300}?)’"),
    re.compile(r"(?<![\w'])'([^'\n]{1,300}?)'(?![\w])"),
]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
OVERLAP_MIN_FRACTION = 0.15   # of the smaller text box
OVERLAP_MIN_AREA = 4.0        # px²
EDGE_TOLERANCE_PX = 0.5
BOX_TOLERANCE_PX = 1.0


def quoted_strings(prompt: str) -> list[str]:
    """Strings the prompt quotes (they must appear exactly), in order, without duplicates."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for rx in _QUOTES:
        for m in rx.finditer(prompt or ""):
            if any(a <= m.start() < b for a, b in taken):
                continue
            s = norm_text(m.group(1))
            if s:
                found.append((m.start(), s))
                taken.append((m.start(), m.end()))
    out: list[str] = []
    for _, s in sorted(found):
        if s not in out:
            out.append(s)
    return out


def contains(text: str, part: str) -> bool:
    """``part`` occurs in ``text`` as a whole: not glued to letters or digits on either side
    ("Q1" is not found in "Q10"); CJK has no word boundaries, so there any occurrence counts."""
    if not part:
        return False
    if _CJK.search(part):
        return part in text
    return re.search(r"(?<![^\W_])" + re.escape(part) + r"(?![^\W_])", text) is not None


def join_parts(parts: list[str]) -> str:
    """Parts of one string drawn on separate lines (or draw calls), read as one: CJK parts meet
    without a space, anything else with one."""
    out = ""
    for p in parts:
        p = norm_text(p)
        if not p:
            continue
        if out and not (_CJK.match(out[-1]) and _CJK.match(p[0])):
            out += " "
        out += p
    return out


def _wrapped_hit(exp: str, texts: list[dict], nxt: dict) -> tuple[str, int] | None:
    """``exp`` read over a run of texts that continue each other (a line-wrapped string, see
    ``layout.continues``): (the joined text, how many items). Inner items must lie inside ``exp``."""
    def walk(path: list[dict]):
        for b in nxt.get(id(path[-1]), []):
            if any(b is p for p in path) or len(path) >= 8:
                continue
            run = path + [b]
            joined = join_parts([t["text"] for t in run])
            if contains(joined, exp):
                return joined, len(run)
            if norm_text(b["text"]) in exp:  # b can be an inner part of exp: read on
                hit = walk(run)
                if hit:
                    return hit
        return None

    for t in texts:
        hit = walk([t])
        if hit:
            return hit
    return None


def required_text(required: list[str], texts: list[dict]) -> list[dict]:
    """Each required string must be drawn: inside one text element (a text with line breaks read
    as one line), or (noted) wrapped over text elements that continue each other: similar size,
    upright, the next line just below and overlapping, or next on the same line. Texts elsewhere
    on the canvas are never read together."""
    strings = [norm_text(t["text"]) for t in texts]
    lines = [join_parts(str(t["text"]).splitlines()) for t in texts]
    nxt = None
    out = []
    for r in required:
        exp = norm_text(r)
        if not exp:
            continue
        hit = next((s for s, ln in zip(strings, lines) if contains(s, exp) or contains(ln, exp)), None)
        wrapped = None
        if hit is None:
            nxt = L.successors(texts) if nxt is None else nxt
            wrapped = _wrapped_hit(exp, texts, nxt)
        if hit is not None:
            out.append(finding("required_text", True, exp, hit, "", exact=True))
        elif wrapped is not None:
            out.append(finding("required_text", True, exp, wrapped[0],
                               f"drawn across {wrapped[1]} adjacent text elements (wrapped)", exact=True))
        else:
            near = [s for s in strings if exp.lower() in s.lower()]
            msg = (f'"{exp}" is not drawn exactly (found "{near[0]}": fix the spelling/capitalisation)' if near
                   else f'the required text "{exp}" is missing: draw it')
            out.append(finding("required_text", False, exp, near[0] if near else None, msg, exact=True))
    return out


def glyphs(lay: dict) -> list[dict]:
    out = []
    for m in L.missing_glyphs(lay):
        chars = m.get("chars") or ""
        out.append(finding("missing_glyph", False, chars, m.get("font"),
                           f'the characters {chars!r} in "{norm_text(m.get("text"))[:60]}" have no glyph in the font '
                           f'({m.get("font")}) and are drawn as boxes: use a font that has them (e.g. "Noto Sans CJK SC")',
                           exact=True, text=m.get("text")))
    return out


def _inter(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _area(b) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _slanted(t) -> bool:
    return abs(float(t.get("rotation") or 0.0)) % 90 > 1.0


def _quad(t) -> list:
    """The rotated rectangle of a slanted text (its box is the axis-aligned hull): glyph height
    from the font size, length solved from the hull, centred on the hull's centre."""
    x0, y0, x1, y1 = t["bbox"]
    w, h = x1 - x0, y1 - y0
    th = math.radians(float(t.get("rotation") or 0.0))
    c, s = abs(math.cos(th)), abs(math.sin(th))
    H = float(t.get("fontsize_px") or 0.0) or min(w, h)
    H = min(H, w / max(s, 1e-6), h / max(c, 1e-6))
    L = max(0.0, (w - H * s) / c) if c >= s else max(0.0, (h - H * c) / s)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ux, uy = math.cos(th), -math.sin(th)   # along the text (y grows downwards)
    vx, vy = -uy, ux                       # across it
    return [(cx + sx * L / 2 * ux + sy * H / 2 * vx, cy + sx * L / 2 * uy + sy * H / 2 * vy)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]


def _poly_area(p) -> float:
    return abs(sum(p[i][0] * p[i - 1][1] - p[i - 1][0] * p[i][1] for i in range(len(p)))) / 2


def _clip(subject, clipper) -> list:
    """Sutherland-Hodgman: the part of convex polygon ``subject`` inside convex ``clipper``."""
    def side(p, a, b):
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    signed = sum(clipper[i - 1][0] * clipper[i][1] - clipper[i][0] * clipper[i - 1][1] for i in range(len(clipper)))
    orient = 1.0 if signed >= 0 else -1.0
    out = list(subject)
    for i in range(len(clipper)):
        a, b = clipper[i], clipper[(i + 1) % len(clipper)]
        inp, out = out, []
        for j in range(len(inp)):
            p, q = inp[j], inp[(j + 1) % len(inp)]
            pin, qin = orient * side(p, a, b) >= 0, orient * side(q, a, b) >= 0
            if pin:
                out.append(p)
            if pin != qin:
                d1, d2 = side(p, a, b), side(q, a, b)
                t = d1 / (d1 - d2)
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        if not out:
            return []
    return out


def _overlap(a, b) -> tuple[float, float]:
    """(intersection area, area of the smaller text) of two texts' glyph rectangles."""
    if not (_slanted(a) or _slanted(b)):
        return _inter(a["bbox"], b["bbox"]), min(_area(a["bbox"]), _area(b["bbox"]))
    if _inter(a["bbox"], b["bbox"]) <= 0:
        return 0.0, 1.0
    qa = _quad(a) if _slanted(a) else [(a["bbox"][0], a["bbox"][1]), (a["bbox"][2], a["bbox"][1]),
                                       (a["bbox"][2], a["bbox"][3]), (a["bbox"][0], a["bbox"][3])]
    qb = _quad(b) if _slanted(b) else [(b["bbox"][0], b["bbox"][1]), (b["bbox"][2], b["bbox"][1]),
                                       (b["bbox"][2], b["bbox"][3]), (b["bbox"][0], b["bbox"][3])]
    inter = _clip(qa, qb)
    return (_poly_area(inter) if len(inter) >= 3 else 0.0), min(_poly_area(qa), _poly_area(qb))


def overlaps(texts: list[dict]) -> list[dict]:
    """Pairs of texts whose glyph rectangles overlap by more than OVERLAP_MIN_FRACTION of the
    smaller one (slanted texts, e.g. 45-degree tick labels, as rotated rectangles)."""
    out = []
    for i in range(len(texts)):
        a = texts[i]
        for j in range(i + 1, len(texts)):
            b = texts[j]
            inter, small = _overlap(a, b)
            if inter < OVERLAP_MIN_AREA:
                continue
            small = small or 1.0
            if inter / small < OVERLAP_MIN_FRACTION:
                continue
            ta, tb = norm_text(a["text"])[:40], norm_text(b["text"])[:40]
            out.append(finding("overlap", False, "no overlapping text", [ta, tb],
                               f'"{ta}" and "{tb}" overlap ({100 * inter / small:.0f}% of the smaller): move one, '
                               f"shorten it, rotate tick labels or enlarge the canvas",
                               exact=True, texts=[a.get("id"), b.get("id")], bbox=[a["bbox"], b["bbox"]]))
    return out


def clipped(lay: dict, texts: list[dict], width: int, height: int) -> list[dict]:
    """Texts running off the canvas (unclipped measured boxes, else boxes flush with the edge) and
    texts running out of the shape they sit in."""
    out = []
    seen = set()
    raw = L.raw_text_boxes(lay)
    for text, b in raw:
        over = [b[0] < -EDGE_TOLERANCE_PX, b[1] < -EDGE_TOLERANCE_PX,
                b[2] > width + EDGE_TOLERANCE_PX, b[3] > height + EDGE_TOLERANCE_PX]
        if width and height and any(over):
            t = norm_text(text)[:60]
            sides = [s for s, o in zip(("left", "top", "right", "bottom"), over) if o]
            gone = b[2] <= 0 or b[3] <= 0 or b[0] >= width or b[1] >= height
            msg = (f'"{t}" is drawn entirely outside the canvas' if gone
                   else f'"{t}" runs off the {"/".join(sides)} edge of the canvas')
            out.append(finding("clipped", False, "inside the canvas", [round(v, 1) for v in b],
                               msg + ": move it inside, shorten it, or enlarge the figure", exact=True, text=t))
            seen.add(norm_text(text))
    if not raw and width and height:  # semantic boxes only: clipped boxes end flush with the edge
        for t in texts:
            b = t["bbox"]
            if (b[0] <= 0 or b[1] <= 0 or b[2] >= width or b[3] >= height) and norm_text(t["text"]) not in seen:
                s = norm_text(t["text"])[:60]
                out.append(finding("clipped", False, "inside the canvas", b,
                                   f'"{s}" touches or crosses the edge of the canvas: move it inside', exact=True, text=s))
    shapes = L.shapes_by_id(lay)
    for t in texts:
        s = shapes.get(t.get("inside") or "")
        sb = L._box(s.get("bbox")) if s else None
        if not sb:
            continue
        b = t["bbox"]
        if (b[0] < sb[0] - BOX_TOLERANCE_PX or b[1] < sb[1] - BOX_TOLERANCE_PX
                or b[2] > sb[2] + BOX_TOLERANCE_PX or b[3] > sb[3] + BOX_TOLERANCE_PX):
            txt = norm_text(t["text"])[:60]
            out.append(finding("clipped", False, "inside its box", b,
                               f'"{txt}" runs out of its {s.get("kind", "box")} ({s.get("id")}): make the box larger, '
                               f"the font smaller, or wrap the text", exact=True, text=txt, box=sb))
    return out


def too_small(texts: list[dict], width: int, height: int, target_long_side: int, min_px: float) -> list[dict]:
    """Texts whose glyphs would be under ``min_px`` pixels tall at the target size (the long side
    of the final picture; 0 = the draft's own size)."""
    if not (width and height):
        return []
    scale = (target_long_side / max(width, height)) if target_long_side else 1.0
    out = []
    for t in texts:
        px = L.text_height_px(t) * scale
        if 0 < px < min_px:
            s = norm_text(t["text"])[:60]
            out.append(finding("too_small", False, f">= {min_px:g} px", round(px, 1),
                               f'"{s}" is {px:.1f} px tall at the target size (needs {min_px:g}): use a larger font',
                               exact=True, text=s))
    return out


_CONFUSABLE = str.maketrans({"l": "1", "i": "1", "|": "1", "!": "1", "o": "0"})


def ocr_fold(s: str) -> str:
    """What OCR can tell apart: no spacing, case folded, l/i/|/1 and o/0 merged."""
    return re.sub(r"\s+", "", s or "").lower().translate(_CONFUSABLE)


def ocr_required(required: list[str], ocr_text: str, engine: str) -> list[dict]:
    """Required strings read back from the pixels (spacing, case and l/1, o/0 ignored: OCR is not
    exact; the layout check is the exact one)."""
    flat = ocr_fold(ocr_text)
    out = []
    for r in required:
        exp = norm_text(r)
        ok = ocr_fold(exp) in flat
        out.append(finding("ocr_text", ok, exp, None if ok else (ocr_text or "")[:200],
                           "" if ok else f'OCR ({engine}) did not read "{exp}" in the image: check that it is '
                                         "visible, large enough and not covered",
                           exact=False))
    return out


def lang_of(strings: list[str], default: str = "en") -> str:
    """"zh" when any string has CJK characters, else ``default``."""
    for s in strings:
        if _CJK.search(s or ""):
            return "zh"
    return default


def summarize(kind: str, tested: int, findings: list[dict]) -> dict:
    bad = sum(1 for f in findings if not f.get("ok"))
    return {"check": kind, "tested": tested, "failed": bad, "skipped": None,
            "score": 1.0 if tested == 0 else max(0.0, 1.0 - bad / tested)}


def skipped(kind: str, why: str) -> dict:
    return {"check": kind, "tested": 0, "failed": 0, "skipped": why, "score": None}

