"""Backend for OpenAI-compatible chat servers (OpenAI, Ollama, LM Studio, vLLM, llama.cpp server,
OpenRouter...), standard library only.

* ``base_url`` is validated (http/https, a host, no credentials, no query/fragment) and normalised
  to end in ``/v1``.
* ``GET {base_url}/models`` lists the served models; an unknown model name is an error that lists
  the available ones.
* ``POST {base_url}/chat/completions`` with ``stream: true``; the server-sent events are read in a
  helper thread so the caller can check for interruption between events (and while the server is
  silent) and close the connection at once. Connecting and waiting for the first answer (status
  line and headers, or a whole non-streamed body) also run in a helper thread with
  ``should_stop`` polled, so Cancel works while a server stalls before it answers.
* The API key is read at request time, only from an environment variable (its *name* is
  configured) or from a local key file; it is never stored on the object, never put in an error
  message and never logged.
* Keys are bound to hosts. ``base_url`` is a widget value, so a shared workflow chooses it; the
  key must not follow it anywhere. A key is sent only when the host is
  - loopback (``localhost``, 127.0.0.0/8, ``::1``), or
  - allowed on this machine: listed in the environment variable ``COCO_API_HOSTS``
    (comma-separated ``host`` or ``host:port``), or
  - the key comes from a per-host entry of the key file (``{"keys": {"api.openai.com": "..."}}``,
    an INI section named after the host), which binds that key to that host.
  Otherwise the request is refused before any connection is made, with an error naming the host
  and how to allow it. Without any key configured, nothing is sent and nothing is refused.

The URL and key rules live in ``openai_keys.py``, the reading of replies in ``openai_wire.py``.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import socket
import ssl
import threading
import urllib.parse
from typing import Optional

from ..backend import (BackendError, GenerationParams, OnToken, ShouldStop, StreamEmitter, as_messages,
                       check_stop)
from .openai_keys import (DEFAULT_KEY_ENV, HOSTS_ENV, check_env_name, host_allowed, normalize_base_url,
                          read_key_file_entry, redact, resolve_key_file)
from .openai_wire import (MAX_ERROR_TEXT, StreamIncomplete, collect_sse_text, completion_text, join_thinking,
                          parse_json_body, server_message)

log = logging.getLogger("ComfyUI-CoCo")

_POLL_S = 0.1


# ---- the backend -------------------------------------------------------------------------------


class OpenAICompatBackend:
    """A COCO_LLM backed by an OpenAI-compatible HTTP server."""

    prompt_style = "chat"

    def __init__(self, base_url: str, model: str = "", api_key_env: str = DEFAULT_KEY_ENV,
                 api_key_file: str = "", timeout: float = 120.0, send_top_k: bool = False):
        self.base_url = normalize_base_url(base_url)
        self.model = (model or "").strip()
        self.api_key_env = check_env_name(api_key_env)
        self.api_key_file = (api_key_file or "").strip()
        if timeout <= 0:
            raise BackendError("timeout must be > 0 seconds.")
        self.timeout = float(timeout)
        self.send_top_k = send_top_k
        self._parts = urllib.parse.urlsplit(self.base_url)

    def __repr__(self) -> str:  # never the key
        return f"OpenAICompatBackend({self.base_url!r}, model={self.model!r}, key from {self.key_source()})"

    def describe(self) -> str:
        return f"{self.model or '(model not chosen)'} at {self.base_url}"

    # -- key

    def key_source(self) -> str:
        if self.api_key_file:
            return f"key file {resolve_key_file(self.api_key_file)}"
        return f"environment variable {self.api_key_env}"

    def _api_key(self) -> Optional[str]:
        """The key to send, or None. Raises BackendError (before any connection) when a key is
        configured but not allowed for this host."""
        if self.api_key_file:
            key, per_host = read_key_file_entry(self.api_key_file, self.base_url)
        else:
            key, per_host = (os.environ.get(self.api_key_env, "").strip() or None), False
        if key and not per_host and not host_allowed(self.base_url):
            raise BackendError(self._refusal())
        return key

    def _refusal(self) -> str:
        p = self._parts
        host = p.hostname or ""
        shown = f"[{host}]" if ":" in host else host
        hostport = shown + (f":{p.port}" if p.port is not None else "")
        if self.api_key_file:
            src = f"the fallback 'api_key' of the key file {resolve_key_file(self.api_key_file)}"
        else:
            src = f"the environment variable {self.api_key_env}"
        return (f"refusing to send the API key from {src} to {hostport}: API keys are sent only to servers on "
                f"this machine (localhost/127.x/::1) and to hosts you allowed here, because base_url comes from "
                f"the workflow and a shared workflow could otherwise send your key to any server. If you trust "
                f"{hostport}, allow it on this machine: set the environment variable {HOSTS_ENV}={hostport} "
                f"(a comma-separated list of host or host:port) where ComfyUI starts and restart ComfyUI, or put a "
                f"per-host entry in a key file ({{\"keys\": {{\"{hostport}\": \"<key>\"}}}}) and set api_key_file "
                f"to it. To use the server without a key, "
                + ("clear api_key_file." if self.api_key_file else f"leave {self.api_key_env} unset."))

    def _key_hint(self, have_key: bool) -> str:
        where = self.key_source()
        if not have_key:
            return (f"no API key was sent: {where} is empty or not set. Set it in the environment ComfyUI "
                    "starts from (or fill the key file), then restart ComfyUI.")
        return f"the API key from {where} was rejected: check that it is valid for {self.base_url}."

    # -- HTTP

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname, self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _where(self) -> str:
        return f"{self._parts.scheme}://{self._parts.netloc}"

    def _open(self, method: str, endpoint: str, body: Optional[dict] = None, should_stop: ShouldStop = None):
        """Send a request; returns (conn, response, key_was_sent). Raises BackendError on
        connection failures and on HTTP errors (with the server's message). While connecting and
        waiting for the status line and headers, ``should_stop`` runs every 0.1 s (the request
        is made in a helper thread); when it stops, the connection is shut down at once."""
        key = self._api_key()
        headers = {"Accept": "application/json, text/event-stream", "User-Agent": "ComfyUI-CoCo"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if key:
            headers["Authorization"] = f"Bearer {key}"
        path = self._parts.path + endpoint
        conn = self._connect()
        hung_up = threading.Event()

        def send():
            conn.connect()
            if hung_up.is_set():  # stopped while connecting
                conn.close()
                raise OSError("stopped")
            conn.request(method, path, body=data, headers=headers)
            sock = conn.sock  # getresponse() may hand the socket to the response and forget it
            resp = conn.getresponse()
            resp._coco_sock = sock
            return resp

        def hang_up():
            hung_up.set()
            _shutdown(conn.sock)
            conn.close()

        try:
            resp = _wait_polling(send, should_stop, hang_up)
        except ConnectionRefusedError:
            conn.close()
            raise BackendError(f"connection refused by {self._where()}: is the server running at "
                               f"{self._where()}? Start it (e.g. `ollama serve`) or fix base_url.") from None
        except socket.gaierror as e:
            conn.close()
            raise BackendError(f"cannot resolve the host {self._parts.hostname!r} of base_url ({e.strerror}).") from None
        except (socket.timeout, TimeoutError):
            conn.close()
            raise BackendError(f"{self._where()} did not answer within {self.timeout:g} s "
                               "(raise 'timeout' for slow servers).") from None
        except ssl.SSLError as e:
            conn.close()
            raise BackendError(f"TLS error talking to {self._where()}: {e.reason or e}.") from None
        except (ConnectionError, OSError, http.client.HTTPException) as e:
            conn.close()
            raise BackendError(f"request to {self._where()} failed: {type(e).__name__}: {e}.") from None
        if 300 <= resp.status < 400:
            where = resp.getheader("Location", "") or "?"
            conn.close()
            raise BackendError(f"{self.base_url}{endpoint} redirects ({resp.status}) to {where[:200]}: set base_url to "
                               "the final address (often https:// instead of http://).")
        if resp.status >= 400:
            try:
                raw = resp.read(65536)
            except Exception:
                raw = b""
            finally:
                conn.close()
            raise self._http_error(resp.status, resp.getheader("Content-Type", ""), raw, key, endpoint)
        return conn, resp, bool(key)

    def _http_error(self, status: int, ctype: str, raw: bytes, key: Optional[str], endpoint: str) -> BackendError:
        msg = server_message(raw, ctype)
        msg = redact(msg, key)[:MAX_ERROR_TEXT]
        detail = f" Server said: {msg}" if msg else ""
        url = self.base_url + endpoint
        if status in (401, 403):
            return BackendError(f"{url} answered {status} ({'unauthorized' if status == 401 else 'forbidden'}): "
                                f"{self._key_hint(bool(key))}{detail}")
        if status == 404:
            if endpoint == "/chat/completions" and self.model and ("model" in msg.lower()):
                return BackendError(f"the server does not know the model {self.model!r}.{detail}")
            return BackendError(f"{url} answered 404 (not found): is base_url right? OpenAI-compatible servers "
                                f"serve the API under /v1 (e.g. http://127.0.0.1:11434/v1).{detail}")
        if status == 429:
            return BackendError(f"{url} answered 429 (rate limited or out of quota).{detail}")
        if 400 <= status < 500:
            return BackendError(f"{url} rejected the request ({status}).{detail}")
        return BackendError(f"{url} failed with a server error ({status}).{detail}")

    # -- models

    def list_models(self, should_stop: ShouldStop = None) -> list[str]:
        conn, resp, _ = self._open("GET", "/models", should_stop=should_stop)
        try:
            raw = _wait_polling(lambda: resp.read(4 * 1024 * 1024), should_stop, lambda: _hang_up(conn, resp))
            ctype = resp.getheader("Content-Type", "")
        except (socket.timeout, TimeoutError):
            raise BackendError(f"{self.base_url}/models: no answer within {self.timeout:g} s.") from None
        finally:
            conn.close()
        data = parse_json_body(raw, ctype, f"{self.base_url}/models")
        items = data.get("data") if isinstance(data, dict) else None
        if items is None and isinstance(data, dict) and isinstance(data.get("models"), list):
            items = data["models"]  # some servers
        if not isinstance(items, list):
            raise BackendError(f"{self.base_url}/models did not return an OpenAI model list.")
        ids = []
        for it in items:
            mid = it.get("id") or it.get("name") if isinstance(it, dict) else it
            if isinstance(mid, str) and mid:
                ids.append(mid)
        return ids

    def choose_model(self, should_stop: ShouldStop = None) -> str:
        """Check ``model`` against ``GET /models`` (or choose the first when empty); returns it."""
        try:
            available = self.list_models(should_stop)
        except BackendError as e:
            if self.model and "404" in str(e):
                log.warning("ComfyUI-CoCo: %s/models is not served; using model %r unchecked", self.base_url, self.model)
                return self.model
            raise
        if not available:
            raise BackendError(f"{self.base_url} serves no models: load or pull one on the server first.")
        if not self.model:
            self.model = available[0]
            log.info("ComfyUI-CoCo: no model named; using %r, the first of %d at %s", self.model, len(available),
                     self.base_url)
            return self.model
        if self.model not in available:
            shown = ", ".join(available[:30]) + (f", … ({len(available)} in all)" if len(available) > 30 else "")
            raise BackendError(f"the model {self.model!r} is not served by {self.base_url}. Available: {shown}.")
        return self.model

    # -- generation

    def request_body(self, messages, params: GenerationParams) -> dict:
        body = {
            "model": self.model,
            "messages": as_messages(messages),
            "stream": True,
            "max_tokens": int(params.max_new_tokens),
            "temperature": float(params.temperature),
            "seed": int(params.seed) % (2 ** 63),
        }
        if params.top_p < 1.0:
            body["top_p"] = float(params.top_p)
        if params.top_k and self.send_top_k:
            body["top_k"] = int(params.top_k)
        if params.stop:
            body["stop"] = list(params.stop)[:4]
        return body

    def generate(self, messages, params: GenerationParams, on_token: OnToken = None,
                 should_stop: ShouldStop = None) -> str:
        if not self.model:
            self.choose_model(should_stop)
        check_stop(should_stop)
        body = self.request_body(messages, params)
        emitter = StreamEmitter(on_token, params.stop)
        conn, resp, _ = self._open("POST", "/chat/completions", body, should_stop)
        ctype = (resp.getheader("Content-Type", "") or "").lower()
        if "text/event-stream" not in ctype:
            # Not streamed: a plain JSON completion (some servers ignore stream), or something else.
            try:
                raw = _wait_polling(lambda: resp.read(16 * 1024 * 1024), should_stop, lambda: _hang_up(conn, resp))
            except (socket.timeout, TimeoutError):
                raise BackendError(f"{self.base_url}/chat/completions: no answer within {self.timeout:g} s.") from None
            finally:
                conn.close()
            if raw.lstrip().startswith(b"data:"):
                text, thinking = collect_sse_text(raw.decode("utf-8", "replace"), self.base_url)
            else:
                data = parse_json_body(raw, ctype, f"{self.base_url}/chat/completions")
                text, thinking = completion_text(data, self.base_url)
            full = join_thinking(thinking, text)
            emitter.feed(full)
            return emitter.finish()
        thinking, content, done = [], [], False
        events = self._events(conn, resp, should_stop)
        try:
            self._consume(events, thinking, content, emitter)
            done = True
        except StreamIncomplete:
            done = False
        finally:
            events.close()  # shuts the socket down at once, also on interrupt
            conn.close()
        if not done and not emitter.done:
            raise BackendError(f"the stream from {self.base_url} ended before the answer was complete "
                               "(no finish_reason and no [DONE]): the server dropped the connection.")
        emitter.feed(join_thinking("".join(thinking), "".join(content)))
        return emitter.finish()

    def _consume(self, events, thinking: list, content: list, emitter: StreamEmitter) -> None:
        for event in events:
            data = event.strip()
            if data == "[DONE]":
                return
            try:
                obj = json.loads(data)
            except json.JSONDecodeError:
                raise BackendError(f"{self.base_url} sent a stream event that is not JSON: {data[:120]!r}") from None
            err = obj.get("error") if isinstance(obj, dict) else None
            if err:
                m = err.get("message", err) if isinstance(err, dict) else err
                raise BackendError(f"{self.base_url} reported an error mid-stream: {str(m)[:MAX_ERROR_TEXT]}")
            choices = obj.get("choices") or []
            if not choices:
                continue
            ch = choices[0] or {}
            delta = ch.get("delta") or ch.get("message") or {}
            r = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(r, str) and r:
                thinking.append(r)
            c = delta.get("content")
            if isinstance(c, str) and c:
                content.append(c)
            emitter.feed(join_thinking("".join(thinking), "".join(content), open_ok=True))
            if ch.get("finish_reason") or emitter.done:
                return  # the answer is complete; no need to wait for [DONE]
        raise StreamIncomplete()

    def _events(self, conn, resp, should_stop: ShouldStop):
        """Yields the ``data`` of each server-sent event. Lines are read in a helper thread; the
        caller's ``should_stop`` runs between events and every 0.1 s while waiting. On any exit the
        socket is shut down, which also ends the helper thread."""
        q: "queue.Queue[tuple[str, object]]" = queue.Queue()

        def reader():
            try:
                while True:
                    line = resp.readline(1 << 20)
                    if not line:
                        q.put(("eof", None))
                        return
                    q.put(("line", line))
            except BaseException as e:  # noqa: BLE001 - forwarded to the caller
                q.put(("exc", e))

        t = threading.Thread(target=reader, name="coco-sse-reader", daemon=True)
        t.start()
        data_lines: list[str] = []
        event_name = ""
        try:
            while True:
                try:
                    kind, val = q.get(timeout=_POLL_S)
                except queue.Empty:
                    check_stop(should_stop)
                    continue
                if kind == "exc":
                    if isinstance(val, (socket.timeout, TimeoutError)):
                        raise BackendError(f"{self.base_url} sent nothing for {self.timeout:g} s while streaming "
                                           "(raise 'timeout' for slow servers).")
                    raise BackendError(f"the stream from {self.base_url} broke: {type(val).__name__}: {val}")
                if kind == "eof":
                    if data_lines:
                        yield "\n".join(data_lines)
                    return
                line = val.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    if data_lines:
                        if event_name == "error":
                            raise BackendError(f"{self.base_url} reported an error mid-stream: "
                                               f"{' '.join(data_lines)[:MAX_ERROR_TEXT]}")
                        yield "\n".join(data_lines)
                        check_stop(should_stop)
                    data_lines, event_name = [], ""
                    continue
                if line.startswith(":"):
                    continue
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "data":
                    data_lines.append(value)
                elif field == "event":
                    event_name = value
        finally:
            _hang_up(conn, resp)


def _shutdown(sock) -> None:
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _hang_up(conn, resp) -> None:
    """Shut the socket down (which ends a read blocked in another thread) and close."""
    _shutdown(getattr(resp, "_coco_sock", None) or conn.sock)
    resp.close()
    conn.close()


def _wait_polling(fn, should_stop: ShouldStop, hang_up):
    """``fn()``, run in a helper thread while ``should_stop`` is polled every 0.1 s (a server that
    stalls before answering must not hold ComfyUI's Cancel until the HTTP timeout). When
    ``should_stop`` stops (returns True or raises), ``hang_up()`` closes the connection, which ends
    the helper, and the stop propagates. ``fn``'s own exceptions are raised here unchanged."""
    if should_stop is None:
        return fn()
    q: "queue.Queue[tuple[bool, object]]" = queue.Queue()

    def run():
        try:
            q.put((True, fn()))
        except BaseException as e:  # noqa: BLE001 - forwarded to the caller
            q.put((False, e))

    threading.Thread(target=run, name="coco-http-wait", daemon=True).start()
    while True:
        try:
            ok, val = q.get(timeout=_POLL_S)
        except queue.Empty:
            try:
                check_stop(should_stop)
            except BaseException:
                hang_up()
                raise
            continue
        if ok:
            return val
        raise val
