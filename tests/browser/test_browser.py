"""Browser tests: Debian's Chromium driven by playwright-core (tests/browser/driver.mjs) against
the live ComfyUI of the `comfy_server` fixture, with the pack and its web extension mounted.

One driver run (one browser) does every step; each test below checks one step. Screenshots of
each step land in test-artifacts/browser/. Needs `node`, `npm ci` (node_modules/playwright-core)
and /usr/bin/chromium (`apt-get install -y chromium`); without them the tests are skipped, or
fail when COCO_REQUIRE_BROWSER=1 (set it in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import REPO

DRIVER = Path(__file__).with_name("driver.mjs")
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("COCO_CHROMIUM", "/usr/bin/chromium")
WORKFLOWS = sorted(p.name for p in (REPO / "example_workflows").glob("*.json"))
# Data files the 'files' step (steps_files.mjs) reads through CoCo_InputFiles, put in the server's input folder.
FILES_IN_INPUT = {
    "coco_browser_a/sales.csv": "month,units\nJan,12\nFeb,18\nMar,9\n",
    "coco_browser_b/sales.csv": "month,units\nOct,4\nNov,7\n",
    "coco_bar_color.txt": "#2f6db5\n",
}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _missing() -> list[str]:
    missing = []
    if not shutil.which("node"):
        missing.append("node (apt-get install -y nodejs npm)")
    if not (REPO / "node_modules" / "playwright-core").is_dir():
        missing.append("node_modules/playwright-core (npm ci)")
    if not os.path.exists(CHROMIUM):
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    return missing


def _drive(server, tmp_path_factory, extra: list[str], log_name: str) -> dict:
    missing = _missing()
    if missing:
        msg = "browser tests need: " + ", ".join(missing)
        if os.environ.get("COCO_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    status, _ = server.get("/coco/isolation")
    assert status == 200, "the /coco/* routes are not registered (nodes/__init__.py ROUTE_MODULES needs 'routes')"
    # A fresh user directory would open the template browser over the canvas on first load.
    server.post("/settings/Comfy.TutorialCompleted", True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = tmp_path_factory.mktemp("browser") / "results.json"
    cmd = ["node", str(DRIVER), "--url", server.url, "--out", str(ARTIFACTS), "--results", str(results), *extra]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=280)
    (ARTIFACTS / log_name).write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    data = json.loads(results.read_text()) if results.exists() else []
    by_step = {r["step"]: r for r in data}
    by_step["_log"] = proc.stdout[-4000:] + proc.stderr[-4000:]
    return by_step


@pytest.fixture(scope="module")
def steps(comfy_server, tmp_path_factory):
    for name, text in FILES_IN_INPUT.items():
        (comfy_server.input / name).parent.mkdir(parents=True, exist_ok=True)
        (comfy_server.input / name).write_text(text)
    extra = []
    if os.environ.get("COCO_DOCSHOT"):  # refresh docs/editor.png: COCO_DOCSHOT=docs/editor.png
        extra += ["--docshot", os.environ["COCO_DOCSHOT"]]
    return _drive(comfy_server, tmp_path_factory, extra, "driver.log")


@pytest.fixture(scope="module")
def trust_steps(tmp_path_factory):
    """The approval flow on a forced weak tier (COCO_GATE_TIER=none), with a local
    OpenAI-compatible server as the code writer."""
    import sys

    sys.path.insert(0, str(REPO / "tests" / "codegen"))
    from coco_fake_openai import FakeOpenAI
    from harness import ComfyServer

    code = ("import os\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3), dpi=60)\n"
            "ax.bar(['a', 'b', 'c'], [1, 3, 2], color='#c0392b')\nfig.savefig(os.path.join(output_dir, 'c.png'))\n")
    env = dict(os.environ, COCO_GATE_TIER="none")
    with FakeOpenAI(models=("coder-1",), answers=[f"```python\n{code}```"]) as fake:
        srv = ComfyServer(tmp_path_factory.mktemp("comfy-weak"), env=env)
        srv.start()
        try:
            by_step = _drive(srv, tmp_path_factory, ["--steps", "trust", "--llm-url", fake.url], "driver_trust.log")
            by_step["_llm_requests"] = [r["messages"][-1]["content"] for r in fake.requests]
        finally:
            srv.stop()
    return by_step


def _check(steps: dict, name: str) -> dict:
    if "driver" in steps and not steps["driver"]["ok"]:
        crash = steps["driver"]
        if name not in steps:
            pytest.fail(f"the browser driver crashed before '{name}': {crash.get('error')}\n{steps['_log']}")
    assert name in steps, f"step '{name}' did not run:\n{steps['_log']}"
    r = steps[name]
    assert r["ok"], json.dumps(r, indent=1)[:4000]
    return r


def test_boot_loads_extension(steps):
    _check(steps, "boot")


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_workflow_loads_without_missing_nodes_or_console_errors(steps, workflow):
    r = _check(steps, f"load:{workflow}")
    assert r["missing"] == [] and r["consoleErrors"] == []


def test_typing_updates_preview(steps):
    r = _check(steps, "type:preview_updates")
    assert r["second"]["imgSeq"] > r["first"]["imgSeq"]
    assert r["serialised"], "the typed code is not in the workflow/API JSON"


def test_layout_overlay_draws_boxes(steps):
    r = _check(steps, "overlay:boxes")
    assert r["count"] > 0


def test_syntax_error_marker_on_the_right_line(steps):
    r = _check(steps, "error:marker_on_line")
    assert r["markedLine"] == r["errorLine"]


def test_queued_workflow_produces_image(steps):
    r = _check(steps, "queue:image")
    assert r["saved"]


def test_plain_textarea_works_without_the_bundle(steps):
    _check(steps, "fallback:textarea")


def test_templates_have_titles_and_thumbnails(steps):
    r = _check(steps, "templates:titles_thumbnails")
    assert r["dialog"]["titlesShown"] and r["dialog"]["thumbsLoaded"] >= len(WORKFLOWS)


@pytest.mark.parametrize("mode", ["classic", "nodes2"])
@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_workflow_opens_without_overlapping_or_covered_nodes(steps, workflow, mode):
    r = _check(steps, f"layout:{mode}:{workflow}")
    assert r["overlaps"] == [] and r["covered"] == [] and r["spills"] == []


def test_preview_follows_render_node_limits_and_fix_hints(steps):
    r = _check(steps, "limits:follow_node_and_fix_hints")
    assert r["drawn"]["width"] == 2000 and "Fix:" in r["refused"]["shown"]


def test_preview_sends_the_linked_input_files(steps):
    """The editor follows its `files` link (and the `more_files` chain) and sends the names; renaming
    re-renders; disconnected, nothing is sent and the code's open() fails with FileNotFoundError."""
    r = _check(steps, "files:preview_sends_input_files")
    assert r["linkedFiles"] == "coco_bar_color.txt\ncoco_browser_a/sales.csv" and r["missingFiles"] is None


def test_editor_foreign_code_waits_typed_code_runs_on_weak_tier(trust_steps):
    r = _check(trust_steps, "trust:editor")
    assert r["foreign"]["approveVisible"] and not r["sawApprove"]


def test_codegen_prompt_from_workflow_waits_for_approval(trust_steps):
    r = _check(trust_steps, "trust:codegen_approve")
    assert r["leaks"]["leaks"] == []
    # The refused run sent nothing to the code writer; the approved one did (its prompt first).
    assert "~/.ssh/id_rsa" in trust_steps["_llm_requests"][0], trust_steps["_llm_requests"]


def test_codegen_edited_prompt_waits_again_typed_prompt_runs(trust_steps):
    _check(trust_steps, "trust:codegen_edit_and_type")
    assert len(trust_steps["_llm_requests"]) == 2, trust_steps["_llm_requests"]
