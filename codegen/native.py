"""LogitsModel views of local models, and the :class:`.backend.NativeBackend` that drives them
(:func:`local_backend`).

:class:`CoCoTextModel` wraps the COCO_MODEL object (``models/bagel/pipeline.py: CoCoModel``) by
duck typing; it needs only:

* ``new_context() -> ctx``: an empty KV context;
* ``prefill_text(ctx, ids) -> ctx``: append ``<|im_start|> ids <|im_end|>`` (und expert, causal);
* ``next_token_logits(ctx, token_id) -> (logits[vocab], ctx)``: append one token, return the logits
  of the next;
* ``tokenizer``: the pack's ``TextTokenizer`` (``encode(text)``, ``decode(ids)`` skipping special tokens,
  ``token_to_id``);
* ``special_tokens`` with ``bos_token_id`` (``<|im_start|>``) and ``eos_token_id`` (``<|im_end|>``).

Decoding then follows BAGEL's ``gen_text``: segments prefilled one by one, ``<|im_start|>`` fed first,
stop at ``<|im_end|>``. (The reference counts the start token in ``max_length``; here
``max_new_tokens`` counts generated tokens only.)
"""

from __future__ import annotations

from typing import Sequence

from ..models.llm.chat import ENDOFTEXT, IM_END, IM_START
from .backend import BackendError, NativeBackend


def split_segments(ids: Sequence[int], start: int, end: int) -> list[list[int]]:
    """``[S, a.., E, S, b.., E]`` -> ``[[a..], [b..]]``; anything outside a segment is an error."""
    segs, i, n = [], 0, len(ids)
    while i < n:
        if ids[i] != start:
            raise BackendError(f"CoCo prompts are bare <|im_start|>…<|im_end|> segments; token {ids[i]} at {i} is "
                               "outside one")
        try:
            j = list(ids).index(end, i + 1)
        except ValueError:
            raise BackendError("a CoCo prompt segment is not closed with <|im_end|>") from None
        segs.append(list(ids[i + 1:j]))
        i = j + 1
    return segs


class CoCoTextModel:
    """The CoCo/BAGEL model as a :class:`.backend.LogitsModel` (``coco`` prompt style)."""

    prompt_style = "coco"

    def __init__(self, coco):
        missing = [a for a in ("new_context", "prefill_text", "next_token_logits", "tokenizer", "special_tokens")
                   if not hasattr(coco, a)]
        if missing:
            raise BackendError(f"this COCO_MODEL cannot decode text (missing {', '.join(missing)})")
        if coco.tokenizer is None:
            raise BackendError("this COCO_MODEL has no tokenizer, so it cannot write code; load a checkpoint that "
                               "bundles tokenizer.json (or vocab.json + merges.txt)")
        st = coco.special_tokens
        self.coco = coco
        self.tokenizer = coco.tokenizer  # models/text_tokenizer.py: decode skips special tokens
        self.special_ids = {IM_START: int(st["bos_token_id"]), IM_END: int(st["eos_token_id"])}
        eos = {int(st["eos_token_id"])}
        to_id = getattr(coco.tokenizer, "token_to_id", None) or getattr(coco.tokenizer, "convert_tokens_to_ids", None)
        if callable(to_id):
            t = to_id(ENDOFTEXT)
            if isinstance(t, int) and t >= 0:
                eos.add(t)
        self.eos_ids = sorted(eos)

    def start(self, prompt_ids: Sequence[int]):
        ctx = self.coco.new_context()
        for seg in split_segments(prompt_ids, self.special_ids[IM_START], self.special_ids[IM_END]):
            ctx = self.coco.prefill_text(ctx, seg)
        return ctx

    def step(self, state, token_id: int):
        return self.coco.next_token_logits(state, int(token_id))


def as_logits_model(obj):
    """The LogitsModel for ``obj``: its own ``as_logits_model()``, the object itself when it has
    start/step, a CoCoTextModel when it looks like a CoCoModel; else None."""
    conv = getattr(obj, "as_logits_model", None)
    if callable(conv):
        return conv()
    if all(hasattr(obj, a) for a in ("start", "step", "tokenizer")):
        return obj
    if all(hasattr(obj, a) for a in ("new_context", "prefill_text", "next_token_logits")):
        return CoCoTextModel(obj)
    return None


def local_backend(obj, name: str, prompt_style: str | None = None):
    """A :class:`.backend.NativeBackend` decoding with ``obj``'s LogitsModel view (``obj`` is its
    owner: its ``describe()`` and ``keep_model_loaded`` apply), or None when ``obj`` has none."""
    target = as_logits_model(obj)
    if target is None:
        return None
    return NativeBackend(target, name=name, prompt_style=prompt_style or getattr(target, "prompt_style", "chat"),
                         owner=obj)
