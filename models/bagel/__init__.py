"""BAGEL-7B-MoT / CoCo: config, architecture (on comfy.ops, ``modeling``), loader and converter,
runtime primitives (``pipeline.CoCoModel``), the flow sampler (``sampler``), draft refinement
(``refine.run_draft_refine``, CoCo_DraftRefine's pipeline) and understanding (``understand``).

Importing the submodules imports torch and ComfyUI's ``comfy`` modules (``config`` only the standard
library); do it lazily from nodes.
"""

from .config import BagelConfig, ConfigError, LLMConfig, ViTConfig

__all__ = ["BagelConfig", "ConfigError", "LLMConfig", "ViTConfig", "build_bagel",
           "expected_state_dict_shapes", "CoCoModel"]


def __getattr__(name):  # lazy: keep ``from .config import ...`` free of torch/comfy imports
    if name in ("build_bagel", "expected_state_dict_shapes", "expected_state_dict_dtypes", "uses_weight_dtype"):
        from . import modeling
        return getattr(modeling, name)
    if name in ("CoCoModel", "Context"):
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(name)
