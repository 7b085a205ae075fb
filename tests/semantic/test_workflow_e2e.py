"""The example workflow "Draft layout guides any diffusion model" end to end in a live ComfyUI:
code -> sandbox draft -> layout -> CoCo_RegionalConditioning -> core img2img (KSampler) ->
CoCo_ProtectComposite, plus the GoT chain -> CoCo_LayoutMasks colour mask. The checkpoint loader
is swapped for a test-only node giving tiny real core models (tests/semantic/tiny_sd_node.py)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness import ComfyServer, execution_error, images_of

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
API = REPO / "tests" / "workflows" / "draft_layout_guides_any_diffusion_model.api.json"


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("comfy_tiny_sd")
    server = ComfyServer(root)
    node = root / "custom_nodes" / "coco_test_tiny_sd"
    node.mkdir()
    shutil.copy(HERE / "tiny_clip.py", node / "tiny_clip.py")
    shutil.copy(HERE / "tiny_sd_node.py", node / "__init__.py")
    server.start()
    yield server
    server.stop()


def erode(m, n):
    for _ in range(n):
        p = np.pad(m, 1)
        m = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return m


def test_example_workflow_runs_end_to_end_with_tiny_models(tiny_server):
    from comfyui_coco.sandbox import render_inprocess

    api = json.loads(API.read_text())
    kinds = {v["class_type"]: k for k, v in api.items()}
    assert {"CoCo_SandboxRender", "CoCo_RegionalConditioning", "CoCo_LayoutMasks", "KSampler",
            "CoCo_ProtectComposite", "CheckpointLoaderSimple"} <= set(kinds)
    api[kinds["CheckpointLoaderSimple"]] = {"class_type": "CoCoTest_TinySD", "inputs": {}}
    api[kinds["KSampler"]]["inputs"].update(steps=2, sampler_name="euler", scheduler="normal")
    # a smaller draft (same drawing at a lower dpi): the tiny UNet samples it in seconds on CPU
    code = api[kinds["CoCo_CodeEditor"]]["inputs"]["code"]
    assert "dpi=100" in code
    api[kinds["CoCo_CodeEditor"]]["inputs"]["code"] = code = code.replace("dpi=100", "dpi=40")
    entry = tiny_server.run(api, timeout=600)
    assert execution_error(entry) is None, execution_error(entry)
    outs = entry["outputs"]
    (final,) = outs[kinds["SaveImage"]]["images"]
    (colours,) = outs[kinds["PreviewImage"]]["images"]
    img = np.asarray(Image.open(io.BytesIO(tiny_server.view(final))).convert("RGB")).astype(int)
    cmask = np.asarray(Image.open(io.BytesIO(tiny_server.view(colours))).convert("RGB"))
    # the same code drawn here: the text pixels of the refined image are the draft's
    draft = render_inprocess(code)
    im = draft.images[0]
    assert img.shape == (im.height, im.width, 3) == cmask.shape
    ref = np.asarray(im.to_pil().convert("RGB")).astype(int)
    text = np.frombuffer(draft.text_mask, np.uint8).reshape(im.height, im.width) > 0
    core = erode(text, 3)                                     # the feather's reach (2 px) stays out
    assert core.sum() > 50 and np.abs(img[core] - ref[core]).max() <= 1
    assert np.abs(img[~text] - ref[~text]).mean() > 2          # the rest was repainted by the sampler
    # the colour mask has one colour per object of the chain (+ black)
    from comfyui_coco.sandbox.semantic import chain_objects
    n = len([o for o in chain_objects(draft.layout["semantic"]) if o["box_1000"] and o["kind"] != "canvas"])
    assert n >= 6 and len(np.unique(cmask.reshape(-1, 3), axis=0)) == n + 1
