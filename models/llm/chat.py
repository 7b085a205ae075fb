"""The special-token strings of Qwen2-family vocabularies (Qwen2/2.5 and BAGEL/CoCo, which share
them): ChatML turn markers, end of text, the image markers. Standard library only.

The model layer uses them to find its ids (``runtime._chat_ids``) and to keep message text from
forging turns; the codegen layer (``codegen/backend.py``) builds its prompts from them."""

from __future__ import annotations

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
ENDOFTEXT = "<|endoftext|>"
SPECIAL_TOKEN_TEXTS = (IM_START, IM_END, ENDOFTEXT, "<|vision_start|>", "<|vision_end|>")


def strip_special_tokens(text: str, extra=()) -> str:
    """Remove special-token strings (ours and ``extra``, e.g. a tokenizer's own) from message text:
    a prompt must not be able to close its turn and open a forged one (tokenizers turn these
    strings into the real special ids)."""
    for t in sorted({*SPECIAL_TOKEN_TEXTS, *extra}, key=len, reverse=True):
        if t:
            text = text.replace(t, "")
    return text
