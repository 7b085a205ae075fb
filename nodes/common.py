"""Helpers shared by the node adapters: errors that name the node and the fix, optional
dependencies, model folders."""

from __future__ import annotations

import importlib
import os


class CoCoError(Exception):
    """An error a user can act on. The message names the node, the problem and the fix."""

    def __init__(self, node: str, problem: str, fix: str | None = None):
        self.node, self.problem, self.fix = node, problem, fix
        msg = f"{node}: {problem}"
        if fix:
            msg += f"\nFix: {fix}"
        super().__init__(msg)


def require(module: str, *, node: str, pip: str | None = None):
    """Import an optional dependency, or raise a CoCoError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pkg = pip or module
        raise CoCoError(
            node,
            f"the Python package '{pkg}' is not installed ({e}).",
            f"install it into ComfyUI's Python: `python -m pip install {pkg}` "
            "(or re-run ComfyUI-Manager's 'Install dependencies' for ComfyUI-CoCo), then restart ComfyUI.",
        ) from e


# Model folder keys this pack adds, relative to ComfyUI's models directory.
MODEL_FOLDERS = {
    "coco": ({".safetensors", ".json"}, "CoCo/BAGEL checkpoints: a folder per model or one converted .safetensors"),
    "LLM": ({".safetensors", ".json"}, "local coder LLMs (Qwen2/Qwen2.5 folders) for CoCo_CodeGen"),
}


def register_model_folders() -> None:
    import folder_paths

    for key, (exts, _doc) in MODEL_FOLDERS.items():
        path = os.path.join(folder_paths.models_dir, key)
        if key in folder_paths.folder_names_and_paths:
            paths, old_exts = folder_paths.folder_names_and_paths[key]
            if path not in paths:
                paths.append(path)
            # An empty extension set means "every file"; keep a user's broader setting.
            if old_exts:
                old_exts.update(exts)
        else:
            folder_paths.folder_names_and_paths[key] = ([path], set(exts))
