"""The pack's own ComfyUI socket types, declared once (a node module imports them from here).

* ``COCO_MODEL``: the CoCo/BAGEL model from CoCo_ModelLoader (``models/bagel/pipeline.CoCoModel``);
  it writes code through its LogitsModel view (``codegen/native.py``) and refines drafts.
* ``COCO_LLM``: a code writer for CoCo_CodeGen: a ready backend with ``generate(messages, params,
  on_token, should_stop)`` and ``prompt_style`` (CoCo_OpenAIBackend), or a local model with
  ``as_logits_model()`` (CoCo_LLMLoader's ``models/llm/runtime.LocalLLM``), which the codegen
  layer's decoding loop drives.
* ``COCO_INSPECT``: inspection settings from CoCo_InspectSettings (``nodes/inspect_node.py``).
"""

from __future__ import annotations

from comfy_api.latest import io

COCO_MODEL = io.Custom("COCO_MODEL")
COCO_LLM = io.Custom("COCO_LLM")
COCO_INSPECT = io.Custom("COCO_INSPECT")
