"""CoCo_DatasetAppend in a live ComfyUI server: the graph's prompt, code, draft, final, mask,
layout and report land in a dataset folder that dataset_builder reads and verifies."""

from __future__ import annotations

import json
import os

from harness import execution_error

from comfyui_coco.dataset_builder.store import DatasetStore, verify

CODE = ("from PIL import Image, ImageDraw\nimport os\nim = Image.new('RGB', (240, 120), 'white')\n"
        "d = ImageDraw.Draw(im)\nd.text((20, 50), 'OPEN {n}', fill='black')\n"
        "im.save(os.path.join(output_dir, 'd.png'))\n")


def _graph(n: int, dataset: str, final: bool = True) -> dict:
    g = {
        "1": {"class_type": "CoCo_CodeEditor", "inputs": {"code": CODE.format(n=n)}},
        "2": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["1", 0], "language": "auto", "max_megapixels": 4, "timeout_s": 20}},
        "4": {"class_type": "CoCo_DatasetAppend",
              "inputs": {"dataset": dataset, "prompt": f'a sign that reads "OPEN {n}"', "code": ["1", 0],
                         "draft": ["2", 0], "text_mask": ["2", 1], "layout": ["2", 2],
                         "settings": json.dumps({"backend": "editor", "seed": n}), "language": "python"}},
    }
    if final:
        g["3"] = {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}}
        g["4"]["inputs"]["final"] = ["3", 0]
    return g


def test_append_writes_triplets_and_pairs_readable_by_the_builder(comfy_server):
    for n, final in ((1, True), (2, False)):
        entry = comfy_server.run(_graph(n, "ds/node_test", final))
        assert execution_error(entry) is None, execution_error(entry)
    root = os.path.join(comfy_server.output, "ds", "node_test")
    assert verify(root) == []
    store = DatasetStore(root, create=False)
    recs = sorted(store.records(), key=lambda r: r["prompt"])
    assert [r["prompt"] for r in recs] == ['a sign that reads "OPEN 1"', 'a sign that reads "OPEN 2"']
    assert recs[0]["kinds"] == ["text_code", "text_draft_final"] and recs[1]["kinds"] == ["text_code"]
    assert set(recs[0]["images"]) == {"draft", "final", "mask"} and set(recs[1]["images"]) == {"draft", "mask"}
    assert "OPEN 1" in recs[0]["code"] and recs[0]["settings"]["user"] == {"backend": "editor", "seed": 1}
    assert any(e.get("text") == "OPEN 1" for e in recs[0]["layout"]["elements"])   # the sandbox's real layout
    m = json.load(open(os.path.join(root, "manifest.json")))
    assert m["counts"]["records"] == 2 and m["counts"]["text_draft_final_triplets"] == 1
    from PIL import Image
    draft = Image.open(os.path.join(root, recs[0]["images"]["draft"]["path"]))
    final = Image.open(os.path.join(root, recs[0]["images"]["final"]["path"]))
    assert draft.size == (240, 120) and draft.getpixel((0, 0)) == (255, 255, 255)
    assert final.getpixel((0, 0)) == (0, 0, 0)


def test_dataset_name_cannot_leave_the_output_folder(comfy_server):
    entry = comfy_server.run(_graph(3, "../escape"))
    err = execution_error(entry)
    assert err is not None and err["node_type"] == "CoCo_DatasetAppend"
    assert "Fix:" in err["exception_message"] and "output directory" in err["exception_message"]
    assert not os.path.exists(os.path.join(os.path.dirname(comfy_server.output), "escape"))
