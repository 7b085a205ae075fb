"""Plain Qwen2 / Qwen2.5 decoder on ``comfy.ops``, composed from the BAGEL decoder's building blocks.

BAGEL's understanding expert *is* a Qwen2 decoder plus QK-norm; this module is that expert without
QK-norm and without the generation half, reusing the shared leaf layers of ``models/layers.py`` as they are
(RMSNorm with the HF rounding, row-gathering Embedding, MLP, fp8-aware Linear construction, RoPE
tables, the KV cache and SDPA attention), so the two share one implementation and one set of
numerics.  The module tree equals Hugging Face's ``Qwen2ForCausalLM`` (``model.embed_tokens``,
``model.layers.N.self_attn.{q,k,v,o}_proj``, ``...mlp.{gate,up,down}_proj``, ``...input_layernorm``,
``...post_attention_layernorm``, ``model.norm``, ``lm_head``), so ``state_dict()`` keys are the
checkpoint keys (and LoRA keys) unchanged.

Storage: the per-layer Linear weights in ``weight_dtype`` (bf16 or fp8 e4m3fn); biases, norms,
embeddings and ``lm_head`` bf16.  Compute in the activation dtype (bf16 on CPU and most GPUs).
"""

from __future__ import annotations

import re
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

import comfy.ops

from ..interrupt import check_interrupt
from ..layers import BASE_DTYPE, MLP, Embedding, KVCache, RMSNorm, apply_rope, attention, linear, rope_cos_sin
from .config import Qwen2TextConfig

_WEIGHT_DTYPE_KEY = re.compile(r"^model\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$")


def uses_weight_dtype(key: str) -> bool:
    """True for the tensors stored in the model's weight dtype (fp8/bf16); the rest stays bf16."""
    return _WEIGHT_DTYPE_KEY.match(key) is not None


class FastManualCast(comfy.ops.manual_cast):
    """``comfy.ops.manual_cast`` whose Linear calls ``F.linear`` directly when nothing needs casting
    (weight and bias already in the input's dtype and on its device, no lazy patches, not a
    DynamicVRAM weight); everything else (fp8 weights, offloaded layers, LoRA patches) takes
    ComfyUI's cast path unchanged. Saves the per-call cast bookkeeping in the decode loop."""

    class Linear(comfy.ops.manual_cast.Linear):
        def forward_comfy_cast_weights(self, input, *args, **kwargs):
            w, b = self.weight, self.bias
            if (not args and not kwargs and w.dtype == input.dtype and w.device == input.device
                    and (b is None or (b.dtype == input.dtype and b.device == input.device))
                    and not self.weight_function and not self.bias_function and not hasattr(self, "_v")):
                return F.linear(input, w, b)
            return super().forward_comfy_cast_weights(input, *args, **kwargs)


def _decode_attention(q, k, v, num_kv: int):
    """One query token (q [1,H,D]) against all keys (k/v [L,Hkv,D]) without expanding K/V to H
    heads: the G = H/Hkv query heads of a KV head form SDPA's query axis (no mask: a single new
    token sees every cached key). Same grouping as ``repeat_interleave`` (head h -> KV head h//G)."""
    h, d = q.shape[1], q.shape[2]
    qg = q.reshape(num_kv, h // num_kv, d).unsqueeze(0)
    out = F.scaled_dot_product_attention(qg, k.transpose(0, 1).unsqueeze(0), v.transpose(0, 1).unsqueeze(0))
    return out.reshape(1, h * d)


class Qwen2Attention(nn.Module):
    def __init__(self, cfg: Qwen2TextConfig, layer_idx: int, ops, device, wdtype):
        super().__init__()
        self.layer_idx = layer_idx
        self.num_heads, self.num_kv, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        q_out, kv_out = cfg.num_attention_heads * cfg.head_dim, cfg.num_key_value_heads * cfg.head_dim
        self.q_proj = linear(ops, cfg.hidden_size, q_out, True, device, wdtype)
        self.k_proj = linear(ops, cfg.hidden_size, kv_out, True, device, wdtype)
        self.v_proj = linear(ops, cfg.hidden_size, kv_out, True, device, wdtype)
        self.o_proj = linear(ops, q_out, cfg.hidden_size, False, device, wdtype)

    def forward(self, h, cos, sin, cache: Optional[KVCache], write: bool):
        n = h.shape[0]
        q = self.q_proj(h).view(n, self.num_heads, self.head_dim)
        k = self.k_proj(h).view(n, self.num_kv, self.head_dim)
        v = self.v_proj(h).view(n, self.num_kv, self.head_dim)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k_all, v_all = cache.merged(self.layer_idx, k, v, write)
        else:
            k_all, v_all = k, v
        if n == 1:
            return self.o_proj(_decode_attention(q, k_all, v_all, self.num_kv))
        return self.o_proj(attention(q, k_all, v_all, k_all.shape[0] - n))


class Qwen2DecoderLayer(nn.Module):
    def __init__(self, cfg: Qwen2TextConfig, layer_idx: int, ops, device, wdtype):
        super().__init__()
        self.self_attn = Qwen2Attention(cfg, layer_idx, ops, device, wdtype)
        self.mlp = MLP(cfg.hidden_size, cfg.intermediate_size, ops, device, wdtype)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device)

    def forward(self, x, cos, sin, cache, write, skip_mlp=False):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, write)
        if skip_mlp:
            return x
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, cfg: Qwen2TextConfig, ops, device, wdtype):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = Embedding(cfg.vocab_size, cfg.hidden_size, device)
        self.layers = nn.ModuleList([Qwen2DecoderLayer(cfg, i, ops, device, wdtype)
                                     for i in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device)

    def forward(self, x, positions, cache: Optional[KVCache], write: bool, need_output: bool = True):
        """All layers on the block ``x`` [N, hidden] (compute dtype) at RoPE ``positions``, causal
        against ``cache``; returns un-normed hidden states.  ``write`` appends K/V to the cache (the
        caller commits the length)."""
        cos, sin = rope_cos_sin(positions.to(x.device), self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            check_interrupt()
            x = layer(x, cos, sin, cache, write, skip_mlp=(i == last and not need_output))
        return x


class Qwen2ForCausalLM(nn.Module):
    """``model`` + ``lm_head`` with Hugging Face's key names; one ModelPatcher holds it."""

    def __init__(self, cfg: Qwen2TextConfig, weight_dtype=BASE_DTYPE, device="meta", ops=None):
        super().__init__()
        if weight_dtype not in (torch.bfloat16, torch.float16, torch.float32, torch.float8_e4m3fn):
            raise ValueError(f"unsupported weight dtype {weight_dtype}")
        ops = ops or FastManualCast
        self.cfg = cfg
        self.weight_dtype = weight_dtype
        self.model = Qwen2Model(cfg, ops, device, weight_dtype)
        self.lm_head = linear(ops, cfg.hidden_size, cfg.vocab_size, False, device, BASE_DTYPE)
        self.requires_grad_(False)

    def get_dtype(self):
        return self.weight_dtype

    def embed(self, ids, device, cdt):
        return self.model.embed_tokens(ids, device=device, dtype=cdt)

    def run(self, x, positions, cache, write, need_output=True):
        return self.model(x, positions, cache, write, need_output)

    def logits(self, h):
        return self.lm_head(self.model.norm(h))


def expected_state_dict_shapes(cfg: Qwen2TextConfig) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in Qwen2ForCausalLM(cfg, BASE_DTYPE, "meta").state_dict().items()}
