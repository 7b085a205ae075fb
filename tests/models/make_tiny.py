"""Write tiny BAGEL checkpoints with the real key layout (test and bench helper).

* ``make_folder(dir, **sizes)``: the official layout: ``ema.safetensors`` (seeded random bf16
  weights, the 28 + 16 + 23 key pattern of BAGEL-7B-MoT), ``llm_config.json``,
  ``vit_config.json``, ``bagel_config.json`` (overrides for the tiny sizes), ``config.json``
  (ignored by the loader, as upstream), and a tiny byte-level BPE tokenizer that has the Qwen
  special tokens (``tokenizer.json``, ``vocab.json``, ``merges.txt``, ``tokenizer_config.json``).
* ``make_single(folder, out, weight_dtype)``: the converted single file, through ``convert.py``.

The key/shape table here is written from the checkpoint description (notes/bagel.md §1.3),
independently of ``modeling.py``; a test compares the two. Weights are written chunk by chunk
with the pack's own safetensors writer, so a bench model of a few GB needs little RAM.

Works standalone (``python tests/models/make_tiny.py OUT_DIR [--hidden 1024 ...]``) and as a
module of the test suite. It depends on nothing in ``tests/fixtures``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
            "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
            "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
TINY_MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "a"), ("i", "n"), ("Ġ", "c"), ("a", "t"),
               ("Ġc", "at"), ("o", "n"), ("e", "r")]


def _pack_module(name: str):
    """``models.bagel.<name>`` of this checkout: through the test suite's ``comfyui_coco`` package
    when it is loaded, else with the repository root on sys.path."""
    if "comfyui_coco" in sys.modules:
        return importlib.import_module(f"comfyui_coco.models.bagel.{name}")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module(f"models.bagel.{name}")


# ---- configs ------------------------------------------------------------------------------------

def tiny_configs(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=None, vocab=None,
                 vit_hidden=32, vit_layers=2, vit_heads=2, vit_intermediate=None, vit_patches=4,
                 latent_size=4, tokenizer_size=None):
    """(llm_config, vit_config, bagel_config). ``vit_layers`` is the number of ViT layers that
    exist in the weights; vit_config says one more, as the production file does (the reference
    drops the last layer)."""
    intermediate = intermediate or hidden * 3 // 2
    vit_intermediate = vit_intermediate or vit_hidden * 3 // 2
    tokenizer_size = tokenizer_size or (256 + len(TINY_MERGES) + len(SPECIALS))
    vocab = vocab or ((tokenizer_size + 63) // 64 * 64 + 64)  # > tokenizer size, like 152064 > 151665
    llm = {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
        "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
        "num_attention_heads": heads, "num_key_value_heads": kv_heads, "vocab_size": vocab,
        "max_position_embeddings": 4096, "max_window_layers": layers, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "rope_scaling": None, "sliding_window": 4096, "use_sliding_window": False,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True, "attention_dropout": 0.0,
        "initializer_range": 0.02, "bos_token_id": 256 + len(TINY_MERGES),
        "eos_token_id": 256 + len(TINY_MERGES) + 2,
    }
    vit = {
        "model_type": "siglip_vision_model", "hidden_act": "gelu_pytorch_tanh", "hidden_size": vit_hidden,
        "intermediate_size": vit_intermediate, "num_attention_heads": vit_heads,
        "num_hidden_layers": vit_layers + 1, "num_channels": 3, "patch_size": 14,
        "image_size": 14 * vit_patches, "layer_norm_eps": 1e-6, "attention_dropout": 0.0,
    }
    bagel = {"vit_max_num_patch_per_side": vit_patches, "max_latent_size": latent_size, "latent_patch_size": 2}
    return llm, vit, bagel


def official_shapes(llm: dict, vit: dict, bagel: dict) -> dict[str, tuple]:
    """Key -> shape of ``ema.safetensors`` for these configs (notes/bagel.md §1.3)."""
    H, I, V = llm["hidden_size"], llm["intermediate_size"], llm["vocab_size"]
    nh, nkv = llm["num_attention_heads"], llm["num_key_value_heads"]
    hd = H // nh
    Hv, Iv, P = vit["hidden_size"], vit["intermediate_size"], vit["patch_size"]
    vit_layers = vit["num_hidden_layers"] - 1
    npos = (vit["image_size"] // P) ** 2
    vmax = bagel.get("vit_max_num_patch_per_side", 70)
    lmax = bagel.get("max_latent_size", 64)
    lp = bagel.get("latent_patch_size", 2)
    zc = 16
    s: dict[str, tuple] = {}
    lm = "language_model.model"
    s[f"{lm}.embed_tokens.weight"] = (V, H)
    s["language_model.lm_head.weight"] = (V, H)
    s[f"{lm}.norm.weight"] = (H,)
    s[f"{lm}.norm_moe_gen.weight"] = (H,)
    for i in range(llm["num_hidden_layers"]):
        p = f"{lm}.layers.{i}"
        for sfx in ("", "_moe_gen"):
            s[f"{p}.self_attn.q_proj{sfx}.weight"] = (nh * hd, H)
            s[f"{p}.self_attn.q_proj{sfx}.bias"] = (nh * hd,)
            s[f"{p}.self_attn.k_proj{sfx}.weight"] = (nkv * hd, H)
            s[f"{p}.self_attn.k_proj{sfx}.bias"] = (nkv * hd,)
            s[f"{p}.self_attn.v_proj{sfx}.weight"] = (nkv * hd, H)
            s[f"{p}.self_attn.v_proj{sfx}.bias"] = (nkv * hd,)
            s[f"{p}.self_attn.o_proj{sfx}.weight"] = (H, nh * hd)
            s[f"{p}.self_attn.q_norm{sfx}.weight"] = (hd,)
            s[f"{p}.self_attn.k_norm{sfx}.weight"] = (hd,)
            mlp = "mlp" if not sfx else "mlp_moe_gen"
            s[f"{p}.{mlp}.gate_proj.weight"] = (I, H)
            s[f"{p}.{mlp}.up_proj.weight"] = (I, H)
            s[f"{p}.{mlp}.down_proj.weight"] = (H, I)
            s[f"{p}.input_layernorm{sfx}.weight"] = (H,)
            s[f"{p}.post_attention_layernorm{sfx}.weight"] = (H,)
    vm = "vit_model.vision_model"
    s[f"{vm}.embeddings.patch_embedding.weight"] = (Hv, 3 * P * P)
    s[f"{vm}.embeddings.patch_embedding.bias"] = (Hv,)
    s[f"{vm}.embeddings.position_embedding.weight"] = (npos, Hv)
    for i in range(vit_layers):
        p = f"{vm}.encoder.layers.{i}"
        for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
            s[f"{p}.self_attn.{n}.weight"] = (Hv, Hv)
            s[f"{p}.self_attn.{n}.bias"] = (Hv,)
        for n in ("layer_norm1", "layer_norm2"):
            s[f"{p}.{n}.weight"] = (Hv,)
            s[f"{p}.{n}.bias"] = (Hv,)
        s[f"{p}.mlp.fc1.weight"] = (Iv, Hv)
        s[f"{p}.mlp.fc1.bias"] = (Iv,)
        s[f"{p}.mlp.fc2.weight"] = (Hv, Iv)
        s[f"{p}.mlp.fc2.bias"] = (Hv,)
    s[f"{vm}.post_layernorm.weight"] = (Hv,)
    s[f"{vm}.post_layernorm.bias"] = (Hv,)
    s["connector.fc1.weight"] = (H, Hv)
    s["connector.fc1.bias"] = (H,)
    s["connector.fc2.weight"] = (H, H)
    s["connector.fc2.bias"] = (H,)
    s["vit_pos_embed.pos_embed"] = (vmax * vmax, H)
    s["latent_pos_embed.pos_embed"] = (lmax * lmax, H)
    s["time_embedder.mlp.0.weight"] = (H, 256)
    s["time_embedder.mlp.0.bias"] = (H,)
    s["time_embedder.mlp.2.weight"] = (H, H)
    s["time_embedder.mlp.2.bias"] = (H,)
    s["vae2llm.weight"] = (H, lp * lp * zc)
    s["vae2llm.bias"] = (H,)
    s["llm2vae.weight"] = (lp * lp * zc, H)
    s["llm2vae.bias"] = (lp * lp * zc,)
    return s


# ---- tokenizer ----------------------------------------------------------------------------------

def tiny_tokenizer_files() -> dict[str, str]:
    """A byte-level BPE (256 byte tokens + a few merges) with the Qwen special tokens appended,
    as the four files of a Hugging Face tokenizer folder."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for a, b in TINY_MERGES:
        vocab[a + b] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=dict(vocab), merges=list(TINY_MERGES), unk_token=None, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    added = {}
    for content in SPECIALS:
        tok.add_special_tokens([AddedToken(content, special=True, normalized=False)])
        added[str(tok.token_to_id(content))] = {"content": content, "lstrip": False, "normalized": False,
                                                "rstrip": False, "single_word": False, "special": True}
    cfg = {"added_tokens_decoder": added, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
           "model_max_length": 4096, "tokenizer_class": "Qwen2Tokenizer", "clean_up_tokenization_spaces": False,
           "errors": "replace", "split_special_tokens": False}
    merges = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in TINY_MERGES)
    return {"tokenizer.json": tok.to_str(pretty=True),
            "vocab.json": json.dumps(vocab, ensure_ascii=False),
            "merges.txt": merges,
            "tokenizer_config.json": json.dumps(cfg, indent=2)}


# ---- weights ------------------------------------------------------------------------------------

def _random_pieces(shape, seed: int, chunk: int = 8 << 20):
    """Seeded N(0, 0.02) bf16 values for one tensor, chunk by chunk (norm-like vectors near 1)."""
    n = 1
    for d in shape:
        n *= d

    def gen():
        g = torch.Generator().manual_seed(seed)
        done = 0
        while done < n:
            k = min(chunk, n - done)
            x = torch.randn(k, generator=g, dtype=torch.float32) * 0.02
            if len(shape) == 1:
                x += 1.0
            yield x.to(torch.bfloat16)
            done += k
    return gen


def write_weights(path: str, shapes: dict[str, tuple], seed: int = 0, dtype=torch.bfloat16, metadata=None) -> None:
    convert = _pack_module("convert")
    items = []
    for i, key in enumerate(sorted(shapes)):
        gen = _random_pieces(shapes[key], seed * 100003 + i)
        if dtype != torch.bfloat16:
            gen = (lambda g: lambda: (p.to(dtype) for p in g()))(gen)
        items.append((key, dtype, tuple(shapes[key]), gen))
    convert.write_safetensors(path, items, metadata or {"format": "pt"})


def make_folder(folder, seed: int = 0, *, with_tokenizer_json: bool = True, **sizes) -> Path:
    """The official folder layout with seeded random weights. Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    llm, vit, bagel = tiny_configs(**sizes)
    (folder / "llm_config.json").write_text(json.dumps(llm, indent=2))
    (folder / "vit_config.json").write_text(json.dumps(vit, indent=2))
    (folder / "bagel_config.json").write_text(json.dumps(bagel, indent=2))
    (folder / "config.json").write_text(json.dumps({"name": ["BAGEL-7B-MoT"]}))  # ignored, as upstream
    for name, text in tiny_tokenizer_files().items():
        if name == "tokenizer.json" and not with_tokenizer_json:
            continue
        (folder / name).write_text(text, encoding="utf-8")
    write_weights(str(folder / "ema.safetensors"), official_shapes(llm, vit, bagel), seed)
    return folder


def make_single(folder, out, weight_dtype: str = "fp8_e4m3fn") -> Path:
    """The converted single file, written by the pack's converter."""
    convert = _pack_module("convert")
    convert.convert_checkpoint(str(folder), str(out), weight_dtype, overwrite=True)
    return Path(out)


def weights_bytes(shapes: dict[str, tuple], itemsize: int = 2) -> int:
    total = 0
    for s in shapes.values():
        n = 1
        for d in s:
            n *= d
        total += n * itemsize
    return total


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    f = make_folder(a.out, a.seed, hidden=a.hidden, layers=a.layers, heads=a.heads, kv_heads=a.kv_heads)
    print(f, sum(p.stat().st_size for p in f.iterdir()) / 1e6, "MB")
