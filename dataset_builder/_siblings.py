"""Import a sibling package of the pack (sandbox, codegen) the same way in both homes:

* inside the pack (ComfyUI, tests): ``comfyui_coco.dataset_builder`` → ``comfyui_coco.sandbox``;
* as the command (``python -m dataset_builder`` from the pack folder, and in Ray workers, which get
  the three packages as top-level modules): ``dataset_builder`` → ``sandbox``.

This is a relative import resolved at run time (the pack itself has no fixed top-level name).
"""

from __future__ import annotations

import importlib

_PARENT = __package__.rpartition(".")[0]          # "dataset_builder" -> "", "x.dataset_builder" -> "x"


def sibling(name: str):
    return importlib.import_module(f"{_PARENT}.{name}" if _PARENT else name)


def pack_root() -> str:
    """The folder that holds dataset_builder/, sandbox/ and codegen/."""
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
