"""Unit tests of the pack's plumbing against the real ComfyUI source (no mocked comfy)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_comfy_is_the_real_source():
    import comfy.model_management as mm
    import comfy.ops
    from harness import comfy_dir

    assert Path(comfy.ops.__file__).resolve().is_relative_to(comfy_dir())
    assert mm.cpu_state == mm.CPUState.CPU  # parsed as --cpu, as the server runs in tests


def test_v3_extension_lists_every_node_module():
    import asyncio

    import comfyui_coco
    from comfyui_coco import nodes as pack_nodes

    ext = asyncio.run(comfyui_coco.comfy_entrypoint())
    got = {n.GET_SCHEMA().node_id for n in asyncio.run(ext.get_node_list())}
    assert {"CoCo_CodeEditor", "CoCo_SandboxRender"} <= got
    for name in pack_nodes.NODE_MODULES:
        module = pack_nodes._import_sibling(name)
        for node in module.NODES:
            schema = node.GET_SCHEMA()
            assert schema.node_id.startswith("CoCo_") and schema.node_id in got
            assert schema.category.startswith("CoCo/")


def test_a_broken_node_module_disables_only_itself(monkeypatch, tmp_path, caplog):
    from comfyui_coco import nodes as pack_nodes

    broken = REPO / "nodes" / "_broken_for_test.py"
    broken.write_text("raise ImportError('No module named fancy_dep')\n")
    try:
        monkeypatch.setattr(pack_nodes, "NODE_MODULES", ("_broken_for_test",) + tuple(pack_nodes.NODE_MODULES))
        got = {n.GET_SCHEMA().node_id for n in pack_nodes.collect_nodes()}
    finally:
        broken.unlink()
        sys.modules.pop("comfyui_coco.nodes._broken_for_test", None)
    assert "CoCo_CodeEditor" in got and "CoCo_SandboxRender" in got
    assert "nodes in _broken_for_test.py disabled" in caplog.text


@pytest.mark.parametrize("import_it", [True, False])
def test_missing_optional_dependency_names_node_and_install_command(import_it):
    from comfyui_coco.nodes.common import CoCoError, require

    with pytest.raises(CoCoError) as e:
        require("coco_no_such_module", node="CoCo_Example", pip="coco-no-such-package", import_it=import_it)
    msg = str(e.value)
    assert msg.startswith("CoCo_Example:")
    assert "pip install coco-no-such-package" in msg and "Fix:" in msg
    require("json", node="CoCo_Example", import_it=import_it)  # an installed one passes


def test_sandbox_render_checks_the_worker_packages_it_needs():
    """The packages the worker imports for each language are real, importable module names."""
    import importlib.util

    from comfyui_coco.nodes import sandbox_render

    for module, _pip in sandbox_render.WORKER_PACKAGES_PYTHON + sandbox_render.WORKER_PACKAGES_SVG:
        assert importlib.util.find_spec(module) is not None, module


@pytest.mark.parametrize("editor,upstream,expected", [
    ("print(1)", "print(2)", "print(1)"),
    ("", "print(2)", "print(2)"),
    ("   \n", "print(2)", "print(2)"),
    ("", None, ""),
])
def test_code_editor_prefers_edited_text(editor, upstream, expected):
    from comfyui_coco.nodes.code_editor import CodeEditor

    out = CodeEditor.execute(code=editor, upstream_code=upstream)
    assert out.result[0] == expected


def test_requirements_leave_torch_stack_to_comfyui():
    names = []
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split(";")[0].split("=")[0].split(">")[0].split("<")[0].split("[")[0].strip().lower())
    assert names, "requirements.txt lists nothing"
    assert not {"torch", "torchvision", "torchaudio", "numpy"} & set(names)


def test_pyproject_has_registry_fields():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["name"] and "comfyui" not in data["project"]["name"].lower()
    assert data["project"]["version"].count(".") == 2
    comfy = data["tool"]["comfy"]
    assert comfy["PublisherId"] and comfy["DisplayName"]
    assert (REPO / comfy["Icon"]).exists()


def test_published_zip_excludes_tests_bench_and_dev():
    """What `comfy node publish` would zip: git-tracked files minus .comfyignore."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    ignored = set(subprocess.run(
        ["git", "-c", "core.excludesFile=.comfyignore", "check-ignore", "--no-index", "--stdin"],
        cwd=REPO, input="\n".join(tracked), capture_output=True, text=True).stdout.split())
    shipped = [f for f in tracked if f not in ignored]
    assert "__init__.py" in shipped and "nodes/sandbox_render.py" in shipped
    for f in shipped:
        assert not f.startswith(("tests/", "bench/", "dev/", ".ci/")), f


def test_no_exec_or_eval_outside_the_sandbox():
    import re

    pat = re.compile(r"(^|[^._a-zA-Z])(exec|eval)\(")
    for folder in ("nodes", "models"):
        for path in (REPO / folder).rglob("*.py"):
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if pat.search(line.split("#", 1)[0]):
                    pytest.fail(f"{path.relative_to(REPO)}:{i} calls exec/eval outside sandbox/")


EXAMPLES = REPO / "example_workflows"


def test_example_workflows_live_in_one_folder_that_both_cores_serve():
    """ComfyUI serves a pack's templates from example_workflows/ (newer cores ask for that name;
    0.3.x serves it too). A second folder (workflows/, examples/...) would list duplicates or be
    shadowed at the same URL: one folder only."""
    others = [d for d in ("workflows", "workflow", "examples", "example") if (REPO / d).is_dir()]
    assert others == [], f"move these into example_workflows/: {others}"
    assert sorted(EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("workflow", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_example_workflow_has_title_thumbnail_and_room_between_nodes(workflow):
    """The template browser shows the file name as title and description, and <name>.jpg as the
    thumbnail. Nodes (title bar included) must not overlap when the workflow opens."""
    import json

    from PIL import Image

    title = workflow.stem
    assert " " in title and "_" not in title and title[0].isupper(), f"'{title}' reads like a file name"
    thumb = workflow.with_suffix(".jpg")
    assert thumb.exists(), f"{workflow.name} has no thumbnail {thumb.name}"
    with Image.open(thumb) as im:
        assert im.format == "JPEG" and im.width >= 400 and im.height >= 200
    wf = json.loads(workflow.read_text())
    boxes = [(n["id"], n["type"], n["pos"][0], n["pos"][1] - 30, n["pos"][0] + n["size"][0], n["pos"][1] + n["size"][1])
             for n in wf["nodes"]]
    overlaps = [(a[1], b[1]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[2] < b[4] and b[2] < a[4] and a[3] < b[5] and b[3] < a[5]]
    assert overlaps == [], f"{workflow.name}: nodes overlap: {overlaps}"
