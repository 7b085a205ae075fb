"""Import a sibling package of the pack (sandbox, codegen, verify) as a relative import resolved at
run time, and make the pack importable as a package when run as a command.

Inside ComfyUI and the tests the pack is a package (``comfyui_coco.dataset_builder`` →
``comfyui_coco.sandbox``). ``python -m dataset_builder`` from the pack folder would make
``dataset_builder`` a top-level package, where codegen's own relative imports (``..models``) cannot
resolve; ``__main__`` therefore loads the pack folder as the package ``comfyui_coco`` first
(its ``__init__`` imports nothing) and runs the command from there. Ray workers get the same
package through ``runtime_env["py_modules"]`` (``staged_pack``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys

PACK_ALIAS = "comfyui_coco"
_PARENT = __package__.rpartition(".")[0]          # "comfyui_coco.dataset_builder" -> "comfyui_coco"
# what a worker needs: the pack's entry file and the packages this one imports (directly or not)
PACKAGES = ("dataset_builder", "sandbox", "codegen", "verify", "models")


def sibling(name: str):
    return importlib.import_module(f"{_PARENT}.{name}" if _PARENT else name)


def pack_root() -> str:
    """The folder that holds dataset_builder/, sandbox/, codegen/ ..."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def as_pack_module(name: str):
    """``name`` (e.g. "dataset_builder.cli") imported from the pack loaded as ``comfyui_coco``."""
    if PACK_ALIAS not in sys.modules:
        root = pack_root()
        spec = importlib.util.spec_from_file_location(PACK_ALIAS, os.path.join(root, "__init__.py"),
                                                      submodule_search_locations=[root])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[PACK_ALIAS] = mod
        spec.loader.exec_module(mod)
    return importlib.import_module(f"{PACK_ALIAS}.{name}")


def staged_pack(tmp: str) -> str:
    """A copy of the pack's Python sources as ``<tmp>/<package name>`` for Ray's ``py_modules``
    (Python files only; the package keeps the name the driver uses, so actors unpickle)."""
    root = pack_root()
    name = _PARENT or PACK_ALIAS
    dst = os.path.join(tmp, name.rpartition(".")[2])
    os.makedirs(dst, exist_ok=True)
    shutil.copy2(os.path.join(root, "__init__.py"), os.path.join(dst, "__init__.py"))
    for pkg in PACKAGES:
        shutil.copytree(os.path.join(root, pkg), os.path.join(dst, pkg), dirs_exist_ok=True,
                        ignore=lambda d, names: [n for n in names if n == "__pycache__" or
                                                 (not n.endswith(".py") and not os.path.isdir(os.path.join(d, n)))])
    return dst
