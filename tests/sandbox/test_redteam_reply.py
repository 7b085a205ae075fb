"""Red team, class 6 of issue 11: the caller must not trust the job's reply.

A job owns the pipe its reply travels on, so it can write ANY frame there and exit. These tests feed
forged replies (a) straight into the caller's validator, thousands of random ones, and (b) end to end:
a real job writes a forged frame on its result pipe and `_exit`s, through the real zygote and pool.

How they failed without the fix (run against `to_result` of commit 50c9c3a): a width of `1e400`
(json gives `inf`) raised OverflowError (out of `render()` too); `"error_line": true` came back as 1;
ESC/CSI, RLO (U+202E) and a lone surrogate in layout text came back unchanged (`{'t': '\x1b[2J\u202e
\ud800'}`); `"mask": "yes"` was taken as true.
"""

from __future__ import annotations

import json
import math
import random
import struct
import sys

import pytest

from comfyui_coco.sandbox import Limits, SandboxPool
from comfyui_coco.sandbox import _protocol

BAD_CHARS = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200f", "\x00", "\r")
FAST = Limits(timeout_s=6, cpu_s=4, memory_mb=512)


def _walk(v, depth=0):
    """Yield (depth, value) for every value of a rebuilt structure (iterative-safe: depth is bounded)."""
    stack = [(0, v)]
    while stack:
        d, x = stack.pop()
        yield d, x
        if isinstance(x, dict):
            for k, y in x.items():
                yield d + 1, k
                stack.append((d + 1, y))
        elif isinstance(x, list):
            stack.extend((d + 1, y) for y in x)


def assert_clean(res):
    assert isinstance(res.ok, bool)
    strings = [res.log or "", res.error or "", res.traceback or ""] + [im.source for im in res.images]
    for d, x in _walk(res.layout):
        assert d <= _protocol.MAX_DEPTH + 1
        assert x is None or isinstance(x, (dict, list, str, int, float, bool)), type(x)
        if isinstance(x, float):
            assert math.isfinite(x) and abs(x) <= _protocol.MAX_NUM
        if isinstance(x, int) and not isinstance(x, bool):
            assert abs(x) <= _protocol.MAX_NUM
        if isinstance(x, str):
            strings.append(x)
    for layout in getattr(res, "layouts", None) or []:
        for _, x in _walk(layout):
            if isinstance(x, str):
                strings.append(x)
    for s in strings:
        assert isinstance(s, str)
        for c in BAD_CHARS:
            assert c not in s, (c, s[:80])
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in s), "lone surrogate"
        s.encode("utf-8")          # must be encodable (no surrogates)
    if res.error is not None:
        assert "\n" not in res.error
    if res.error_line is not None:
        assert isinstance(res.error_line, int) and not isinstance(res.error_line, bool)
    for im in res.images:
        assert len(im.rgba) == im.width * im.height * 4


NASTY_STRINGS = ["\x1b]0;pwned\x07", "\x1b[2J\x1b[31mred", "\u202egnp.exe", "\ud800", "\udfff tail", "a\x9b31m",
                 "x" * 100_000, "\x00\x01\x02", "\r\roverwrite", "\u2066isolate\u2069", "ok text"]
NASTY_NUMBERS = [1e400, -1e400, float("nan"), 10 ** 30, -(10 ** 30), 2 ** 63, 1e308, -0.0, 0, 1, True, None,
                 "12", [], {}]


def _deep(n, leaf="x"):
    v = leaf
    for _ in range(n):
        v = [v]
    return v


def _random_value(rng, depth=0):
    r = rng.random()
    if depth > 6 or r < 0.3:
        return rng.choice(NASTY_STRINGS + NASTY_NUMBERS)
    if r < 0.6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(NASTY_STRINGS[:6] + ["bbox", "text", "semantic", "elements"]): _random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def _random_header(rng):
    h = {}
    keys = ["ok", "images", "mask", "layout", "layouts", "log", "error", "error_type", "traceback", "error_line",
            "child_s", "job_cpu_s", "layers"]
    for k in keys:
        if rng.random() < 0.6:
            h[k] = _random_value(rng)
    if rng.random() < 0.5:
        h["images"] = [{"width": rng.choice([1, 2, 0, -1, 1e400, "2", True, 10 ** 30, 4097]),
                        "height": rng.choice([1, 2, float("nan"), None]),
                        "source": rng.choice(NASTY_STRINGS)} for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.3:
        h["ok"] = True
    return h


def _blob_for(h, rng):
    n = 0
    for im in h.get("images") if isinstance(h.get("images"), list) else []:
        try:
            n += int(im["width"]) * int(im["height"]) * 4
        except Exception:  # noqa: BLE001
            pass
    return bytes(max(0, min(n, 1 << 16) + rng.choice([0, 0, 0, 1, -1])))


def _through_the_wire(h):
    """Encode like a job would (json allows NaN/Infinity, lone surrogates as \\ud800) and decode like the caller."""
    raw = _protocol.encode(h)
    pos = [0]

    def read_exact(n):
        out = raw[pos[0]:pos[0] + n]
        pos[0] += n
        return out
    return _protocol.read_frame(read_exact, 0)[0]


def test_fuzz_forged_headers_never_raise():
    rng = random.Random(11)
    lim = Limits().clamped()
    for i in range(1500):
        h = _random_header(rng)
        try:
            h = _through_the_wire(h)
        except _protocol.ProtocolError:
            continue
        blob = _blob_for(h, rng)
        try:
            res = _protocol.to_result(h, blob, lim, "strong: test", 0.0)
        except _protocol.ProtocolError:
            continue
        assert_clean(res)


@pytest.mark.parametrize("header", [
    {"ok": True, "images": [{"width": 1e400, "height": 1}]},
    {"ok": True, "images": [1]},
    {"ok": True, "images": [{"width": True, "height": True}]},
    {"ok": False, "error_line": True, "error": "x"},
    {"ok": False, "error_line": 1e400, "error": ["not", "a", "string"], "traceback": {"a": 1}},
    {"ok": True, "images": [{"width": 1, "height": 1}], "mask": "yes"},
    {"ok": True, "images": "many"},
    {"ok": "yes", "images": []},
    {"ok": False, "error_type": {"x": 1}},
    {"ok": False, "error_type": "Forbidden", "log": 123},
])
def test_forged_header_shapes(header):
    blob = b"\x00" * 4 if header.get("images") and isinstance(header["images"], list) and \
        isinstance(header["images"][0], dict) and header["images"][0].get("width") is True else b""
    try:
        res = _protocol.to_result(_through_the_wire(header), blob, Limits().clamped(), "t", 0.0)
    except _protocol.ProtocolError:
        return
    assert_clean(res)
    assert res.ok is False or header.get("ok") is True


def test_layout_is_rebuilt_bounded_and_clean():
    layout = {"canvas": {"width": 1e400, "height": float("nan")}, "deep": _deep(5000),
              "elements": [{"type": "text", "text": s, "bbox": [1e400, -1e400, 10 ** 40, 2]} for s in NASTY_STRINGS],
              "\x1b[31mkey": 1, "many": list(range(20_000))}
    h = {"ok": True, "images": [{"width": 2, "height": 1, "source": "\x1b]8;;http://x\x07f\u202e"}], "layout": layout,
         "layouts": [layout, "not a dict", layout] + [layout] * 30, "log": "\x1b]0;t\x07\u202eok\ud800"}
    # (5,000 levels cannot cross the wire: json.loads stops at the recursion limit, see the next test)
    res = _protocol.to_result(h, bytes(8), Limits().clamped(), "t", 0.0)
    assert res.ok
    assert_clean(res)
    assert res.layout["canvas"] == {"width": None, "height": None}     # inf/nan are not numbers
    assert res.layout["elements"][0]["bbox"][2] == _protocol.MAX_NUM
    assert len(res.layout["many"]) == _protocol.MAX_LIST
    assert res.layout["elements"][1]["text"] == "redJ" or "\x1b" not in res.layout["elements"][1]["text"]
    assert "key" in "".join(res.layout)
    layouts = getattr(res, "layouts", None)
    if layouts is not None:                 # RenderResult.layouts exists once the compat work lands
        assert len(layouts) <= _protocol.MAX_IMAGES and layouts[1] == {}


def test_nesting_bomb_on_the_wire_is_a_protocol_error():
    raw = b"[" * 200_000 + b"]" * 200_000
    frame = b"CSB1" + struct.pack("<I", len(raw)) + raw + struct.pack("<Q", 0)
    pos = [0]

    def read_exact(n):
        out = frame[pos[0]:pos[0] + n]
        pos[0] += n
        return out
    with pytest.raises(_protocol.ProtocolError):
        _protocol.read_frame(read_exact, 0)


def test_semantic_goes_through_its_validator():
    import comfyui_coco.sandbox.semantic  # noqa: F401  (a missing validator must fail, not skip)
    sem = {"version": 1, "source": "matplotlib", "canvas": {"width": 2, "height": 1},
           "texts": [{"id": "t0", "text": "\u202eevil\x1b[2J", "role": "title", "bbox": [0, 0, 1e400, 5]}],
           "bogus": {"x": 1}}
    h = {"ok": True, "images": [{"width": 2, "height": 1}], "layout": {"semantic": sem}}
    res = _protocol.to_result(h, bytes(8), Limits().clamped(), "t", 0.0)
    assert_clean(res)
    out = res.layout.get("semantic")
    assert out is not None and "bogus" not in out
    h["layout"]["semantic"] = {"version": 999}
    res = _protocol.to_result(h, bytes(8), Limits().clamped(), "t", 0.0)
    assert "semantic" not in res.layout     # rejected by the validator => dropped, not raised


# ---------------------------------------------------------------------------------------------- end to end

FORGE = r"""
import json, os, stat, struct
h = json.loads({hdr!r})
raw = json.dumps(h, ensure_ascii=True, allow_nan=True).encode()
blob = bytes({blob_len})
frame = b'CSB1' + struct.pack('<I', len(raw)) + raw + struct.pack('<Q', len(blob)) + blob
for fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, frame)
    except OSError:
        pass
os._exit(0)
"""

E2E = [
    ({"ok": True, "images": [{"width": 1e400, "height": 1}]}, 4),
    ({"ok": True, "images": [{"width": 2, "height": 1, "source": "\x1b]0;x\x07\u202e"}],
      "layout": {"deep": _deep(600), "t": "\x1b[2J\ud800"}, "layouts": [{"x": 1e400}],
      "log": "\x1b]52;c;ZXZpbA==\x07 clipboard", "child_s": 1e400, "job_cpu_s": "x"}, 8),
    ({"ok": False, "error_type": "Forbidden", "error": "\x1b[2J\nline2\u202e", "error_line": 10 ** 30,
      "traceback": "\x1b]0;t\x07tb"}, 0),
    ({"ok": True, "images": [{"width": 1, "height": 1}], "mask": "yes"}, 5),
]


@pytest.fixture(scope="module")
def pool():
    p = SandboxPool(limits=FAST)
    yield p
    p.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zygote mode")
@pytest.mark.parametrize("header,blob_len", E2E, ids=["overflow", "nested-escapes", "error-escapes", "mask-string"])
def test_forged_reply_end_to_end(pool, header, blob_len):
    hdr = json.dumps(header, allow_nan=True)
    res = pool.render(FORGE.format(hdr=hdr, blob_len=blob_len), limits=FAST)
    assert_clean(res)
    for v in pool.last_job_stats.values():
        assert v is None or (isinstance(v, float) and math.isfinite(v))
    ok = pool.render("plt.figure(figsize=(1, 1), dpi=20)", limits=FAST)
    assert ok.ok, (ok.error_type, ok.error)
