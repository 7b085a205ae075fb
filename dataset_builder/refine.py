"""Refinement through running ComfyUI servers (standard library HTTP client).

The workflow is ComfyUI's API format (``Export (API)`` in the UI) with placeholders:

* ``"{{draft}}"`` — a string input replaced by the uploaded draft's file name (a ``LoadImage`` node's
  ``image``);
* ``{{prompt}}`` — anywhere inside a string input, replaced by the item's prompt;
* ``"{{seed}}"`` — an input replaced by the integer seed (``--seed`` of the build).

The draft is uploaded (``POST /upload/image``), the workflow queued (``POST /prompt``), the result
polled (``GET /history/<id>``) and the first output image fetched (``GET /view``). Items are spread
over the servers round-robin; a server that refuses connections is skipped for that item. The final
image is re-encoded without metadata so its bytes depend only on its pixels.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from .records import canonical_json, sha256_hex


class RefineError(RuntimeError):
    pass


def substitute(obj, draft_name: str, prompt: str, seed: int):
    if isinstance(obj, dict):
        return {k: substitute(v, draft_name, prompt, seed) for k, v in obj.items()}
    if isinstance(obj, list):
        return [substitute(v, draft_name, prompt, seed) for v in obj]
    if obj == "{{draft}}":
        return draft_name
    if obj == "{{seed}}":
        return int(seed)
    if isinstance(obj, str) and "{{prompt}}" in obj:
        return obj.replace("{{prompt}}", prompt)
    return obj


def check_workflow(wf) -> None:
    if not isinstance(wf, dict) or not all(isinstance(v, dict) and "class_type" in v for v in wf.values()):
        raise RefineError("the refine workflow must be ComfyUI's API format (a JSON object of nodes with "
                          "'class_type'; use 'Export (API)' in ComfyUI)")
    if '"{{draft}}"' not in json.dumps(wf):
        raise RefineError('the refine workflow has no "{{draft}}" placeholder (put it in a LoadImage node\'s image)')


class ComfyRefiner:
    def __init__(self, servers: list, workflow: dict, timeout: float = 600.0, seed: int = 0):
        if not servers:
            raise RefineError("no ComfyUI server given for refinement")
        check_workflow(workflow)
        self.servers = [s.rstrip("/") for s in servers]
        self.workflow = workflow
        self.timeout = float(timeout)
        self.seed = int(seed)
        self._rr = itertools.cycle(range(len(self.servers)))
        self._lock = threading.Lock()
        self.client_id = uuid.uuid4().hex

    @staticmethod
    def settings(workflow: dict, seed: int) -> dict:
        """What the refinement adds to an item's id (the servers do not change the result)."""
        return {"workflow_sha256": sha256_hex(canonical_json(workflow)), "seed": int(seed)}

    def _request(self, base: str, method: str, path: str, data: bytes | None = None, headers: dict | None = None,
                 timeout: float = 60.0) -> bytes:
        req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - URLs given by the user on the CLI
            return r.read()

    def _upload(self, base: str, name: str, png: bytes) -> str:
        boundary = uuid.uuid4().hex
        parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\n"
                 "Content-Type: image/png\r\n\r\n".encode() + png + b"\r\n",
                 f"--{boundary}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n".encode(),
                 f"--{boundary}--\r\n".encode()]
        out = json.loads(self._request(base, "POST", "/upload/image", b"".join(parts),
                                       {"Content-Type": f"multipart/form-data; boundary={boundary}"}))
        return (out.get("subfolder") + "/" if out.get("subfolder") else "") + out["name"]

    def _run(self, base: str, item: dict, draft_png: bytes) -> tuple:
        name = self._upload(base, f"coco-dataset-{item['id']}.png", draft_png)
        wf = substitute(copy.deepcopy(self.workflow), name, item["prompt"], self.seed)
        body = json.dumps({"prompt": wf, "client_id": self.client_id}).encode()
        try:
            resp = json.loads(self._request(base, "POST", "/prompt", body, {"Content-Type": "application/json"}))
        except urllib.error.HTTPError as e:
            raise RefineError(f"{base} refused the workflow: {e.read()[:500].decode('utf-8', 'replace')}") from e
        pid = resp["prompt_id"]
        deadline = time.monotonic() + self.timeout
        while True:
            hist = json.loads(self._request(base, "GET", f"/history/{pid}"))
            if pid in hist:
                entry = hist[pid]
                break
            if time.monotonic() > deadline:
                raise RefineError(f"{base} did not finish the workflow within {self.timeout:g} s")
            time.sleep(0.2)
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            msgs = [m[1] for m in status.get("messages", []) if m and m[0] == "execution_error"]
            err = msgs[0].get("exception_message", "") if msgs else ""
            raise RefineError(f"the workflow failed on {base}: {str(err).strip()[:500]}")
        for node_id in sorted(entry.get("outputs", {}), key=str):
            for im in entry["outputs"][node_id].get("images", []):
                q = urllib.parse.urlencode({"filename": im["filename"], "subfolder": im.get("subfolder", ""),
                                            "type": im.get("type", "output")})
                return self._request(base, "GET", f"/view?{q}"), node_id
        raise RefineError(f"the workflow ran on {base} but produced no image (add a SaveImage or PreviewImage node)")

    def refine(self, item: dict, draft_png: bytes) -> tuple:
        """-> ((png, width, height), info). Tries each server once, starting round-robin."""
        with self._lock:
            start = next(self._rr)
        errors = []
        for k in range(len(self.servers)):
            base = self.servers[(start + k) % len(self.servers)]
            try:
                raw, node_id = self._run(base, item, draft_png)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                errors.append(f"{base}: {e}")
        else:
            raise RefineError("no ComfyUI server answered: " + "; ".join(errors))
        from PIL import Image
        im = Image.open(io.BytesIO(raw))
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        buf = io.BytesIO()
        im.save(buf, "PNG")
        info = {"output_node": node_id, **self.settings(self.workflow, self.seed)}
        return (buf.getvalue(), im.width, im.height), info
