"""ComfyUI-CoCo: Code as Chain-of-Thought for text-heavy and structured images.

ComfyUI imports this folder as a package. Importing it must stay cheap and must never fail:
node modules are imported inside ``comfy_entrypoint`` one by one, so a missing optional
dependency disables only the nodes that need it (see ``nodes/__init__.py``).
"""

WEB_DIRECTORY = "./web"


async def comfy_entrypoint():
    from .nodes import CoCoExtension

    return CoCoExtension()


__all__ = ["WEB_DIRECTORY", "comfy_entrypoint"]
