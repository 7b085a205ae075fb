"""The one tokenizer interface of the pack's models, over the ``tokenizers`` library (no network, no
``transformers``): ``encode(text) -> ids`` without adding special tokens, ``decode(ids)`` skipping
special tokens unless told otherwise, ``token_to_id(token)``.

``bagel/tokenizer.CoCoTokenizer`` is this plus BAGEL's construction rules and special ids; the
native Qwen2 decoder uses it on ``tokenizer.json`` as it is. (A transformers tokenizer, for the
transformers backend, is adapted to the same three methods in ``llm/runtime.py``.)
"""

from __future__ import annotations


class TextTokenizer:
    def __init__(self, tokenizer):
        self._tok = tokenizer  # a tokenizers.Tokenizer

    @classmethod
    def from_file(cls, path: str) -> "TextTokenizer":
        """``tokenizer.json`` -> TextTokenizer; ValueError when the file cannot be parsed."""
        from tokenizers import Tokenizer

        try:
            return cls(Tokenizer.from_file(path))
        except Exception as e:  # tokenizers raises a plain Exception
            raise ValueError(str(e)) from e

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return self._tok.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)

    def token_to_id(self, token: str) -> int | None:
        return self._tok.token_to_id(token)
