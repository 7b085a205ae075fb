"""Wire format between caller <-> worker host <-> job child: small JSON header + raw bytes.

frame := b"CSB1" | u32 header_len | header JSON (utf-8) | u64 blob_len | blob
The receiver checks every size before allocating: header <= MAX_HEADER, blob == the sum the header
declares, each image within the job's limits. Nothing else (no pickle, no PNG) crosses the boundary.
"""

from __future__ import annotations

import json
import re
import struct

from ._types import ERROR_TYPES, Limits, RenderedImage, RenderResult

MAGIC = b"CSB1"
MAX_HEADER = 4 * 1024 * 1024
MAX_REQUEST_BLOB = 0


class ProtocolError(Exception):
    pass


def encode(header: dict, blobs=()) -> bytes:
    h = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode()
    blob = b"".join(blobs)
    return MAGIC + struct.pack("<I", len(h)) + h + struct.pack("<Q", len(blob)) + blob


def encode_parts(header: dict, blobs=()) -> list:
    """The frame as [prefix, *blobs], to be written one after the other (no join copy of the pixels)."""
    h = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode()
    return [MAGIC + struct.pack("<I", len(h)) + h + struct.pack("<Q", sum(len(b) for b in blobs))] + list(blobs)


def parse_buffer(buf, max_blob_bytes: int):
    """One complete frame held in ``buf`` (bytes/bytearray) -> (header, memoryview of the blob).
    The same checks as read_frame, without copying the blob."""
    mv = memoryview(buf)
    if len(mv) < 16 or bytes(mv[:4]) != MAGIC:
        raise ProtocolError("bad frame magic")
    (hl,) = struct.unpack_from("<I", mv, 4)
    if hl > MAX_HEADER or len(mv) < 16 + hl:
        raise ProtocolError("bad header length")
    try:
        header = json.loads(bytes(mv[8:8 + hl]))
    except (ValueError, RecursionError) as e:
        raise ProtocolError(f"header is not JSON: {type(e).__name__}")
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    (bl,) = struct.unpack_from("<Q", mv, 8 + hl)
    if bl > max_blob_bytes or len(mv) != 16 + hl + bl:
        raise ProtocolError(f"payload size {bl} does not match")
    return header, mv[16 + hl:]


def max_blob(limits: Limits, max_images: int = 16) -> int:
    px = int(limits.max_megapixels * 1e6) + 1
    return max_images * px * 4 + px


def read_frame(read_exact, max_blob_bytes: int):
    """read_exact(n) -> bytes (raises EOFError). Returns (header dict, blob bytes)."""
    if read_exact(4) != MAGIC:
        raise ProtocolError("bad frame magic")
    (hl,) = struct.unpack("<I", read_exact(4))
    if hl > MAX_HEADER:
        raise ProtocolError(f"header too large ({hl} bytes)")
    try:
        header = json.loads(read_exact(hl))
    except (ValueError, RecursionError) as e:     # RecursionError: a nesting bomb
        raise ProtocolError(f"header is not JSON: {type(e).__name__}")
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    (bl,) = struct.unpack("<Q", read_exact(8))
    if bl > max_blob_bytes:
        raise ProtocolError(f"payload too large ({bl} bytes)")
    blob = read_exact(bl) if bl else b""
    return header, blob


# ---------------------------------------------------------------------------------------------- reply sanitising
# Everything below runs in the CALLER on data a hostile job may have forged: it must never raise
# anything but ProtocolError, never recurse without a bound, and never return a value it did not
# rebuild itself (only dict/list/str/int/float/bool/None, bounded in size, depth and magnitude).

MAX_DEPTH = 12              # nesting of a layout
MAX_NODES = 500_000         # values in one reply's layouts together (further ones become None)
MAX_LIST = 5_000            # items of one list
MAX_KEYS = 256              # keys of one object
MAX_STR = 4_096             # characters of one layout string (logs have their own caps)
MAX_NUM = 1e12              # |number| in a layout (pixels, data values); larger ones are clamped
MAX_IMAGES = 16

# ANSI CSI / OSC / single-char escapes, C0/C1 controls except \t and \n, bidi embeddings/overrides/
# isolates and marks, line/paragraph separators, and lone surrogates (json.loads lets "\ud800" through)
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[@-Z\\-_]?"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
                      r"|[\ud800-\udfff]")


def clean_text(v, cap: int | None = MAX_STR) -> str:
    """A string fit to show in a terminal, a log or the UI: escapes, controls, bidi overrides and lone
    surrogates removed, CR normalised, capped to ``cap`` UTF-8 bytes (None: no cap)."""
    if not isinstance(v, str):
        v = "" if v is None else repr(v) if not isinstance(v, (int, float)) else str(v)
    if v.isprintable() and (cap is None or len(v) * 4 <= cap):
        return v        # fast path (C): no control, format (bidi), separator or surrogate character
    if cap is not None and len(v) > 4 * cap + 64:       # bound the regex work before cleaning
        v = v[:4 * cap + 64]
    s = _ESCAPES.sub("", v.replace("\r\n", "\n").replace("\r", "\n"))
    if cap is not None:
        b = s.encode("utf-8", "replace")
        if len(b) > cap:
            s = b[:cap].decode("utf-8", "ignore") + f"\n[truncated: {len(b) - cap} more bytes]"
    return s


class _Budget:
    def __init__(self, nodes=MAX_NODES):
        self.left = nodes

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def clean_number(v):
    """A finite number within +-MAX_NUM (ints stay ints), or None."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return max(-int(MAX_NUM), min(int(MAX_NUM), v))
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None
        return max(-MAX_NUM, min(MAX_NUM, v))
    return None


def clean_json(v, budget: _Budget | None = None, depth: int = 0):
    """Rebuild an untrusted JSON value with bounded recursion: depth <= MAX_DEPTH (deeper parts are
    dropped), lists/objects capped, keys and strings cleaned, numbers bounded."""
    if budget is None:
        budget = _Budget()
    budget.left -= 1
    if budget.left < 0:
        return None
    t = type(v)
    if t is str:
        return clean_text(v)
    if t is float:
        return v if -MAX_NUM <= v <= MAX_NUM else clean_number(v)
    if t is int or t is bool or v is None:
        return clean_number(v) if t is int else v
    if depth >= MAX_DEPTH:
        return None
    if t is list:
        return [clean_json(x, budget, depth + 1) for x in v[:MAX_LIST]]
    if t is dict:
        out = {}
        for k in list(v)[:MAX_KEYS]:
            out[clean_text(k if type(k) is str else str(k), 128)] = clean_json(v[k], budget, depth + 1)
        return out
    return None


def _int(v, lo, hi, what):
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ProtocolError(f"bad {what}: {clean_text(repr(v), 40)}")
    return v


def _float(v):
    v = clean_number(v)
    return None if v is None or isinstance(v, bool) else float(v)


def clean_layout(layout, width: int, height: int, budget: _Budget) -> dict:
    """One image's layout: generic rebuild, then ``semantic`` through its own validator (if that
    module is there); a semantic part it rejects is dropped, never passed on."""
    if not isinstance(layout, dict):
        return {}
    sem = layout.get("semantic")
    out = clean_json({k: v for k, v in layout.items() if k != "semantic"}, budget)
    if sem is not None:
        try:
            from .semantic import validate_semantic
        except ImportError:
            validate_semantic = None
        if validate_semantic is not None and width > 0 and height > 0:
            try:
                out["semantic"] = clean_json(validate_semantic(sem, width, height), budget)
            except Exception:  # noqa: BLE001 - an invalid semantic layout is dropped, never raised
                pass
    return out


def stats(header: dict) -> dict:
    """The timing diagnostics of a reply, as finite floats or None."""
    keys = ("child_s", "job_cpu_s", "job_wall_s", "ready_wait_s", "warm_s", "ready_after_s")
    return {k: _float(header.get(k)) for k in keys}


def to_result(header: dict, blob: bytes, limits: Limits, tier: str, duration: float) -> RenderResult:
    """Validate a child's header + blob and build the RenderResult (raises ProtocolError only)."""
    try:
        return _to_result(header, blob, limits, tier, duration)
    except ProtocolError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a forged reply triggers is a protocol error
        raise ProtocolError(f"{type(e).__name__}: {clean_text(str(e), 200)}")


def _to_result(header, blob, limits, tier, duration):
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    if not isinstance(blob, (bytes, bytearray)):
        raise ProtocolError("payload is not bytes")
    images = []
    off = 0
    hdr_images = header.get("images")
    if hdr_images is None:
        hdr_images = []
    if not isinstance(hdr_images, list) or len(hdr_images) > MAX_IMAGES:
        raise ProtocolError("bad image list")
    max_px = limits.max_megapixels * 1e6 + 1
    for im in hdr_images:
        if not isinstance(im, dict):
            raise ProtocolError("bad image entry")
        w = _int(im.get("width"), 1, limits.max_side, "image width")
        h = _int(im.get("height"), 1, limits.max_side, "image height")
        if w * h > max_px:
            raise ProtocolError(f"image {w}x{h} is outside the limits")
        src = im.get("source", "")
        n = w * h * 4
        if off + n > len(blob):
            raise ProtocolError("payload shorter than declared")
        images.append(RenderedImage(w, h, bytes(blob[off:off + n]), clean_text(src if isinstance(src, str) else "", 300)))
        off += n
    mask = None
    has_mask = header.get("mask")
    if has_mask not in (None, False, True, 0, 1):
        raise ProtocolError("bad mask flag")
    if has_mask:
        if not images:
            raise ProtocolError("mask without image")
        n = images[0].width * images[0].height
        mask = bytes(blob[off:off + n])
        if len(mask) != n:
            raise ProtocolError("mask shorter than declared")
        off += n
    if off != len(blob):
        raise ProtocolError("payload longer than declared")
    et = header.get("error_type")
    if et is not None and et not in ERROR_TYPES + ("Cancelled",):
        et = "RuntimeError"
    ok = header.get("ok") is True and et is None
    if ok and not images:
        ok, et = False, "NoOutput"
    if not ok and et is None:
        et = "RuntimeError"
    budget = _Budget()
    size = lambda i: (images[i].width, images[i].height) if i < len(images) else (0, 0)  # noqa: E731
    layouts = header.get("layouts")
    raw0 = header.get("layout")
    if "layout" not in header and isinstance(layouts, list) and layouts:
        raw0 = layouts[0]       # the job sends the draft's layout once, as layouts[0]
    layout = clean_layout(raw0, *size(0), budget)
    if isinstance(layouts, list):
        layouts = [layout if i == 0 and _same(x, raw0) else clean_layout(x, *size(i), budget)
                   for i, x in enumerate(layouts[:MAX_IMAGES])]
    else:
        layouts = None
    line = header.get("error_line")
    line = line if isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10 ** 7 else None
    extra = {}
    if layouts is not None and "layouts" in getattr(RenderResult, "__dataclass_fields__", {}):
        extra["layouts"] = layouts
    return RenderResult(
        ok=ok, images=images, text_mask=mask, layout=layout,
        log=clean_text(header.get("log") if isinstance(header.get("log"), str) else "", limits.max_log_bytes),
        error=_one_line(header.get("error")) if not ok else None,
        error_type=et if not ok else None,
        traceback=clean_text(header.get("traceback"), 8000) if not ok and header.get("traceback") is not None else None,
        error_line=line if not ok else None,
        tier=tier, duration_s=duration, **extra)


def _same(a, b) -> bool:
    """layouts[0] is usually the very same data as layout: rebuild it once (C-level compare)."""
    try:
        return type(a) is dict and a == b
    except RecursionError:
        return False


def _one_line(v) -> str:
    s = clean_text(v if isinstance(v, str) else "" if v is None else str(v), 2000)
    return " ".join(s.split("\n")).strip() or "the sandbox reported an error without a message"


def error_result(error_type: str, error: str, tier: str, duration: float, log: str = "") -> RenderResult:
    return RenderResult(ok=False, images=[], text_mask=None, layout={}, log=log, error=error,
                        error_type=error_type, traceback=None, error_line=None, tier=tier, duration_s=duration)
