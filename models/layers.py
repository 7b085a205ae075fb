"""Leaf layers shared by the pack's decoders (``bagel/modeling.py`` and ``llm/qwen2.py``), on
``comfy.ops``: RMSNorm with the reference's rounding, the row-gathering Embedding, the fp8-aware
Linear construction, the Qwen2 MLP, RoPE tables, SDPA attention with bottom-right causal alignment
and the per-context KV cache. Numerics are those of the BAGEL reference run under
``autocast(bfloat16)`` (see ``bagel/modeling.py``).

Every weighted leaf is a ``comfy.ops`` layer or casts its own weight (``CastWeightBiasOp``), so
ComfyUI's partial loading, lazy LoRA patches and DynamicVRAM apply.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

import comfy.ops

from .interrupt import check_interrupt

BASE_DTYPE = torch.bfloat16


def cast_weight(module, x: torch.Tensor, dtype=None, device=None):
    """Weight (and bias) of ``module`` on ``x``'s device in ``dtype`` (default ``x.dtype``), with
    ComfyUI's lazy patches (LoRA ``weight_function``) applied.  Returns (w, b, stream)."""
    try:
        return comfy.ops.cast_bias_weight(module, x, dtype=dtype, device=device, offloadable=True)
    except TypeError:  # older/newer core without ``offloadable``
        w, b = comfy.ops.cast_bias_weight(module, x, dtype=dtype, device=device)
        return w, b, None


def uncast(module, w, b, stream):
    fn = getattr(comfy.ops, "uncast_bias_weight", None)
    if fn is not None and stream is not None:
        fn(module, w, b, stream)


class RMSNorm(comfy.ops.CastWeightBiasOp, nn.Module):
    """Qwen2 RMSNorm with the reference's rounding: fp32 normalise, cast to the input dtype,
    multiply by the weight (weight in the input's dtype)."""

    comfy_cast_weights = True

    def __init__(self, dim: int, eps: float, device=None, dtype=BASE_DTYPE):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, device=device, dtype=dtype), requires_grad=False)
        self.bias = None
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b, s = cast_weight(self, x)
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        out = w * h.to(x.dtype)
        uncast(self, w, b, s)
        return out


class Embedding(comfy.ops.CastWeightBiasOp, nn.Module):
    """Token embedding that gathers rows where the table lives and moves only those rows (an
    offloaded 152k x 3584 table is never copied whole), unless a lazy patch needs the full weight."""

    comfy_cast_weights = True

    def __init__(self, num: int, dim: int, device=None, dtype=BASE_DTYPE):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num, dim, device=device, dtype=dtype), requires_grad=False)
        self.bias = None

    def forward(self, ids: torch.Tensor, device=None, dtype=None) -> torch.Tensor:
        check_interrupt()
        device = device if device is not None else ids.device
        w = self.weight
        if len(self.weight_function) == 0 and not hasattr(self, "_v") and w.device.type != "meta":
            # (``_v``: DynamicVRAM-managed weight; it must go through cast_bias_weight)
            rows = F.embedding(ids.to(w.device), w)
            return rows.to(device=device, dtype=dtype or w.dtype)
        probe = torch.empty((), device=device, dtype=dtype or BASE_DTYPE)
        w, b, s = cast_weight(self, probe)
        rows = F.embedding(ids.to(device), w)
        uncast(self, w, b, s)
        return rows


def linear(ops, i, o, bias, device, wdtype):
    lin = ops.Linear(i, o, bias=bias, device=device, dtype=wdtype)
    if bias and wdtype != BASE_DTYPE and wdtype in (torch.float8_e4m3fn, torch.float8_e5m2):
        lin.bias = nn.Parameter(torch.empty(o, device=device, dtype=BASE_DTYPE), requires_grad=False)
    return lin


class KVCache:
    """Per-layer K/V for one context: [capacity, n_kv_heads, head_dim] buffers in the compute
    dtype, valid up to ``length``.  Prefills write into the slack and ``commit`` the new length;
    read-only queries (the denoiser) concatenate without writing."""

    def __init__(self, num_layers: int):
        self.k: list[Optional[torch.Tensor]] = [None] * num_layers
        self.v: list[Optional[torch.Tensor]] = [None] * num_layers
        self.length = 0

    @property
    def capacity(self) -> int:
        return 0 if self.k[0] is None else self.k[0].shape[0]

    @property
    def device(self):
        return None if self.k[0] is None else self.k[0].device

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.k + self.v if t is not None)

    def reserve(self, total: int, n_kv: int, head_dim: int, device, dtype, chunk: int = 256):
        device = torch.device(device)
        if self.k[0] is not None and self.capacity >= total and self.k[0].dtype == dtype \
                and self.k[0].device.type == device.type and device.index in (None, self.k[0].device.index):
            return
        grow = int(self.capacity * 1.25) if self.k[0] is not None else 0  # geometric growth: few copies
        cap = -(-max(total, grow) // chunk) * chunk
        for i in range(len(self.k)):
            for store in (self.k, self.v):
                new = torch.empty(cap, n_kv, head_dim, device=device, dtype=dtype)
                old = store[i]
                if old is not None and self.length:
                    new[: self.length] = old[: self.length].to(device=device, dtype=dtype)
                store[i] = new

    def merged(self, i: int, k: torch.Tensor, v: torch.Tensor, write: bool):
        n, L = k.shape[0], self.length
        if write:
            self.k[i][L: L + n] = k
            self.v[i][L: L + n] = v
            return self.k[i][: L + n], self.v[i][: L + n]
        if L == 0:
            return k, v
        return torch.cat([self.k[i][:L], k]), torch.cat([self.v[i][:L], v])

    def commit(self, n: int):
        self.length += n

    def clone(self) -> "KVCache":
        c = KVCache(len(self.k))
        c.length = self.length
        c.k = [None if t is None else t[: self.length].clone() for t in self.k]
        c.v = [None if t is None else t[: self.length].clone() for t in self.v]
        return c

    def to(self, device) -> "KVCache":
        self.k = [None if t is None else t.to(device) for t in self.k]
        self.v = [None if t is None else t.to(device) for t in self.v]
        return self


class Context:
    """A KV-cache context: per-layer K/V, its length (``kv_len``) and the next RoPE position."""

    def __init__(self, num_layers: int):
        self.cache = KVCache(num_layers)
        self.rope = 0

    @property
    def kv_len(self) -> int:
        return self.cache.length

    def nbytes(self) -> int:
        return self.cache.nbytes()

    def clone(self) -> "Context":
        c = Context(len(self.cache.k))
        c.cache = self.cache.clone()
        c.rope = self.rope
        return c

    def free(self):
        self.cache = KVCache(len(self.cache.k))
        self.rope = 0

    def __repr__(self):
        return f"Context(kv_len={self.kv_len}, rope={self.rope}, bytes={self.nbytes()})"


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float, dtype) -> tuple:
    """Qwen2 RoPE tables: fp32 ``cat(freqs, freqs)`` cos/sin cast to the activation dtype."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=positions.device)
                                .float() / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def apply_rope(x, cos, sin):
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return (x * cos) + (rotate_half(x) * sin)


def attention(q, k, v, causal_offset: Optional[int]):
    """q [N,H,D], k/v [L,Hkv,D] (L = cache + N). ``causal_offset`` None: full attention; else
    query i sees keys j <= i + causal_offset (bottom-right alignment, offset = L - N)."""
    n, h, d = q.shape
    L, hkv = k.shape[0], k.shape[1]
    if hkv != h:
        k = k.repeat_interleave(h // hkv, dim=1)
        v = v.repeat_interleave(h // hkv, dim=1)
    q, k, v = (t.transpose(0, 1).unsqueeze(0) for t in (q, k, v))
    mask, is_causal = None, False
    if causal_offset is not None and n > 1:
        if causal_offset == 0:
            is_causal = True
        else:
            mask = torch.ones(n, L, dtype=torch.bool, device=q.device).tril(diagonal=causal_offset)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
    return out.squeeze(0).transpose(0, 1).reshape(n, h * d)


class MLP(nn.Module):
    def __init__(self, hidden, inter, ops, device, wdtype):
        super().__init__()
        self.gate_proj = linear(ops, hidden, inter, False, device, wdtype)
        self.up_proj = linear(ops, hidden, inter, False, device, wdtype)
        self.down_proj = linear(ops, inter, hidden, False, device, wdtype)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))
