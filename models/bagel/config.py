"""Configuration of BAGEL-7B-MoT / CoCo, built from the official JSON files.

The official code reads ``llm_config.json`` (Qwen2) and ``vit_config.json`` (SigLIP) and then
overrides or adds fields in code (qk_norm, tie_word_embeddings, ViT layers - 1, the BagelConfig
values).  ``BagelConfig.from_dicts`` reproduces exactly that; ``overrides`` takes BagelConfig
fields (and optionally ``llm_config`` / ``vit_config`` / ``vae_config`` sub-dicts) as found in a
``bagel_config.json`` next to the checkpoint.

This module imports nothing but the standard library.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# CFG-renorm variants of the reference sampler (checked once, by ``sampler.generate``).
RENORM_TYPES = ("global", "channel", "text_channel")
_GELU_TANH = ("gelu_pytorch_tanh", "gelu_new", "gelu_fast")
SUPPORTED_ACTS = ("silu", "gelu", *_GELU_TANH)


class ConfigError(ValueError):
    """A configuration that this implementation cannot run (wrong or missing values)."""


def _pick(cls, d: dict[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(d).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def _from_dict(cls, d: dict[str, Any], where: str):
    """Build and validate a config dataclass from a JSON dict (unknown keys ignored)."""
    kw = _pick(cls, d, where)
    missing = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING and f.name not in kw]
    if missing:
        raise ConfigError(f"{where}: missing required field(s) {missing}")
    return cls(**kw).validate()


def _require_positive(obj, names, where):
    for n in names:
        v = getattr(obj, n)
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"{where}: '{n}' must be a positive integer, got {v!r}")


@dataclass
class LLMConfig:
    """Qwen2(.5) decoder with QK-norm and a generation expert per layer (MoT)."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0  # Qwen2Config's code default; llm_config.json of BAGEL says 1e6
    max_position_embeddings: int = 32768
    qk_norm: bool = True
    tie_word_embeddings: bool = False
    hidden_act: str = "silu"
    rope_scaling: Any = None

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def validate(self) -> "LLMConfig":
        w = "llm_config"
        _require_positive(self, ("hidden_size", "intermediate_size", "num_hidden_layers",
                                 "num_attention_heads", "num_key_value_heads", "vocab_size",
                                 "max_position_embeddings"), w)
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(f"{w}: hidden_size {self.hidden_size} is not divisible by "
                              f"num_attention_heads {self.num_attention_heads}")
        if self.head_dim % 2:
            raise ConfigError(f"{w}: head_dim {self.head_dim} must be even for RoPE")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ConfigError(f"{w}: num_attention_heads {self.num_attention_heads} is not a multiple "
                              f"of num_key_value_heads {self.num_key_value_heads}")
        if self.hidden_act != "silu":
            raise ConfigError(f"{w}: hidden_act {self.hidden_act!r} is not supported (BAGEL uses 'silu')")
        if self.rope_scaling not in (None, {}):
            raise ConfigError(f"{w}: rope_scaling {self.rope_scaling!r} is not supported (BAGEL uses none)")
        if self.tie_word_embeddings:
            raise ConfigError(f"{w}: tied word embeddings are not supported (BAGEL stores lm_head)")
        if not (float(self.rms_norm_eps) > 0 and float(self.rope_theta) > 0):
            raise ConfigError(f"{w}: rms_norm_eps and rope_theta must be positive")
        self.rms_norm_eps = float(self.rms_norm_eps)
        self.rope_theta = float(self.rope_theta)
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LLMConfig":
        return _from_dict(cls, d, "llm_config")


@dataclass
class ViTConfig:
    """SigLIP-NaViT vision tower.  ``num_hidden_layers`` is the value in vit_config.json; the
    model builds ``num_layers_used = num_hidden_layers - 1`` layers, as the reference does."""

    hidden_size: int
    intermediate_size: int
    num_attention_heads: int
    num_hidden_layers: int
    patch_size: int
    image_size: int
    layer_norm_eps: float = 1e-6
    hidden_act: str = "gelu_pytorch_tanh"
    num_channels: int = 3

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def num_layers_used(self) -> int:
        return self.num_hidden_layers - 1

    @property
    def num_positions(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def validate(self) -> "ViTConfig":
        w = "vit_config"
        _require_positive(self, ("hidden_size", "intermediate_size", "num_attention_heads",
                                 "num_hidden_layers", "patch_size", "image_size", "num_channels"), w)
        if self.num_hidden_layers < 2:
            raise ConfigError(f"{w}: num_hidden_layers must be >= 2 (the last layer is dropped)")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(f"{w}: hidden_size is not divisible by num_attention_heads")
        if self.hidden_act not in SUPPORTED_ACTS:
            raise ConfigError(f"{w}: hidden_act {self.hidden_act!r} is not supported")
        self.layer_norm_eps = float(self.layer_norm_eps)
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ViTConfig":
        return _from_dict(cls, d, "vit_config")


@dataclass
class BagelConfig:
    llm: LLMConfig
    vit: ViTConfig
    vit_max_num_patch_per_side: int = 70
    latent_patch_size: int = 2
    max_latent_size: int = 64          # class default is 32; the 7B-MoT checkpoint needs 64
    latent_channels: int = 16          # FLUX AE z_channels
    vae_downsample: int = 8
    connector_act: str = "gelu_pytorch_tanh"
    interpolate_pos: bool = False
    timestep_shift: float = 1.0        # training-only in the reference; inference passes its own
    vae_scale_factor: float = 0.3611
    vae_shift_factor: float = 0.1159
    # special token ids (Qwen2.5 tokenizer); a tokenizer may override them at runtime
    special_tokens: dict = field(default_factory=lambda: {
        "bos_token_id": 151644,        # <|im_start|>
        "eos_token_id": 151645,        # <|im_end|>
        "start_of_image": 151652,      # <|vision_start|>
        "end_of_image": 151653,        # <|vision_end|>
    })

    # ---- derived geometry -------------------------------------------------------------------
    @property
    def latent_downsample(self) -> int:
        """Pixels per latent token side (VAE downsample x latent patch)."""
        return self.vae_downsample * self.latent_patch_size

    @property
    def patch_latent_dim(self) -> int:
        return self.latent_patch_size ** 2 * self.latent_channels

    @property
    def max_image_side(self) -> int:
        return self.max_latent_size * self.latent_downsample

    def validate(self) -> "BagelConfig":
        self.llm.validate()
        self.vit.validate()
        _require_positive(self, ("vit_max_num_patch_per_side", "latent_patch_size", "max_latent_size",
                                 "latent_channels", "vae_downsample"), "bagel_config")
        if self.vit.image_size != self.vit.patch_size * self.vit_max_num_patch_per_side:
            raise ConfigError(
                f"bagel_config: vit image_size {self.vit.image_size} must equal patch_size "
                f"{self.vit.patch_size} x vit_max_num_patch_per_side {self.vit_max_num_patch_per_side} "
                "(the learned SigLIP position table is indexed row*side+col)")
        if self.connector_act not in SUPPORTED_ACTS:
            raise ConfigError(f"bagel_config: connector_act {self.connector_act!r} is not supported")
        if self.interpolate_pos:
            raise ConfigError("bagel_config: interpolate_pos=True is not supported (BAGEL uses False)")
        if self.llm.hidden_size % 4:
            raise ConfigError("bagel_config: llm hidden_size must be divisible by 4 (2-D sin-cos tables)")
        for k in ("bos_token_id", "eos_token_id", "start_of_image", "end_of_image"):
            if not isinstance(self.special_tokens.get(k), int):
                raise ConfigError(f"bagel_config: special_tokens[{k!r}] must be an int")
        return self

    @classmethod
    def from_dicts(cls, llm: dict, vit: dict, overrides: dict | None = None) -> "BagelConfig":
        """Build the config the way the official inference code does.

        ``overrides`` may hold BagelConfig fields, ``llm_config`` / ``vit_config`` sub-dicts
        (merged over ``llm`` / ``vit``), ``vae_config`` ({downsample, z_channels}) and
        ``new_token_ids`` / ``special_tokens``.  Unknown keys are ignored (logged at debug)."""
        overrides = dict(overrides or {})
        llm = dict(llm)
        vit = dict(vit)
        llm.update(overrides.pop("llm_config", None) or {})
        vit.update(overrides.pop("vit_config", None) or {})
        # what the reference forces in code
        llm.setdefault("qk_norm", True)
        llm["tie_word_embeddings"] = bool(overrides.pop("tie_word_embeddings", False))
        vae = overrides.pop("vae_config", None) or {}
        kw: dict[str, Any] = {}
        if "downsample" in vae:
            kw["vae_downsample"] = vae["downsample"]
        if "z_channels" in vae:
            kw["latent_channels"] = vae["z_channels"]
        for k in ("scale_factor", "shift_factor"):
            if k in vae:
                kw["vae_" + k] = float(vae[k])
        if "vae_z_channels" in overrides:  # flat alias
            kw["latent_channels"] = overrides.pop("vae_z_channels")
        tokens = dict(cls.__dataclass_fields__["special_tokens"].default_factory())
        tokens.update(overrides.pop("new_token_ids", None) or {})
        tokens.update(overrides.pop("special_tokens", None) or {})
        kw["special_tokens"] = {k: v for k, v in tokens.items()
                                if k in ("bos_token_id", "eos_token_id", "start_of_image", "end_of_image")}
        names = {f.name for f in dataclasses.fields(cls)} - {"llm", "vit", "special_tokens"}
        for k, v in overrides.items():
            if k in names:
                kw[k] = v
            else:
                log.debug("BagelConfig: ignoring unknown key %r", k)
        return cls(llm=LLMConfig.from_dict(llm), vit=ViTConfig.from_dict(vit), **kw).validate()

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["llm_config"] = d.pop("llm")
        d["vit_config"] = d.pop("vit")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BagelConfig":
        """Inverse of ``to_dict`` (e.g. config embedded in a converted checkpoint's metadata)."""
        d = dict(d)
        return cls.from_dicts(d.pop("llm_config"), d.pop("vit_config"), d)
