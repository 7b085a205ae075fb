"""Model critics of CoCo_InspectSettings: an OpenAI-compatible vision model gets the draft as a PNG
data URL through a real local HTTP server (coco_fake_openai), its answer becomes a 'model'
finding and part of the critique; PASS counts as a pass."""

from __future__ import annotations

import base64
import json
import io
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
from coco_fake_openai import FakeOpenAI  # noqa: E402

from comfyui_coco.codegen.backends.openai_compat import OpenAICompatBackend  # noqa: E402
from comfyui_coco.nodes.inspect_node import build_settings, run_inspection  # noqa: E402

LAYOUT = {"canvas": {"width": 64, "height": 32}, "missing_glyphs": [],
          "elements": [{"type": "text", "text": "SALE", "bbox": [10, 8, 40, 22], "fontsize": 10.0, "rotation": 0.0}]}


def _draft():
    return Image.new("RGB", (64, 32), (250, 240, 200))


def test_openai_vision_critic_sends_the_draft_and_reads_the_verdict():
    answers = ["- The price '50%' is missing: add it under SALE.", "PASS"]
    with FakeOpenAI(models=("vision-1",), answers=answers) as srv:
        settings = build_settings(critic_llm=OpenAICompatBackend(srv.url, "vision-1", timeout=20), ocr="off")
        rep = run_inspection(_draft(), LAYOUT, "A sign saying 'SALE'", settings)
        content = srv.requests[0]["messages"][0]["content"]
        assert [c["type"] for c in content] == ["text", "image_url"]
        url = content[1]["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        assert sent.size == (64, 32) and sent.getpixel((0, 0)) == (250, 240, 200)
        assert "A sign saying 'SALE'" in content[0]["text"]
        model = [f for f in rep.findings if f["kind"] == "model"]
        assert len(model) == 1 and not model[0]["ok"] and "50%" in model[0]["message"]
        assert rep.passed  # advisory unless model_must_pass
        assert "Model review: - The price '50%'" in rep.critique
        strict = build_settings(critic_llm=OpenAICompatBackend(srv.url, "vision-1", timeout=20), ocr="off",
                                model_must_pass=True)
        rep2 = run_inspection(_draft(), LAYOUT, "A sign saying 'SALE'", strict)
        assert rep2.passed and [f["ok"] for f in rep2.findings if f["kind"] == "model"] == [True]


def test_without_a_critic_the_report_says_so():
    rep = run_inspection(_draft(), LAYOUT, "A sign saying 'SALE'", build_settings(ocr="off"))
    assert rep.passed and rep.findings[0]["kind"] == "required_text" and rep.findings[0]["ok"]
    assert "model: no critic model connected" in rep.skipped and "ocr: OCR is off" in rep.skipped


def test_coco_understanding_critic_reads_the_draft_through_the_vit():
    """The CoCo critic on the tiny checkpoint (real loader, tokenizer from the folder): the draft
    goes through the ViT, the question through the decode loop; the tiny random model's answer is
    no PASS, so it becomes a failed, advisory 'model' finding."""
    import torch

    from comfyui_coco.models.bagel.loader import load_coco

    tiny = Path(__file__).resolve().parents[1] / "fixtures" / "bagel_tiny"
    coco = load_coco(str(tiny), "bf16")
    coco.manage_memory = False
    with torch.inference_mode():
        settings = build_settings(critic_model=coco, critic_max_tokens=12, ocr="off")
        rep = run_inspection(_draft(), LAYOUT, "A sign saying 'SALE'", settings)
    model = [f for f in rep.findings if f["kind"] == "model"]
    assert len(model) == 1 and model[0]["critic"] == "CoCo understanding"
    assert not model[0]["ok"] and rep.model_critique and rep.passed


def test_inspect_node_says_what_it_could_not_check(monkeypatch):
    import torch

    from comfyui_coco.nodes.inspect_node import InspectNode
    from comfyui_coco.verify import ocr

    monkeypatch.setattr(ocr, "_tesseract_status", lambda: (False, f"Tesseract OCR is not installed: {ocr.TESSERACT_INSTALL}"))
    out = InspectNode.execute(torch.ones(1, 32, 64, 3), json.dumps(LAYOUT), "A sign saying 'SALE'",
                              build_settings())
    passed, score, critique, report = out.result
    assert passed and score == 1.0
    assert critique.startswith("No problems found.") and "not checked: ocr: Tesseract OCR is not installed" in critique
    assert "pip install pytesseract" in critique and "tesseract-ocr" in critique
    assert json.loads(report)["passed"] is True


def test_local_text_llm_critic_reads_the_got_chain(monkeypatch):
    """A local text-only LLM (tiny Qwen2 on the native decoder) cannot see pixels: its question
    carries the draft's GoT chain (objects with boxes) instead."""
    from comfyui_coco.codegen import native
    from comfyui_coco.models.llm.loader import load_llm

    llm = load_llm(Path(__file__).resolve().parents[1] / "fixtures" / "qwen2_tiny", "bf16", "native")
    settings = build_settings(critic_llm=llm, critic_max_tokens=8, ocr="off")
    assert settings.critic_name.startswith("local LLM")
    asked = []
    real = native.NativeBackend.generate

    def spy(self, messages, params, on_token=None, should_stop=None):  # records the question (a spy)
        asked.append(messages[-1]["content"])
        return real(self, messages, params, on_token, should_stop)

    monkeypatch.setattr(native.NativeBackend, "generate", spy)
    sem = {"version": 1, "source": "pil", "canvas": {"width": 64, "height": 32}, "axes": [],
           "texts": [{"id": "t0", "text": "SALE", "role": "text", "bbox": [10, 8, 40, 22]}], "shapes": [], "edges": []}
    rep = run_inspection(_draft(), {**LAYOUT, "semantic": sem}, "A sign saying 'SALE'", settings)
    assert asked and "GoT chain" in asked[0] and "SALE" in asked[0].split("GoT chain", 1)[1]
    assert [f["kind"] for f in rep.findings if f["kind"] == "model"] == ["model"]
