"""Model architectures of ComfyUI-CoCo, written as plain torch on ``comfy.ops``.

Submodules import ComfyUI (``comfy.ops``, ``comfy.model_management``) and torch; import them
lazily (inside a node's ``execute``), never at pack import time.
"""
