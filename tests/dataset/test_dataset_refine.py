"""The refinement stage through a live ComfyUI server (tests/harness.py): each draft is uploaded,
a workflow with the "{{draft}}" placeholder runs (LoadImage -> ImageInvert -> SaveImage), and the
output comes back as the final image of a text–draft–final triplet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from comfyui_coco.dataset_builder.store import DatasetStore, verify

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "{{draft}}"}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "coco_refined"}},
}


def test_build_refines_drafts_through_a_comfyui_server(comfy_server, tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f'a sign that reads "SALE {i}"', "text": [f"SALE {i}"]}) + "\n"
                               for i in range(3)))
    wf = tmp_path / "wf.json"
    wf.write_text(json.dumps(WORKFLOW))
    out = tmp_path / "ds"
    r = subprocess.run([sys.executable, "-m", "dataset_builder", "build", str(prompts), str(out), "--template",
                        "text_card", "--executor", "local", "--workers", "1", "--refine-workflow", str(wf),
                        "--comfy", comfy_server.url, "--no-progress"], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert verify(out) == []
    recs = DatasetStore(out, create=False).records()
    assert len(recs) == 3 and all(x["kinds"] == ["text_code", "text_draft_final"] for x in recs)
    rec = recs[0]
    assert rec["refine"]["output_node"] == "3" and len(rec["refine"]["workflow_sha256"]) == 64
    draft = Image.open(out / rec["images"]["draft"]["path"]).convert("RGB")
    final = Image.open(out / rec["images"]["final"]["path"]).convert("RGB")
    assert final.size == draft.size
    px = draft.getpixel((5, 5))
    got = final.getpixel((5, 5))      # ComfyUI really ran the workflow on it (its float round trip: +-1)
    assert all(abs(g - (255 - c)) <= 1 for g, c in zip(got, px)), (got, px)
    assert json.loads((out / "manifest.json").read_text())["counts"]["text_draft_final_triplets"] == 3
