"""Storage dtype of the large Linear weights, one list for both loaders, and the ``auto`` choice.

``auto`` picks what the device runs well (:func:`auto_weight_dtype`):

* CUDA with fp8 compute (ComfyUI's ``supports_fp8_compute``: compute capability 8.9+ — Ada, Hopper,
  Blackwell): ``fp8_e4m3fn`` (half the memory of bf16; layers are cast on the GPU);
* any other device: ``bf16``. On a CPU, fp8 weights are cast per layer per token and decode about
  40x slower than bf16 (``bench/decode.py``); MPS has no float8 at all; older CUDA GPUs gain memory
  but lose speed with fp8 (pick ``fp8_e4m3fn`` by hand there when VRAM is short).

Standard library at import time; torch and ComfyUI are imported when ``auto`` is resolved.
"""

from __future__ import annotations

AUTO = "auto"
WEIGHT_DTYPES = ("fp8_e4m3fn", "bf16")
CHOICES = (AUTO, *WEIGHT_DTYPES)  # what the loader nodes offer


def auto_weight_dtype(device=None) -> str:
    """``fp8_e4m3fn`` on a CUDA device with fp8 compute, else ``bf16`` (see the module docstring)."""
    import torch

    import comfy.model_management as mm

    device = torch.device(device) if device is not None else mm.get_torch_device()
    if device.type != "cuda":
        return "bf16"
    try:
        fp8 = bool(mm.supports_fp8_compute(device))
    except Exception:  # noqa: BLE001 - a core without the helper, or no device properties
        fp8 = False
    return "fp8_e4m3fn" if fp8 else "bf16"


def resolve_weight_dtype(name: str, device=None) -> str:
    """``name``, with ``auto`` replaced by :func:`auto_weight_dtype` for ``device``."""
    return auto_weight_dtype(device) if name == AUTO else name
