"""ComfyUI model-manager glue shared by the pack's runtimes (``bagel/pipeline.CoCoModel``,
``llm/runtime.NativeQwen2`` / ``HFCausalLM``): the ModelPatcher a component lives in, the compute
dtype for a device, loading before use with a skip for decode/denoise loops, and unloading.
"""

from __future__ import annotations

import logging

import torch

import comfy.model_management as mm
import comfy.model_patcher

log = logging.getLogger("ComfyUI-CoCo")


def pick_compute_dtype(device) -> torch.dtype:
    """bf16 where supported (CPU included); otherwise fp32.  fp16 is not used: Qwen2's activations
    overflow fp16."""
    device = torch.device(device)
    if device.type == "cpu":
        return torch.bfloat16
    try:
        if mm.should_use_bf16(device, prioritize_performance=False):
            return torch.bfloat16
    except TypeError:
        if mm.should_use_bf16(device):
            return torch.bfloat16
    return torch.float32


def make_patcher(module, load_device, offload_device, core: bool = True):
    """``module`` in a ModelPatcher (``CoreModelPatcher`` where the core has it and ``core``, so
    DynamicVRAM applies), its dtypes archived first on cores that do that."""
    archive = getattr(mm, "archive_model_dtypes", None)
    if core and archive is not None:
        try:
            archive(module)
        except Exception as e:  # noqa: BLE001 - newer cores only
            log.debug("archive_model_dtypes failed: %s", e)
    cls = comfy.model_patcher.ModelPatcher
    if core:
        cls = getattr(comfy.model_patcher, "CoreModelPatcher", cls)
    return cls(module, load_device=load_device, offload_device=offload_device)


def unload_patcher(patcher) -> bool:
    """Ask ComfyUI's manager to unload this model (weights go to the offload device); True if it
    was loaded."""
    for i, lm in enumerate(list(mm.current_loaded_models)):
        if lm.model is patcher:
            if lm.model_unload():
                mm.current_loaded_models.pop(i)
            mm.soft_empty_cache()
            return True
    return False


class Loads:
    """``load_models_gpu`` before each use of a component, skipped inside decode/denoise loops while
    nothing changed: the same component as last time, no more memory needed, still registered and
    fully loaded (a partially loaded model goes through the manager every time, as ComfyUI's
    samplers do). ``manage_memory = False``: the caller loads the patchers itself (tests, benches)."""

    def __init__(self):
        self.manage_memory = True
        self._last = (None, -1)

    def ensure(self, patcher, memory_required: int, force_full_load: bool = False) -> None:
        if not self.manage_memory:
            return
        last, last_mem = self._last
        if (last is patcher and memory_required <= last_mem and not getattr(patcher.model, "model_lowvram", False)
                and any(m is patcher for m in mm.loaded_models())):
            return
        mm.load_models_gpu([patcher], memory_required=int(memory_required), force_full_load=force_full_load)
        self._last = (patcher, int(memory_required))

    def forget(self) -> None:
        """After an unload: the next ``ensure`` goes through the manager."""
        self._last = (None, -1)
