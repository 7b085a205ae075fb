"""Latent-side helpers for BAGEL: packing, ComfyUI (raw FLUX AE latent) <-> BAGEL (scaled)
conversion, position ids, the flow-matching time schedule and seeded initial noise.

Conventions follow the reference exactly (see notes/bagel.md §2.4, §3):
* packing: 2x2 patches of the 16-channel latent, feature order (p_h, p_w, c) -> [h*w, 64];
* ComfyUI's Flux VAEEncode/VAEDecode work on raw AE latents; BAGEL uses
  ``z = 0.3611 * (raw - 0.1159)`` and ``raw = z / 0.3611 + 0.1159``;
* schedule: ``t = linspace(1, 0, N)``, ``sigma = s*t / (1 + (s-1)*t)`` in fp32, N-1 model calls;
* Euler: ``x <- x - (v * dt)`` with v in the compute dtype, so ``v*dt`` is rounded there (bf16)
  before it is subtracted from the fp32 state;
* initial noise: ``randn(h*w, 64)`` in packed layout from a CPU generator seeded with ``seed``
  (identical to the reference's ``set_seed(seed)`` + ``torch.randn`` in text-to-image).
"""

from __future__ import annotations

import torch

SCALE_FACTOR = 0.3611
SHIFT_FACTOR = 0.1159


def comfy_to_bagel(z_raw: torch.Tensor, scale: float = SCALE_FACTOR, shift: float = SHIFT_FACTOR) -> torch.Tensor:
    """Raw FLUX AE latent (ComfyUI LATENT["samples"]) -> BAGEL's scaled latent."""
    return scale * (z_raw - shift)


def bagel_to_comfy(z: torch.Tensor, scale: float = SCALE_FACTOR, shift: float = SHIFT_FACTOR) -> torch.Tensor:
    """BAGEL's scaled latent -> raw FLUX AE latent for ComfyUI's VAEDecode."""
    return z / scale + shift


def pack_latent(z: torch.Tensor, patch: int = 2) -> tuple[torch.Tensor, tuple[int, int]]:
    """[C, H8, W8] or [1, C, H8, W8] -> ([h*w, patch*patch*C], (h, w)); extra rows/cols that do not
    fill a patch are cropped, as the reference does."""
    if z.ndim == 4:
        if z.shape[0] != 1:
            raise ValueError(f"pack_latent takes one latent, got batch {z.shape[0]}")
        z = z[0]
    c, H, W = z.shape
    h, w = H // patch, W // patch
    z = z[:, : h * patch, : w * patch].reshape(c, h, patch, w, patch)
    return torch.einsum("chpwq->hwpqc", z).reshape(h * w, patch * patch * c), (h, w)


def unpack_latent(x: torch.Tensor, hw: tuple[int, int], patch: int = 2, channels: int = 16) -> torch.Tensor:
    """[h*w, patch*patch*C] -> [1, C, h*patch, w*patch] (ComfyUI layout, batch of one)."""
    h, w = hw
    x = x.reshape(1, h, w, patch, patch, channels)
    return torch.einsum("nhwpqc->nchpwq", x).reshape(1, channels, h * patch, w * patch)


def patchify(image: torch.Tensor, patch: int) -> torch.Tensor:
    """Image [C, H, W] -> [(H/p)*(W/p), p*p*C], feature order (p_h, p_w, c)."""
    c, H, W = image.shape
    if H % patch or W % patch:
        raise ValueError(f"image {H}x{W} is not a multiple of the patch size {patch}")
    x = image.reshape(c, H // patch, patch, W // patch, patch)
    return torch.einsum("chpwq->hwpqc", x).reshape(-1, patch * patch * c)


def flattened_position_ids(h: int, w: int, max_side: int) -> torch.Tensor:
    """'extrapolate' position ids of an h x w grid in a max_side x max_side table: row*max_side+col."""
    if h > max_side or w > max_side:
        raise ValueError(f"grid {h}x{w} exceeds the {max_side}x{max_side} position table")
    return (torch.arange(h)[:, None] * max_side + torch.arange(w)).flatten()


def flow_sigmas(num_timesteps: int, shift: float) -> torch.Tensor:
    """The reference schedule (fp32): N values from 1 to 0, shifted; the sampler makes N-1 calls."""
    t = torch.linspace(1, 0, num_timesteps)
    return shift * t / (1 + (shift - 1) * t)


def cfg_active(sigma, interval) -> bool:
    """CFG gate of the reference: on iff interval[0] < sigma <= interval[1] (shifted sigma)."""
    return bool(sigma > interval[0] and sigma <= interval[1])


def euler_step(x: torch.Tensor, v: torch.Tensor, dt: torch.Tensor) -> torch.Tensor:
    """``x - v*dt`` with the reference's rounding: v keeps its (compute) dtype, dt is a 0-dim fp32
    tensor, so the product is rounded to v's dtype before the fp32 subtraction."""
    if not torch.is_tensor(dt):
        dt = torch.tensor(dt, dtype=torch.float32)
    return x - v.to(x.device) * dt.to(x.device)


def initial_noise(num_tokens: int, dim: int = 64, seed: int = 0) -> torch.Tensor:
    """Packed initial noise drawn on a CPU generator (fp32), like the reference."""
    g = torch.Generator(device="cpu").manual_seed(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    return torch.randn(num_tokens, dim, generator=g)
