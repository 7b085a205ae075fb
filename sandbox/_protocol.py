"""Wire format between caller <-> worker host <-> job child: small JSON header + raw bytes.

frame := b"CSB1" | u32 header_len | header JSON (utf-8) | u64 blob_len | blob
The receiver checks every size before allocating: header <= MAX_HEADER, blob == the sum the header
declares, each image within the job's limits. Nothing else (no pickle, no PNG) crosses the boundary.
"""

from __future__ import annotations

import json
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
    except ValueError as e:
        raise ProtocolError(f"header is not JSON: {e}")
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    (bl,) = struct.unpack("<Q", read_exact(8))
    if bl > max_blob_bytes:
        raise ProtocolError(f"payload too large ({bl} bytes)")
    blob = read_exact(bl) if bl else b""
    return header, blob


def _s(v, cap=None):
    if v is None:
        return None
    from ._runner import cap_text, strip_escapes
    s = strip_escapes(str(v))
    return cap_text(s, cap) if cap else s


def to_result(header: dict, blob: bytes, limits: Limits, tier: str, duration: float) -> RenderResult:
    """Validate a child's header + blob and build the RenderResult (raises ProtocolError)."""
    images = []
    off = 0
    hdr_images = header.get("images") or []
    if not isinstance(hdr_images, list) or len(hdr_images) > 16:
        raise ProtocolError("bad image list")
    for im in hdr_images:
        try:
            w, h, src = int(im["width"]), int(im["height"]), str(im.get("source", ""))[:300]
        except (KeyError, TypeError, ValueError):
            raise ProtocolError("bad image entry")
        if w <= 0 or h <= 0 or w > limits.max_side or h > limits.max_side or w * h > limits.max_megapixels * 1e6 + 1:
            raise ProtocolError(f"image {w}x{h} is outside the limits")
        n = w * h * 4
        if off + n > len(blob):
            raise ProtocolError("payload shorter than declared")
        images.append(RenderedImage(w, h, blob[off:off + n], _s(src)))
        off += n
    mask = None
    if header.get("mask"):
        if not images:
            raise ProtocolError("mask without image")
        n = images[0].width * images[0].height
        mask = blob[off:off + n]
        if len(mask) != n:
            raise ProtocolError("mask shorter than declared")
        off += n
    if off != len(blob):
        raise ProtocolError("payload longer than declared")
    et = header.get("error_type")
    if et is not None and et not in ERROR_TYPES:
        et = "RuntimeError"
    ok = bool(header.get("ok")) and et is None
    if ok and not images:
        ok, et = False, "NoOutput"
    layout = header.get("layout") if isinstance(header.get("layout"), dict) else {}
    line = header.get("error_line")
    return RenderResult(
        ok=ok, images=images, text_mask=mask, layout=layout,
        log=_s(header.get("log") or "", limits.max_log_bytes) or "",
        error=_s(header.get("error"), 2000) if not ok else None,
        error_type=et if not ok else None,
        traceback=_s(header.get("traceback"), 8000) if not ok else None,
        error_line=int(line) if isinstance(line, int) and not ok else None,
        tier=tier, duration_s=duration)


def error_result(error_type: str, error: str, tier: str, duration: float, log: str = "") -> RenderResult:
    return RenderResult(ok=False, images=[], text_mask=None, layout={}, log=log, error=error,
                        error_type=error_type, traceback=None, error_line=None, tier=tier, duration_s=duration)
