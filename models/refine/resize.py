"""Resolution snapping the way BAGEL's reference prepares an input image.

``bagel_resize_size`` reproduces the size rule of the reference's ``MaxLongEdgeMinShortEdgeResize``
(bagel.md section 3): scale the long side down to ``max_size`` (never up), then make sure the short
side is at least ``min_size``, round each side to the nearest multiple of ``stride`` (Python's
``round``, i.e. round-half-to-even, as the reference; at least one stride), then shrink again if
the area exceeds ``max_pixels`` and again if the long side exceeds ``max_size``.

``resize_pil`` resizes like the reference does for a PIL input: 8-bit RGB, PIL bicubic (which
antialiases when shrinking).  ComfyUI IMAGE tensors are quantised to 8 bits first, exactly as the
reference receives a PIL image.

Plain Python + torch + PIL; no ComfyUI imports.
"""

from __future__ import annotations

import numpy as np
import torch

# The reference's transforms (inferencer / app.py): VAE side 1024..512 stride 16, ViT 980..224 (its stride
# is the ViT patch size, from the config).
VAE_MAX, VAE_MIN, VAE_STRIDE = 1024, 512, 16
VIT_MAX, VIT_MIN = 980, 224
MAX_PIXELS = 14 * 14 * 9 * 1024


def _make_divisible(value: float, stride: int) -> int:
    return max(stride, int(round(value / stride) * stride))


def _apply_scale(width: int, height: int, scale: float, stride: int) -> tuple[int, int]:
    return _make_divisible(round(width * scale), stride), _make_divisible(round(height * scale), stride)


def bagel_resize_size(width: int, height: int, max_size: int, min_size: int, stride: int,
                      max_pixels: int = MAX_PIXELS, img_num: int = 1) -> tuple[int, int]:
    """(width, height) -> (new_width, new_height) per MaxLongEdgeMinShortEdgeResize."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    scale = min(max_size / max(width, height), 1.0)
    scale = max(scale, min_size / min(width, height))
    nw, nh = _apply_scale(width, height, scale, stride)
    if nw * nh > max_pixels / img_num:
        scale = max_pixels / img_num / (nw * nh)
        nw, nh = _apply_scale(nw, nh, scale, stride)
    if max(nw, nh) > max_size:
        scale = max_size / max(nw, nh)
        nw, nh = _apply_scale(nw, nh, scale, stride)
    return nw, nh


def snap_size(width: int, height: int, max_resolution: int, stride: int = VAE_STRIDE,
              min_resolution: int = VAE_MIN, model_max_side: int | None = None) -> tuple[int, int]:
    """The VAE-side size for a draft: the reference rule with ``max_size = max_resolution`` (capped by
    the largest side the model can generate) and ``min_size = min(min_resolution, max_size)``.

    With the defaults (1024, 512, 16) this is exactly the reference's ``vae_transform``."""
    max_size = int(max_resolution)
    if model_max_side:
        max_size = min(max_size, int(model_max_side))
    max_size = max(stride, (max_size // stride) * stride)
    min_size = min(int(min_resolution), max_size)
    return bagel_resize_size(width, height, max_size, min_size, stride)


def t2i_size(width: int, height: int, max_resolution: int, stride: int = VAE_STRIDE,
             model_max_side: int | None = None) -> tuple[int, int]:
    """Text-to-image output size: requested (width, height) with the long side capped at
    ``max_resolution`` (and the model's largest side), each side rounded to ``stride``. Never upscales."""
    max_size = int(max_resolution)
    if model_max_side:
        max_size = min(max_size, int(model_max_side))
    max_size = max(stride, (max_size // stride) * stride)
    scale = min(max_size / max(width, height), 1.0)
    nw, nh = _apply_scale(width, height, scale, stride)
    if max(nw, nh) > max_size:  # rounding up can overshoot by one stride
        scale = max_size / max(nw, nh)
        nw, nh = _apply_scale(nw, nh, scale, stride)
    return nw, nh


def to_pil(image: torch.Tensor):
    """IMAGE [H,W,C] or [1,H,W,C] float 0..1 -> PIL RGB (8-bit, rounded)."""
    from PIL import Image

    x = image[0] if image.ndim == 4 else image
    arr = (x[..., :3].float().clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy()
    return Image.fromarray(arr, mode="RGB")


def from_pil(img) -> torch.Tensor:
    """PIL -> IMAGE [1,H,W,3] float 0..1."""
    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr.copy())[None]


def resize_pil(image: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """IMAGE [1,H,W,C] -> IMAGE [1,height,width,3]: 8-bit, PIL bicubic, as the reference resizes.

    The 8-bit quantisation happens even when the size is unchanged, so the output is always what
    the reference would have seen."""
    from PIL import Image

    img = to_pil(image)
    if img.size != (width, height):
        img = img.resize((width, height), Image.BICUBIC)
    return from_pil(img)


def to_model_tensor(image: torch.Tensor) -> torch.Tensor:
    """IMAGE [1,H,W,3] 0..1 -> [3,H,W] in [-1,1] (ToTensor + Normalize(0.5, 0.5))."""
    x = image[0] if image.ndim == 4 else image
    return (x[..., :3].float().permute(2, 0, 1) - 0.5) / 0.5
