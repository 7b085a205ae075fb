"""Reading what an OpenAI-compatible server answers (``openai_compat.py``'s backend uses this):
error bodies (JSON, text or an HTML page) as one short message, non-streamed completions, a
whole SSE body sent by a server that ignored ``stream: true``, and reasoning kept apart from the
answer. Standard library only."""

from __future__ import annotations

import json
import re

from ..backend import BackendError

MAX_ERROR_TEXT = 400


class StreamIncomplete(Exception):
    pass


def join_thinking(thinking: str, text: str, open_ok: bool = False) -> str:
    if not thinking:
        return text
    if open_ok and not text:
        return f"<think>{thinking}"
    return f"<think>{thinking}</think>\n{text}"


def _looks_html(raw: bytes, ctype: str) -> bool:
    head = raw.lstrip()[:200].lower()
    return "html" in ctype.lower() or head.startswith(b"<!doctype") or head.startswith(b"<html")


def server_message(raw: bytes, ctype: str) -> str:
    if not raw:
        return ""
    if _looks_html(raw, ctype):
        m = re.search(rb"<title>(.*?)</title>", raw, re.IGNORECASE | re.DOTALL)
        title = m.group(1).decode("utf-8", "replace").strip() if m else ""
        return f"(an HTML page{': ' + title if title else ''})"
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message")))
        if isinstance(err, dict):
            return str(err.get("message") or err)
        if err is not None:
            return str(err)
    return json.dumps(data)[:MAX_ERROR_TEXT]


def parse_json_body(raw: bytes, ctype: str, url: str):
    if _looks_html(raw, ctype):
        raise BackendError(f"{url} answered with an HTML page, not the OpenAI API: is base_url right? It should "
                           "point at the API root, usually ending in /v1.")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        snippet = raw[:80].decode("utf-8", "replace")
        raise BackendError(f"{url} did not answer with JSON (got {snippet!r}): is base_url an OpenAI-compatible "
                           "server?") from None


def completion_text(data, base_url: str) -> tuple[str, str]:
    if isinstance(data, dict) and data.get("error"):
        err = data["error"]
        raise BackendError(f"{base_url} reported an error: {str(err.get('message', err) if isinstance(err, dict) else err)[:MAX_ERROR_TEXT]}")
    try:
        msg = data["choices"][0].get("message") or data["choices"][0].get("delta") or {}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise BackendError(f"{base_url}/chat/completions returned JSON without choices.") from None
    text = msg.get("content") or data["choices"][0].get("text") or ""
    thinking = msg.get("reasoning_content") or msg.get("reasoning") or ""
    return str(text), str(thinking)


def collect_sse_text(body: str, base_url: str) -> tuple[str, str]:
    text, thinking = [], []
    for line in body.splitlines():
        if not line.startswith("data:"):
            continue
        d = line[5:].strip()
        if d == "[DONE]":
            break
        try:
            obj = json.loads(d)
        except json.JSONDecodeError:
            continue
        if obj.get("error"):
            raise BackendError(f"{base_url} reported an error mid-stream: {str(obj['error'])[:MAX_ERROR_TEXT]}")
        for ch in obj.get("choices") or []:
            delta = ch.get("delta") or {}
            text.append(delta.get("content") or "")
            thinking.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
    return "".join(text), "".join(thinking)
