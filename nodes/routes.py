"""HTTP routes of the pack: live preview of drawing code, isolation info, local approval.

* ``POST /coco/preview`` ``{code, language?, client_id?, seq, max_megapixels?, timeout_s?, files?}`` renders the code
  through the same sandbox as CoCo_SandboxRender (``sandbox.get_pool().render``) in a worker
  thread, so the server's event loop never waits on it, with the limits of CoCo_SandboxRender (the
  editor sends the widget values of the render node it feeds; same defaults and ranges). ``files``: the
  ``names`` text of the CoCo_InputFiles node linked to the editor (files of ComfyUI's input folder, read
  and checked as that node does), so the preview sees the same input files. Answer (200):
  ``{ok, seq, image: "data:image/png;base64,..." | null, width, height, n_images, log, error, fix,
  error_type, error_line, traceback, layout, tier, duration_s}``.
  Refusals are JSON too: 400 bad request, 403 ``approval_required`` (foreign code where the
  sandbox does not enforce file/network isolation), 409 ``superseded`` (a newer request of the
  same client replaced this one before it ran, or the seq is not newer than one already seen),
  413 ``code_too_large`` / ``body_too_large`` / ``canvas_too_large``, 429 ``rate_limited`` /
  ``busy``.
  Per client (``client_id``, else the peer address) at most one render runs and at most one waits;
  a newer request replaces the waiting one, whose caller gets 409 at once.
* ``GET /coco/preview_state?client_id=...`` -> ``{known, running_seq, pending_seq, last_seq}``.
* ``GET /coco/isolation`` -> ``{tier, enforces_files_network, description}`` (as the gate sees it).
* ``POST /coco/code_status`` ``{code}`` -> ``{code_sha256, approved, generated_here, typed_here, trust,
  needs_approval, tier, enforces_files_network}``.
* ``POST /coco/trust_status`` ``{texts: [str]}`` -> ``{items: [{sha256, trust, trusted, needs_approval}],
  needs_approval, tier, ...}``: whether each text (a prompt, a system prompt...) is trusted here.
* ``POST /coco/mark_typed`` ``{text}``: the user typed or edited this text on this machine (sent by
  the editor extension on real key presses; a loaded workflow never triggers it).
* ``POST /coco/approve`` ``{code}`` or ``{texts: [str]}`` -> ``{approved: true, code_sha256 | sha256s}``.
* ``GET /coco/pending_inputs?node_id=...`` -> ``{items: [{name, sha256, text}]}``: the foreign inputs
  CoCo_CodeGen refused to write code from on its last run (shown in full on the node).
  Trust is stored on this machine only (see ``approval.py``), never in a workflow.

ComfyUI also serves each route under ``/api/...``. Like every custom route these have no
authentication; ComfyUI's origin check on loopback keeps other web sites out.
"""

from __future__ import annotations

import asyncio
import base64
import io as _io
import logging
import time
from dataclasses import dataclass, field

from . import approval
from .sandbox_render import (DEFAULT_MAX_MEGAPIXELS, DEFAULT_TIMEOUT_S, MAX_MAX_MEGAPIXELS, MAX_TIMEOUT_S,
                             fix_for, user_error)

log = logging.getLogger("ComfyUI-CoCo")

MAX_CODE_BYTES = 64 * 1024  # the code of one preview
MAX_BODY_BYTES = 256 * 1024  # the whole JSON body (code escaped as JSON may grow)
RATE_BURST = 12  # requests a client may send at once ...
RATE_PER_S = 4.0  # ... and per second after that
MAX_CLIENTS_WAITING = 16  # clients with a render running or waiting, all together
RENDER_CONCURRENCY = 1  # preview renders at once, all clients together (queued prompts come first)
LANGUAGES = ("auto", "python", "svg")

_registered = False


@dataclass
class _Client:
    tokens: float = float(RATE_BURST)
    stamp: float = field(default_factory=time.monotonic)
    last_seq: int = -1
    running: bool = False
    pending: tuple | None = None  # (seq, job dict, future)
    running_seq: int | None = None  # the seq being rendered now
    used: float = field(default_factory=time.monotonic)

    def take_token(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        self.tokens = min(float(RATE_BURST), self.tokens + (now - self.stamp) * RATE_PER_S)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / RATE_PER_S


class PreviewService:
    """Per-client scheduling of preview renders (one running, one waiting, newest wins)."""

    def __init__(self):
        self.clients: dict[str, _Client] = {}
        self._sem: asyncio.Semaphore | None = None

    def client(self, key: str) -> _Client:
        now = time.monotonic()
        if len(self.clients) > 512:  # forget idle clients
            for k in [k for k, c in self.clients.items() if not c.running and now - c.used > 600]:
                del self.clients[k]
        c = self.clients.get(key)
        if c is None:
            c = self.clients[key] = _Client()
        c.used = now
        return c

    def busy_clients(self) -> int:
        return sum(1 for c in self.clients.values() if c.running)

    async def submit(self, c: _Client, seq: int, job: dict) -> tuple[int, dict]:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if c.pending is not None:
            old_seq, _old_job, old_fut = c.pending
            if not old_fut.done():
                old_fut.set_result((409, _superseded(old_seq, seq)))
        c.pending = (seq, job, fut)
        if not c.running:
            c.running = True
            asyncio.ensure_future(self._drain(c))
        return await fut

    async def _drain(self, c: _Client) -> None:
        if self._sem is None:
            self._sem = asyncio.Semaphore(RENDER_CONCURRENCY)
        try:
            while c.pending is not None:
                async with self._sem:
                    if c.pending is None:
                        break
                    seq, job, fut = c.pending
                    c.pending = None
                    if fut.done():
                        continue
                    c.running_seq = seq
                    try:
                        body = await asyncio.to_thread(_render_sync, job)
                        body["seq"] = seq
                        # A newer request arrived while this one ran: say so (the client drops it).
                        body["stale"] = c.last_seq > seq
                        status = 200
                    except Exception as e:  # the sandbox itself failed, not the user's code
                        log.exception("ComfyUI-CoCo: preview render failed")
                        status, body = 500, {"error": "render_failed", "message": f"{type(e).__name__}: {e}",
                                             "seq": seq}
                    finally:
                        c.running_seq = None
                    if not fut.done():
                        fut.set_result((status, body))
        finally:
            c.running = False


_service = PreviewService()


def _superseded(seq: int, newer: int) -> dict:
    return {"error": "superseded", "seq": seq, "latest_seq": newer,
            "message": f"preview {seq} was replaced by the newer request {newer} before it ran."}


def _json(status: int, body: dict):
    from aiohttp import web

    return web.json_response(body, status=status)


def _get_isolation():
    return approval.isolation()


def _png_data_url(img) -> str:
    from PIL import Image

    im = Image.frombuffer("RGBA", (img.width, img.height), bytes(img.rgba), "raw", "RGBA", 0, 1)
    buf = _io.BytesIO()
    im.save(buf, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _render_sync(job: dict) -> dict:
    """Runs in a worker thread: one sandboxed render, encoded for the browser."""
    from ..sandbox import Limits, get_pool

    pool = get_pool()
    limits = Limits(timeout_s=job["timeout_s"], max_megapixels=job["max_megapixels"])
    res = pool.render(job["code"], language=job["language"], limits=limits,
                      **({"files": job["files"]} if job.get("files") else {}))
    out = {
        "ok": bool(res.ok),
        "image": None, "width": None, "height": None,
        "n_images": len(res.images or []),
        "log": res.log or "",
        "error": user_error(res) if res.error else res.error, "error_type": res.error_type,
        "error_line": res.error_line, "fix": fix_for(res) if not res.ok else None,
        "traceback": res.traceback,
        "layout": res.layout,
        "tier": str(getattr(res, "tier", "") or ""),
        "duration_s": getattr(res, "duration_s", None),
    }
    if res.ok:  # the protocol reports a run that drew nothing as NoOutput (ok false)
        first = res.images[0]
        out.update(image=_png_data_url(first), width=first.width, height=first.height)
    return out


async def _read_json(request):
    """(body, None) or (None, error response)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None, _json(413, {"error": "body_too_large", "limit_bytes": MAX_BODY_BYTES,
                                 "message": f"the request is larger than {MAX_BODY_BYTES} bytes."})
    chunks, size = [], 0
    while size <= MAX_BODY_BYTES:
        chunk = await request.content.read(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    raw = b"".join(chunks)
    if size > MAX_BODY_BYTES:
        return None, _json(413, {"error": "body_too_large", "limit_bytes": MAX_BODY_BYTES,
                                 "message": f"the request is larger than {MAX_BODY_BYTES} bytes."})
    import json

    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None, _json(400, {"error": "bad_request", "message": "the body is not JSON."})
    if not isinstance(body, dict):
        return None, _json(400, {"error": "bad_request", "message": "the body must be a JSON object."})
    return body, None


def _check_code(body: dict):
    code = body.get("code")
    if not isinstance(code, str):
        return None, _json(400, {"error": "bad_request", "message": "'code' must be a string."})
    n = len(code.encode("utf-8"))
    if n > MAX_CODE_BYTES:
        return None, _json(413, {"error": "code_too_large", "limit_bytes": MAX_CODE_BYTES, "bytes": n,
                                 "message": f"the code has {n} bytes; previews take at most {MAX_CODE_BYTES}."})
    return code, None


async def preview(request):
    body, err = await _read_json(request)
    if err is not None:
        return err
    code, err = _check_code(body)
    if err is not None:
        return err
    language = body.get("language") or "auto"
    if language not in LANGUAGES:
        return _json(400, {"error": "bad_request", "message": f"'language' must be one of {list(LANGUAGES)}."})
    seq = body.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return _json(400, {"error": "bad_request", "message": "'seq' must be a non-negative integer."})
    mp = body.get("max_megapixels", DEFAULT_MAX_MEGAPIXELS)
    if not isinstance(mp, (int, float)) or isinstance(mp, bool) or mp <= 0:
        return _json(400, {"error": "bad_request", "message": "'max_megapixels' must be a positive number."})
    if mp > MAX_MAX_MEGAPIXELS:
        return _json(413, {"error": "canvas_too_large", "limit_megapixels": MAX_MAX_MEGAPIXELS,
                           "message": f"max_megapixels is at most {MAX_MAX_MEGAPIXELS:g}, as on CoCo Sandbox Render."})
    timeout_s = body.get("timeout_s", DEFAULT_TIMEOUT_S)
    if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or not 0 < timeout_s <= MAX_TIMEOUT_S:
        return _json(400, {"error": "bad_request",
                           "message": f"'timeout_s' must be a number in (0, {MAX_TIMEOUT_S:g}], as on CoCo Sandbox Render."})
    if not code.strip():
        return _json(400, {"error": "empty_code", "message": "the code is empty.", "seq": seq})
    client_id = body.get("client_id")
    key = f"id:{client_id}" if isinstance(client_id, str) and client_id else f"peer:{request.remote}"

    c = _service.client(key)
    wait = c.take_token(time.monotonic())
    if wait > 0:
        return _json(429, {"error": "rate_limited", "retry_after_s": round(wait, 2), "seq": seq,
                           "message": "too many previews from this client; slow down."})
    if seq <= c.last_seq:
        return _json(409, _superseded(seq, c.last_seq))
    if not c.running and _service.busy_clients() >= MAX_CLIENTS_WAITING:
        return _json(429, {"error": "busy", "retry_after_s": 1.0, "seq": seq,
                           "message": "the server is rendering previews for many clients; try again."})
    c.last_seq = seq

    try:
        iso = await asyncio.to_thread(_get_isolation)
    except Exception as e:
        log.exception("ComfyUI-CoCo: sandbox unavailable for preview")
        return _json(503, {"error": "sandbox_unavailable", "seq": seq, "message": f"{type(e).__name__}: {e}"})
    refusal = await asyncio.to_thread(approval.code_refusal, code)
    if refusal is not None:
        return _json(403, {**refusal, "seq": seq})
    files = body.get("files")
    if files is not None and not isinstance(files, str):
        return _json(400, {"error": "bad_request", "message": "'files' must be the file names text of CoCo Input Files."})
    pairs = None
    if files and files.strip():
        from .common import CoCoError
        from .input_files import input_dir, read_files

        try:
            pairs = (await asyncio.to_thread(read_files, files, input_dir())).pairs()
        except (CoCoError, OSError) as e:
            return _json(400, {"error": "bad_files", "seq": seq, "message": str(e)})
    job = {"code": code, "language": language, "max_megapixels": float(mp), "timeout_s": float(timeout_s),
           "files": pairs}
    status, out = await _service.submit(c, seq, job)
    return _json(status, out)


async def preview_state(request):
    """GET /coco/preview_state?client_id=...: what this client has running and waiting (for UIs and tests)."""
    client_id = request.query.get("client_id", "")
    c = _service.clients.get(f"id:{client_id}") if client_id else None
    if c is None:
        return _json(200, {"known": False, "running_seq": None, "pending_seq": None, "last_seq": None})
    return _json(200, {"known": True, "running_seq": c.running_seq,
                       "pending_seq": c.pending[0] if c.pending is not None else None, "last_seq": c.last_seq})


async def isolation(request):
    try:
        iso = await asyncio.to_thread(_get_isolation)
    except Exception as e:  # the sandbox could not start: say so instead of a bare 500
        log.exception("ComfyUI-CoCo: sandbox isolation unavailable")
        return _json(503, {"error": "sandbox_unavailable", "message": f"{type(e).__name__}: {e}",
                           "tier": "unavailable", "enforces_files_network": False, "description": str(e)})
    return _json(200, approval.isolation_dict(iso))


async def code_status(request):
    body, err = await _read_json(request)
    if err is not None:
        return err
    code, err = _check_code(body)
    if err is not None:
        return err
    try:
        iso = await asyncio.to_thread(_get_isolation)
    except Exception as e:
        return _json(503, {"error": "sandbox_unavailable", "message": f"{type(e).__name__}: {e}"})
    st = await asyncio.to_thread(approval.status, code, iso)
    return _json(200, {"code_sha256": st["sha256"], "approved": st["trusted"], "trust": st["trust"],
                       "generated_here": st["trust"] == "generated", "typed_here": st["trust"] == "typed",
                       "needs_approval": st["needs_approval"], **approval.isolation_dict(iso)})


def _check_texts(body: dict):
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or len(texts) > 16 or not all(isinstance(t, str) for t in texts):
        return None, _json(400, {"error": "bad_request", "message": "'texts' must be a list of 1 to 16 strings."})
    if sum(len(t.encode("utf-8")) for t in texts) > MAX_CODE_BYTES:
        return None, _json(413, {"error": "texts_too_large", "limit_bytes": MAX_CODE_BYTES,
                                 "message": f"the texts have more than {MAX_CODE_BYTES} bytes together."})
    return texts, None


async def trust_status(request):
    body, err = await _read_json(request)
    if err is not None:
        return err
    texts, err = _check_texts(body)
    if err is not None:
        return err
    try:
        iso = await asyncio.to_thread(_get_isolation)
    except Exception as e:
        return _json(503, {"error": "sandbox_unavailable", "message": f"{type(e).__name__}: {e}"})
    items = await asyncio.to_thread(lambda: [approval.status(t, iso) for t in texts])
    return _json(200, {"items": items, "needs_approval": any(i["needs_approval"] for i in items),
                       **approval.isolation_dict(iso)})


async def mark_typed(request):
    body, err = await _read_json(request)
    if err is not None:
        return err
    text = body.get("text")
    if not isinstance(text, str) or len(text.encode("utf-8")) > MAX_CODE_BYTES:
        return _json(400, {"error": "bad_request", "message": f"'text' must be a string of at most {MAX_CODE_BYTES} bytes."})
    h = await asyncio.to_thread(approval.mark_typed, text)
    return _json(200, {"typed": True, "sha256": h})


async def approve(request):
    body, err = await _read_json(request)
    if err is not None:
        return err
    if "texts" in body:
        texts, err = _check_texts(body)
        if err is not None:
            return err
        hashes = await asyncio.to_thread(approval.approve_all, texts)
        return _json(200, {"approved": True, "sha256s": hashes})
    code, err = _check_code(body)
    if err is not None:
        return err
    h = await asyncio.to_thread(approval.approve, code)
    return _json(200, {"approved": True, "code_sha256": h})


async def pending_inputs(request):
    node_id = request.query.get("node_id", "")
    return _json(200, {"node_id": node_id, "items": approval.pending_inputs(node_id) if node_id else []})


def register() -> None:
    """Add the routes to the running server (once; ComfyUI adds them to the app after loading nodes)."""
    global _registered
    if _registered:
        return
    from server import PromptServer

    routes = PromptServer.instance.routes
    routes.post("/coco/preview")(preview)
    routes.get("/coco/preview_state")(preview_state)
    routes.get("/coco/isolation")(isolation)
    routes.post("/coco/code_status")(code_status)
    routes.post("/coco/approve")(approve)
    routes.post("/coco/trust_status")(trust_status)
    routes.post("/coco/mark_typed")(mark_typed)
    routes.get("/coco/pending_inputs")(pending_inputs)
    _registered = True
