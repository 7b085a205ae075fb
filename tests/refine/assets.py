"""Tiny test assets for the refine tests (written at test time, never committed).

Tiny VAE: ComfyUI 0.3.75's ``comfy.sd.VAE`` recognises the FLUX autoencoder only by its key names
and then builds it with hard-coded channels (ch 128, ch_mult [1,2,4,4], 2 res blocks; only
z_channels is read from the weights), so a FLUX-AE-shaped state dict with fewer channels is refused
with "size mismatch" (tests/refine/test_tiny_vae.py checks that).  The smallest honest stand-in
that core's VAELoader accepts with the *same latent interface* is a TAEF1-layout file
(``taesd_encoder.*``, ``taesd_decoder.*``, ``vae_scale`` = 0.3611, ``vae_shift`` = 0.1159):
core's TAESD with 16 latent channels, downscale 8, whose encode returns and whose decode takes
**raw FLUX latents** (it applies the FLUX scale/shift inside).  2.46 M parameters, random weights.
The full FLUX AE architecture with random weights (83.8 M parameters) is used in-process by
test_tiny_vae.py to cover the production VAE branch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
TINY_BAGEL = REPO / "tests" / "fixtures" / "bagel_tiny"


@torch.no_grad()
def _init(module: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    for name, p in module.named_parameters():
        if p.ndim >= 2:
            fan_in = p[0].numel()
            p.copy_(torch.randn(p.shape, generator=g) * (1.0 / fan_in) ** 0.5)
        else:
            p.copy_(0.01 * torch.randn(p.shape, generator=g))


def taef1_state_dict(seed: int = 0) -> dict:
    from comfy.taesd.taesd import TAESD

    m = TAESD(latent_channels=16)
    _init(m, seed)
    sd = {k: v.detach().clone().contiguous() for k, v in m.state_dict().items()}
    sd["vae_scale"] = torch.tensor(0.3611)
    sd["vae_shift"] = torch.tensor(0.1159)
    return sd


def write_taef1(path: Path, seed: int = 0) -> Path:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(taef1_state_dict(seed), str(path))
    return path


def flux_ae_state_dict(seed: int = 0, ch: int = 128, num_res_blocks: int = 2) -> dict:
    """FLUX AE layout (keys encoder.* / decoder.* as in ae.safetensors), random weights."""
    from comfy.ldm.modules.diffusionmodules.model import Decoder, Encoder

    cfg = dict(double_z=True, z_channels=16, resolution=256, in_channels=3, out_ch=3, ch=ch, ch_mult=[1, 2, 4, 4],
               num_res_blocks=num_res_blocks, attn_resolutions=[], dropout=0.0)
    enc, dec = Encoder(**cfg), Decoder(**cfg)
    _init(enc, seed)
    _init(dec, seed + 1)
    sd = {"encoder." + k: v for k, v in enc.state_dict().items()}
    sd.update({"decoder." + k: v for k, v in dec.state_dict().items()})
    return sd


def install_tiny_bagel(models_dir: Path, name: str = "bagel_tiny") -> Path:
    """Copy the tiny official-layout checkpoint into <models>/coco/<name>/."""
    dst = models_dir / "coco" / name
    if not dst.exists():
        shutil.copytree(TINY_BAGEL, dst)
    return dst


def load_tiny_bagel(weight_dtype: str = "bf16"):
    from comfyui_coco.models.bagel.loader import load_coco

    return load_coco(str(TINY_BAGEL), weight_dtype)
