"""The inspect-and-correct loop end to end in a live ComfyUI server: CoCo_OpenAIBackend (a real
local OpenAI-compatible HTTP server with scripted answers) -> CoCo_InspectSettings ->
CoCo_CodeGen(inspect) -> SandboxRender -> CoCo_Inspect. Round 1 renders but misses a required
label, round 2 fixes it, the node stops (no third request), and the trajectory has both drafts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
from coco_fake_openai import FakeOpenAI  # noqa: E402
from harness import ComfyServer, EventStream, execution_error, images_of, progress_texts, prompt_finished  # noqa: E402

PROMPT = 'A bar chart titled "Fruit sold" with the bars "Apples" = 3, "Pears" = 5 and "Plums" = 2.'
CODE = ("import os\nimport matplotlib.pyplot as plt\n# canvas 400x300\nfig, ax = plt.subplots(figsize=(4, 3), dpi=100)\n"
        "ax.bar({cats}, {vals}, color='#4c72b0')\nax.set_title('Fruit sold')\nfig.tight_layout()\n"
        "fig.savefig(os.path.join(output_dir, 'draft.png'))\n")
ROUND1 = CODE.format(cats='["Apples", "Pears"]', vals="[3, 5]")  # "Plums" missing
ROUND2 = CODE.format(cats='["Apples", "Pears", "Plums"]', vals="[3, 5, 2]")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ComfyServer(tmp_path_factory.mktemp("comfy-inspect"))
    srv.start()
    yield srv
    srv.stop()


def _workflow(url: str) -> dict:
    return {
        "1": {"class_type": "CoCo_OpenAIBackend",
              "inputs": {"base_url": url, "model": "coder-1", "api_key_env": "OPENAI_API_KEY", "api_key_file": "",
                         "timeout": 30.0}},
        "2": {"class_type": "CoCo_InspectSettings",
              "inputs": {"required_text": "", "spec": json.dumps({"title": "Fruit sold"}), "max_rounds": 3,
                         "ocr": "off", "target_long_side": 1024, "min_text_px": 9.0}},
        "3": {"class_type": "CoCo_CodeGen",
              "inputs": {"llm": ["1", 0], "inspect": ["2", 0], "prompt": PROMPT, "language": "python",
                         "system_prompt": "You draw with code.", "seed": 1, "temperature": 0.0, "top_p": 1.0,
                         "top_k": 0, "max_new_tokens": 512, "think": False, "max_repairs": 1}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 1]}},
        "5": {"class_type": "PreviewAny", "inputs": {"source": ["3", 3]}},
        "6": {"class_type": "PreviewAny", "inputs": {"source": ["3", 5]}},
        "7": {"class_type": "PreviewImage", "inputs": {"images": ["3", 4]}},
        "8": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["3", 0], "language": "auto", "max_megapixels": 4.0, "timeout_s": 20.0}},
        "9": {"class_type": "CoCo_Inspect",
              "inputs": {"image": ["8", 0], "layout": ["8", 2], "prompt": PROMPT, "settings": ["2", 0]}},
        "10": {"class_type": "PreviewAny", "inputs": {"source": ["9", 0]}},
        "11": {"class_type": "PreviewAny", "inputs": {"source": ["9", 3]}},
    }


def test_loop_corrects_a_missing_label_and_keeps_the_trajectory(server):
    info = server.object_info()
    for node in ("CoCo_Inspect", "CoCo_InspectSettings"):
        spec = info[node]["input"]
        assert all(v[1].get("tooltip") for v in {**spec["required"], **spec.get("optional", {})}.values()), node
    assert "inspect" in info["CoCo_CodeGen"]["input"]["optional"]
    with FakeOpenAI(models=("coder-1",), answers=[f"```python\n{ROUND1}```", f"```python\n{ROUND2}```",
                                                   "```python\nraise SystemExit```"]) as fake:
        ev = EventStream(server)
        try:
            status, data = server.queue(_workflow(fake.url), client_id=ev.client_id)
            assert status == 200, data
            pid = data["prompt_id"]
            events = ev.drain_until(prompt_finished(pid), timeout=240)
        finally:
            ev.close()
        entry = server.wait(pid)
        assert execution_error(entry) is None, execution_error(entry)
        out = entry["outputs"]
        log = out["5"]["text"][0]
        assert out["4"]["text"][0] == "ok", log
        assert len(fake.requests) == 2, log  # stopped after the passing round
        feedback = fake.requests[1]["messages"][-1]["content"]
        assert '"Plums" is missing' in feedback and "Apples" in fake.requests[1]["messages"][-2]["content"]
        doc = json.loads(out["6"]["text"][0])
        assert [r["kind"] for r in doc["rounds"]] == ["generate", "correct"]
        assert [r["passed"] for r in doc["rounds"]] == [False, True] and doc["best_round"] == 2
        assert doc["rounds"][0]["score"] < 1.0 and any(f["expected"] == "Plums" for f in doc["rounds"][0]["findings"])
        assert len(images_of({"outputs": {"7": out["7"]}})) == 2  # both drafts in the trajectory
        assert out["10"]["text"][0] in ("True", "true")  # CoCo_Inspect on the final code
        report = json.loads(out["11"]["text"][0])
        assert report["passed"] and "ocr: OCR is off" in report["skipped"]
        frames = progress_texts(events, "3")
        assert any("[inspection: failed" in f for f in frames)
