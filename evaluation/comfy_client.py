"""A small client for a running ComfyUI server (stdlib only): queue an API-format workflow on
``/prompt``, wait for it in ``/history``, download images through ``/view``."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class ServerError(RuntimeError):
    pass


class ComfyClient:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.client_id = uuid.uuid4().hex

    def _req(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                raw, ctype = r.read(), r.headers.get("Content-Type", "")
                status = r.status
        except urllib.error.HTTPError as e:
            raw, ctype, status = e.read(), e.headers.get("Content-Type", ""), e.code
        except (urllib.error.URLError, OSError) as e:
            raise ServerError(f"cannot reach ComfyUI at {self.url}: {e}") from e
        if "json" in ctype:
            return status, json.loads(raw)
        return status, raw

    def check(self) -> dict:
        status, data = self._req("GET", "/system_stats")
        if status != 200:
            raise ServerError(f"{self.url}/system_stats answered {status}")
        return data

    def queue(self, workflow: dict) -> str:
        status, data = self._req("POST", "/prompt", {"prompt": workflow, "client_id": self.client_id})
        if status != 200 or not isinstance(data, dict) or "prompt_id" not in data:
            detail = data if isinstance(data, dict) else str(data)[:500]
            raise ServerError(f"/prompt refused the workflow ({status}): {json.dumps(detail)[:2000]}")
        return data["prompt_id"]

    def wait(self, prompt_id: str, timeout: float, poll: float = 0.25) -> dict | None:
        """The history entry once the prompt finished, or None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, hist = self._req("GET", f"/history/{prompt_id}")
            if status == 200 and isinstance(hist, dict) and prompt_id in hist:
                entry = hist[prompt_id]
                st = entry.get("status", {})
                if st.get("completed") or st.get("status_str") in ("success", "error"):
                    return entry
            time.sleep(poll)
        return None

    def cancel(self, prompt_id: str) -> None:
        """Drop the prompt from the queue, or interrupt it if it is running."""
        try:
            self._req("POST", "/queue", {"delete": [prompt_id]})
            status, q = self._req("GET", "/queue")
            running = [x[1] for x in (q.get("queue_running", []) if isinstance(q, dict) else [])]
            if prompt_id in running:
                self._req("POST", "/interrupt", {"prompt_id": prompt_id})
        except ServerError:
            pass

    def view(self, image: dict) -> bytes:
        q = urllib.parse.urlencode({k: image.get(k, "") for k in ("filename", "subfolder", "type")})
        status, raw = self._req("GET", "/view?" + q)
        if status != 200 or not isinstance(raw, (bytes, bytearray)):
            raise ServerError(f"/view {q} answered {status}")
        return bytes(raw)


def history_error(entry: dict) -> dict | None:
    for kind, payload in entry.get("status", {}).get("messages", []):
        if kind == "execution_error":
            return payload
    return None


def history_seconds(entry: dict) -> float | None:
    """Execution time from the history's own timestamps (ms): start to success/error."""
    ts = {kind: p.get("timestamp") for kind, p in entry.get("status", {}).get("messages", []) if isinstance(p, dict)}
    start = ts.get("execution_start")
    end = ts.get("execution_success") or ts.get("execution_error") or ts.get("execution_interrupted")
    if start is None or end is None:
        return None
    return (end - start) / 1000.0


class NodeTimer:
    """Seconds per node of one prompt from the server's websocket ``executing`` events (one node
    starts when the previous one ends). Optional: without the ``websocket-client`` package, or if
    the socket fails, ``usable`` is False and only whole-workflow times are recorded."""

    def __init__(self, client: ComfyClient):
        self.ws = None
        try:
            import websocket  # websocket-client

            ws_url = client.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
            self.ws = websocket.create_connection(f"{ws_url}/ws?clientId={client.client_id}", timeout=1)
            self._timeout_exc = websocket.WebSocketTimeoutException
        except Exception:  # noqa: BLE001 - optional
            self.ws = None

    @property
    def usable(self) -> bool:
        return self.ws is not None

    def follow(self, prompt_id: str, timeout: float) -> dict | None:
        """{node_id: seconds} once the prompt ended, or None (timeout / socket lost)."""
        starts: list[tuple[str, float]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                op, data = self.ws.recv_data()
            except self._timeout_exc:
                continue
            except Exception:  # noqa: BLE001 - socket lost: fall back to polling
                self.close()
                return None
            if op != 0x1:
                continue
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            d = msg.get("data") or {}
            if d.get("prompt_id") != prompt_id:
                continue
            now = time.monotonic()
            kind = msg.get("type")
            if kind == "executing":
                starts.append((d.get("node"), now))
                if d.get("node") is None:
                    break
            elif kind in ("execution_error", "execution_interrupted"):
                starts.append((None, now))
                break
        else:
            return None
        out: dict[str, float] = {}
        for (node, t0), (_, t1) in zip(starts, starts[1:]):
            if node is not None:
                out[node] = out.get(node, 0.0) + (t1 - t0)
        return out

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001
                pass
            self.ws = None
