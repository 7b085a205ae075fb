"""CoCo_DraftRefine end to end in the live server: CoCo_CodeEditor -> CoCo_SandboxRender ->
CoCo_DraftRefine -> SaveImage with the tiny BAGEL checkpoint and a tiny FLUX-latent VAE
(tests/refine/assets.py explains which VAE and why).  Progress events with previews, interrupt,
and the protect composite (masked pixels identical to the draft as fed)."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch
from PIL import Image

from harness import EventStream, execution_error, history_messages

from .assets import install_tiny_bagel, write_taef1

CODE = """fig = plt.figure(figsize=(1.6, 1.2), dpi=50)
fig.patch.set_facecolor("#dde6f0")
fig.text(0.08, 0.55, "CoCo 42", fontsize=22, color="black", fontweight="bold")
ax = fig.add_axes([0.1, 0.08, 0.8, 0.3])
ax.bar([0, 1, 2], [3, 1, 2], color="#f28e2b")
ax.axis("off")
"""
STEPS = 6


@pytest.fixture(scope="module")
def refine_server(comfy_server):
    install_tiny_bagel(comfy_server.models, "refine_tiny")
    write_taef1(comfy_server.models / "vae" / "refine_tiny_taef1.safetensors")
    return comfy_server


def workflow(seed=3, steps=STEPS, feather=2):
    return {
        "1": {"class_type": "CoCo_CodeEditor", "inputs": {"code": CODE}},
        "2": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["1", 0], "language": "auto", "max_megapixels": 4.0, "timeout_s": 30.0}},
        "3": {"class_type": "CoCo_ModelLoader", "inputs": {"checkpoint": "refine_tiny/", "weight_dtype": "bf16"}},
        "4": {"class_type": "VAELoader", "inputs": {"vae_name": "refine_tiny_taef1.safetensors"}},
        "5": {"class_type": "CoCo_DraftRefine",
              "inputs": {"coco_model": ["3", 0], "vae": ["4", 0], "prompt": "a polished bar chart titled CoCo 42",
                         "draft": ["2", 0], "protect": ["2", 1], "feather": feather, "steps": steps,
                         "cfg_text_scale": 4.0, "cfg_img_scale": 2.0, "cfg_interval_start": 0.0,
                         "cfg_interval_end": 1.0, "timestep_shift": 3.0, "cfg_renorm_type": "text_channel",
                         "cfg_renorm_min": 0.0, "seed": seed, "max_resolution": 1024}},
        "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "refine_final"}},
        "7": {"class_type": "SaveImage", "inputs": {"images": ["5", 1], "filename_prefix": "refine_draft"}},
        "8": {"class_type": "MaskToImage", "inputs": {"mask": ["2", 1]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "refine_mask"}},
        "10": {"class_type": "PreviewAny", "inputs": {"source": ["5", 3]}},
    }


def _png(server, entry, node):
    imgs = entry["outputs"][node]["images"]
    assert len(imgs) == 1
    return np.asarray(Image.open(io.BytesIO(server.view(imgs[0]))).convert("RGB"))


def test_draft_refine_runs_with_progress_and_keeps_masked_pixels(refine_server):
    from comfyui_coco.models.refine.composite import as_mask, feather_mask

    es = EventStream(refine_server)
    try:
        status, data = refine_server.queue(workflow(), client_id=es.client_id)
        assert status == 200, data
        pid = data["prompt_id"]
        es.drain_until(lambda ev: ev[0] == "executing" and ev[1].get("node") is None
                       and ev[1].get("prompt_id") == pid, timeout=300)
    finally:
        es.close()
    entry = refine_server.wait(pid)
    assert execution_error(entry) is None, execution_error(entry)

    progress = [d for t, d in es.events if t == "progress" and d.get("node") == "5"]
    assert [p["value"] for p in progress] == list(range(1, STEPS)), progress
    assert all(p["max"] == STEPS - 1 for p in progress)
    previews = [d for t, d in es.events if t == "binary"]
    assert len(previews) >= STEPS - 1, "every step sends a latent preview"

    final = _png(refine_server, entry, "6")
    draft = _png(refine_server, entry, "7")
    mask_img = _png(refine_server, entry, "9")
    assert final.shape == draft.shape and final.shape[0] % 16 == 0 and final.shape[1] % 16 == 0
    assert max(final.shape[:2]) <= 64  # the tiny model's largest side (max_latent_size 4 x 16)
    # recompute the alpha the node used: text mask resized to the output size, feathered by 2 px
    mask = torch.from_numpy(mask_img[..., 0].astype(np.float32) / 255.0)[None]
    alpha = feather_mask(as_mask(mask, 1, final.shape[0], final.shape[1]), 2)[0].numpy()
    full = alpha >= 1.0
    assert full.sum() > 20, "the text mask must cover some pixels"
    assert np.array_equal(final[full], draft[full]), "protected pixels must equal the draft as fed"
    free = alpha <= 0.0
    assert np.abs(final[free].astype(int) - draft[free].astype(int)).mean() > 1.0, "the rest was re-generated"

    report = entry["outputs"]["10"]["text"][0]
    assert "edit (draft)" in report and "(identical)" in report and "before composite" in report


def test_interrupt_stops_cleanly_and_server_serves_next_prompt(refine_server):
    es = EventStream(refine_server)
    try:
        status, data = refine_server.queue(workflow(seed=11, steps=200), client_id=es.client_id)
        assert status == 200, data
        pid = data["prompt_id"]
        es.drain_until(lambda ev: ev[0] == "progress" and ev[1].get("node") == "5", timeout=300)
        refine_server.interrupt()
        es.drain_until(lambda ev: ev[0] in ("execution_interrupted", "execution_error", "execution_success")
                       and ev[1].get("prompt_id") == pid, timeout=120)
    finally:
        es.close()
    kinds = [t for t, _ in es.events]
    assert "execution_interrupted" in kinds and "execution_success" not in kinds
    done = [d["value"] for t, d in es.events if t == "progress" and d.get("node") == "5"]
    assert max(done) < 199
    entry = refine_server.wait(pid)
    assert any(k == "execution_interrupted" for k, _ in history_messages(entry))

    ok = refine_server.run(workflow(seed=12, steps=3))
    assert execution_error(ok) is None, execution_error(ok)
    assert ok["outputs"]["6"]["images"]


def test_text_to_image_without_draft(refine_server):
    wf = workflow(seed=5, steps=3)
    for k in ("1", "2", "7", "8", "9"):
        del wf[k]
    inputs = wf["5"]["inputs"]
    del inputs["draft"], inputs["protect"]
    inputs.update(width=64, height=32, cfg_img_scale=1.0, cfg_interval_start=0.4, cfg_renorm_type="global")
    entry = refine_server.run(copy.deepcopy(wf))
    assert execution_error(entry) is None, execution_error(entry)
    final = _png(refine_server, entry, "6")
    assert final.shape == (32, 64, 3)
    assert "text-to-image" in entry["outputs"]["10"]["text"][0]
