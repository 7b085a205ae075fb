"""CoCo_InputFiles: files of ComfyUI's input folder reach the drawing code; the cache follows content.

Unit checks of the node's reading rules, the CodeGen file description, the draft picking of
CoCo_SandboxRender, then one workflow through a live ComfyUI server: a CSV and a helper module in
the server's input folder, a chart made from them with two figures, the second picked as draft.
"""

from __future__ import annotations

import copy
import io

import pytest
from PIL import Image

from harness import cached_nodes, execution_error, images_of


def test_read_files_rules(tmp_path):
    from comfyui_coco.nodes.common import CoCoError
    from comfyui_coco.nodes.input_files import merge, read_files

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("m,v\nJan,1\n")
    (tmp_path / "style.mplstyle").write_text("axes.grid: True\n")
    (tmp_path / "notes.exe").write_bytes(b"MZ")
    files = read_files("data/sales.csv\nstyle.mplstyle  # the house style", str(tmp_path))
    assert [n for n, _ in files.files] == ["sales.csv", "style.mplstyle"]
    for names, problem in (("../secret.csv", "not inside"), ("notes.exe", "not a supported"),
                           ("missing.csv", "not found"), ("data/sales.csv\ndata/sales.csv", "two files")):
        with pytest.raises(CoCoError) as e:
            read_files(names, str(tmp_path))
        assert problem in str(e.value) and e.value.fix
    with pytest.raises(CoCoError):
        merge(files, files)
    (tmp_path / "big.csv").write_bytes(b"0" * (2 * 1024 * 1024 + 1))
    with pytest.raises(CoCoError) as e:
        read_files("big.csv", str(tmp_path))
    assert "MiB" in str(e.value)


def test_cache_key_is_the_content(tmp_path):
    from comfyui_coco.nodes.input_files import read_files

    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    first = read_files("a.csv", str(tmp_path)).digest
    assert read_files("a.csv", str(tmp_path)).digest == first
    (tmp_path / "a.csv").write_text("x,y\n1,3\n")
    assert read_files("a.csv", str(tmp_path)).digest != first


def test_codegen_prompt_describes_the_files():
    from comfyui_coco.codegen.prompts import describe_files

    text = describe_files([("sales.csv", b"month,units\nJan,10\nFeb,12\n"), ("helpers.py", b"def fmt(x):\n  pass\n"),
                           ("cfg.json", b'{"title": "t", "unit": "EUR"}')])
    assert "sales.csv (26 bytes)" in text and "month,units" in text and "Feb,12" in text
    assert "import helpers" in text and "fmt" in text and "'title', 'unit'" in text
    assert describe_files([]) == ""


def test_draft_index_picks_image_and_layout():
    from comfyui_coco.nodes.sandbox_render import result_to_tensors
    from comfyui_coco.sandbox import render_inprocess

    r = render_inprocess("plt.figure(figsize=(2, 1))\nplt.title('a')\nplt.savefig('a.png')\n"
                         "plt.figure(figsize=(3, 2))\nplt.title('b')\n")
    assert r.ok and len(r.images) == 2
    image, mask, layout, all_images, note = result_to_tensors(r, 1)
    assert tuple(image.shape) == (1, 200, 300, 3) and tuple(mask.shape) == (1, 200, 300)
    assert layout["canvas"] == {"width": 300, "height": 200} and mask.sum() > 0
    assert tuple(all_images.shape) == (2, 200, 300, 3) and "fitted" in note
    _, _, layout0, _, note0 = result_to_tensors(r, 7)
    assert layout0["canvas"]["width"] == 300 and "past the last image" in note0


CODE = """import csv
import helpers
rows = list(csv.DictReader(open("sales.csv")))
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar([r["month"] for r in rows], [float(r["units"]) for r in rows], color=helpers.COLOR)
fig.savefig("../figures/units.pdf")
fig2, ax2 = plt.subplots(figsize=(3, 2))
ax2.plot([float(r["units"]) for r in rows])
ax2.set_title(helpers.TITLE)
"""


def _workflow():
    return {
        "1": {"class_type": "CoCo_InputFiles", "inputs": {"names": "sales.csv\nhelpers.py"}},
        "2": {"class_type": "CoCo_CodeEditor", "inputs": {"code": CODE}},
        "3": {"class_type": "CoCo_SandboxRender",
              "inputs": {"code": ["2", 0], "language": "auto", "max_megapixels": 4, "timeout_s": 20,
                         "draft_index": 1, "files": ["1", 0]}},
        "4": {"class_type": "SaveImage", "inputs": {"filename_prefix": "CoCo_files", "images": ["3", 0]}},
    }


def test_workflow_with_input_files_and_content_cache(comfy_server):
    """Without CoCo_InputFiles.fingerprint_inputs the run after the CSV changed is fully cached
    (seen: cached_nodes == ['1', '2', '3', '4'])."""
    (comfy_server.input / "sales.csv").write_text("month,units\nJan,10\nFeb,14\nMar,9\n")
    (comfy_server.input / "helpers.py").write_text("COLOR = '#2a9d8f'\nTITLE = 'units per month'\n")
    entry = comfy_server.run(copy.deepcopy(_workflow()))
    assert execution_error(entry) is None, execution_error(entry)
    saved = [i for i in images_of(entry) if i["type"] == "output"]
    assert len(saved) == 1
    assert Image.open(io.BytesIO(comfy_server.view(saved[0]))).size == (300, 200)   # the draft: figure 2
    previews = [i for i in images_of(entry) if i["type"] == "temp"]
    assert len(previews) == 2                                   # all_images: the PDF save and figure 2

    again = comfy_server.run(copy.deepcopy(_workflow()))
    assert set(cached_nodes(again)) == {"1", "2", "3", "4"}     # same content: fully cached
    (comfy_server.input / "sales.csv").write_text("month,units\nJan,10\nFeb,15\nMar,9\n")
    changed = comfy_server.run(copy.deepcopy(_workflow()))
    assert execution_error(changed) is None
    assert "3" not in cached_nodes(changed)                      # new content: rendered again


def test_preview_route_sends_the_files(comfy_server):
    """The editor's live preview gets the same files: POST /coco/preview with ``files`` (the
    names text of the CoCo_InputFiles node); a bad name is a 400 naming the file."""
    import uuid

    (comfy_server.input / "sales.csv").write_text("month,units\nJan,10\nFeb,14\nMar,9\n")
    (comfy_server.input / "helpers.py").write_text("COLOR = '#2a9d8f'\nTITLE = 'units per month'\n")
    body = {"code": CODE, "client_id": uuid.uuid4().hex, "seq": 1, "files": "sales.csv\nhelpers.py"}
    status, r = comfy_server.post("/coco/preview", body, timeout=60)
    assert status == 200 and r["ok"], r
    assert r["n_images"] == 2 and (r["width"], r["height"]) == (400, 300)
    status, r = comfy_server.post("/coco/preview", {**body, "seq": 2, "files": "nope.csv"}, timeout=60)
    assert status == 400 and r["error"] == "bad_files" and "nope.csv" in r["message"]
