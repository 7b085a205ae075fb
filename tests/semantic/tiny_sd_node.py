"""Test-only ComfyUI custom node (copied into a test server's custom_nodes/, never shipped):
CoCoTest_TinySD returns a real core MODEL (SD1.x UNet, tiny config), CLIP (tests/semantic/tiny_clip)
and VAE (core TAESD) with seeded random weights, in CheckpointLoaderSimple's output order, so an
example workflow built for a real checkpoint runs end to end on CPU."""

from __future__ import annotations

import torch

from .tiny_clip import tiny_clip

_CACHE = {}


def _init(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.02 if p.ndim > 1 else 0.01))


def tiny_sd():
    if "sd" in _CACHE:
        return _CACHE["sd"]
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.sd
    import comfy.supported_models
    from comfy.taesd.taesd import TAESD

    unet = {"use_checkpoint": False, "image_size": 32, "use_spatial_transformer": True, "legacy": False,
            "in_channels": 4, "out_channels": 4, "model_channels": 32, "num_res_blocks": [1, 1],
            "transformer_depth": [1, 1], "transformer_depth_output": [1, 1, 1, 1], "channel_mult": [1, 2],
            "transformer_depth_middle": 1, "context_dim": 32, "use_linear_in_transformer": False,
            "adm_in_channels": None, "use_temporal_attention": False, "use_temporal_resblock": False}
    model = comfy.supported_models.SD15(unet).get_model({}, device="cpu")
    _init(model, 0)
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=mm.get_torch_device(),
                                               offload_device=mm.unet_offload_device())
    taesd = TAESD(latent_channels=4)
    _init(taesd, 1)
    sd = {k: v.detach().clone() for k, v in taesd.state_dict().items()}
    sd["vae_scale"], sd["vae_shift"] = torch.tensor(0.18215), torch.tensor(0.0)
    _CACHE["sd"] = (patcher, tiny_clip(), comfy.sd.VAE(sd=sd))
    return _CACHE["sd"]


class TinySD:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "load"
    CATEGORY = "testing"

    def load(self):
        return tiny_sd()


NODE_CLASS_MAPPINGS = {"CoCoTest_TinySD": TinySD}
