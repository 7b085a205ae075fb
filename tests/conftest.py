"""Shared fixtures. Tests run against the real ComfyUI source (no mocked ``comfy`` modules):

* the pack is importable as the package ``comfyui_coco`` (it is a folder with relative imports,
  exactly as ComfyUI imports it) -- for every test, with or without ComfyUI,
* ``comfy.*`` imports resolve to the ComfyUI tree that dev/bootstrap.sh installed, parsed as
  ``--cpu`` -- loaded lazily, just before the first test module that is not ComfyUI-free (see
  ``COMFY_FREE``) is imported, so tests/sandbox and the pure codegen extraction tests run on a
  machine without a bootstrapped ComfyUI; any other test module then fails (never skips) when
  ComfyUI is missing,
* ``comfy_server`` is one live ComfyUI server for the session with the pack mounted.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import REPO, ComfyServer, comfy_dir  # noqa: E402  (stdlib only)

_COMFY = comfy_dir()
_TESTS = os.path.dirname(os.path.abspath(__file__))
# `python -m pytest` puts the working directory (the repo root) first on sys.path, where our own
# nodes/ would shadow ComfyUI's top-level `nodes` module. The pack is imported as `comfyui_coco`.
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != str(REPO)]

# test paths (relative to tests/) that import nothing from ComfyUI: they never trigger its import
COMFY_FREE = ("sandbox/", "codegen/test_codegen_extract.py")


def _import_real_comfy() -> None:
    """Make ``import comfy...`` work as it does inside the server, with --cpu (once)."""
    if "comfy.cli_args" in sys.modules:
        return
    if not (_COMFY / "main.py").exists():
        raise pytest.UsageError(f"ComfyUI not found at {_COMFY}; run `make test` (it runs dev/bootstrap.sh).")
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


_import_pack()


def _comfy_free(path) -> bool:
    rel = os.path.relpath(str(path), _TESTS).replace(os.sep, "/")
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in COMFY_FREE)


class _ComfyModule(pytest.Module):
    """A test module that needs ComfyUI: real ComfyUI is loaded right before the module is imported
    (pytest also builds nodes for files it will not run; those import nothing)."""

    def _getobj(self):
        _import_real_comfy()
        return super()._getobj()


def pytest_pycollect_makemodule(module_path, parent):
    if os.path.basename(str(module_path)).startswith("test_") and not _comfy_free(module_path):
        return _ComfyModule.from_parent(parent, path=module_path)
    return None


@pytest.fixture(scope="session")
def comfy_server(tmp_path_factory):
    _import_real_comfy()
    server = ComfyServer(tmp_path_factory.mktemp("comfy"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def object_info(comfy_server):
    return comfy_server.object_info()
