"""Where an OpenAI-compatible server is and which API key may go to it (``openai_compat.py``'s
backend uses this; standard library only).

* ``base_url`` is validated (http/https, a host, no credentials, no query/fragment) and normalised
  to end in ``/v1``.
* The API key is read at request time, only from an environment variable (its *name* is
  configured, and must end in ``API_KEY``) or from a local key file; it is never stored, never put
  in an error message (:func:`redact`) and never logged.
* Keys are bound to hosts: a key is sent only to loopback, to hosts listed in ``COCO_API_HOSTS``,
  or to the host a per-host key-file entry names (:func:`host_allowed`, :func:`read_key_file_entry`).
"""

from __future__ import annotations

import configparser
import ipaddress
import json
import os
import re
import urllib.parse
from typing import Optional

from ..backend import BackendError

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
HOSTS_ENV = "COCO_API_HOSTS"
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*API_KEY$", re.IGNORECASE)


def normalize_base_url(url: str) -> str:
    """Validate ``url`` and return it ending in ``/v1`` (no trailing slash).

    >>> normalize_base_url("http://127.0.0.1:11434")
    'http://127.0.0.1:11434/v1'
    """
    raw = (url or "").strip()
    if not raw:
        raise BackendError("base_url is empty: give the server address, e.g. http://127.0.0.1:11434/v1 (Ollama).")
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https"):
        raise BackendError(f"base_url must start with http:// or https:// (got {parts.scheme or 'no scheme'!r}).")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BackendError("base_url must not contain a user name or password: put the key in an environment "
                           "variable or a key file instead (anything in base_url ends up in shared workflows).")
    if parts.query or parts.fragment:
        raise BackendError("base_url must not contain a query (?...) or fragment (#...).")
    if not parts.hostname:
        raise BackendError(f"base_url has no host name: {raw!r}.")
    try:
        port = parts.port
    except ValueError as e:
        raise BackendError(f"base_url has an invalid port: {raw!r}.") from e
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    for tail in ("/chat/completions", "/completions", "/models"):
        if path.endswith(tail):  # someone pasted an endpoint URL
            path = path[: -len(tail)]
    if not path.endswith("/v1"):
        path += "/v1"
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def is_loopback(base_url: str) -> bool:
    host = urllib.parse.urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _parse_host_entry(entry: str) -> Optional[tuple[str, Optional[int]]]:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port`` (a URL is accepted too) -> (host, port|None)."""
    e = entry.strip().lower()
    if not e:
        return None
    if "://" in e:
        parts = urllib.parse.urlsplit(e)
    else:
        parts = urllib.parse.urlsplit("//" + e)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host.rstrip("."), port


def allowed_hosts(env: Optional[dict] = None) -> list[tuple[str, Optional[int]]]:
    """The hosts this machine allows API keys to be sent to (``COCO_API_HOSTS``), parsed."""
    raw = (env if env is not None else os.environ).get(HOSTS_ENV, "")
    out = []
    for item in raw.split(","):
        parsed = _parse_host_entry(item)
        if parsed is not None:
            out.append(parsed)
    return out


def host_allowed(base_url: str, env: Optional[dict] = None) -> bool:
    """May an API key that is not bound to a host (environment variable, key-file fallback) be sent
    to ``base_url``? Loopback always; other hosts only when ``COCO_API_HOSTS`` lists them (``host``
    matches any port, ``host:port`` that port only)."""
    if is_loopback(base_url):
        return True
    parts = urllib.parse.urlsplit(base_url)
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        return False
    for h, p in allowed_hosts(env):
        if h == host and (p is None or p == port):
            return True
    return False


def check_env_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return DEFAULT_KEY_ENV
    if not _ENV_NAME_RE.match(name):
        raise BackendError(
            f"api_key_env must be the NAME of an environment variable ending in API_KEY (e.g. OPENAI_API_KEY), "
            f"got {name[:40]!r}. Put the key itself in that variable, never in the workflow. (Names are limited "
            "to *API_KEY so that a shared workflow cannot make this node send other secrets to a server.)")
    return name


def _user_dir() -> Optional[str]:
    try:
        import folder_paths

        return folder_paths.get_user_directory()
    except Exception:
        return None


def resolve_key_file(path: str) -> str:
    p = os.path.expanduser((path or "").strip())
    if not os.path.isabs(p):
        base = _user_dir() or os.getcwd()
        p = os.path.join(base, p)
    return os.path.abspath(p)


def _key_candidates(base_url: str) -> list[str]:
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    return [base_url, base_url.rsplit("/v1", 1)[0], parts.netloc, host]


def read_key_file(path: str, base_url: str) -> Optional[str]:
    """The key for ``base_url`` from a JSON or INI file (see :func:`read_key_file_entry`)."""
    return read_key_file_entry(path, base_url)[0]


def read_key_file_entry(path: str, base_url: str) -> tuple[Optional[str], bool]:
    """``(key, per_host)`` for ``base_url`` from a JSON or INI file; ``per_host`` is True when the
    key came from an entry named after this server (it is bound to it), False for the fallback.

    JSON: ``{"api_key": "..."}``, or keys per server ``{"keys": {"api.openai.com": "...",
    "http://10.0.0.5:8000/v1": "..."}}`` (matched by full base_url, URL without /v1, host:port,
    host; ``"api_key"`` is the fallback). INI: a section named like one of those with
    ``api_key = ...``, else ``[default]`` / ``[DEFAULT]`` (fallback).
    """
    full = resolve_key_file(path)
    if not os.path.isfile(full):
        raise BackendError(f"api_key_file {full!r} does not exist. Create it (JSON: {{\"api_key\": \"...\"}}) "
                           "or clear api_key_file to use the environment variable.")
    if os.path.getsize(full) > 65536:
        raise BackendError(f"api_key_file {full!r} is too large to be a key file.")
    with open(full, "r", encoding="utf-8-sig") as f:
        text = f.read()
    cands = _key_candidates(base_url)
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise BackendError(f"api_key_file {full!r} is not valid JSON (line {e.lineno}).") from None
        if not isinstance(data, dict):
            raise BackendError(f"api_key_file {full!r} must hold a JSON object.")
        per = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        for c in cands:
            v = per.get(c)
            if isinstance(v, str) and v.strip():
                return v.strip(), True
        v = data.get("api_key")
        return (v.strip() if isinstance(v, str) and v.strip() else None), False
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        raise BackendError(f"api_key_file {full!r} is neither JSON nor INI.") from None
    for section in cands:
        if cp.has_section(section) and cp.get(section, "api_key", fallback="").strip():
            return cp.get(section, "api_key").strip(), True
    if cp.has_section("default") and cp.get("default", "api_key", fallback="").strip():
        return cp.get("default", "api_key").strip(), False
    v = cp.defaults().get("api_key", "").strip()
    return (v or None), False


def redact(text: str, key: Optional[str]) -> str:
    if key:
        text = text.replace(key, "***")
    return re.sub(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{6,}", r"\1-***", text)
