"""BAGEL/CoCo understanding mode: image + question -> text (bagel.md §3a), e.g. CoCo's
"verification" of a draft.

The context is built as the reference's ``interleave_inference(..., understanding_output=True)``:

1. (think) the VLM think system prompt as a bare text segment;
2. the image, **ViT only** (no VAE), after the reference's two resizes: first the VAE-side rule
   (long side <= 1024, short side >= 512, stride 16), then the ViT rule (980 / 224 / stride 14),
   both capped by what the checkpoint can take (``max_image_side``; patch size x
   ``vit_max_num_patch_per_side``), PIL bicubic, RGBA composited on white, then (x/255 - 0.5)/0.5;
3. the question as ``<|im_start|>question<|im_end|>``;

and decoding then starts with ``<|im_start|>`` and stops at ``<|im_end|>``, which is what the
pack's decode loop (``codegen/backend.NativeBackend``) does with a LogitsModel whose ``start``
builds this context: :class:`ImageQuestionModel`.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from ..refine import resize as R


def resize_rules(cfg) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """((max, min, stride) of the VAE-side resize, (max, min, stride) of the ViT resize) for a
    config; the reference's (1024, 512, 16) and (980, 224, 14) at production size."""
    stride = int(cfg.latent_downsample)
    vae_max = max(stride, (min(R.VAE_MAX, int(cfg.max_image_side)) // stride) * stride)
    p = int(cfg.vit.patch_size)
    vit_max = min(R.VIT_MAX, p * int(cfg.vit_max_num_patch_per_side))
    return (vae_max, min(R.VAE_MIN, vae_max), stride), (vit_max, min(R.VIT_MIN, vit_max), p)


def to_rgb(image):
    """PIL image -> RGB; transparency composited on white (the reference's ``pil_img2rgb``)."""
    from PIL import Image

    if image.mode == "RGBA" or image.info.get("transparency") is not None:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.split()[3])
        return white
    return image.convert("RGB")


def _resize(img, rule):
    from PIL import Image

    mx, mn, stride = rule
    w, h = R.bagel_resize_size(img.size[0], img.size[1], mx, mn, stride)
    return img if (w, h) == img.size else img.resize((w, h), Image.BICUBIC)


def vit_pixels(cfg, image) -> torch.Tensor:
    """The tensor the ViT sees for a PIL image (or an IMAGE tensor [1,H,W,C] / [H,W,C] in 0..1):
    [3, H, W] float32 in [-1, 1], H and W multiples of the patch size."""
    from PIL import Image

    if torch.is_tensor(image):
        image = R.to_pil(image)
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image or an IMAGE tensor, got {type(image).__name__}")
    vae_rule, vit_rule = resize_rules(cfg)
    img = _resize(_resize(to_rgb(image), vae_rule), vit_rule)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return (torch.from_numpy(arr.copy()).permute(2, 0, 1) - 0.5) / 0.5


def _segments(ids: Sequence[int], start: int, end: int) -> list[list[int]]:
    segs, cur, inside = [], [], False
    for t in ids:
        if t == start and not inside:
            inside, cur = True, []
        elif t == end and inside:
            segs.append(cur)
            inside = False
        elif inside:
            cur.append(int(t))
        else:
            raise ValueError(f"token {t} outside a <|im_start|>…<|im_end|> segment")
    if inside:
        raise ValueError("a prompt segment is not closed with <|im_end|>")
    return segs


def understanding_context(model, pixels: torch.Tensor, question_ids: Sequence[int],
                          system_segments: Sequence[Sequence[int]] = ()):
    """[system segments…] + ViT(image) + question, as the reference's understanding mode."""
    ctx = model.new_context()
    for seg in system_segments:
        ctx = model.prefill_text(ctx, seg)
    ctx = model.prefill_vit(ctx, pixels)
    return model.prefill_text(ctx, question_ids)


class ImageQuestionModel:
    """A LogitsModel (codegen/backend.py) that answers about one image: ``start`` takes the coco-style
    prompt ids ``[S a E] … [S q E]`` (the last segment is the question, earlier ones system text)
    and puts the image between them; ``step`` decodes as the text model does.

    ``text_model`` is the CoCo model's text view (tokenizer, eos/special ids); ``coco`` the model."""

    prompt_style = "coco"

    def __init__(self, text_model, coco, pixels: torch.Tensor):
        self.coco = coco
        self.pixels = pixels
        self.tokenizer = text_model.tokenizer
        self.eos_ids = text_model.eos_ids
        self.special_ids = text_model.special_ids
        st = coco.special_tokens
        self._start, self._end = int(st["bos_token_id"]), int(st["eos_token_id"])

    def start(self, prompt_ids: Sequence[int]):
        segs = _segments(prompt_ids, self._start, self._end)
        if not segs:
            raise ValueError("no question")
        return understanding_context(self.coco, self.pixels, segs[-1], segs[:-1])

    def step(self, state, token_id: int):
        return self.coco.next_token_logits(state, int(token_id))


def greedy_answer_ids(model, ctx, max_length: int, eos_id: Optional[int] = None) -> list[int]:
    """The reference's ``generate_text`` (greedy): ``[<|im_start|>, predictions…]``, at most
    ``max_length`` ids counting the start token, stopping before an ``eos_id``."""
    tok = int(model.special_tokens["bos_token_id"])
    out = [tok]
    while len(out) < max_length:
        logits, ctx = model.next_token_logits(ctx, tok)
        tok = int(torch.argmax(logits).item())
        if eos_id is not None and tok == eos_id:
            break
        out.append(tok)
    return out
