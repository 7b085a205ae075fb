"""A real core CLIP (comfy.sd.CLIP + SD1 tokenizer + comfy.clip_model.CLIPTextModel) with a tiny
text model (hidden 32, 2 layers, seeded random weights): core code end to end, no mock."""

from __future__ import annotations

import functools

import torch

TINY_TEXT_CONFIG = {"attention_dropout": 0.0, "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 49407,
                    "hidden_act": "quick_gelu", "hidden_size": 32, "initializer_factor": 1.0,
                    "initializer_range": 0.02, "intermediate_size": 64, "layer_norm_eps": 1e-05,
                    "max_position_embeddings": 77, "model_type": "clip_text_model", "num_attention_heads": 2,
                    "num_hidden_layers": 2, "pad_token_id": 1, "projection_dim": 32, "vocab_size": 49408}


def tiny_clip(seed: int = 0):
    import comfy.sd
    import comfy.sd1_clip
    import comfy.supported_models_base

    class TinyClipModel(comfy.sd1_clip.SD1ClipModel):
        def __init__(self, device="cpu", dtype=None, model_options={}, **kwargs):
            super().__init__(device=device, dtype=dtype, model_options=model_options,
                             clip_model=functools.partial(comfy.sd1_clip.SDClipModel,
                                                          textmodel_json_config=dict(TINY_TEXT_CONFIG)), **kwargs)

    tokenizer = functools.partial(comfy.sd1_clip.SD1Tokenizer,
                                  tokenizer=functools.partial(comfy.sd1_clip.SDTokenizer, embedding_size=32))
    clip = comfy.sd.CLIP(target=comfy.supported_models_base.ClipTarget(tokenizer, TinyClipModel),
                         model_options={"dtype": torch.float32})
    g = torch.Generator().manual_seed(seed)
    sd = {k: torch.randn(v.shape, generator=g) * 0.05 for k, v in clip.cond_stage_model.state_dict().items()}
    missing, unexpected = clip.cond_stage_model.load_state_dict(sd, strict=False)
    assert not unexpected
    return clip
