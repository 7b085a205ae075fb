"""Cheap latent previews: a linear latent -> RGB projection (no VAE decode).

ComfyUI's Flux latent format defines 16x3 ``latent_rgb_factors`` (+ bias) that act on the *scaled*
latent ``0.3611 * (raw - 0.1159)``, which is exactly BAGEL's latent space, so the factors apply to
BAGEL latents unchanged.  The caller passes the factors (``comfy.latent_formats.Flux()``) so this
module stays free of ComfyUI imports.
"""

from __future__ import annotations

import torch


def latent_rgb(z: torch.Tensor, factors, bias=None) -> torch.Tensor:
    """z [C,h,w] (scaled latent) -> RGB [h,w,3] in 0..1."""
    f = torch.as_tensor(factors, dtype=torch.float32)          # [C, 3]
    rgb = torch.einsum("chw,cr->hwr", z.float().cpu(), f)
    if bias is not None:
        rgb = rgb + torch.as_tensor(bias, dtype=torch.float32)
    return ((rgb + 1.0) / 2.0).clamp(0.0, 1.0)


def preview_pil(z: torch.Tensor, factors, bias=None):
    """z [C,h,w] or [1,C,h,w] -> PIL RGB image (latent resolution; the UI scales it)."""
    from PIL import Image

    if z.ndim == 4:
        z = z[0]
    rgb = latent_rgb(z, factors, bias)
    arr = (rgb * 255.0).round().to(torch.uint8).numpy()
    return Image.fromarray(arr, mode="RGB")
