"""Protect composite: paste the protected pixels of the draft back over a refined image.

Plain torch, no ComfyUI imports.  Tensors use ComfyUI's layouts: IMAGE ``[B,H,W,C]`` float in
0..1, MASK ``[B,H,W]`` (or ``[H,W]``) float in 0..1 where **1 means "keep the draft here"**.

Feathering grows the mask *outwards*: the mask is first dilated by ``r = ceil(feather/2)`` pixels
and then blurred (box or gaussian) with the same radius, and the result is never allowed below the
original mask (``alpha = max(mask, blur(dilate(mask)))``).  So

* every pixel where the mask is 1 gets ``alpha == 1`` exactly and is copied from the draft
  **bit for bit** (``torch.where``, not a blend that could round);
* a ramp about ``feather`` pixels wide runs from 1 at the mask's edge down to 0 outside it, where
  the refined image shows through unchanged;
* text stays crisp: the blend band lies *around* glyphs, never inside them (an inward blur would
  mix refined pixels into the strokes the mask is there to keep).

Size mismatch (``resize``):

* ``"refined_to_draft"`` (default for the generic node): the refined image is resized (bicubic,
  antialiased) to the draft's size; the output has the draft's size and the protected pixels are
  the draft's original pixels.
* ``"draft_to_refined"``: the draft and the mask are resized to the refined size (draft bicubic,
  mask bilinear); the protected pixels equal the *resized* draft.  CoCo_DraftRefine composites at
  the model resolution against the draft as fed to the model, which already has that size, so no
  resize happens there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

RESIZE_MODES = ("refined_to_draft", "draft_to_refined")
FEATHER_KINDS = ("box", "gaussian")


def as_mask(mask: torch.Tensor, batch: int, height: int, width: int) -> torch.Tensor:
    """MASK ``[H,W]``/``[B,H,W]``/``[B,1,H,W]`` -> float ``[batch,H,W]`` in 0..1 at (height, width).

    A mask of another size is resized bilinearly; a batch of one is broadcast."""
    m = mask
    if m.ndim == 2:
        m = m[None]
    elif m.ndim == 4:
        if m.shape[1] != 1:
            raise ValueError(f"a 4-D mask must have one channel, got shape {tuple(mask.shape)}")
        m = m[:, 0]
    elif m.ndim != 3:
        raise ValueError(f"a mask must be [H,W] or [B,H,W], got shape {tuple(mask.shape)}")
    m = m.float().clamp(0.0, 1.0)
    if m.shape[-2:] != (height, width):
        m = F.interpolate(m[:, None], size=(height, width), mode="bilinear", align_corners=False)[:, 0]
        m = m.clamp(0.0, 1.0)
    if m.shape[0] != batch:
        if m.shape[0] == 1:
            m = m.expand(batch, -1, -1)
        else:
            raise ValueError(f"mask batch {m.shape[0]} does not match image batch {batch}")
    return m.contiguous()


def _box_kernel(radius: int) -> torch.Tensor:
    return torch.full((2 * radius + 1,), 1.0 / (2 * radius + 1), dtype=torch.float32)


def _gauss_kernel(radius: int) -> torch.Tensor:
    sigma = max(radius / 2.0, 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _separable_blur(m: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """m [B,H,W]; replicate padding so borders are not darkened."""
    r = (kernel.numel() - 1) // 2
    x = m[:, None]
    x = F.pad(x, (r, r, 0, 0), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).to(x))
    x = F.pad(x, (0, 0, r, r), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, -1, 1).to(x))
    return x[:, 0]


def dilate(m: torch.Tensor, radius: int) -> torch.Tensor:
    """Grey dilation of ``[B,H,W]`` with a (2r+1)^2 square."""
    if radius <= 0:
        return m
    return F.max_pool2d(m[:, None], kernel_size=2 * radius + 1, stride=1, padding=radius)[:, 0]


def feather_mask(mask: torch.Tensor, feather_px: float, kind: str = "box") -> torch.Tensor:
    """Outward feather of a ``[B,H,W]`` mask; see the module docstring. ``alpha >= mask`` always."""
    if kind not in FEATHER_KINDS:
        raise ValueError(f"feather kind must be one of {FEATHER_KINDS}, got {kind!r}")
    m = mask.float().clamp(0.0, 1.0)
    if feather_px <= 0:
        return m
    r = max(1, int(math.ceil(float(feather_px) / 2.0)))
    grown = dilate(m, r)
    kernel = _box_kernel(r) if kind == "box" else _gauss_kernel(r)
    blurred = _separable_blur(grown, kernel).clamp(0.0, 1.0)
    return torch.maximum(m, blurred)


def resize_image(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """IMAGE [B,H,W,C] -> [B,height,width,C], bicubic with antialias, clamped to 0..1."""
    if tuple(image.shape[1:3]) == (height, width):
        return image
    x = image.movedim(-1, 1).float()
    x = F.interpolate(x, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    return x.movedim(1, -1).clamp(0.0, 1.0)


@dataclass
class DriftReport:
    """Mean absolute difference draft vs image, inside and outside the protect mask (0..1 scale)."""

    inside_before: float
    outside_before: float
    inside_after: float
    outside_after: float
    max_inside_after: float         # max |draft - final| where alpha == 1 (0.0 means bit-identical)
    protected_fraction: float       # share of pixels with alpha == 1
    mask_fraction: float            # share of pixels with mask > 0.5
    size_note: str = ""
    extra: dict = field(default_factory=dict)

    def to_text(self) -> str:
        lines = [
            "protect check: mean |draft - image| on 0..1 RGB "
            "(inside = mask > 0.5, outside = the rest)",
            f"  before composite: inside {self.inside_before:.4f}, outside {self.outside_before:.4f}",
            f"  after composite:  inside {self.inside_after:.4f}, outside {self.outside_after:.4f}",
            f"  protected pixels (feathered mask == 1): {100 * self.protected_fraction:.2f}% of the image, "
            f"max |draft - final| there = {self.max_inside_after:.6f}"
            + (" (identical)" if self.max_inside_after == 0.0 else ""),
            f"  mask > 0.5 covers {100 * self.mask_fraction:.2f}% of the image",
        ]
        if self.size_note:
            lines.append(f"  {self.size_note}")
        for k, v in self.extra.items():
            lines.append(f"  {k}: {v}")
        return "\n".join(lines)


def _masked_mad(a: torch.Tensor, b: torch.Tensor, sel: torch.Tensor) -> float:
    """Mean over selected pixels of the channel-mean |a-b|; sel [B,H,W] bool."""
    if not bool(sel.any()):
        return 0.0
    d = (a.float() - b.float()).abs().mean(dim=-1)
    return float(d[sel].mean())


def drift(draft: torch.Tensor, before: torch.Tensor, after: torch.Tensor, mask: torch.Tensor,
          alpha: torch.Tensor, size_note: str = "") -> DriftReport:
    """All inputs at one size: IMAGE [B,H,W,C] x3, mask/alpha [B,H,W]."""
    inside = mask > 0.5
    outside = ~inside
    full = alpha >= 1.0
    if bool(full.any()):
        max_in = float((after.float() - draft.float()).abs().amax(dim=-1)[full].max())
    else:
        max_in = 0.0
    return DriftReport(
        inside_before=_masked_mad(draft, before, inside),
        outside_before=_masked_mad(draft, before, outside),
        inside_after=_masked_mad(draft, after, inside),
        outside_after=_masked_mad(draft, after, outside),
        max_inside_after=max_in,
        protected_fraction=float(full.float().mean()),
        mask_fraction=float(inside.float().mean()),
        size_note=size_note,
    )


def protect_composite(refined: torch.Tensor, draft: torch.Tensor, mask: torch.Tensor | None,
                      feather_px: float = 0.0, feather_kind: str = "box",
                      resize: str = "refined_to_draft") -> tuple[torch.Tensor, torch.Tensor, DriftReport]:
    """Composite ``draft`` over ``refined`` where ``mask`` says so.

    Returns ``(image, alpha, report)``: the composited IMAGE, the feathered mask actually used
    (``[B,H,W]``, at the output size) and the drift report.  ``mask=None`` means no protection:
    the refined image is returned (at the output size) and the report still measures the drift.
    """
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be one of {RESIZE_MODES}, got {resize!r}")
    if refined.ndim != 4 or draft.ndim != 4:
        raise ValueError("refined and draft must be IMAGE tensors [B,H,W,C]")
    refined = refined.detach()[..., :3].float()
    draft = draft.detach()[..., :3].float()
    b = max(refined.shape[0], draft.shape[0])
    if refined.shape[0] != b:
        refined = refined.expand(b, -1, -1, -1) if refined.shape[0] == 1 else refined
    if draft.shape[0] != b:
        if draft.shape[0] != 1:
            raise ValueError(f"draft batch {draft.shape[0]} does not match refined batch {refined.shape[0]}")
        draft = draft.expand(b, -1, -1, -1)
    rh, rw = refined.shape[1:3]
    dh, dw = draft.shape[1:3]
    note = ""
    if (rh, rw) != (dh, dw):
        if resize == "refined_to_draft":
            refined = resize_image(refined, dh, dw)
            note = f"sizes differed: refined {rw}x{rh} was resized to the draft's {dw}x{dh}"
        else:
            draft = resize_image(draft, rh, rw)
            note = f"sizes differed: draft {dw}x{dh} was resized to the refined {rw}x{rh}"
    h, w = draft.shape[1:3]
    if mask is None:
        m = torch.zeros((b, h, w), dtype=torch.float32)
    else:
        m = as_mask(mask, b, h, w)
    alpha = feather_mask(m, feather_px, feather_kind)
    a = alpha[..., None].to(refined.dtype)
    blend = draft * a + refined * (1.0 - a)
    out = torch.where(a >= 1.0, draft, blend)
    out = torch.where(a <= 0.0, refined, out)
    report = drift(draft, refined, out, m, alpha, note)
    return out.contiguous(), alpha, report
