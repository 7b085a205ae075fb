"""Model architectures of ComfyUI-CoCo, written as plain torch on ``comfy.ops``, and what they share.

* ``bagel/``: BAGEL-7B-MoT / CoCo: config, architecture, loader and converter, runtime
  (``pipeline.CoCoModel``, the ``COCO_MODEL``), flow sampler, the draft-refinement pipeline
  (``refine.py``) and understanding (``understand.py``).
* ``llm/``: local coder LLMs (native Qwen2 on the shared layers, or transformers) as ``COCO_LLM``;
  they expose a model, and ``codegen/`` drives it.
* ``refine/``: image-side helpers of refinement (resize rules, protect composite, previews).
* shared: ``layers.py`` (leaf layers, KV cache and context), ``management.py`` (ComfyUI
  model-manager glue), ``safetensors_io.py`` (reading weights, refusing pickles),
  ``text_tokenizer.py``, ``weight_dtype.py`` (the weight dtypes and ``auto``), ``errors.py``
  (``FixableError``), ``interrupt.py`` (ComfyUI's Cancel).

Most submodules import ComfyUI (``comfy.ops``, ``comfy.model_management``) and torch; import them
lazily (inside a node's ``execute``), never at pack import time. ``errors``, ``interrupt``,
``weight_dtype``, ``bagel/config`` and ``llm/config``/``llm/chat`` are standard library only.
Nothing here imports ``nodes/`` or ``codegen/``.
"""
