"""Local models writing code through a live ComfyUI server (the session's ``comfy_server``).

(a) CoCo_LLMLoader (tiny random Qwen2, native decoder) -> CoCo_CodeGen: the decode loop runs in the
    server, its tokens stream to the websocket (progress_text frames + progress events for the
    CodeGen node), the text equals what the same model decodes in this process, and an identical
    second run is fully cached.
(b) CoCo_ModelLoader (tiny random BAGEL) -> CoCo_CodeGen -> CoCo_CodeEditor -> CoCo_SandboxRender ->
    SaveImage. Random weights write junk, not code, so the chain is checked honestly: CodeGen's own
    outputs reach PreviewAny (the CoCo decode path ran), and the editor holds a fixed drawing program
    (as a user would after editing), approved on this machine, which wins over the upstream junk
    and renders through the sandbox into SaveImage.

The weights are random: what is checked is the plumbing, never the quality of the code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from harness import EventStream, cached_nodes, execution_error, progress_texts, prompt_finished

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SYSTEM = "You draw with code."
PROMPT = "A red cube on a blue table"
FIXED = ("import os\nfrom PIL import Image, ImageDraw\n# canvas: 64x48 px\nim = Image.new('RGB', (64, 48), 'white')\n"
         "ImageDraw.Draw(im).rectangle([8, 8, 40, 40], fill='red')\nim.save(os.path.join(output_dir, 'draft.png'))\n")


@pytest.fixture(scope="module")
def server(comfy_server):
    for src, dst in ((FIX / "qwen2_tiny", comfy_server.models / "LLM" / "qwen2_tiny"),
                     (FIX / "bagel_tiny", comfy_server.models / "coco" / "bagel_tiny")):
        if not dst.exists():
            shutil.copytree(src, dst)
    return comfy_server


def _codegen(model_input: dict, seed: int, max_new_tokens: int = 24) -> dict:
    return {"class_type": "CoCo_CodeGen",
            "inputs": {**model_input, "prompt": PROMPT, "language": "python", "system_prompt": SYSTEM, "seed": seed,
                       "temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_new_tokens": max_new_tokens,
                       "think": False, "max_repairs": 0}}


def _run_with_events(server, wf):
    ev = EventStream(server)
    try:
        status, data = server.queue(wf, client_id=ev.client_id)
        assert status == 200, data
        pid = data["prompt_id"]
        events = ev.drain_until(prompt_finished(pid), timeout=120)
    finally:
        ev.close()
    return server.wait(pid, timeout=60), events


def test_llm_loader_codegen_streams_and_caches(server):
    info = server.object_info("CoCo_LLMLoader")["CoCo_LLMLoader"]
    assert info["category"] == "CoCo/loaders" and info["output"] == ["COCO_LLM"]
    req = info["input"]["required"]
    options = req["model"][1].get("options") if req["model"][0] == "COMBO" else req["model"][0]
    assert "qwen2_tiny/" in options
    assert all(v[1].get("tooltip") for v in req.values())

    wf = {
        "1": {"class_type": "CoCo_LLMLoader",
              "inputs": {"model": "qwen2_tiny/", "weight_dtype": "bf16", "backend": "auto", "keep_model_loaded": True}},
        "2": _codegen({"llm": ["1", 0]}, seed=5),
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},
    }
    entry, events = _run_with_events(server, wf)
    assert execution_error(entry) is None, execution_error(entry)
    assert isinstance(entry["outputs"]["3"]["text"][0], str)  # junk code (or nothing): any string
    log = entry["outputs"]["4"]["text"][0]
    assert "backend: qwen2_tiny (local, native backend, bf16 weights" in log

    # what this process decodes with the same model, prompt and seed
    from comfyui_coco.codegen.backend import GenerationParams
    from comfyui_coco.codegen.native import local_backend
    from comfyui_coco.codegen.prompts import build_messages
    from comfyui_coco.models.llm.loader import load_llm

    llm = load_llm(FIX / "qwen2_tiny", "bf16", "auto")
    msgs = build_messages(PROMPT, "python", SYSTEM, "chat", False)
    expected = local_backend(llm, llm.name).generate(msgs, GenerationParams(seed=5, temperature=1.0, max_new_tokens=24))
    assert len(expected) > 0

    frames = progress_texts(events, "2")
    assert len(frames) >= 2, [e[0] for e in events][-20:]
    assert frames[-1].startswith(expected) and frames[-1].rstrip().endswith("round(s)]")
    progress = [d for k, d in events if k == "progress" and d.get("node") == "2"]
    assert len(progress) >= 2 and all(p["max"] == 24 for p in progress)

    entry2 = server.run(wf, timeout=60)
    assert execution_error(entry2) is None
    assert set(cached_nodes(entry2)) >= {"1", "2", "3", "4"}


def test_coco_model_codegen_then_sandbox_render(server):
    info = server.object_info()
    for n in ("CoCo_ModelLoader", "CoCo_CodeGen", "CoCo_CodeEditor", "CoCo_SandboxRender"):
        if n not in info:
            pytest.skip(f"{n} is not registered")
    # the user approved the edited program on this machine (what CoCo_CodeEditor's Approve writes)
    approvals = server.user / "coco_approved_code.json"
    have = json.loads(approvals.read_text()).get("approved_sha256", []) if approvals.exists() else []
    approvals.write_text(json.dumps({"approved_sha256": sorted({*have, hashlib.sha256(FIXED.encode()).hexdigest()})}))

    wf = {
        "1": {"class_type": "CoCo_ModelLoader", "inputs": {"checkpoint": "bagel_tiny/", "weight_dtype": "bf16"}},
        "2": _codegen({"coco_model": ["1", 0]}, seed=9, max_new_tokens=16),
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
        "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},
        "5": {"class_type": "CoCo_CodeEditor", "inputs": {"code": FIXED, "upstream_code": ["2", 0]}},
        "6": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["5", 0], "language": "auto", "max_megapixels": 1.0, "timeout_s": 30.0}},
        "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "coco_llm_e2e"}},
    }
    entry, events = _run_with_events(server, wf)
    err = execution_error(entry)
    if err and err.get("node_type") == "CoCo_SandboxRender" and "sandbox" in err.get("exception_message", "").lower():
        pytest.skip(f"sandbox unavailable here: {err['exception_message'][:200]}")
    assert err is None, err
    log = entry["outputs"]["4"]["text"][0]
    assert "backend: CoCo model (coco prompts)" in log
    assert progress_texts(events, "2"), "CodeGen streamed nothing"
    assert entry["outputs"]["5"]["used"] == ["editor"]
    images = entry["outputs"]["7"]["images"]
    assert len(images) == 1 and images[0]["type"] == "output"
    png = server.view(images[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
