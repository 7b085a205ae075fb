"""A real local HTTP server speaking the OpenAI chat API (GET /v1/models, POST /v1/chat/completions
with SSE streaming) for tests. The answers are scripted by the test; the protocol, sockets and
failure modes (401, 404, HTML pages, stalls, dropped streams, mid-stream errors) are real.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self, models=("coder-1", "coder-2"), api_key: str | None = None, answers=None):
        self.models = list(models)
        self.api_key = api_key
        self.answers = list(answers or ["```python\nprint('hi')\n```"])
        self.requests: list[dict] = []  # bodies of chat requests
        self.auth_headers: list[str | None] = []
        self.mode = "ok"  # ok | html | stall_headers | stall_body | drop | midstream_error | no_stream | event_error
        self.chunk_chars = 4
        self.chunk_delay = 0.0
        self.stall_s = 5.0
        self.client_gone = threading.Event()
        self.reasoning = ""
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ---- lifecycle

    def start(self) -> "FakeOpenAI":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                owner._get(self)

            def do_POST(self):
                owner._post(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- handlers

    def _send_json(self, h, status: int, obj) -> None:
        raw = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(raw)))
        h.end_headers()
        h.wfile.write(raw)

    def _html(self, h, status: int = 200) -> None:
        raw = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>"
        h.send_response(status)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(raw)))
        h.end_headers()
        h.wfile.write(raw)

    def _authorized(self, h) -> bool:
        got = h.headers.get("Authorization")
        with self._lock:
            self.auth_headers.append(got)
        if self.api_key is None:
            return True
        if got == f"Bearer {self.api_key}":
            return True
        msg = "Incorrect API key provided: " + (got or "none")  # echoes the key, like some servers
        self._send_json(h, 401, {"error": {"message": msg, "type": "invalid_request_error"}})
        return False

    def _get(self, h) -> None:
        if self.mode == "html":
            return self._html(h)
        if h.path.rstrip("/") != "/v1/models":
            return self._send_json(h, 404, {"error": {"message": f"no route {h.path}"}})
        if not self._authorized(h):
            return
        self._send_json(h, 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})

    def _post(self, h) -> None:
        n = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(n) or b"{}")
        if self.mode == "html":
            return self._html(h)
        if h.path.rstrip("/") != "/v1/chat/completions":
            return self._send_json(h, 404, {"error": {"message": f"no route {h.path}"}})
        if not self._authorized(h):
            return
        with self._lock:
            self.requests.append(body)
            idx = len(self.requests) - 1
        if body.get("model") not in self.models:
            return self._send_json(h, 404, {"error": {"message": f"model '{body.get('model')}' not found"}})
        answer = self.answers[min(idx, len(self.answers) - 1)]
        if callable(answer):
            answer = answer(body)
        if self.mode == "stall_headers":
            time.sleep(self.stall_s)
            return
        if self.mode == "no_stream" or not body.get("stream"):
            return self._send_json(h, 200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                                         "finish_reason": "stop"}]})
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()
        try:
            self._stream(h, answer)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.client_gone.set()

    def _event(self, h, obj) -> None:
        h.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
        h.wfile.flush()

    def _stream(self, h, answer: str) -> None:
        h.wfile.write(b": keep-alive comment\n\n")
        if self.reasoning:
            self._event(h, {"choices": [{"index": 0, "delta": {"reasoning_content": self.reasoning}}]})
        pieces = [answer[i:i + self.chunk_chars] for i in range(0, len(answer), self.chunk_chars)]
        for k, piece in enumerate(pieces):
            if self.mode == "stall_body" and k == 2:
                time.sleep(self.stall_s)
                return
            if self.mode == "midstream_error" and k == 2:
                self._event(h, {"error": {"message": "CUDA out of memory on the server"}})
                return
            if self.mode == "event_error" and k == 2:
                h.wfile.write(b"event: error\ndata: upstream provider failed\n\n")
                h.wfile.flush()
                return
            if self.mode == "drop" and k == 2:
                return  # connection closes without finish_reason or [DONE]
            self._event(h, {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            if self.chunk_delay:
                time.sleep(self.chunk_delay)
        self._event(h, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
