"""Shared fixtures. Tests run against the real ComfyUI source (no mocked ``comfy`` modules):

* the pack is importable as the package ``comfyui_coco`` (it is a folder with relative imports,
  exactly as ComfyUI imports it),
* ``comfy.*`` imports resolve to the ComfyUI tree that dev/bootstrap.sh installed, parsed as
  ``--cpu``,
* ``comfy_server`` is one live ComfyUI server for the session with the pack mounted.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import REPO, ComfyServer, comfy_dir  # noqa: E402

_COMFY = comfy_dir()
# `python -m pytest` puts the working directory (the repo root) first on sys.path, where our own
# nodes/ would shadow ComfyUI's top-level `nodes` module. The pack is imported as `comfyui_coco`.
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != str(REPO)]
if not (_COMFY / "main.py").exists():
    raise pytest.UsageError(f"ComfyUI not found at {_COMFY}; run `make test` (it runs dev/bootstrap.sh).")


def _import_real_comfy() -> None:
    """Make ``import comfy...`` work as it does inside the server, with --cpu."""
    if str(_COMFY) not in sys.path:
        sys.path.insert(1, str(_COMFY))
    import comfy.options

    comfy.options.enable_args_parsing()
    argv = sys.argv
    sys.argv = [argv[0], "--cpu"]
    try:
        import comfy.cli_args  # noqa: F401  (parses sys.argv once, at import)
    finally:
        sys.argv = argv


def _import_pack() -> None:
    if "comfyui_coco" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "comfyui_coco", REPO / "__init__.py", submodule_search_locations=[str(REPO)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["comfyui_coco"] = module
    spec.loader.exec_module(module)


_import_real_comfy()
_import_pack()


@pytest.fixture(scope="session")
def comfy_server(tmp_path_factory):
    server = ComfyServer(tmp_path_factory.mktemp("comfy"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def object_info(comfy_server):
    return comfy_server.object_info()
