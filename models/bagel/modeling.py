"""BAGEL-7B-MoT architecture (CoCo is a fine-tune of it) as plain torch on ``comfy.ops``.

Written from the architecture description in the pack's notes and a reading of the reference
(ByteDance-Seed/Bagel, ``modeling/bagel/*.py``); no code is copied.  Numerics follow the reference
run under ``autocast(bfloat16)`` with bf16 weights, op for op where it matters for parity:

* RMSNorm: normalise in fp32, cast back to the input dtype, then multiply by the weight (the
  weight takes the input's dtype, which equals PyTorch's type promotion of the reference).
* und mode (text, ViT, markers): everything in the compute dtype; QK-norm and RoPE in it too.
* gen mode (VAE latent tokens, routed to the ``*_moe_gen`` expert): q and k go to fp32 before
  QK-norm and RoPE (cos/sin rounded to the compute dtype), then back to the compute dtype.
* RoPE: fp32 ``inv_freq`` (as the official app keeps that buffer), cos/sin rounded to the
  activation dtype.
* Attention: SDPA in the compute dtype over [cache + block]; causal blocks are aligned
  bottom-right against the cache; GQA by repeating KV heads.

Parity (tests/models/test_bagel_parity.py): bit-exact against the reference fixtures once the
fixture harness' own attention stand-in and bf16-cast inv_freq are emulated; within bf16 noise
with the production numerics above.

Module tree and ``state_dict()`` keys equal the official ``ema.safetensors`` exactly.  Large
per-layer Linear weights are stored in ``weight_dtype`` (fp8 or bf16); norms, biases, embeddings,
heads and position tables stay bf16.  The leaf layers it shares with ``llm/qwen2.py`` live in
``models/layers.py``.  Every weighted leaf is a ``comfy.ops`` layer or casts its own
weight (``CastWeightBiasOp`` pattern), so ComfyUI's partial (low-VRAM) loading, lazy LoRA patches
and DynamicVRAM work.  No scaled-fp8 (per-tensor scale) support: fp8 is plain ``float8_e4m3fn``.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

import comfy.ops

from ..interrupt import check_interrupt
from ..layers import BASE_DTYPE, MLP, Embedding, KVCache, RMSNorm, apply_rope, attention, linear, rope_cos_sin
from .config import BagelConfig

# Keys whose tensor is stored in the model's ``weight_dtype`` (e.g. fp8); all others are bf16.
_WEIGHT_DTYPE_KEY = re.compile(
    r"^(language_model\.model\.layers\.\d+\.(self_attn\.[qkvo]_proj(_moe_gen)?|mlp(_moe_gen)?\.(gate|up|down)_proj)"
    r"|vit_model\.vision_model\.encoder\.layers\.\d+\.(self_attn\.(q|k|v|out)_proj|mlp\.fc[12]))\.weight$")


def uses_weight_dtype(key: str) -> bool:
    """True if ``key`` (official checkpoint name) is stored in the model's weight dtype (fp8/bf16);
    False for tensors always kept in bf16 (norms, biases, embeddings, lm_head, tables, ...)."""
    return _WEIGHT_DTYPE_KEY.match(key) is not None


def _act(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if name == "silu":
        return F.silu
    if name == "gelu":
        return F.gelu
    return lambda x: F.gelu(x, approximate="tanh")


class PositionTable(nn.Module):
    """A frozen 2-D sin-cos table stored as a parameter (``pos_embed``), indexed by flattened
    position id; rows are gathered on the table's device and then moved."""

    def __init__(self, side: int, dim: int, device=None, dtype=BASE_DTYPE):
        super().__init__()
        self.side = side
        self.pos_embed = nn.Parameter(torch.empty(side * side, dim, device=device, dtype=dtype),
                                      requires_grad=False)

    def forward(self, ids: torch.Tensor, device=None) -> torch.Tensor:
        t = self.pos_embed
        return t[ids.to(t.device)].to(device if device is not None else ids.device)


def sincos_2d_table(side: int, dim: int) -> torch.Tensor:
    """The reference's 2-D sin-cos table (float64 math, like its numpy code), rows ``r*side+c``:
    first half of the channels encodes the column (x), second half the row (y); each half is
    [sin(pos*w), cos(pos*w)] with w_k = 10000^(-k/(dim/4))."""
    def one(d, pos):
        omega = torch.arange(d // 2, dtype=torch.float64) / (d / 2.0)
        omega = 1.0 / 10000 ** omega
        out = pos.reshape(-1).to(torch.float64)[:, None] * omega[None]
        return torch.cat([out.sin(), out.cos()], dim=1)
    grid = torch.arange(side, dtype=torch.float32)
    col = grid[None, :].expand(side, side)
    row = grid[:, None].expand(side, side)
    return torch.cat([one(dim // 2, col), one(dim // 2, row)], dim=1).float()


# ----------------------------------------------------------------------------------------------
# Qwen2 mixture-of-transformer-experts decoder
# ----------------------------------------------------------------------------------------------

class Route:
    """Token routing of a gen-mode block: ``und`` rows use the understanding expert (image
    markers), ``gen`` rows the generation expert (VAE latent tokens)."""

    def __init__(self, und: torch.Tensor, gen: torch.Tensor, span: Optional[tuple] = None):
        self.und, self.gen = und, gen
        self.span = span  # (a, b): gen rows are exactly x[a:b] and und rows are [a-1, b]

    @classmethod
    def latent_block(cls, num_latent: int, device) -> "Route":
        """``<|vision_start|> latents... <|vision_end|>``: markers und, the contiguous middle gen."""
        und = torch.tensor([0, num_latent + 1], device=device)
        gen = torch.arange(1, num_latent + 1, device=device)
        return cls(und, gen, span=(1, num_latent + 1))

    def gen_rows(self, x):
        if self.span is not None:
            return x[self.span[0]:self.span[1]]
        return x[self.gen]

    def split(self, x, f_und, f_gen, out_dim=None, out_dtype=None):
        dtype = out_dtype or x.dtype
        if self.span is not None:
            # a latent block: slice the middle instead of gathering it and scattering it back
            # (measured on CPU, 4096 tokens x 512: routing overhead 1.07 ms -> 0.07 ms per split)
            u = f_und(x[self.und]).to(dtype)
            return torch.cat([u[:1], f_gen(self.gen_rows(x)).to(dtype), u[1:]])
        out = x.new_zeros((x.shape[0], out_dim or x.shape[1]) + tuple(x.shape[2:]), dtype=dtype)
        out[self.und] = f_und(x[self.und])
        out[self.gen] = f_gen(x[self.gen])
        return out


class MoTAttention(nn.Module):
    def __init__(self, cfg, layer_idx, ops, device, wdtype):
        super().__init__()
        self.layer_idx = layer_idx
        self.num_heads, self.num_kv, self.head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        hd = cfg.hidden_size
        q_out, kv_out = cfg.num_attention_heads * cfg.head_dim, cfg.num_key_value_heads * cfg.head_dim
        for suffix in ("", "_moe_gen"):
            setattr(self, "q_proj" + suffix, linear(ops, hd, q_out, True, device, wdtype))
            setattr(self, "k_proj" + suffix, linear(ops, hd, kv_out, True, device, wdtype))
            setattr(self, "v_proj" + suffix, linear(ops, hd, kv_out, True, device, wdtype))
            setattr(self, "o_proj" + suffix, linear(ops, q_out, hd, False, device, wdtype))
        self.qk_norm = cfg.qk_norm
        if cfg.qk_norm:
            self.q_norm = RMSNorm(cfg.head_dim, cfg.rms_norm_eps, device)
            self.k_norm = RMSNorm(cfg.head_dim, cfg.rms_norm_eps, device)
            self.q_norm_moe_gen = RMSNorm(cfg.head_dim, cfg.rms_norm_eps, device)
            self.k_norm_moe_gen = RMSNorm(cfg.head_dim, cfg.rms_norm_eps, device)

    def _norm(self, name, x):
        return getattr(self, name)(x) if self.qk_norm else x

    def forward(self, h, cos, sin, cache: Optional[KVCache], write: bool, causal: bool,
                route: Optional[Route], cdt):
        n = h.shape[0]
        if route is None:
            q = self.q_proj(h).view(n, self.num_heads, self.head_dim)
            k = self.k_proj(h).view(n, self.num_kv, self.head_dim)
            v = self.v_proj(h).view(n, self.num_kv, self.head_dim)
            q, k = self._norm("q_norm", q), self._norm("k_norm", k)
        else:
            qd, kd = self.num_heads * self.head_dim, self.num_kv * self.head_dim
            q = route.split(h, self.q_proj, self.q_proj_moe_gen, qd).view(n, self.num_heads, self.head_dim)
            k = route.split(h, self.k_proj, self.k_proj_moe_gen, kd).view(n, self.num_kv, self.head_dim)
            v = route.split(h, self.v_proj, self.v_proj_moe_gen, kd).view(n, self.num_kv, self.head_dim)
            q, k = q.float(), k.float()
            q = route.split(q, lambda t: self._norm("q_norm", t), lambda t: self._norm("q_norm_moe_gen", t))
            k = route.split(k, lambda t: self._norm("k_norm", t), lambda t: self._norm("k_norm_moe_gen", t))
        q, k = apply_rope(q, cos, sin).to(cdt), apply_rope(k, cos, sin).to(cdt)
        v = v.to(cdt)
        if cache is not None:
            k_all, v_all = cache.merged(self.layer_idx, k, v, write)
        else:
            k_all, v_all = k, v
        out = attention(q, k_all, v_all, (k_all.shape[0] - n) if causal else None)
        if route is None:
            return self.o_proj(out)
        return route.split(out, self.o_proj, self.o_proj_moe_gen)


class MoTDecoderLayer(nn.Module):
    def __init__(self, cfg, layer_idx, ops, device, wdtype):
        super().__init__()
        self.self_attn = MoTAttention(cfg, layer_idx, ops, device, wdtype)
        self.mlp = MLP(cfg.hidden_size, cfg.intermediate_size, ops, device, wdtype)
        self.mlp_moe_gen = MLP(cfg.hidden_size, cfg.intermediate_size, ops, device, wdtype)
        for name in ("input_layernorm", "input_layernorm_moe_gen",
                     "post_attention_layernorm", "post_attention_layernorm_moe_gen"):
            setattr(self, name, RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device))

    def forward(self, x, cos, sin, cache, write, causal, route: Optional[Route], cdt, skip_mlp=False):
        residual = x
        if route is None:
            h = self.input_layernorm(x)
        else:
            h = route.split(x, self.input_layernorm, self.input_layernorm_moe_gen)
        x = residual + self.self_attn(h, cos, sin, cache, write, causal, route, cdt)
        if skip_mlp:
            return x
        residual = x
        if route is None:
            m = self.mlp(self.post_attention_layernorm(x))
        else:
            m = route.split(
                x,
                lambda t: self.mlp(self.post_attention_layernorm(t).to(cdt)),
                lambda t: self.mlp_moe_gen(self.post_attention_layernorm_moe_gen(t).to(cdt)),
                out_dtype=cdt)
        return residual + m


class Qwen2MoTModel(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = Embedding(cfg.vocab_size, cfg.hidden_size, device)
        self.layers = nn.ModuleList([MoTDecoderLayer(cfg, i, ops, device, wdtype)
                                     for i in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device)
        self.norm_moe_gen = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device)

    def forward(self, x, positions, cache: Optional[KVCache], write: bool, causal: bool,
                route: Optional[Route], cdt, need_output: bool = True):
        """Run all layers on the block ``x`` [N, hidden] (compute dtype) at RoPE ``positions``;
        returns the un-normed hidden states.  ``write`` appends the block's K/V to ``cache``
        (the caller commits the length)."""
        cos, sin = rope_cos_sin(positions.to(x.device), self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            check_interrupt()
            x = layer(x, cos, sin, cache, write, causal, route, cdt, skip_mlp=(i == last and not need_output))
        check_interrupt()
        return x


class LanguageModel(nn.Module):
    """``language_model``: the Qwen2 MoT decoder (``.model``) and ``lm_head``."""

    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.model = Qwen2MoTModel(cfg, ops, device, wdtype)
        self.lm_head = linear(ops, cfg.hidden_size, cfg.vocab_size, False, device, BASE_DTYPE)


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden, ops, device, freq_dim=256):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(linear(ops, freq_dim, hidden, True, device, BASE_DTYPE), nn.SiLU(),
                                 linear(ops, hidden, hidden, True, device, BASE_DTYPE))

    @staticmethod
    def sinusoid(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half).to(t.device)
        args = t[:, None].float() * freqs[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
        if dim % 2:
            emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
        return emb

    def forward(self, t: torch.Tensor, cdt) -> torch.Tensor:
        return self.mlp(self.sinusoid(t, self.freq_dim).to(cdt))


# ----------------------------------------------------------------------------------------------
# SigLIP-NaViT vision tower + connector
# ----------------------------------------------------------------------------------------------

class SiglipAttention(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        d = cfg.hidden_size
        self.num_heads, self.head_dim = cfg.num_attention_heads, cfg.head_dim
        self.q_proj = linear(ops, d, d, True, device, wdtype)
        self.k_proj = linear(ops, d, d, True, device, wdtype)
        self.v_proj = linear(ops, d, d, True, device, wdtype)
        self.out_proj = linear(ops, d, d, True, device, wdtype)

    def forward(self, x, cdt):
        n = x.shape[0]
        q = self.q_proj(x).view(n, self.num_heads, self.head_dim).to(cdt)
        k = self.k_proj(x).view(n, self.num_heads, self.head_dim).to(cdt)
        v = self.v_proj(x).view(n, self.num_heads, self.head_dim).to(cdt)
        return self.out_proj(attention(q, k, v, None))


class SiglipMLP(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.act = _act(cfg.hidden_act)
        self.fc1 = linear(ops, cfg.hidden_size, cfg.intermediate_size, True, device, wdtype)
        self.fc2 = linear(ops, cfg.intermediate_size, cfg.hidden_size, True, device, wdtype)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class SiglipEncoderLayer(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.self_attn = SiglipAttention(cfg, ops, device, wdtype)
        self.layer_norm1 = ops.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps, device=device, dtype=BASE_DTYPE)
        self.mlp = SiglipMLP(cfg, ops, device, wdtype)
        self.layer_norm2 = ops.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps, device=device, dtype=BASE_DTYPE)

    def forward(self, x, cdt):
        x = x + self.self_attn(self.layer_norm1(x), cdt)
        return x + self.mlp(self.layer_norm2(x))


class SiglipEncoder(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.layers = nn.ModuleList([SiglipEncoderLayer(cfg, ops, device, wdtype)
                                     for _ in range(cfg.num_layers_used)])


class SiglipEmbeddings(nn.Module):
    def __init__(self, cfg, ops, device):
        super().__init__()
        # Linear layout [hidden, p*p*C], input features ordered (p_h, p_w, c) (converted conv)
        self.patch_embedding = linear(ops, cfg.num_channels * cfg.patch_size ** 2, cfg.hidden_size, True,
                                       device, BASE_DTYPE)
        self.position_embedding = Embedding(cfg.num_positions, cfg.hidden_size, device)


class SiglipVisionTransformer(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.embeddings = SiglipEmbeddings(cfg, ops, device)
        self.encoder = SiglipEncoder(cfg, ops, device, wdtype)
        self.post_layernorm = ops.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps, device=device, dtype=BASE_DTYPE)

    def forward(self, patches, pos_ids, cdt):
        x = self.embeddings.patch_embedding(patches.to(cdt))
        x = x + self.embeddings.position_embedding(pos_ids, device=x.device, dtype=cdt)
        for layer in self.encoder.layers:
            check_interrupt()
            x = layer(x, cdt)
        return self.post_layernorm(x)


class SiglipVisionModel(nn.Module):
    def __init__(self, cfg, ops, device, wdtype):
        super().__init__()
        self.vision_model = SiglipVisionTransformer(cfg, ops, device, wdtype)


class Connector(nn.Module):
    def __init__(self, vit_dim, llm_dim, act, ops, device):
        super().__init__()
        self.act = _act(act)
        self.fc1 = linear(ops, vit_dim, llm_dim, True, device, BASE_DTYPE)
        self.fc2 = linear(ops, llm_dim, llm_dim, True, device, BASE_DTYPE)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# ----------------------------------------------------------------------------------------------
# Component containers (one ModelPatcher each) and the full model
# ----------------------------------------------------------------------------------------------

class _Component(nn.Module):
    weight_dtype = BASE_DTYPE

    def get_dtype(self):
        return self.weight_dtype


class BagelLanguagePart(_Component):
    """LLM + generation embedders/heads.  Submodule names equal the official keys, so this part's
    ``state_dict()`` keys (and ModelPatcher/LoRA keys) are official checkpoint keys."""

    def __init__(self, language_model, time_embedder, vae2llm, llm2vae, latent_pos_embed, cfg, weight_dtype):
        super().__init__()
        self.language_model = language_model
        self.time_embedder = time_embedder
        self.vae2llm = vae2llm
        self.llm2vae = llm2vae
        self.latent_pos_embed = latent_pos_embed
        self.cfg = cfg
        self.weight_dtype = weight_dtype

    # -- primitives used by the pipeline (all inputs already on the compute device) -------------
    def embed_tokens(self, ids, device, cdt):
        return self.language_model.model.embed_tokens(ids, device=device, dtype=cdt)

    def embed_latents(self, x, t: torch.Tensor, pos_ids, cdt):
        """``vae2llm(x) + time_embedder(t) + latent_pos_embed[pos]`` in the compute dtype."""
        emb = self.vae2llm(x.to(cdt)) + self.time_embedder(t.reshape(-1), cdt)
        return emb + self.latent_pos_embed(pos_ids, device=x.device).to(cdt)

    def run(self, x, positions, cache, write, causal, route, cdt, need_output=True):
        return self.language_model.model(x, positions, cache, write, causal, route, cdt, need_output)

    def final_norm_und(self, h):
        return self.language_model.model.norm(h)

    def final_norm_gen(self, h):
        return self.language_model.model.norm_moe_gen(h)

    def logits(self, h_last):
        return self.language_model.lm_head(self.final_norm_und(h_last))

    def velocity_head(self, h_gen):
        return self.llm2vae(self.final_norm_gen(h_gen))


class BagelVisionPart(_Component):
    """SigLIP tower + connector + the ViT position table (official key names)."""

    def __init__(self, vit_model, connector, vit_pos_embed, cfg, weight_dtype):
        super().__init__()
        self.vit_model = vit_model
        self.connector = connector
        self.vit_pos_embed = vit_pos_embed
        self.cfg = cfg
        self.weight_dtype = weight_dtype

    def encode(self, patches, pos_ids, cdt):
        """Patches [N, p*p*3] (ordered p_h, p_w, c) + flattened position ids -> LLM-space
        tokens [N, llm_hidden]: ViT, post-LN, connector, + vit_pos_embed."""
        x = self.vit_model.vision_model(patches, pos_ids, cdt)
        x = self.connector(x)
        return x + self.vit_pos_embed(pos_ids, device=x.device).to(x.dtype)


class Bagel(_Component):
    """The whole model with the official module tree (``state_dict()`` == ema.safetensors keys)."""

    def __init__(self, cfg: BagelConfig, weight_dtype=BASE_DTYPE, device="meta", ops=None):
        super().__init__()
        ops = ops or comfy.ops.manual_cast
        D = cfg.llm.hidden_size
        self.cfg = cfg
        self.weight_dtype = weight_dtype
        self.language_model = LanguageModel(cfg.llm, ops, device, weight_dtype)
        self.time_embedder = TimestepEmbedder(D, ops, device)
        self.vae2llm = linear(ops, cfg.patch_latent_dim, D, True, device, BASE_DTYPE)
        self.llm2vae = linear(ops, D, cfg.patch_latent_dim, True, device, BASE_DTYPE)
        self.latent_pos_embed = PositionTable(cfg.max_latent_size, D, device)
        self.vit_model = SiglipVisionModel(cfg.vit, ops, device, weight_dtype)
        self.connector = Connector(cfg.vit.hidden_size, D, cfg.connector_act, ops, device)
        self.vit_pos_embed = PositionTable(cfg.vit_max_num_patch_per_side, D, device)
        self.requires_grad_(False)

    def split(self) -> tuple[BagelLanguagePart, BagelVisionPart]:
        """Move the children into the two component containers and empty this root, so the root
        keeps no reference to them."""
        llm = BagelLanguagePart(self.language_model, self.time_embedder, self.vae2llm, self.llm2vae,
                                self.latent_pos_embed, self.cfg, self.weight_dtype)
        vit = BagelVisionPart(self.vit_model, self.connector, self.vit_pos_embed, self.cfg, self.weight_dtype)
        self._modules.clear()
        return llm, vit


def build_bagel(cfg: BagelConfig, weight_dtype: torch.dtype = BASE_DTYPE, device="meta", ops=None) -> Bagel:
    """Build the BAGEL module tree.  ``device="meta"`` (default) allocates nothing: fill it with
    ``load_state_dict(sd, assign=True)``.  ``comfy.ops`` layers are NOT initialised; every key must
    be loaded (or use ``init_random_weights`` for tests)."""
    if weight_dtype not in (torch.bfloat16, torch.float16, torch.float32, torch.float8_e4m3fn, torch.float8_e5m2):
        raise ValueError(f"unsupported weight dtype {weight_dtype}")
    return Bagel(cfg, weight_dtype, device, ops)


def expected_state_dict_shapes(cfg: BagelConfig) -> dict[str, tuple]:
    """Official checkpoint key -> shape, for validating a file without building the module."""
    return {k: tuple(v.shape) for k, v in build_bagel(cfg, BASE_DTYPE, "meta").state_dict().items()}


def expected_state_dict_dtypes(cfg: BagelConfig, weight_dtype: torch.dtype) -> dict[str, torch.dtype]:
    """Official checkpoint key -> dtype this implementation stores it in for ``weight_dtype``."""
    return {k: (weight_dtype if uses_weight_dtype(k) else BASE_DTYPE) for k in expected_state_dict_shapes(cfg)}


@torch.no_grad()
def init_random_weights(model: nn.Module, seed: int = 0, std: float = 0.02) -> nn.Module:
    """Tests/benchmarks only: random weights (norm weights near 1, deterministic sin-cos position
    tables as in the reference).  Works on a CPU-built model in any weight dtype."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if name.endswith("pos_embed"):
            side = int(round(math.sqrt(p.shape[0])))
            p.copy_(sincos_2d_table(side, p.shape[1]).to(p.dtype))
            continue
        if "norm" in name.split(".")[-2] and name.endswith("weight"):
            val = 1.0 + 0.1 * torch.randn(p.shape, generator=g)
        elif name.endswith("bias"):
            val = 0.02 * torch.randn(p.shape, generator=g)
        else:
            val = std * torch.randn(p.shape, generator=g)
        p.copy_(val.to(p.dtype))
    return model
