"""BAGEL's rectified-flow sampler on top of the model core (``CoCoModel``).

What the reference (``Bagel.generate_image`` / ``_forward_flow``, bagel.md section 3b/3c) does,
and this module reproduces:

* schedule: ``t = linspace(1, 0, steps)`` (fp32), shifted ``sigma = s*t / (1 + (s-1)*t)``;
  ``steps - 1`` model calls, at ``sigma_0 .. sigma_{steps-2}``;
* CFG gate on the **shifted** sigma: active iff ``interval[0] < sigma_i <= interval[1]``; when
  inactive both scales are 1 (no extra branch is run);
* Euler ``x <- x - v*(sigma_i - sigma_{i+1})`` with the state in fp32 on the CPU (the reference
  app keeps it there) and ``v*dt`` rounded in v's dtype (bf16) before the subtraction;
* dual CFG + renorm (``pipeline.cfg_combine``): a text-dropped branch and an image-dropped branch.
  The text branch only runs when ``cfg_text_scale > 1``; the image guidance is applied only inside
  the text guidance (with ``cfg_text_scale <= 1`` the reference ignores ``cfg_img_scale``).

Contexts (which tokens each KV cache holds):

* text-to-image (3b): cond = [text], text-uncond = [] (empty), img-uncond = [text] (the same as
  cond; the reference spends a third pass on it when ``cfg_img_scale > 1``);
* edit / draft refinement (3c): cond = [VAE image (t=0), ViT image, text],
  text-uncond = [VAE image, ViT image], img-uncond = [text].

The guided velocity itself is computed by ``CoCoModel.velocity`` (the model core owns the
branches and the KV caches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch

from ..interrupt import check_interrupt
from .config import RENORM_TYPES
from .latents import cfg_active, euler_step, flow_sigmas, initial_noise


# ---- math (plain torch, no model) -----------------------------------------------------------

def sigma_schedule(steps: int, shift: float) -> torch.Tensor:
    """fp32 [steps] from 1 to 0; the reference's shifted schedule."""
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (steps - 1 model calls), got {steps}")
    return flow_sigmas(int(steps), float(shift))


def gated_scales(sigma, interval: Sequence[float], cfg_text_scale: float, cfg_img_scale: float) -> tuple[float, float]:
    """(text, img) scales in force at ``sigma``: the given ones inside the interval, else (1, 1)."""
    if cfg_active(sigma, interval):
        return float(cfg_text_scale), float(cfg_img_scale)
    return 1.0, 1.0


def make_noise(seed: int, num_tokens: int, dim: int = 64) -> torch.Tensor:
    """Packed fp32 noise [num_tokens, dim] from a seeded CPU generator (reference: set_seed + randn)."""
    return initial_noise(num_tokens, dim, seed)


# ---- contexts ---------------------------------------------------------------------------------

@dataclass
class Contexts:
    cond: object
    text_uncond: object
    img_uncond: object


def t2i_kv_tokens(num_text: int) -> int:
    """KV tokens the :func:`t2i_contexts` hold in all: the text segment (+ its two markers) twice."""
    return 2 * (num_text + 2)


def edit_kv_tokens(num_latent: int, num_vit: int, num_text: int, num_verification: int = 0) -> int:
    """KV tokens the :func:`edit_contexts` hold in all: the VAE and ViT blocks (each + 2 markers) in
    cond and text-uncond, the text (and verification) segments (each + 2) in cond and img-uncond."""
    images = num_latent + 2 + num_vit + 2
    text = num_text + 2 + (num_verification + 2 if num_verification else 0)
    return 2 * images + 2 * text


def t2i_contexts(model, text_ids) -> Contexts:
    """3b: cond = [text]; text-uncond = empty; img-uncond = [text] (same tokens as cond)."""
    cond = model.prefill_text(model.new_context(), text_ids)
    empty = model.new_context()
    img_uncond = model.prefill_text(model.new_context(), text_ids)
    return Contexts(cond, empty, img_uncond)


def edit_contexts(model, text_ids, packed_latent: torch.Tensor, hw, vit_image: torch.Tensor,
                  verification_ids=None) -> Contexts:
    """3c: cond = [VAE image (t=0), ViT image, text]; text-uncond = [VAE image, ViT image];
    img-uncond = [text].  The images are prefilled once; the text-uncond branch is a copy of the
    cache taken before the text (as the reference deep-copies its context).

    ``verification_ids`` (CoCo's draft verification, e.g. CoCo_Inspect's critique): one more text
    segment after the draft's ViT tokens and the prompt, right before generation (CoCo's training
    sequence: prompt, draft ViT, verification, noisy VAE tokens), in the text branches (cond and
    img-uncond); the text-uncond branch drops it with the rest of the text."""
    images = model.prefill_vit(model.prefill_vae(model.new_context(), packed_latent, hw), vit_image)
    text_uncond = images.clone()
    cond = model.prefill_text(images, text_ids)
    img_uncond = model.prefill_text(model.new_context(), text_ids)
    if verification_ids:
        cond = model.prefill_text(cond, verification_ids)
        img_uncond = model.prefill_text(img_uncond, verification_ids)
    return Contexts(cond, text_uncond, img_uncond)


# ---- the sampler ------------------------------------------------------------------------------

@torch.no_grad()
def generate(model, ctx_cond, ctx_text_uncond, ctx_img_uncond, hw, steps: int = 50, timestep_shift: float = 3.0,
             cfg_text_scale: float = 4.0, cfg_img_scale: float = 2.0, cfg_interval=(0.0, 1.0),
             cfg_renorm_type: str = "text_channel", cfg_renorm_min: float = 0.0,
             noise: Optional[torch.Tensor] = None,
             callback: Optional[Callable] = None,
             interrupt: Optional[Callable[[], None]] = check_interrupt) -> torch.Tensor:
    """Run the Euler flow sampler; returns the final packed BAGEL latent ``[h*w, 64]`` (fp32, CPU).

    ``noise``: packed fp32 ``[h*w, 64]`` (``make_noise(seed, h*w)``).  ``callback(step, total, x,
    denoised=x0)`` after every model call (``step`` 1..steps-1; ``x0 = x_t - sigma*v`` is the
    current estimate of the clean latent, for previews).  ``interrupt()`` runs before every call and
    raises to stop (ComfyUI's Cancel, ``check_interrupt``, by default)."""
    if cfg_renorm_type not in RENORM_TYPES:
        raise ValueError(f"cfg_renorm_type must be one of {RENORM_TYPES}, got {cfg_renorm_type!r}")
    h, w = int(hw[0]), int(hw[1])
    if noise is None:
        raise ValueError("noise is required (make_noise(seed, h*w))")
    if tuple(noise.shape[:1]) != (h * w,):
        raise ValueError(f"noise has {noise.shape[0]} tokens, the latent grid {h}x{w} needs {h * w}")
    sigmas = sigma_schedule(steps, timestep_shift)
    dts = sigmas[:-1] - sigmas[1:]
    x = noise.detach().to("cpu", torch.float32).clone()
    total = int(steps) - 1
    for i in range(total):
        if interrupt is not None:
            interrupt()
        sigma = sigmas[i]
        ts, is_ = gated_scales(sigma, cfg_interval, cfg_text_scale, cfg_img_scale)
        if not ts > 1.0:
            is_ = 1.0  # the reference ignores image guidance without text guidance
        v = model.velocity(
            x, sigma, (h, w), ctx_cond,
            ctx_text_uncond=ctx_text_uncond if ts > 1.0 else None,
            ctx_img_uncond=ctx_img_uncond if is_ > 1.0 else None,
            cfg_text_scale=ts, cfg_img_scale=is_,
            cfg_renorm_type=cfg_renorm_type, cfg_renorm_min=cfg_renorm_min,
        )
        v = v.to("cpu")
        x_new = euler_step(x, v, dts[i])
        if callback is not None:
            denoised = x - v.float() * sigma
            callback(i + 1, total, x_new, denoised=denoised)
        x = x_new
    return x
