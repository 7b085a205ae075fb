"""Local LLMs for CoCo_CodeGen (``COCO_LLM``) from ``ComfyUI/models/LLM/<folder>/`` (Hugging Face layout).

* Plain Qwen2 / Qwen2.5 (``model_type: qwen2``; e.g. Qwen2.5-Coder) run on the pack's native decoder:
  the understanding half of the BAGEL/CoCo decoder (``models/bagel/modeling.py`` building blocks,
  without QK-norm and without the generation expert), on ``comfy.ops`` with fp8 or bf16 weights,
  one ModelPatcher, KV cache counted in ``memory_required``.
* Other architectures go through ``transformers.AutoModelForCausalLM`` (local files only, no remote
  code, safetensors only), wrapped in a ModelPatcher so ComfyUI's model manager loads and unloads it.

Importing the submodules imports torch and ComfyUI; ``config`` and ``chat`` (the special-token strings)
import only the standard library. The model does not decode by itself: ``codegen/`` drives it.
"""

__all__ = ["load_llm", "LocalLLM", "LLMError"]


def __getattr__(name):  # lazy, so ``from .config import ...`` stays light
    if name in ("load_llm", "LLMError"):
        from . import loader
        return getattr(loader, name)
    if name == "LocalLLM":
        from . import runtime
        return runtime.LocalLLM
    raise AttributeError(name)
