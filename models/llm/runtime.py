"""The ``COCO_LLM`` object for local models, and the two LogitsModels behind it.

* :class:`NativeQwen2`: the native Qwen2 decoder in one ModelPatcher (``CoreModelPatcher`` where the
  core has it). Before every prefill chunk and decode step, ``load_models_gpu`` with
  ``memory_required`` = activations + the KV-cache growth + the logits row (skipped inside the
  decode loop while the model stays fully loaded: ``models/management.Loads``, as for the CoCo
  model). Contexts are ``models/layers.Context`` (KV cache on the load device, compute dtype).
* :class:`HFCausalLM`: a transformers ``*ForCausalLM`` in a ModelPatcher, fully loaded by
  ``load_models_gpu(force_full_load=True)`` (its ``nn.Linear`` layers cannot be cast per layer),
  decoding with its own KV cache (the ``cache`` argument of transformers >= 5.2x; ``past_key_values``,
  which transformers 5.40 removes, on older versions).
* :class:`LocalLLM`: what the loader node outputs: the model (``as_logits_model()``), its name
  and settings, ``unload()``. It does not decode: the codegen layer drives it
  (``codegen/backend.NativeBackend``: prompt, seeded sampling, per-token interrupt, streaming, and
  the unload afterwards when ``keep_model_loaded`` is off).

Both LogitsModels implement ``start(ids) -> state`` and ``step(state, token) -> (logits, state)``;
:class:`HFCausalLM` also renders prompts with the tokenizer's own chat template
(``template_ids``).
"""

from __future__ import annotations

import inspect
import logging
from typing import Optional, Sequence

import torch

import comfy.model_management as mm

from ..layers import Context
from ..management import Loads, make_patcher, pick_compute_dtype, unload_patcher
from ..interrupt import check_interrupt
from .chat import ENDOFTEXT, IM_END, IM_START, strip_special_tokens
from .config import id_list

log = logging.getLogger("ComfyUI-CoCo")
PREFILL_CHUNK = 2048
KV_BUCKET = 256


class NativeQwen2:
    """The native Qwen2 decoder as a LogitsModel (``chat`` prompts)."""

    prompt_style = "chat"

    def __init__(self, module, cfg, tokenizer, load_device=None, offload_device=None):
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.load_device = torch.device(load_device) if load_device is not None else mm.get_torch_device()
        self.offload_device = (torch.device(offload_device) if offload_device is not None
                               else mm.unet_offload_device())
        self.compute_dtype = pick_compute_dtype(self.load_device)
        self.patcher = make_patcher(module, self.load_device, self.offload_device)
        del module
        self._loads = Loads()
        self.special_ids, self.eos_ids = _chat_ids(tokenizer, cfg.eos_token_ids)

    @property
    def module(self):
        return self.patcher.model

    @property
    def manage_memory(self) -> bool:
        return self._loads.manage_memory

    @manage_memory.setter
    def manage_memory(self, v: bool):
        self._loads.manage_memory = bool(v)

    # -- memory
    def _kv_token_bytes(self) -> int:
        c = self.cfg
        return 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * self.compute_dtype.itemsize

    def memory_required(self, n: int, ctx: Context, logits_rows: int = 0) -> int:
        c, e = self.cfg, self.compute_dtype.itemsize
        # rounded up, so the estimate (and the manager round-trip it triggers) changes only every
        # KV_BUCKET tokens of a decode loop
        kv_total = -(-(ctx.kv_len + n) // KV_BUCKET) * KV_BUCKET
        act = n * (6 * c.hidden_size + 3 * c.intermediate_size
                   + 2 * (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim) * e
        rep = 2 * kv_total * c.num_attention_heads * c.head_dim * e  # GQA-expanded K/V
        scores = c.num_attention_heads * n * kv_total * 4 if n > 1 else 0
        kv = 0
        if ctx.cache.capacity < ctx.kv_len + n:
            kv = (kv_total + 256) * self._kv_token_bytes()
        return int(act + rep + scores + kv + logits_rows * c.vocab_size * 4 + (32 << 20))

    # -- decoding
    def new_context(self) -> Context:
        return Context(self.cfg.num_hidden_layers)

    def _ids(self, ids) -> torch.Tensor:
        return torch.as_tensor(list(ids), dtype=torch.long, device=self.load_device).reshape(-1)

    def _block(self, ctx: Context, ids: torch.Tensor, need_output: bool):
        n = ids.shape[0]
        m = self.module
        ctx.cache.reserve(ctx.kv_len + n, self.cfg.num_key_value_heads, self.cfg.head_dim, self.load_device,
                          self.compute_dtype)
        x = m.embed(ids, self.load_device, self.compute_dtype)
        pos = torch.arange(ctx.rope, ctx.rope + n, device=self.load_device)
        h = m.run(x, pos, ctx.cache, True, need_output)
        ctx.cache.commit(n)
        ctx.rope += n
        return h

    @torch.inference_mode()
    def prefill(self, ctx: Context, prompt_ids: Sequence[int], chunk: int = PREFILL_CHUNK) -> Context:
        ids = self._ids(prompt_ids)
        for s in range(0, ids.shape[0], chunk):
            part = ids[s: s + chunk]
            self._loads.ensure(self.patcher, self.memory_required(part.shape[0], ctx))
            self._block(ctx, part, need_output=False)
        return ctx

    def start(self, prompt_ids: Sequence[int]) -> Context:
        return self.prefill(self.new_context(), prompt_ids)

    @torch.inference_mode()
    def step(self, ctx: Context, token_id: int):
        self._loads.ensure(self.patcher, self.memory_required(1, ctx, logits_rows=1))
        h = self._block(ctx, self._ids([int(token_id)]), need_output=True)
        return self.module.logits(h[-1:])[0].float(), ctx

    @torch.inference_mode()
    def prefill_logits(self, prompt_ids: Sequence[int]) -> torch.Tensor:
        """Logits [N, vocab] (fp32) for every prompt position, one causal pass (tests/diagnostics)."""
        ctx = self.new_context()
        ids = self._ids(prompt_ids)
        self._loads.ensure(self.patcher, self.memory_required(ids.shape[0], ctx, logits_rows=ids.shape[0]))
        h = self._block(ctx, ids, need_output=True)
        return self.module.logits(h).float()

    def unload(self) -> bool:
        self._loads.forget()
        return unload_patcher(self.patcher)


class HFCausalLM:
    """A transformers causal LM as a LogitsModel; the model lives in a ModelPatcher."""

    def __init__(self, model, hf_tokenizer, generation_config: Optional[dict] = None, load_device=None,
                 offload_device=None):
        self.load_device = torch.device(load_device) if load_device is not None else mm.get_torch_device()
        self.offload_device = (torch.device(offload_device) if offload_device is not None
                               else mm.unet_offload_device())
        cfg = model.config
        # ModelPatcher writes bookkeeping attributes (``device``, ...) onto its module; HF models have
        # a read-only ``device`` property, so the patcher holds a plain container around it.
        self.patcher = make_patcher(_HFHolder(model), self.load_device, self.offload_device, core=False)
        del model
        self._loads = Loads()
        self.hf_tokenizer = hf_tokenizer
        self.tokenizer = _HFTok(hf_tokenizer)
        self.vocab_size = int(getattr(cfg, "vocab_size", 0) or 0)
        self._kv_token_bytes = 2 * 2 * int(getattr(cfg, "num_hidden_layers", 1)) * int(
            getattr(cfg, "hidden_size", 1))
        eos = list(id_list(getattr(cfg, "eos_token_id", None))) + list(
            id_list((generation_config or {}).get("eos_token_id")))
        if getattr(hf_tokenizer, "eos_token_id", None) is not None:
            eos.append(int(hf_tokenizer.eos_token_id))
        self.special_ids, self.eos_ids = _chat_ids(self.tokenizer, eos)
        self.has_template = bool(getattr(hf_tokenizer, "chat_template", None))
        # transformers renamed ``past_key_values`` to ``cache`` (input and output) and drops the old
        # name in 5.40; older versions only know ``past_key_values``.
        params = inspect.signature(self.module.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        self.prompt_style = "chat"

    @property
    def module(self):
        return self.patcher.model.hf

    def memory_required(self, n: int, past_len: int) -> int:
        total = -(-(past_len + n) // KV_BUCKET) * KV_BUCKET
        return int((total + KV_BUCKET) * self._kv_token_bytes + n * self.vocab_size * 4 + (256 << 20))

    def template_ids(self, messages: list[dict]) -> Optional[list[int]]:
        """Prompt ids of ``messages`` (``[{"role", "content"}]``) through the tokenizer's chat template,
        special-token strings (ChatML's and the model's own) removed from the text first; None
        when the tokenizer has no template (the caller falls back to ChatML)."""
        if not self.has_template:
            return None
        extra = getattr(self.hf_tokenizer, "all_special_tokens", None) or ()
        msgs = [{"role": m["role"], "content": strip_special_tokens(m["content"], extra)} for m in messages]
        out = self.hf_tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
        if hasattr(out, "keys") and "input_ids" in out:
            out = out["input_ids"]
        if out and isinstance(out[0], (list, tuple)):
            out = out[0]
        return [int(i) for i in out]

    @torch.inference_mode()
    def _forward(self, ids: list[int], past):
        past_len = 0 if past is None else int(past.get_seq_length() if hasattr(past, "get_seq_length") else
                                              past[0][0].shape[-2])
        self._loads.ensure(self.patcher, self.memory_required(len(ids), past_len), force_full_load=True)
        x = torch.tensor([ids], dtype=torch.long, device=self.load_device)
        out = self.module(input_ids=x, use_cache=True, **{self._cache_arg: past})
        return out.logits[0, -1], getattr(out, self._cache_arg)

    def start(self, prompt_ids: Sequence[int]):
        ids = [int(i) for i in prompt_ids]
        if not ids:
            return None
        _, past = self._forward(ids, None)
        return past

    def step(self, past, token_id: int):
        check_interrupt()
        logits, past = self._forward([int(token_id)], past)
        return logits.float(), past

    def unload(self) -> bool:
        self._loads.forget()
        return unload_patcher(self.patcher)


class _HFHolder(torch.nn.Module):
    def __init__(self, hf):
        super().__init__()
        self.hf = hf

    def get_dtype(self):
        return next(self.hf.parameters()).dtype


class _HFTok:
    def __init__(self, tok):
        self._tok = tok

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def decode(self, ids) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True)

    def token_to_id(self, token: str) -> Optional[int]:
        tid = self._tok.convert_tokens_to_ids(token)
        unk = getattr(self._tok, "unk_token_id", None)
        return None if tid is None or (unk is not None and tid == unk and token != self._tok.unk_token) else int(tid)


def _chat_ids(tokenizer, eos_ids) -> tuple[dict, list[int]]:
    special = {}
    for t in (IM_START, IM_END):
        tid = tokenizer.token_to_id(t)
        if isinstance(tid, int) and tid >= 0:
            special[t] = tid
    eos = {int(i) for i in eos_ids}
    for t in (IM_END, ENDOFTEXT):
        if t in special:
            eos.add(special[t])
        else:
            tid = tokenizer.token_to_id(t)
            if isinstance(tid, int) and tid >= 0:
                eos.add(tid)
    return special, sorted(eos)


class LocalLLM:
    """The ``COCO_LLM`` of CoCo_LLMLoader: a local model that writes code for CoCo_CodeGen."""

    prompt_style = "chat"

    def __init__(self, lm, name: str, backend: str, weight_dtype: str, keep_model_loaded: bool = True):
        self.lm = lm
        self.name = name
        self.backend = backend
        self.weight_dtype = weight_dtype
        self.keep_model_loaded = bool(keep_model_loaded)

    def __repr__(self):
        return f"LocalLLM({self.name!r}, backend={self.backend}, weights={self.weight_dtype})"

    def describe(self) -> str:
        return f"{self.name} (local, {self.backend} backend, {self.weight_dtype} weights, ChatML prompts)"

    @property
    def patcher(self):
        return self.lm.patcher

    @property
    def tokenizer(self):
        return self.lm.tokenizer

    def as_logits_model(self):
        return self.lm

    def unload(self) -> bool:
        return self.lm.unload()
