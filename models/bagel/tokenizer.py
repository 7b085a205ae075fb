"""The Qwen2.5 tokenizer of BAGEL/CoCo, through the ``tokenizers`` library only.

No network, no ``trust_remote_code``, no ``transformers``. Sources, in order of preference:

* ``tokenizer.json`` (the fast-tokenizer file shipped in the official folder, or the text embedded
  in a converted single file, see ``loader.py``): ``Tokenizer.from_file`` / ``Tokenizer.from_str``.
* ``vocab.json`` + ``merges.txt`` (+ ``tokenizer_config.json`` for the added/special tokens): the
  same byte-level BPE is rebuilt with the Qwen2 pre-tokenizer (NFC, the Qwen2 split regex,
  byte-level) that ``tokenizer.json`` of Qwen2.5 describes.

Special ids are looked up by token string, never hard-coded (the production ids are
``<|endoftext|>`` 151643, ``<|im_start|>`` 151644, ``<|im_end|>`` 151645, ``<|vision_start|>``
151652, ``<|vision_end|>`` 151653).
"""

from __future__ import annotations

import json
import os

from ..text_tokenizer import TextTokenizer

TOKENIZER_JSON = "tokenizer.json"
VOCAB_JSON = "vocab.json"
MERGES_TXT = "merges.txt"
TOKENIZER_CONFIG = "tokenizer_config.json"

# attribute name -> token string; all are required.
SPECIAL_TOKENS = {
    "endoftext_id": "<|endoftext|>",
    "im_start_id": "<|im_start|>",
    "im_end_id": "<|im_end|>",
    "vision_start_id": "<|vision_start|>",
    "vision_end_id": "<|vision_end|>",
}

# Pre-tokenizer split of Qwen2 (the pattern in Qwen2.5's tokenizer.json / Qwen2Tokenizer).
QWEN2_SPLIT_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


class TokenizerError(ValueError):
    """The tokenizer files are missing, unreadable or lack a required special token."""


class CoCoTokenizer(TextTokenizer):
    """The pack's TextTokenizer (encode / decode / token_to_id) plus the special ids BAGEL needs.

    ``json_text`` is the complete ``tokenizer.json`` text; it is what a converted single file
    embeds, so a folder and the file converted from it tokenize identically.
    """

    def __init__(self, tokenizer, json_text: str, tokenizer_config: dict | None = None, source: str = ""):
        super().__init__(tokenizer)
        self.json_text = json_text
        self.tokenizer_config = dict(tokenizer_config or {})
        self.source = source
        missing = []
        for attr, content in SPECIAL_TOKENS.items():
            tid = tokenizer.token_to_id(content)
            if tid is None:
                missing.append(content)
            setattr(self, attr, tid)
        if missing:
            raise TokenizerError(
                f"the tokenizer{(' ' + source) if source else ''} lacks the special token(s) "
                f"{', '.join(missing)} that BAGEL uses; it is not the Qwen2.5 tokenizer of BAGEL-7B-MoT")

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def from_str(cls, json_text: str, tokenizer_config: dict | None = None, source: str = "") -> "CoCoTokenizer":
        from tokenizers import Tokenizer

        try:
            tok = Tokenizer.from_str(json_text)
        except Exception as e:  # tokenizers raises a plain Exception on bad JSON
            raise TokenizerError(f"cannot parse the tokenizer{(' ' + source) if source else ''}: {e}") from e
        return cls(tok, json_text, tokenizer_config, source)

    @classmethod
    def from_file(cls, path: str, tokenizer_config: dict | None = None) -> "CoCoTokenizer":
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise TokenizerError(f"cannot read {path}: {e}") from e
        return cls.from_str(text, tokenizer_config, source=path)

    @classmethod
    def from_vocab_merges(cls, vocab_path: str, merges_path: str,
                          tokenizer_config: dict | None = None) -> "CoCoTokenizer":
        """Rebuild the Qwen2 byte-level BPE from ``vocab.json`` + ``merges.txt``."""
        from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

        try:
            with open(vocab_path, encoding="utf-8") as f:
                vocab = json.load(f)
            merges = []
            with open(merges_path, encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if not line or line.startswith("#version"):
                        continue
                    a, _, b = line.partition(" ")
                    merges.append((a, b))
        except (OSError, ValueError) as e:
            raise TokenizerError(f"cannot read {vocab_path} / {merges_path}: {e}") from e
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=None, fuse_unk=False, byte_fallback=False))
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        tok.decoder = decoders.ByteLevel()
        added = (tokenizer_config or {}).get("added_tokens_decoder") or {}
        for tid in sorted(added, key=int):
            spec = added[tid]
            at = AddedToken(spec["content"], single_word=spec.get("single_word", False),
                            lstrip=spec.get("lstrip", False), rstrip=spec.get("rstrip", False),
                            normalized=spec.get("normalized", False), special=spec.get("special", True))
            if spec.get("special", True):
                tok.add_special_tokens([at])
            else:
                tok.add_tokens([at])
            got = tok.token_to_id(spec["content"])
            if got != int(tid):
                raise TokenizerError(
                    f"added token {spec['content']!r} got id {got}, tokenizer_config.json says {tid}; "
                    f"{vocab_path} and the config do not belong together")
        return cls(tok, tok.to_str(), tokenizer_config, source=os.path.dirname(vocab_path))

    @classmethod
    def from_folder(cls, folder: str) -> "CoCoTokenizer":
        cfg = read_tokenizer_config(folder)
        tj = os.path.join(folder, TOKENIZER_JSON)
        if os.path.isfile(tj):
            return cls.from_file(tj, cfg)
        vj, mt = os.path.join(folder, VOCAB_JSON), os.path.join(folder, MERGES_TXT)
        if os.path.isfile(vj) and os.path.isfile(mt):
            return cls.from_vocab_merges(vj, mt, cfg)
        raise TokenizerError(f"no tokenizer in {folder}: need {TOKENIZER_JSON} (or {VOCAB_JSON} + {MERGES_TXT})")

    # ---- use ---------------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of ids including added tokens (smaller than the LLM's embedding rows)."""
        return self._tok.get_vocab_size(with_added_tokens=True)

    @property
    def special_ids(self) -> dict[str, int]:
        return {content: getattr(self, attr) for attr, content in SPECIAL_TOKENS.items()}

    def __repr__(self) -> str:
        return f"CoCoTokenizer(vocab={self.vocab_size}, special={self.special_ids})"


def read_tokenizer_config(folder: str) -> dict:
    path = os.path.join(folder, TOKENIZER_CONFIG)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise TokenizerError(f"cannot parse {path}: {e}") from e
    return data if isinstance(data, dict) else {}


def has_tokenizer_files(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, TOKENIZER_JSON)) or (
        os.path.isfile(os.path.join(folder, VOCAB_JSON)) and os.path.isfile(os.path.join(folder, MERGES_TXT)))
