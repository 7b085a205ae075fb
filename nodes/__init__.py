"""Node registry of the pack.

Each node module keeps its module-level imports light (``comfy_api`` and the standard library)
and imports heavy or optional libraries inside ``execute`` through :func:`.common.require`, so
its schema always registers and a missing dependency becomes an actionable error on that node
only. A module that fails to import anyway (a bug, a broken install) is skipped with a log line;
the other modules still register.
"""

from __future__ import annotations

import importlib
import logging

from comfy_api.latest import ComfyExtension, io

log = logging.getLogger("ComfyUI-CoCo")

# Modules that define nodes; each exposes NODES: list[type[io.ComfyNode]].
NODE_MODULES = (
    "input_files",
    "code_editor",
    "sandbox_render",
    "model_loader",
    "codegen",
    "inspect_node",
    "draft_refine",
    "llm_loader",
    "evaluate",
    "dataset",
    "guidance",
)
# Modules that register HTTP routes on the running server.
ROUTE_MODULES = ("routes",)


def _import_sibling(name: str):
    return importlib.import_module(f".{name}", __name__)


def collect_nodes() -> list[type[io.ComfyNode]]:
    nodes: list[type[io.ComfyNode]] = []
    for name in NODE_MODULES:
        try:
            module = _import_sibling(name)
        except Exception as e:  # a broken module must not take the other nodes down
            log.exception("ComfyUI-CoCo: nodes in %s.py disabled: %s", name, e)
            continue
        nodes.extend(getattr(module, "NODES", []))
    return nodes


def register_routes() -> None:
    for name in ROUTE_MODULES:
        try:
            module = _import_sibling(name)
        except ModuleNotFoundError as e:
            if e.name and e.name.endswith(f"nodes.{name}"):
                continue
            log.warning("ComfyUI-CoCo: routes in %s.py disabled: %s", name, e)
            continue
        try:
            module.register()
        except Exception as e:
            log.exception("ComfyUI-CoCo: routes in %s.py disabled: %s", name, e)


class CoCoExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        from .common import register_model_folders

        register_model_folders()
        register_routes()
        return collect_nodes()
