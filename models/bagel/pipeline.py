"""Runtime of a loaded BAGEL/CoCo model inside ComfyUI: the ``COCO_MODEL`` holder and the inference
primitives (context prefill, next-token logits, velocity with dual CFG + renorm).

Memory: the model is split into two components, each in its own ModelPatcher (``CoreModelPatcher``
on cores that have it, so DynamicVRAM applies there): the LLM with the generation embedders/heads,
and the ViT with its connector.  Every primitive calls ``comfy.model_management.load_models_gpu``
for the component it needs right before use, with ``memory_required`` = activations + new KV cache
(``models/management.py``, shared with the LLM runtime). The holder keeps no other strong
reference to the modules.

Contexts (``models/layers.Context``) hold a KV cache on the load device in the compute dtype; they are mutated in place by the
prefill/decode primitives (and returned for convenience).  Use ``ctx.clone()`` to branch (the
reference deep-copies contexts for the CFG branches).
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch

import comfy.model_management as mm

from ..layers import Context
from ..management import Loads, make_patcher, pick_compute_dtype
from . import latents as L
from .config import BagelConfig
from .modeling import Bagel, Route

def _resolve_special_tokens(cfg: BagelConfig, tokenizer, explicit: Optional[dict]) -> dict:
    ids = dict(cfg.special_tokens)
    names = {"bos_token_id": "<|im_start|>", "eos_token_id": "<|im_end|>",
             "start_of_image": "<|vision_start|>", "end_of_image": "<|vision_end|>"}
    if explicit:
        ids.update(explicit)
        return ids
    found = getattr(tokenizer, "special_token_ids", None)
    if isinstance(found, dict):
        ids.update({k: int(v) for k, v in found.items() if k in names})
        return ids
    conv = getattr(tokenizer, "convert_tokens_to_ids", None) or getattr(tokenizer, "token_to_id", None)
    if callable(conv):
        for k, tok in names.items():
            try:
                v = conv(tok)
            except Exception:  # noqa: BLE001 - a tokenizer without that token keeps the default
                v = None
            if isinstance(v, int) and 0 <= v < cfg.llm.vocab_size:
                ids[k] = v
    return ids


class CoCoModel:
    """The object that flows through ComfyUI as ``COCO_MODEL``.

    Takes ownership of ``module`` (a loaded ``Bagel`` from ``build_bagel``): its children move
    into the two component containers and the root is emptied.  Drop your own reference to it.
    """

    def __init__(self, module: Bagel, cfg: BagelConfig, tokenizer, weight_dtype: torch.dtype,
                 load_device=None, offload_device=None, special_tokens: Optional[dict] = None):
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.weight_dtype = weight_dtype
        self.load_device = torch.device(load_device) if load_device is not None else mm.get_torch_device()
        self.offload_device = (torch.device(offload_device) if offload_device is not None
                               else mm.unet_offload_device())
        self.compute_dtype = pick_compute_dtype(self.load_device)
        self.special_tokens = _resolve_special_tokens(cfg, tokenizer, special_tokens)
        llm, vit = module.split()
        del module
        self.llm_patcher = make_patcher(llm, self.load_device, self.offload_device)
        self.vit_patcher = make_patcher(vit, self.load_device, self.offload_device)
        del llm, vit
        self._loads = Loads()
        # CFG-renorm norms in fp32 as under CUDA autocast (the official GPU run); False = CPU autocast.
        self.cfg_norm_fp32 = True

    # ------------------------------------------------------------------------------------------
    @property
    def llm(self):
        return self.llm_patcher.model

    @property
    def vit(self):
        return self.vit_patcher.model

    @property
    def is_dynamic(self) -> bool:
        f = getattr(self.llm_patcher, "is_dynamic", None)
        return bool(f()) if callable(f) else False

    @property
    def manage_memory(self) -> bool:
        """False only when the caller loads the patchers itself (tests, benchmarks)."""
        return self._loads.manage_memory

    @manage_memory.setter
    def manage_memory(self, v: bool):
        self._loads.manage_memory = bool(v)

    def _ensure_loaded(self, patcher, memory_required: int):
        self._loads.ensure(patcher, memory_required)

    # ---- memory estimates --------------------------------------------------------------------
    def _kv_token_bytes(self) -> int:
        c = self.cfg.llm
        return 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * self.compute_dtype.itemsize

    def _llm_bytes(self, n: int, kv_total: int, new_kv_tokens: int, ctx: Optional[Context],
                   causal: bool, logits_rows: int = 0) -> int:
        c, e = self.cfg.llm, self.compute_dtype.itemsize
        act = n * (8 * c.hidden_size + 3 * c.intermediate_size
                   + 2 * (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim) * e
        act += n * (c.num_attention_heads + c.num_key_value_heads) * c.head_dim * 4  # fp32 q/k (gen)
        rep = 2 * kv_total * c.num_attention_heads * c.head_dim * e                    # GQA-expanded K/V
        scores = c.num_attention_heads * n * kv_total * 4 if (causal and n > 1) else 0
        kv = 0
        if new_kv_tokens and ctx is not None:
            need = ctx.kv_len + new_kv_tokens
            if ctx.cache.capacity < need:
                kv = (need + 256) * self._kv_token_bytes()
        return int(act + rep + scores + kv + logits_rows * c.vocab_size * 4 + (64 << 20))

    def reserve_for_sampling(self, kv_tokens: int, query_tokens: int) -> None:
        """Before the first prefill of a sampling run: load the LLM with room for every KV cache of
        the CFG contexts (``kv_tokens`` in all, K and V, every layer) plus one velocity pass over
        ``query_tokens``, so ComfyUI frees that memory up front instead of mid-run."""
        if not self.manage_memory:
            return
        c, e = self.cfg.llm, self.compute_dtype.itemsize
        act = query_tokens * (8 * c.hidden_size + 3 * c.intermediate_size
                              + 2 * (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim) * e
        rep = 2 * (kv_tokens + query_tokens) * c.num_attention_heads * c.head_dim * e
        need = int(kv_tokens * self._kv_token_bytes() + act + rep + (256 << 20))
        mm.load_models_gpu([self.llm_patcher], memory_required=need)

    def _vit_bytes(self, n: int) -> int:
        v, e = self.cfg.vit, self.compute_dtype.itemsize
        act = n * (6 * v.hidden_size + 2 * v.intermediate_size + 2 * self.cfg.llm.hidden_size) * e
        return int(act + v.num_attention_heads * n * n * 4 + (64 << 20))

    # ---- contexts ----------------------------------------------------------------------------
    def new_context(self) -> Context:
        return Context(self.cfg.llm.num_hidden_layers)

    def _reserve(self, ctx: Context, new_tokens: int):
        c = self.cfg.llm
        ctx.cache.reserve(ctx.kv_len + new_tokens, c.num_key_value_heads, c.head_dim,
                          self.load_device, self.compute_dtype)

    def _token_ids(self, ids) -> torch.Tensor:
        return torch.as_tensor(list(ids) if not torch.is_tensor(ids) else ids, dtype=torch.long,
                               device=self.load_device).reshape(-1)

    def _write_block(self, ctx: Context, x: torch.Tensor, positions: torch.Tensor, causal: bool,
                     route: Optional[Route], need_output: bool = False):
        self._reserve(ctx, x.shape[0])
        h = self.llm.run(x, positions, ctx.cache, True, causal, route, self.compute_dtype, need_output)
        ctx.cache.commit(x.shape[0])
        return h

    # ---- prefill primitives ------------------------------------------------------------------
    @torch.inference_mode()
    def prefill_text(self, ctx: Context, token_ids: Sequence[int], chunk: int = 2048) -> Context:
        """Append ``<|im_start|> ids <|im_end|>`` (und expert, causal, consecutive positions)."""
        st = self.special_tokens
        ids = self._token_ids([st["bos_token_id"], *[int(i) for i in token_ids], st["eos_token_id"]])
        for s in range(0, ids.shape[0], chunk):
            part = ids[s: s + chunk]
            n = part.shape[0]
            self._ensure_loaded(self.llm_patcher,
                                self._llm_bytes(n, ctx.kv_len + n, n, ctx, causal=True))
            x = self.llm.embed_tokens(part, self.load_device, self.compute_dtype)
            pos = torch.arange(ctx.rope, ctx.rope + n, device=self.load_device)
            self._write_block(ctx, x, pos, causal=True, route=None)
            ctx.rope += n
        return ctx

    def _marker_block(self, inner: torch.Tensor) -> torch.Tensor:
        st = self.special_tokens
        m = self.llm.embed_tokens(self._token_ids([st["start_of_image"], st["end_of_image"]]),
                                  self.load_device, self.compute_dtype)
        return torch.cat([m[:1], inner.to(self.compute_dtype), m[1:]], dim=0)

    @torch.inference_mode()
    def encode_vit(self, image: torch.Tensor) -> torch.Tensor:
        """ViT + connector + vit_pos_embed of one image [3, H, W] in [-1, 1] (H, W multiples of the
        patch size) -> LLM-space tokens [N, hidden] (compute dtype, load device)."""
        v = self.cfg.vit
        if image.ndim != 3 or image.shape[0] != v.num_channels:
            raise ValueError(f"expected an image [3, H, W], got {tuple(image.shape)}")
        p = v.patch_size
        h, w = image.shape[1] // p, image.shape[2] // p
        pos = L.flattened_position_ids(h, w, self.cfg.vit_max_num_patch_per_side).to(self.load_device)
        patches = L.patchify(image.float(), p).to(self.load_device)
        self._ensure_loaded(self.vit_patcher, self._vit_bytes(patches.shape[0]))
        return self.vit.encode(patches, pos, self.compute_dtype)

    @torch.inference_mode()
    def prefill_vit(self, ctx: Context, image: torch.Tensor) -> Context:
        """Append an image as ViT tokens: markers + tokens, und expert, full attention inside the
        block, one shared RoPE position (rope advances by 1)."""
        tokens = self.encode_vit(image)
        n = tokens.shape[0] + 2
        self._ensure_loaded(self.llm_patcher, self._llm_bytes(n, ctx.kv_len + n, n, ctx, causal=False))
        x = self._marker_block(tokens)
        pos = torch.full((n,), ctx.rope, dtype=torch.long, device=self.load_device)
        self._write_block(ctx, x, pos, causal=False, route=None)
        ctx.rope += 1
        return ctx

    def _gen_route(self, num_latent: int) -> Route:
        return Route.latent_block(num_latent, self.load_device)

    def _latent_block(self, x: torch.Tensor, sigma, hw) -> torch.Tensor:
        h, w = hw
        if x.shape != (h * w, self.cfg.patch_latent_dim):
            raise ValueError(f"packed latent must be [{h * w}, {self.cfg.patch_latent_dim}], got {tuple(x.shape)}")
        pos = L.flattened_position_ids(h, w, self.cfg.max_latent_size).to(self.load_device)
        t = torch.tensor([float(sigma)], dtype=torch.float32, device=self.load_device)
        emb = self.llm.embed_latents(x.to(self.load_device), t, pos, self.compute_dtype)
        return self._marker_block(emb)

    @torch.inference_mode()
    def prefill_vae(self, ctx: Context, packed_latent: torch.Tensor, hw: tuple) -> Context:
        """Append a clean VAE image (BAGEL-scaled, packed [h*w, 64]) as gen tokens with t=0; markers
        use the und expert; full attention; one shared RoPE position."""
        n = hw[0] * hw[1] + 2
        self._ensure_loaded(self.llm_patcher, self._llm_bytes(n, ctx.kv_len + n, n, ctx, causal=False))
        x = self._latent_block(packed_latent, 0.0, hw)
        pos = torch.full((n,), ctx.rope, dtype=torch.long, device=self.load_device)
        self._write_block(ctx, x, pos, causal=False, route=self._gen_route(n - 2))
        ctx.rope += 1
        return ctx

    # ---- text decoding -----------------------------------------------------------------------
    @torch.inference_mode()
    def next_token_logits(self, ctx: Context, token_id: int) -> tuple[torch.Tensor, Context]:
        """Append one token at the next position (causal) and return fp32 logits [vocab] for the
        token after it.  The decode loop starts with ``<|im_start|>`` (bos) as the reference."""
        self._ensure_loaded(self.llm_patcher,
                            self._llm_bytes(1, ctx.kv_len + 1, 1, ctx, causal=True, logits_rows=1))
        x = self.llm.embed_tokens(self._token_ids([int(token_id)]), self.load_device, self.compute_dtype)
        pos = torch.tensor([ctx.rope], device=self.load_device)
        h = self._write_block(ctx, x, pos, causal=True, route=None, need_output=True)
        ctx.rope += 1
        return self.llm.logits(h[-1:])[0].float(), ctx

    # ---- denoiser -----------------------------------------------------------------------------
    def _branch_velocity(self, block, hw, ctx: Context) -> torch.Tensor:
        n = block.shape[0]
        pos = torch.full((n,), ctx.rope, dtype=torch.long, device=self.load_device)
        route = self._gen_route(n - 2)
        cache = ctx.cache if ctx.kv_len else None
        if cache is not None and cache.device is not None and cache.device != self.load_device:
            cache.to(self.load_device)
        h = self.llm.run(block, pos, cache, False, False, route, self.compute_dtype)
        return self.llm.velocity_head(route.gen_rows(h))

    @torch.inference_mode()
    def velocity(self, x_t: torch.Tensor, sigma, hw: tuple, ctx_cond: Context,
                 ctx_text_uncond: Optional[Context] = None, ctx_img_uncond: Optional[Context] = None,
                 cfg_text_scale: float = 1.0, cfg_img_scale: float = 1.0,
                 cfg_renorm_type: str = "global", cfg_renorm_min: float = 0.0) -> torch.Tensor:
        """Velocity v = eps - x0 for the packed noisy latent ``x_t`` [h*w, 64] at ``sigma``, with the
        reference's dual CFG and CFG-renorm.  Text guidance runs only if ``cfg_text_scale > 1``
        (and image guidance only on top of it, as in the reference).  Returns v in the compute
        dtype (fp32 where a per-token renorm scale promotes it, as on the official GPU run) on
        ``x_t``'s device.  The caller gates CFG by interval (``latents.cfg_active``)."""
        use_text = cfg_text_scale > 1.0
        use_img = use_text and cfg_img_scale > 1.0
        if use_text and ctx_text_uncond is None:
            raise ValueError("cfg_text_scale > 1 needs ctx_text_uncond")
        if use_img and ctx_img_uncond is None:
            raise ValueError("cfg_img_scale > 1 needs ctx_img_uncond")
        n = hw[0] * hw[1] + 2
        kv_max = max(c.kv_len for c in (ctx_cond, ctx_text_uncond, ctx_img_uncond) if c is not None)
        self._ensure_loaded(self.llm_patcher, self._llm_bytes(n, kv_max + n, 0, None, causal=False))
        block = self._latent_block(x_t, sigma, hw)
        v = self._branch_velocity(block, hw, ctx_cond)
        if use_text:
            v_text = self._branch_velocity(block, hw, ctx_text_uncond)
            v_img = self._branch_velocity(block, hw, ctx_img_uncond) if use_img else None
            v = cfg_combine(v, v_text, v_img, cfg_text_scale, cfg_img_scale, cfg_renorm_type, cfg_renorm_min,
                            self.cfg_norm_fp32)
        return v.to(x_t.device)


def _norm(v, fp32: bool, **kw):
    return torch.norm(v.float() if fp32 else v, **kw)


def cfg_combine(v_cond, v_text_uncond, v_img_uncond, text_scale, img_scale, renorm_type, renorm_min,
                norm_fp32: bool = True):
    """The reference's dual-CFG with renorm.  Arithmetic in v's dtype as the reference; the norms
    follow CUDA autocast (``torch.norm`` runs in fp32 and returns fp32, so per-token scales promote
    the result to fp32) when ``norm_fp32`` (default: the official GPU behaviour), or stay in v's
    dtype as under CPU autocast when False."""
    if renorm_type == "text_channel":
        v_text_ = v_text_uncond + text_scale * (v_cond - v_text_uncond)
        norm_c = _norm(v_cond, norm_fp32, dim=-1, keepdim=True)
        norm_t = _norm(v_text_, norm_fp32, dim=-1, keepdim=True)
        scale = (norm_c / (norm_t + 1e-8)).clamp(min=renorm_min, max=1.0)
        v_text = v_text_ * scale
        if v_img_uncond is not None:
            return v_img_uncond + img_scale * (v_text - v_img_uncond)
        return v_text
    v_text_ = v_text_uncond + text_scale * (v_cond - v_text_uncond)
    v_ = v_img_uncond + img_scale * (v_text_ - v_img_uncond) if v_img_uncond is not None else v_text_
    if renorm_type == "global":
        norm_c, norm_g = _norm(v_cond, norm_fp32), _norm(v_, norm_fp32)
    elif renorm_type == "channel":
        norm_c, norm_g = _norm(v_cond, norm_fp32, dim=-1, keepdim=True), _norm(v_, norm_fp32, dim=-1, keepdim=True)
    else:
        raise ValueError(f"unsupported cfg_renorm_type {renorm_type!r}")
    scale = (norm_c / (norm_g + 1e-8)).clamp(min=renorm_min, max=1.0)
    return v_ * scale
