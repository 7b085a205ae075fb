"""BAGEL's reference ``gen_text`` decode loop (batch 1, greedy), on the model core's primitives.

It used to be ``CoCoModel.generate_text``; only tests called it (the pack decodes through
``codegen/backend.NativeBackend``), so it lives here, as the yardstick that loop is checked against."""

from __future__ import annotations

import torch


@torch.inference_mode()
def gen_text(coco, ctx, max_length: int) -> list[int]:
    """Feed bos (``<|im_start|>``), then each new token; stop at eos (not returned, not cached) or
    after ``max_length`` steps counting the start token. Returns the new ids (without the start)."""
    st = coco.special_tokens
    tok, out = st["bos_token_id"], []
    for step in range(max_length):
        logits, ctx = coco.next_token_logits(ctx, tok)
        tok = int(torch.argmax(logits))
        if tok == st["eos_token_id"] or step + 1 >= max_length:
            break  # the reference neither returns nor caches this last prediction
        out.append(tok)
    return out
