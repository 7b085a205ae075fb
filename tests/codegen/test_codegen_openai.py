"""OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (coco_fake_openai)."""

from __future__ import annotations

import json
import socket

import pytest
from coco_fake_openai import FakeOpenAI

from comfyui_coco.codegen.backends.openai_compat import OpenAICompatBackend
from comfyui_coco.codegen.backends.openai_keys import check_env_name, is_loopback, normalize_base_url, read_key_file
from comfyui_coco.codegen.backend import BackendError, GenerationParams, GenerationStopped

KEY = "sk-test-0123456789abcdef"
ENV = "COCO_UNIT_API_KEY"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def test_base_url_validation():
    assert normalize_base_url("http://127.0.0.1:11434") == "http://127.0.0.1:11434/v1"
    assert normalize_base_url(" https://api.openai.com/v1/ ") == "https://api.openai.com/v1"
    assert normalize_base_url("http://host:8000/v1/chat/completions") == "http://host:8000/v1"
    assert normalize_base_url("http://host/openai//v1//") == "http://host/openai/v1"
    assert normalize_base_url("HTTP://[::1]:8080") == "http://[::1]:8080/v1"
    for bad, word in [("ftp://x/v1", "http"), ("file:///etc/passwd", "http"), ("http://user:pw@host/v1", "password"),
                      ("http://sk-abc@host/v1", "password"), ("http://host/v1?key=1", "query"), ("", "empty"),
                      ("http:///v1", "host"), ("127.0.0.1:8000", "http"), ("http://host:99999/v1", "port")]:
        with pytest.raises(BackendError, match=word):
            normalize_base_url(bad)
    assert is_loopback("http://127.0.0.1:1/v1") and is_loopback("http://localhost/v1") and is_loopback("http://[::1]/v1")
    assert not is_loopback("https://api.openai.com/v1")


def test_env_name_is_a_name_not_a_key():
    assert check_env_name("") == "OPENAI_API_KEY"
    assert check_env_name("OPENROUTER_API_KEY") == "OPENROUTER_API_KEY"
    for bad in ["sk-abc123", "AWS_SECRET_ACCESS_KEY", "HOME", "MY KEY API_KEY", "1_API_KEY"]:
        with pytest.raises(BackendError, match="NAME"):
            check_env_name(bad)


def test_streaming_chat_with_params_and_key_from_env(server, monkeypatch):
    server.api_key = KEY
    server.answers = ["```python\nimport matplotlib\n# é ✓ 漢字\n```"]
    monkeypatch.setenv(ENV, KEY)
    b = OpenAICompatBackend(server.url.replace("/v1", ""), "coder-2", api_key_env=ENV, timeout=10)
    assert b.choose_model() == "coder-2"
    pieces = []
    params = GenerationParams(seed=1234, temperature=0.3, top_p=0.9, top_k=40, max_new_tokens=77, stop=("STOP",))
    text = b.generate([{"role": "system", "content": "sys"}, {"role": "user", "content": "draw"}], params,
                      on_token=pieces.append)
    assert text == server.answers[0]
    assert "".join(pieces) == text and len(pieces) > 3  # streamed in pieces
    body = server.requests[-1]
    assert body["stream"] is True and body["model"] == "coder-2"
    assert body["seed"] == 1234 and body["temperature"] == 0.3 and body["top_p"] == 0.9
    assert body["max_tokens"] == 77 and body["stop"] == ["STOP"]
    assert "top_k" not in body  # not an OpenAI parameter; only sent when enabled
    assert body["messages"][0] == {"role": "system", "content": "sys"}
    assert server.auth_headers[-1] == f"Bearer {KEY}"
    assert KEY not in repr(b) and KEY not in b.describe()


def test_no_key_on_loopback_sends_no_header(server, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    b = OpenAICompatBackend(server.url, "coder-1", api_key_env=ENV)
    assert b.generate("hi", GenerationParams()) == server.answers[0]
    assert server.auth_headers[-1] is None


def test_reasoning_content_is_kept_as_think_block(server):
    server.reasoning = "plan the grid"
    out = OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams())
    assert out.startswith("<think>plan the grid</think>")
    assert out.endswith(server.answers[0])


def test_empty_model_picks_first_and_unknown_model_lists_available(server):
    b = OpenAICompatBackend(server.url, "")
    assert b.choose_model() == "coder-1"
    with pytest.raises(BackendError) as e:
        OpenAICompatBackend(server.url, "gpt-9").choose_model()
    assert "gpt-9" in str(e.value) and "coder-1, coder-2" in str(e.value)
    # unknown at generation time too (the server's own 404)
    with pytest.raises(BackendError, match="does not know the model 'gpt-9'"):
        OpenAICompatBackend(server.url, "gpt-9").generate("hi", GenerationParams())


def test_401_names_the_env_var_and_never_shows_the_key(server, monkeypatch):
    server.api_key = "sk-the-right-key-000000"
    monkeypatch.setenv(ENV, KEY)  # wrong key
    with pytest.raises(BackendError) as e:
        OpenAICompatBackend(server.url, "coder-1", api_key_env=ENV).choose_model()
    msg = str(e.value)
    assert "401" in msg and ENV in msg and "rejected" in msg
    assert KEY not in msg  # the server echoed it; it is redacted
    monkeypatch.delenv(ENV)
    with pytest.raises(BackendError) as e:
        OpenAICompatBackend(server.url, "coder-1", api_key_env=ENV).generate("hi", GenerationParams())
    assert "no API key was sent" in str(e.value) and ENV in str(e.value)


def test_key_file_json_and_ini(server, tmp_path):
    server.api_key = KEY
    f = tmp_path / "keys.json"
    f.write_text(json.dumps({"api_key": "sk-fallback-xxxxxx", "keys": {f"127.0.0.1:{server.port}": KEY}}))
    b = OpenAICompatBackend(server.url, "coder-1", api_key_file=str(f))
    assert b.generate("hi", GenerationParams()) == server.answers[0]
    ini = tmp_path / "keys.ini"
    ini.write_text(f"[default]\napi_key = {KEY}\n")
    assert read_key_file(str(ini), server.url) == KEY
    with pytest.raises(BackendError, match="does not exist"):
        OpenAICompatBackend(server.url, "coder-1", api_key_file=str(tmp_path / "nope.json")).choose_model()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BackendError, match="not valid JSON"):
        read_key_file(str(bad), server.url)


def test_html_answer_is_explained(server):
    server.mode = "html"
    with pytest.raises(BackendError, match="HTML page"):
        OpenAICompatBackend(server.url, "coder-1").choose_model()
    with pytest.raises(BackendError, match="HTML page"):
        OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams())


def test_wrong_path_is_404_with_hint(server):
    b = OpenAICompatBackend(f"http://127.0.0.1:{server.port}/api/v1", "")
    with pytest.raises(BackendError, match="404"):
        b.choose_model()


def test_connection_refused_says_is_the_server_running():
    # A closed port below the kernel's ephemeral range, held bound (not listening) during the call:
    # a closed *ephemeral* port can become the connection's own source port, and TCP then connects
    # to itself (seen about 1 in 100 times).
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    with socket.socket() as s:
        for port in range(low - 2000, low):
            try:
                s.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        with pytest.raises(BackendError, match=rf"is the server running at http://127.0.0.1:{port}"):
            OpenAICompatBackend(f"http://127.0.0.1:{port}/v1", "m", timeout=5).choose_model()


def test_slow_server_times_out(server):
    server.mode = "stall_headers"
    server.stall_s = 3
    with pytest.raises(BackendError, match="did not answer within 0.5 s"):
        OpenAICompatBackend(server.url, "coder-1", timeout=0.5).generate("hi", GenerationParams())
    server.mode, server.stall_s = "stall_body", 8
    # headers and two events arrive at once, then silence (a loaded machine gets 2 s for the first part)
    with pytest.raises(BackendError, match="sent nothing for 2 s"):
        OpenAICompatBackend(server.url, "coder-1", timeout=2).generate("hi", GenerationParams())


@pytest.mark.parametrize("mode,pattern", [
    ("midstream_error", "error mid-stream: CUDA out of memory"),
    ("event_error", "error mid-stream: upstream provider failed"),
    ("drop", "ended before the answer was complete"),
])
def test_mid_stream_failures(server, mode, pattern):
    server.mode = mode
    server.answers = ["x" * 100]
    with pytest.raises(BackendError, match=pattern):
        OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams())


def test_non_streaming_server_is_accepted(server):
    server.mode = "no_stream"
    pieces = []
    out = OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams(), on_token=pieces.append)
    assert out == server.answers[0] == "".join(pieces)


def test_stop_string_cuts_and_is_never_streamed(server):
    server.answers = ["abc\n```\nSTOP and more text after"]
    pieces = []
    out = OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams(stop=("STOP",)),
                                                              on_token=pieces.append)
    assert out == "abc\n```\n" and "".join(pieces) == out


def test_interrupt_between_events_closes_the_connection(server):
    server.answers = ["y" * 4000]
    server.chunk_chars, server.chunk_delay = 1, 0.01
    seen = []

    def should_stop():
        return len(seen) >= 5

    with pytest.raises(GenerationStopped):
        OpenAICompatBackend(server.url, "coder-1").generate("hi", GenerationParams(), on_token=seen.append,
                                                            should_stop=should_stop)
    assert 5 <= len(seen) < 4000
    assert server.client_gone.wait(10), "the server never saw the client hang up"


def test_interrupt_while_server_is_silent(server):
    """should_stop is polled while waiting for the next event, not only when one arrives."""
    server.mode = "stall_body"
    server.stall_s = 8
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(GenerationStopped):
        OpenAICompatBackend(server.url, "coder-1", timeout=60).generate("hi", GenerationParams(), should_stop=should_stop)


def test_comfy_interrupt_exception_propagates(server):
    import comfy.model_management as mm

    server.answers = ["z" * 400]
    server.chunk_chars, server.chunk_delay = 1, 0.005
    n = []

    def on_token(p):
        n.append(p)
        if len(n) == 3:
            mm.interrupt_current_processing(True)

    try:
        with pytest.raises(mm.InterruptProcessingException):
            OpenAICompatBackend(server.url, "coder-1").generate(
                "hi", GenerationParams(), on_token=on_token, should_stop=mm.throw_exception_if_processing_interrupted)
    finally:
        mm.interrupt_current_processing(False)


# ---- keys are bound to hosts (a shared workflow chooses base_url, not where the key goes) ------------

FOREIGN = "api.example.com"  # never contacted: refusals happen before connecting; allowed cases are routed
                             # to the local fake server by _Routed below (the target stays 127.0.0.1)


class _Routed(OpenAICompatBackend):
    """Talks to the local fake server whatever host base_url names (the Host header keeps that name),
    so the allow path is tested over real HTTP without leaving 127.0.0.1."""

    target_port: int = 0
    connects = 0

    def _connect(self):
        import http.client

        type(self).connects += 1
        conn = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=self.timeout)
        return conn


class _NoConnect(OpenAICompatBackend):
    def _connect(self):  # a refusal must come before any connection attempt
        raise AssertionError("a connection was attempted")


def test_host_allowlist_rules():
    from comfyui_coco.codegen.backends.openai_keys import allowed_hosts, host_allowed

    env = {"COCO_API_HOSTS": " API.OpenAI.com , openrouter.ai:443,[fd00::5]:8000, 10.0.0.5:8000, ,bad:port:x"}
    assert ("api.openai.com", None) in allowed_hosts(env) and ("fd00::5", 8000) in allowed_hosts(env)
    assert host_allowed("https://api.openai.com/v1", env) and host_allowed("http://api.openai.com:8080/v1", env)
    assert host_allowed("https://openrouter.ai/api/v1", env)  # default https port
    assert not host_allowed("http://openrouter.ai/api/v1", env)  # port 80 is not 443
    assert host_allowed("http://10.0.0.5:8000/v1", env) and not host_allowed("http://10.0.0.5:8001/v1", env)
    assert host_allowed("http://[fd00::5]:8000/v1", env)
    for url in ("https://api.openai.com.evil.io/v1", "https://evil.io/api.openai.com/v1", "http://127.0.0.1.nip.io/v1",
                "https://openai.com/v1"):
        assert not host_allowed(url, env), url
    # loopback needs no entry; nothing else is allowed by default
    for url in ("http://127.0.0.1:1/v1", "http://127.9.9.9/v1", "http://localhost:11434/v1", "http://[::1]/v1"):
        assert host_allowed(url, {}), url
    assert not host_allowed("https://api.openai.com/v1", {})


def test_env_key_is_refused_for_a_foreign_host_before_connecting(monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    monkeypatch.delenv("COCO_API_HOSTS", raising=False)
    b = _NoConnect(f"https://{FOREIGN}/v1", "gpt-x", api_key_env=ENV)
    for call in (b.choose_model, lambda: b.generate("hi", GenerationParams())):
        with pytest.raises(BackendError) as e:
            call()
        msg = str(e.value)
        assert f"refusing to send the API key from the environment variable {ENV} to {FOREIGN}" in msg
        assert f"COCO_API_HOSTS={FOREIGN}" in msg and "key file" in msg
        assert KEY not in msg


def test_env_key_goes_to_an_allowed_host_only(server, monkeypatch):
    server.api_key = KEY
    monkeypatch.setenv(ENV, KEY)
    _Routed.target_port = server.port
    url = f"http://{FOREIGN}:{server.port}/v1"
    # allowed by host:port -> the key is sent
    monkeypatch.setenv("COCO_API_HOSTS", f"other.org, {FOREIGN}:{server.port}")
    assert _Routed(url, "coder-1", api_key_env=ENV).generate("hi", GenerationParams()) == server.answers[0]
    assert server.auth_headers[-1] == f"Bearer {KEY}"
    # the same host on another port is not allowed -> refused, nothing reaches the server
    n, c = len(server.auth_headers), _Routed.connects
    monkeypatch.setenv("COCO_API_HOSTS", f"{FOREIGN}:1")
    with pytest.raises(BackendError, match=f"COCO_API_HOSTS={FOREIGN}:{server.port}"):
        _Routed(url, "coder-1", api_key_env=ENV).generate("hi", GenerationParams())
    assert len(server.auth_headers) == n and _Routed.connects == c
    # without any key nothing secret is at stake: the request goes out without Authorization
    monkeypatch.delenv(ENV)
    server.api_key = None
    assert _Routed(url, "coder-1", api_key_env=ENV).generate("hi", GenerationParams()) == server.answers[0]
    assert server.auth_headers[-1] is None


def test_key_file_per_host_entry_is_bound_to_that_host(server, tmp_path, monkeypatch):
    monkeypatch.delenv("COCO_API_HOSTS", raising=False)
    server.api_key = KEY
    _Routed.target_port = server.port
    url = f"http://{FOREIGN}:{server.port}/v1"
    f = tmp_path / "keys.json"
    f.write_text(json.dumps({"api_key": "sk-fallback-xxxxxx", "keys": {FOREIGN: KEY}}))
    # the per-host entry is the user's allowance for that host
    assert _Routed(url, "coder-1", api_key_file=str(f)).generate("hi", GenerationParams()) == server.answers[0]
    assert server.auth_headers[-1] == f"Bearer {KEY}"
    # another foreign host would get the unbound fallback: refused before connecting
    with pytest.raises(BackendError, match="fallback 'api_key' of the key file") as e:
        _NoConnect("https://elsewhere.example.net/v1", "m", api_key_file=str(f)).choose_model()
    assert "sk-fallback" not in str(e.value)
    ini = tmp_path / "keys.ini"
    ini.write_text(f"[default]\napi_key = {KEY}\n[{FOREIGN}]\napi_key = {KEY}\n")
    with pytest.raises(BackendError, match="refusing"):
        _NoConnect("https://elsewhere.example.net/v1", "m", api_key_file=str(ini)).choose_model()
    assert _Routed(url, "coder-1", api_key_file=str(ini)).choose_model() == "coder-1"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["returns_true", "comfy_raises"])
def test_interrupt_before_the_first_response(server, how):
    """Cancel while the server has not answered at all yet (no status line, no byte): the backend
    stops at once instead of waiting for the 120 s HTTP timeout (the server stalls 60 s; the test
    times out at 30 s). Seen failing before the request was made in a polled helper thread: both
    cases hit the 30 s pytest timeout inside conn.getresponse()."""
    import threading
    import time

    import comfy.model_management as mm

    server.mode = "stall_headers"
    server.stall_s = 60
    t0 = time.monotonic()
    if how == "returns_true":
        should_stop, expected = (lambda: time.monotonic() - t0 > 0.5), GenerationStopped
    else:
        threading.Timer(0.5, mm.interrupt_current_processing, args=(True,)).start()
        should_stop, expected = mm.throw_exception_if_processing_interrupted, mm.InterruptProcessingException
    try:
        with pytest.raises(expected):
            OpenAICompatBackend(server.url, "coder-1", timeout=120).generate("hi", GenerationParams(),
                                                                             should_stop=should_stop)
    finally:
        mm.interrupt_current_processing(False)
    assert len(server.requests) == 1  # the request had reached the stalled server


@pytest.mark.timeout(30)
def test_interrupt_while_listing_models_before_the_first_response(server):
    """The model check (GET /models, made when 'model' is empty) is cancellable the same way."""
    import time

    server.stall_s = 60
    orig = server._get

    def stalled_get(h):
        time.sleep(server.stall_s)
        orig(h)

    server._get = stalled_get
    t0 = time.monotonic()
    with pytest.raises(GenerationStopped):
        OpenAICompatBackend(server.url, "", timeout=120).generate("hi", GenerationParams(),
                                                                  should_stop=lambda: time.monotonic() - t0 > 0.5)
