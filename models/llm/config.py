"""The HF ``config.json`` of a plain Qwen2/Qwen2.5 model, and what the native decoder supports.

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

NATIVE_MODEL_TYPES = ("qwen2",)
# how a model folder may be run (CoCo_LLMLoader's "backend"): auto = native when it can, else transformers
BACKENDS = ("auto", "native", "transformers")


class LLMConfigError(ValueError):
    """config.json does not describe a model the native decoder can run (the message says why)."""


def _int(d: dict, key: str, default: Any = None) -> int:
    v = d.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        raise LLMConfigError(f"'{key}' must be a positive integer, got {v!r}")
    return v


@dataclass
class Qwen2TextConfig:
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    head_dim: int
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 32768
    tie_word_embeddings: bool = False
    # what generation ends on according to the checkpoint (config.json / generation_config.json)
    eos_token_ids: tuple = ()
    bos_token_id: Optional[int] = None

    # the fields BAGEL's building blocks read
    qk_norm: bool = False


def id_list(v) -> list[int]:
    """Token ids from a config value: an int, a list of ints, or nothing (None, bools, junk -> [])."""
    if isinstance(v, bool):
        return []
    if isinstance(v, int):
        return [v]
    if isinstance(v, (list, tuple)):
        return [int(x) for x in v if isinstance(x, int) and not isinstance(x, bool)]
    return []


def native_unsupported_reason(cfg: dict) -> Optional[str]:
    """None when the native decoder runs this config exactly; else a one-line reason."""
    mt = cfg.get("model_type")
    if mt not in NATIVE_MODEL_TYPES:
        return f"model_type {mt!r} is not plain Qwen2 (the native decoder runs {', '.join(NATIVE_MODEL_TYPES)})"
    if cfg.get("hidden_act", "silu") != "silu":
        return f"hidden_act {cfg.get('hidden_act')!r} (the native decoder uses silu)"
    # transformers 4.x: rope_theta + rope_scaling; 5.x writes rope_parameters {rope_type, rope_theta, ...}
    for key in ("rope_scaling", "rope_parameters"):
        rs = cfg.get(key)
        if rs in (None, {}):
            continue
        if not isinstance(rs, dict) or rs.get("rope_type", rs.get("type", "default")) != "default":
            return f"{key} {rs!r} (the native decoder implements plain RoPE only)"
    if cfg.get("use_sliding_window") and int(cfg.get("max_window_layers", 0) or 0) < int(cfg.get("num_hidden_layers", 0)):
        return "sliding-window attention is enabled (use_sliding_window: true)"
    lt = cfg.get("layer_types")
    if isinstance(lt, list) and any(t != "full_attention" for t in lt):
        return "some layers use sliding-window attention (layer_types)"
    if cfg.get("quantization_config"):
        return "the checkpoint is quantized (quantization_config); the native decoder reads bf16/fp16/fp32/fp8 weights"
    return None


def parse_qwen2_config(cfg: dict, generation_config: Optional[dict] = None) -> Qwen2TextConfig:
    why = native_unsupported_reason(cfg)
    if why:
        raise LLMConfigError(why)
    hidden = _int(cfg, "hidden_size")
    heads = _int(cfg, "num_attention_heads")
    kv = _int(cfg, "num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or hidden // heads
    if not cfg.get("head_dim") and hidden % heads:
        raise LLMConfigError(f"hidden_size {hidden} is not divisible by num_attention_heads {heads}")
    if head_dim % 2:
        raise LLMConfigError(f"head_dim {head_dim} must be even for RoPE")
    if heads % kv:
        raise LLMConfigError(f"num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}")
    eos = id_list(cfg.get("eos_token_id")) + id_list((generation_config or {}).get("eos_token_id"))
    bos = cfg.get("bos_token_id")
    theta = cfg.get("rope_theta")
    if theta is None and isinstance(cfg.get("rope_parameters"), dict):
        theta = cfg["rope_parameters"].get("rope_theta")
    try:
        eps, theta = float(cfg.get("rms_norm_eps", 1e-6)), float(10000.0 if theta is None else theta)
    except (TypeError, ValueError) as e:
        raise LLMConfigError(f"rms_norm_eps / rope_theta are not numbers: {e}") from None
    if not (eps > 0 and theta > 0):
        raise LLMConfigError("rms_norm_eps and rope_theta must be positive")
    return Qwen2TextConfig(
        hidden_size=hidden, intermediate_size=_int(cfg, "intermediate_size"),
        num_hidden_layers=_int(cfg, "num_hidden_layers"), num_attention_heads=heads, num_key_value_heads=kv,
        vocab_size=_int(cfg, "vocab_size"), head_dim=int(head_dim), rms_norm_eps=eps, rope_theta=theta,
        max_position_embeddings=int(cfg.get("max_position_embeddings") or 32768),
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", False)),
        eos_token_ids=tuple(dict.fromkeys(eos)), bos_token_id=bos if isinstance(bos, int) else None)
