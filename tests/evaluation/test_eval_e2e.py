"""End to end through a live ComfyUI: `python -m evaluation` (a real subprocess) sends a small
spec set through a CoCo_OpenAIBackend -> CoCo_CodeGen -> CoCo_SandboxRender workflow in API
format (the code written by a scripted OpenAI-compatible server), collects draft, code, layout
and rounds, scores with OCR, writes the report; the report is opened in Chromium (screenshots in
test-artifacts/evaluation/); a rerun resumes. CoCo_Evaluate scores an image inside a graph.

Items: a bar chart (right first time), a sign (repaired once: 2 rounds), code that never works
(the workflow fails: recorded as failed, scored as an image without text).
Seen failing: before CoCo_Evaluate was an output node, a graph ending in it never ran it (no error
for the broken spec); the rounds mean was first expected without the failed item's two rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))   # the scripted OpenAI server
from coco_fake_openai import FakeOpenAI  # noqa: E402
from harness import REPO, ComfyServer, execution_error  # noqa: E402

ENV = "COCO_EVAL_E2E_API_KEY"
KEY = "sk-eval-e2e-0000"
ARTIFACTS = REPO / "test-artifacts" / "evaluation"
CHROMIUM = os.environ.get("COCO_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.timeout(600)

CHART = ("import os\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(8, 5), dpi=100)\n"
         "ax.bar(['Q1', 'Q2', 'Q3'], [12.5, 17.0, 9.5], color='#4c72b0')\n"
         "ax.set_title('Quarterly Revenue', fontsize=20)\nax.set_xlabel('Quarter', fontsize=16)\n"
         "ax.set_ylabel('Millions', fontsize=16)\nax.tick_params(labelsize=15)\nfig.tight_layout()\n"
         "fig.savefig(os.path.join(output_dir, 'draft.png'))\n")
SIGN_BUG = ("import os\nimport matplotlib.pyplot as plt\nfig = plt.figure(figsize=(8, 3), dpi=100)\n"
            "fig.text(0.08, 0.5, TITLE, fontsize=40)\nfig.savefig(os.path.join(output_dir, 'draft.png'))\n")
SIGN_FIXED = SIGN_BUG.replace("TITLE", "'Grand Opening Today'")
NEVER = "import os\nraise ValueError('this drawing never works')\n"

ITEMS = [
    {"id": "chart", "category": "chart", "lang": "en", "prompt": "A bar chart titled \"Quarterly Revenue\"",
     "required_text": ["Quarterly Revenue", "Q1", "Q2", "Q3"],
     "spec": {"chart_type": "bar", "title": "Quarterly Revenue", "categories": ["Q1", "Q2", "Q3"],
              "values": [12.5, 17.0, 9.5], "category_axis_label": "Quarter", "value_axis_label": "Millions"}},
    {"id": "sign", "category": "poster", "lang": "en", "prompt": "A shop sign: \"Grand Opening Today\"",
     "required_text": ["Grand Opening Today"]},
    {"id": "never", "category": "poster", "lang": "en", "prompt": "A sign that cannot be drawn: \"Closed\"",
     "required_text": ["Closed"]},
]


def _answer(body):
    msgs = body.get("messages", [])
    text = " ".join(str(m.get("content", "")) for m in msgs)
    if "Quarterly Revenue" in text:
        code = CHART
    elif "Grand Opening" in text:
        code = SIGN_FIXED if len(msgs) > 2 else SIGN_BUG
    else:
        code = NEVER
    return f"```python\n{code}```"


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(models=("coder-1",), api_key=KEY, answers=[_answer]) as s:
        yield s


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = dict(os.environ)
    env[ENV] = KEY
    srv = ComfyServer(tmp_path_factory.mktemp("comfy-eval"), env=env)
    srv.start()
    yield srv
    srv.stop()


def _workflow(fake) -> dict:
    return {
        "1": {"class_type": "CoCo_OpenAIBackend",
              "inputs": {"base_url": fake.url, "model": "coder-1", "api_key_env": ENV, "api_key_file": "", "timeout": 30.0}},
        "2": {"class_type": "CoCo_CodeGen",
              "inputs": {"llm": ["1", 0], "prompt": "(replaced per item)", "language": "python",
                         "system_prompt": "You draw with code.", "seed": 1, "temperature": 0.0, "top_p": 1.0,
                         "top_k": 0, "max_new_tokens": 512, "think": False, "max_repairs": 1}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 2]}},
        "7": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
        "5": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["2", 0], "language": "auto", "max_megapixels": 4.0, "timeout_s": 20.0}},
        "6": {"class_type": "PreviewAny", "inputs": {"source": ["5", 2]}},
        # a stand-in for the refinement stage (a blur): the report shows what it costs the text
        "8": {"class_type": "ImageBlur", "inputs": {"image": ["5", 0], "blur_radius": 3, "sigma": 2.5}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
        "10": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},   # CodeGen's log, via --collect
    }


def _cli(server, tmp, extra=()):
    cmd = [sys.executable, "-m", "evaluation", str(tmp / "set.jsonl"), "--server", server.url,
           "--workflow", str(tmp / "wf.json"), "--prompt-input", "2.prompt", "--draft", "5", "--code", "3",
           "--rounds", "4", "--status", "7", "--layout", "6", "--final", "9", "--collect", "code_log=10", "--out", str(tmp / "out"), "--timeout", "120", *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=400)


def test_cli_runs_a_workflow_scores_reports_and_resumes(server, fake, tmp_path):
    (tmp_path / "set.jsonl").write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    (tmp_path / "wf.json").write_text(json.dumps(_workflow(fake)))
    proc = _cli(server, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recs = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert set(recs) == {"chart", "sign", "never"}

    chart, sign, never = recs["chart"], recs["sign"], recs["never"]
    assert chart["status"] == "ok" and chart["exec"] == {"ok": True, "rounds": 1, "gen_status": "ok"}
    assert "Quarterly Revenue" in (tmp_path / "out" / chart["files"]["code"]).read_text()
    assert chart["text"]["draft"]["longtext"]["recall"] >= 0.8, chart["ocr"]
    # the same spec questions from the pixels: Tesseract misses some (rotated axis label, "Q1" read as "Ql")
    checks = {c["expected"]: c["found"] for c in chart["structure"]["ocr_draft"]["checks"]}
    assert checks["Quarterly Revenue"] and len(checks) == 6 and chart["structure"]["ocr_draft"]["score"] >= 0.5
    layout = json.loads((tmp_path / "out" / chart["files"]["layout"]).read_text())
    if "semantic" in layout:
        assert chart["structure"]["layout"]["score"] == 1.0, chart["structure"]["layout"]
    assert chart["times"]["execute_s"] > 0 and chart["times"]["ocr_s"] > 0
    assert set(chart["files"]) == {"draft", "final", "code", "layout"} and "longtext" in chart["text"]["final"]
    assert chart["primary"]["text_source"] == "final"
    # time per stage from the websocket (websocket-client is installed with the dev requirements)
    assert {"stage_CoCo_CodeGen_s", "stage_CoCo_SandboxRender_s", "stage_ImageBlur_s"} <= set(chart["times"]), chart["times"]

    assert sign["status"] == "ok" and sign["exec"]["rounds"] == 2
    assert "round 2 (repair)" in sign["extra"]["code_log"]
    assert sign["text"]["draft"]["longtext"]["recall"] == 1.0, sign["ocr"]

    assert never["status"] == "failed" and not never["exec"]["ok"] and never["exec"]["rounds"] == 2
    assert never["exec"]["gen_status"].startswith("failed")
    assert "CoCo_SandboxRender" in never["error"] and "never works" in never["error"]
    assert never["text"]["draft"]["longtext"]["recall"] == 0.0 == never["text"]["final"]["longtext"]["recall"]

    assert "items 3: ok 2, failed 1" in proc.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["aggregate"]["sets"]["set"]["exec_rate"] == pytest.approx(2 / 3)
    assert report["aggregate"]["sets"]["set"]["rounds_mean"] == pytest.approx(5 / 3)   # 1 + 2 + 2

    # rerun: every item is already recorded, nothing is queued
    n_requests = len(fake.requests)
    again = _cli(server, tmp_path)
    assert again.returncode == 0 and '"skipped": 3' in again.stderr, again.stderr
    assert len(fake.requests) == n_requests

    _open_in_browser(tmp_path / "out" / "report.html")


def _open_in_browser(report):
    missing = [m for m, ok in (("node", shutil.which("node")),
                               ("node_modules/playwright-core", (REPO / "node_modules" / "playwright-core").is_dir()),
                               (CHROMIUM, os.path.exists(CHROMIUM))) if not ok]
    if missing:
        if os.environ.get("COCO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the report check needs {missing}")
        pytest.skip(f"the report check needs {missing}")
    cmd = ["node", str(REPO / "tests" / "evaluation" / "report_shot.mjs"), "--report", str(report), "--out", str(ARTIFACTS)]
    if os.environ.get("COCO_DOCSHOT_EVAL"):   # refresh the README picture: COCO_DOCSHOT_EVAL=docs/evaluation_report.png
        cmd += ["--docshot", os.environ["COCO_DOCSHOT_EVAL"]]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["ok"], info
    assert info["errors"] == [] and info["requests"] == [], info
    assert info["images"] >= 5 and info["broken"] == 0, info       # 2 drafts, 2 finals, the plots: all decoded
    assert info["tables"] >= 2 and "Quarterly Revenue" in info["text"] and "never works" in info["text"]
    assert (ARTIFACTS / "report_full.png").stat().st_size > 10_000


def test_item_timeout_cancels_the_prompt_and_the_next_item_runs(server, fake):
    from comfyui_coco.evaluation import runner
    from comfyui_coco.evaluation.sets import Item
    from comfyui_coco.evaluation.store import Store

    src = runner.ServerSource(server.url, _workflow(fake), "2.prompt", {"draft": "5", "rounds": "4"}, timeout_s=4)
    store = Store(tempfile.mkdtemp(prefix="coco-eval-timeout-"))
    slow = Item(id="slow", set="t", category="x", lang="en", prompt="A sign: \"Grand Opening Soon\"",
                required_text=["Grand Opening Soon"])
    old = fake.chunk_chars, fake.chunk_delay
    fake.chunk_chars, fake.chunk_delay = 1, 0.1     # ~20 s of streaming: the item's 4 s run out first
    try:
        rec = runner.evaluate_item(slow, src, store)
    finally:
        fake.chunk_chars, fake.chunk_delay = old
    assert rec["status"] == "timeout" and "cancelled" in rec["error"], rec
    src.timeout_s = 120
    nxt = Item(id="next", set="t", category="x", lang="en", prompt=ITEMS[0]["prompt"], required_text=["Quarterly Revenue"])
    rec2 = runner.evaluate_item(nxt, src, store)
    assert rec2["status"] == "ok", rec2
    assert [r["status"] for r in map(json.loads, open(store.path))] == ["timeout", "ok"]
    # the timed-out prompt was interrupted on the server, not left running
    _, hist = server.get("/history")
    assert any("execution_interrupted" in [m[0] for m in e.get("status", {}).get("messages", [])]
               for e in hist.values()), hist


def test_evaluate_node_scores_an_image_in_a_graph(server, fake):
    wf = _workflow(fake)
    wf["2"]["inputs"]["prompt"] = ITEMS[0]["prompt"]
    wf["20"] = {"class_type": "CoCo_Evaluate",
               "inputs": {"image": ["5", 0], "required_text": "Quarterly Revenue\nQ1\nQ2\nQ3", "lang": "en",
                          "rule": "longtext", "spec": json.dumps(ITEMS[0]["spec"]), "layout": ["5", 2], "ocr": True}}
    wf["21"] = {"class_type": "PreviewAny", "inputs": {"source": ["20", 1]}}
    entry = server.run(wf, timeout=300)
    assert execution_error(entry) is None, execution_error(entry)
    summary = entry["outputs"]["20"]["text"][0]
    rec = json.loads(entry["outputs"]["21"]["text"][0])
    assert rec["text"]["final"]["longtext"]["total"] == 5 and rec["primary"]["text_score"] >= 0.8, summary
    assert "LongText final" in summary and "structure (ocr_final)" in summary

    bad = _workflow(fake)
    bad["20"] = {"class_type": "CoCo_Evaluate",
                "inputs": {"image": ["5", 0], "required_text": "", "lang": "en", "rule": "longtext", "spec": "{oops",
                           "ocr": True}}
    bad["2"]["inputs"]["prompt"] = ITEMS[0]["prompt"]
    err = execution_error(server.run(bad, timeout=120))
    assert err and "CoCo_Evaluate" in err["exception_message"] and "Fix:" in err["exception_message"]
