"""CoCo_OpenAIBackend -> CoCo_CodeGen (-> CoCo_SandboxRender) through a live ComfyUI server, with
the code written by a real local OpenAI-compatible HTTP server (coco_fake_openai).

Checks: the API key reaches the server from the environment only, streamed text reaches the
websocket as progress_text frames for the CodeGen node, per-token progress events, the repair round
through the server's sandbox, and that an identical second run is fully cached.
"""

from __future__ import annotations

import os

import pytest
from coco_fake_openai import FakeOpenAI
from harness import EventStream, ComfyServer, cached_nodes, execution_error, progress_texts, prompt_finished

KEY = "sk-e2e-secret-4242424242"
ENV = "COCO_E2E_API_KEY"

BUG = ("import os\nimport matplotlib.pyplot as plt\n# canvas: 320x160 px\nfig = plt.figure(figsize=(3.2, 1.6), dpi=100)\n"
       "fig.text(0.1, 0.5, TITLE, fontsize=20)\nfig.savefig(os.path.join(output_dir, 'draft.png'))\n")
FIXED = BUG.replace("TITLE", "'Grand Opening 2026'")


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(models=("coder-1",), api_key=KEY, answers=[f"```python\n{BUG}```", f"```python\n{FIXED}```"]) as s:
        s.chunk_chars, s.chunk_delay = 6, 0.01
        yield s


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = dict(os.environ)
    env[ENV] = KEY  # the key only ever lives in the server's environment
    srv = ComfyServer(tmp_path_factory.mktemp("comfy-codegen"), env=env)
    srv.start()
    yield srv
    srv.stop()


def _workflow(fake, with_render: bool) -> dict:
    wf = {
        "1": {"class_type": "CoCo_OpenAIBackend",
              "inputs": {"base_url": fake.url, "model": "coder-1", "api_key_env": ENV, "api_key_file": "",
                         "timeout": 30.0}},
        "2": {"class_type": "CoCo_CodeGen",
              "inputs": {"llm": ["1", 0], "prompt": "A shop sign that says 'Grand Opening 2026'",
                         "language": "python", "system_prompt": "You draw with code.", "seed": 7,
                         "temperature": 0.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": 512, "think": False,
                         "max_repairs": 1}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
        "5": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},
    }
    if with_render:
        wf["6"] = {"class_type": "CoCo_SandboxRender",
                   "inputs": {"code": ["2", 0], "language": "auto", "max_megapixels": 4.0, "timeout_s": 20.0}}
        wf["7"] = {"class_type": "PreviewImage", "inputs": {"images": ["6", 0]}}
    return wf


def test_codegen_workflow_streams_repairs_and_caches(server, fake):
    info = server.object_info()
    spec = info["CoCo_CodeGen"]["input"]
    assert "llm" in spec["optional"] and "coco_model" in spec["optional"]
    assert all(v[1].get("tooltip") for v in {**spec["required"], **spec["optional"]}.values())
    with_render = "CoCo_SandboxRender" in info
    wf = _workflow(fake, with_render)

    ev = EventStream(server)
    try:
        status, data = server.queue(wf, client_id=ev.client_id)
        assert status == 200, data
        pid = data["prompt_id"]
        events = ev.drain_until(prompt_finished(pid), timeout=180)
    finally:
        ev.close()
    entry = server.wait(pid)
    assert execution_error(entry) is None, execution_error(entry)
    code = entry["outputs"]["3"]["text"][0]
    status_text = entry["outputs"]["4"]["text"][0]
    log = entry["outputs"]["5"]["text"][0]
    assert status_text == "ok", log
    assert KEY not in log and KEY not in server.log_text()

    sandbox_used = "sandbox unavailable" not in log
    if sandbox_used:
        assert code == FIXED and "NameError" in log and "round 2 (repair)" in log
        assert len(fake.requests) == 2
        assert "TITLE" in fake.requests[1]["messages"][-1]["content"]
    else:
        assert code == BUG and len(fake.requests) == 1
    assert fake.requests[0]["seed"] == 7 and fake.requests[0]["stream"] is True
    assert all(h == f"Bearer {KEY}" for h in fake.auth_headers)

    # streamed text reached the websocket for node 2, growing piece by piece
    frames = progress_texts(events, "2")
    assert len(frames) >= 3, [e[0] for e in events]
    assert any("fig.text" in f for f in frames)
    assert frames[-1].rstrip().endswith("round(s)]")
    progress = [d for k, d in events if k == "progress" and d.get("node") == "2"]
    assert progress and all(p["max"] == 512 for p in progress)

    if with_render:
        assert entry["outputs"]["7"]["images"], entry["outputs"]

    # an identical second run: everything cached, no new HTTP request
    n_requests = len(fake.requests)
    entry2 = server.run(wf, timeout=120)
    assert execution_error(entry2) is None
    assert set(cached_nodes(entry2)) >= {"1", "2"}
    assert len(fake.requests) == n_requests


def test_backend_node_errors_are_actionable(server, fake):
    wf = _workflow(fake, False)
    wf["1"]["inputs"]["model"] = "no-such-model"
    wf["2"]["inputs"]["seed"] = 8
    entry = server.run(wf, timeout=60)
    err = execution_error(entry)
    assert err and "no-such-model" in err["exception_message"] and "coder-1" in err["exception_message"]
    # a credentialed URL is refused at validation, before anything runs
    wf = _workflow(fake, False)
    wf["1"]["inputs"]["base_url"] = "http://user:pw@127.0.0.1:1/v1"
    status, data = server.queue(wf)
    assert status == 400 and "password" in str(data)


def test_cancel_during_streaming_stops_the_http_request(server):
    with FakeOpenAI(models=("coder-1",), api_key=KEY, answers=["```python\n" + "x = 1\n" * 2000 + "```"]) as slow:
        slow.chunk_chars, slow.chunk_delay = 2, 0.02  # about two minutes of streaming
        wf = _workflow(slow, False)
        wf["2"]["inputs"]["max_repairs"] = 0
        ev = EventStream(server)
        try:
            status, data = server.queue(wf, client_id=ev.client_id)
            assert status == 200, data
            pid = data["prompt_id"]
            ev.drain_until(lambda e: e[0] == "binary" and any("x = 1" in t for t in progress_texts([e], "2")),
                           timeout=120)
            server.interrupt()
            events = ev.drain_until(lambda e: e[0] in ("execution_interrupted", "execution_success")
                                    and e[1].get("prompt_id") == pid, timeout=60)
        finally:
            ev.close()
        assert events[-1][0] == "execution_interrupted"
        assert slow.client_gone.wait(30), "the HTTP stream was not closed after Cancel"
