"""Helpers shared by the node adapters: errors that name the node and the fix, optional
dependencies, model folders."""

from __future__ import annotations

import importlib
import importlib.util
import os
import posixpath

from ..models.errors import FixableError


class CoCoError(FixableError):
    """An error a user can act on, raised by a node: ``where`` (``node``) is the node id."""

    @property
    def node(self) -> str:
        return self.where


def require(module: str, *, node: str, pip: str | None = None, import_it: bool = True):
    """Import an optional dependency, or raise a CoCoError that says how to install it. With
    ``import_it=False`` only check that it is installed (for packages another process imports,
    like the sandbox worker's matplotlib), without paying for the import here."""
    try:
        if not import_it:
            if importlib.util.find_spec(module) is None:
                raise ImportError(f"No module named '{module}'")
            return None
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


def _ensure_folder(key: str):
    import folder_paths

    if key not in folder_paths.folder_names_and_paths:
        register_model_folders()
    return folder_paths


def list_model_entries(key: str, markers: tuple[str, ...], loose_suffix: str | None = None) -> list[str]:
    """Entries of a model folder for a dropdown: every sub-folder holding one of ``markers``, as
    "<name>/", then (with ``loose_suffix``) the files with that suffix outside those folders."""
    folder_paths = _ensure_folder(key)
    names = [n.replace("\\", "/") for n in folder_paths.get_filename_list(key)]
    folders = sorted({posixpath.dirname(n) for n in names
                      if posixpath.basename(n) in markers and posixpath.dirname(n)})
    files = []
    if loose_suffix:
        for n in names:
            d = posixpath.dirname(n)
            if n.lower().endswith(loose_suffix) and not any(d == f or d.startswith(f + "/") for f in folders):
                files.append(n)
    return [f + "/" for f in folders] + sorted(files)


def resolve_model_entry(key: str, name: str, *, node: str, empty: str, fix: str) -> str:
    """The absolute path of a dropdown entry ("<name>/" is a folder, else a file), never outside
    the model folder; a CoCoError that says what to do otherwise."""
    folder_paths = _ensure_folder(key)
    if not name or name == empty:
        raise CoCoError(node, f"nothing was found in ComfyUI/models/{key}/.", fix)
    rel = name.rstrip("/")
    for base in folder_paths.get_folder_paths(key):
        base = os.path.abspath(base)
        p = os.path.abspath(os.path.join(base, rel))
        if os.path.commonpath([base, p]) != base:
            continue  # never leave the model folder
        if (name.endswith("/") and os.path.isdir(p)) or (not name.endswith("/") and os.path.isfile(p)):
            return p
    raise CoCoError(node, f"'{name}' is not in ComfyUI/models/{key}/ (any more).",
                    "pick another entry, or press R in the UI to refresh the list. " + fix)


def progress_with_cancel():
    """``progress(i, n)`` for a long step of a node (loading, converting): ComfyUI's progress bar,
    and ComfyUI's Cancel polled at every call (``models/interrupt.check_interrupt``)."""
    import comfy.utils

    from ..models.interrupt import check_interrupt

    bar = comfy.utils.ProgressBar(1)

    def progress(i: int, n: int) -> None:
        check_interrupt()
        bar.update_absolute(i, n)
    return progress


def render_with_cancel(pool, code: str, files=None, **kw):
    """``pool.render(code, **kw)`` that ComfyUI's Cancel ends at once (the busy worker is replaced
    instead of waiting for the timeout) and that then raises ComfyUI's interrupt. ``files``: a
    COCO_FILES value (its files go to the worker), or None."""
    from ..models.interrupt import check_interrupt, interrupted

    if files is not None and files.files:
        kw["files"] = files.pairs()
    result = pool.render(code, should_cancel=interrupted, **kw)
    if result.error_type == "Cancelled":
        check_interrupt()
    return result
