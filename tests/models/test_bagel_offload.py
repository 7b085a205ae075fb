"""BAGEL model core inside ComfyUI's model management (real ComfyUI 0.3.75 modules, CPU):
partial (low-VRAM) loading, LoRA-style patches on fp8 weights, interrupts, unloading and leaks.

Uses the tiny official-layout checkpoint in tests/fixtures/bagel_tiny (random weights of the real
architecture if it is missing).
"""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest
import torch

import comfy.model_management as mm

from comfyui_coco.models.bagel import modeling
from comfyui_coco.models.bagel.config import BagelConfig
from comfyui_coco.models.bagel.pipeline import CoCoModel
from comfyui_coco.models.bagel.sampler import generate

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "bagel_tiny"
FP8 = torch.float8_e4m3fn


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny matrices: one intra-op thread is ~20x faster than two on a loaded 2-core box."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _tiny_cfg() -> BagelConfig:
    if (TINY / "llm_config.json").exists():
        rd = lambda n: json.loads((TINY / n).read_text())  # noqa: E731
        return BagelConfig.from_dicts(rd("llm_config.json"), rd("vit_config.json"), rd("bagel_config.json"))
    llm = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, vocab_size=384, rope_theta=1e6)
    vit = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=3,
               patch_size=2, image_size=8)
    return BagelConfig.from_dicts(llm, vit, {"max_latent_size": 4, "vit_max_num_patch_per_side": 4})


SPECIAL = {"bos_token_id": 357, "eos_token_id": 358, "start_of_image": 359, "end_of_image": 360}


def _state_dict(cfg) -> dict:
    """bf16 state dict: the fixture's ema.safetensors, or seeded random weights."""
    path = TINY / "ema.safetensors"
    if path.exists():
        from safetensors import safe_open
        with safe_open(str(path), "pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}
    m = modeling.build_bagel(cfg, torch.bfloat16, "cpu")
    return dict(modeling.init_random_weights(m, seed=0).state_dict())


def _make(cfg, sd, weight_dtype, overrides: dict | None = None) -> CoCoModel:
    m = modeling.build_bagel(cfg, weight_dtype, "meta")
    sd = dict(sd)
    sd.update(overrides or {})
    sd = {k: v.to(weight_dtype if modeling.uses_weight_dtype(k) else torch.bfloat16) for k, v in sd.items()}
    m.load_state_dict(sd, assign=True, strict=True)
    return CoCoModel(m, cfg, None, weight_dtype, special_tokens=SPECIAL)


def _outputs(coco: CoCoModel, seed: int = 0) -> dict:
    """Every primitive once: text + ViT + VAE prefill, logits, and a guided velocity."""
    g = torch.Generator().manual_seed(seed)
    ctx = coco.new_context()
    coco.prefill_text(ctx, [5, 17, 42, 99])
    img = torch.rand(3, 8, 8, generator=g) * 2 - 1
    coco.prefill_vit(ctx, img)
    uncond = ctx.clone()
    coco.prefill_vae(ctx, torch.randn(4, 64, generator=g), (2, 2))
    coco.prefill_text(ctx, [7, 8])
    logits, _ = coco.next_token_logits(ctx.clone(), SPECIAL["bos_token_id"])
    x = torch.randn(4, 64, generator=g)
    v = coco.velocity(x, 0.75, (2, 2), ctx, coco.new_context(), uncond, 4.0, 1.5, "global", 0.0)
    return {"logits": logits.float(), "v": v.float(), "vit": coco.encode_vit(img).float()}


@pytest.fixture(scope="module")
def cfg():
    return _tiny_cfg()


@pytest.fixture(scope="module")
def sd(cfg):
    return _state_dict(cfg)


@pytest.fixture(autouse=True)
def _clean():
    mm.interrupt_current_processing(False)
    yield
    mm.interrupt_current_processing(False)
    mm.unload_all_models()
    gc.collect()


def _lowvram_modules(patcher) -> int:
    return sum(1 for m in patcher.model.modules() if getattr(m, "prev_comfy_cast_weights", None) is not None)


@pytest.mark.parametrize("weight_dtype", [torch.bfloat16, FP8], ids=["bf16", "fp8"])
def test_partial_load_matches_full_load(cfg, sd, weight_dtype):
    with torch.inference_mode():
        coco = _make(cfg, sd, weight_dtype)
        full = _outputs(coco)
        assert any(m is coco.llm_patcher for m in mm.loaded_models())
        assert coco.llm_patcher.model.model_lowvram is False
        # weights stay in their storage dtype after loading
        w = coco.llm.language_model.model.layers[0].mlp.down_proj.weight
        assert w.dtype == weight_dtype

        # (a) forced low-VRAM load: a 4 kB weight budget puts every comfy.ops layer on the
        #     per-call cast path (on a GPU those weights stay on the offload device).
        mm.unload_all_models()
        coco.manage_memory = False
        for p in (coco.llm_patcher, coco.vit_patcher):
            p.patch_model(device_to=coco.load_device, lowvram_model_memory=4096)
            assert p.model.model_lowvram is True
            assert _lowvram_modules(p) > 10
        partial = _outputs(coco)
        for p in (coco.llm_patcher, coco.vit_patcher):
            p.unpatch_model(coco.offload_device)
        for k in full:
            assert torch.equal(full[k], partial[k]), f"{k}: partial load differs from full load"

        # (b) ComfyUI's own memory-pressure path: load fully, then partially_unload half of it.
        coco.manage_memory = True
        _outputs(coco)
        loaded = [lm for lm in mm.current_loaded_models if lm.model is coco.llm_patcher]
        assert loaded
        before = coco.llm_patcher.loaded_size()
        loaded[0].model_unload(memory_to_free=before // 2)
        assert coco.llm_patcher.loaded_size() < before and coco.llm_patcher.model.model_lowvram
        coco.manage_memory = False  # on CPU load_models_gpu would load it all again
        again = _outputs(coco)
        for k in full:
            assert torch.equal(full[k], again[k]), f"{k}: partially unloaded model differs"


def test_lora_diff_patch_on_fp8_weight(cfg, sd):
    """A "diff" patch on an fp8 weight changes the output exactly like patching bf16 weights by
    hand: lazily (low-VRAM cast path) bit-for-bit; merged on a full load within fp8 rounding."""
    keys = ["language_model.model.layers.0.mlp.down_proj.weight",
            "language_model.model.layers.1.self_attn.q_proj_moe_gen.weight",
            "vit_model.vision_model.encoder.layers.0.mlp.fc1.weight"]
    g = torch.Generator().manual_seed(1)
    diffs = {k: 0.05 * torch.randn(sd[k].shape, generator=g) for k in keys}
    with torch.inference_mode():
        # expected: bf16 model whose weights are the fp8-rounded values, plus the diff (in bf16,
        # as ComfyUI's lazy patch applies it to the already-cast weight)
        fp8_round = {k: v.to(FP8).to(torch.bfloat16) for k, v in sd.items() if modeling.uses_weight_dtype(k)}
        manual = dict(fp8_round)
        for k in keys:
            manual[k] = fp8_round[k] + diffs[k].to(torch.bfloat16)
        ref = _outputs(_make(cfg, sd, torch.bfloat16, manual))
        base = _outputs(_make(cfg, sd, FP8))

        coco = _make(cfg, sd, FP8)
        for k in keys:
            patcher = coco.vit_patcher if k.startswith("vit_model") else coco.llm_patcher
            assert patcher.add_patches({k: (diffs[k],)}, 1.0) == [k]

        # lazy: low-VRAM load attaches LowVramPatch to the fp8 layers
        coco.manage_memory = False
        for p in (coco.llm_patcher, coco.vit_patcher):
            p.patch_model(device_to=coco.load_device, lowvram_model_memory=4096)
        lazy = _outputs(coco)
        for p in (coco.llm_patcher, coco.vit_patcher):
            p.unpatch_model(coco.offload_device)
        assert coco.llm.language_model.model.layers[0].mlp.down_proj.weight.dtype == FP8
        for k in ref:
            assert torch.equal(lazy[k], ref[k]), f"{k}: lazy LoRA patch differs from manual bf16 patch"
            assert not torch.equal(lazy[k], base[k]), f"{k}: patch had no effect"

        # merged: a full load writes W + diff back to fp8 (stochastic rounding), so it matches the
        # manual patch only up to fp8 rounding of the patched weights.
        coco.manage_memory = True
        merged = _outputs(coco)
        w = coco.llm.language_model.model.layers[0].mlp.down_proj.weight
        assert w.dtype == FP8
        assert not torch.equal(w.to(torch.bfloat16), fp8_round[keys[0]])
        for k in ref:
            err = (merged[k] - ref[k]).abs().max().item()
            eff = (base[k] - ref[k]).abs().max().item()
            # measured on the tiny fixture: err ~0.1-0.3 x eff; assert clearly below the effect
            assert err < 0.5 * eff, f"{k}: merged patch error {err:.4g} vs patch effect {eff:.4g}"
        mm.unload_all_models()
        assert all(p.model.lowvram_patch_counter == 0 for p in (coco.llm_patcher,))


def test_interrupt_between_layers_then_recovers(cfg, sd):
    with torch.inference_mode():
        coco = _make(cfg, sd, torch.bfloat16)
        ctx = coco.new_context()
        coco.prefill_text(ctx, [5, 17, 42])
        clean = coco.next_token_logits(ctx.clone(), 9)[0]

        layers = coco.llm.language_model.model.layers
        ran = []
        h0 = layers[0].register_forward_hook(lambda *a: mm.interrupt_current_processing(True))
        h1 = layers[1].register_forward_pre_hook(lambda *a: ran.append(1))
        kv_len, rope = ctx.kv_len, ctx.rope
        try:
            with pytest.raises(mm.InterruptProcessingException):
                coco.next_token_logits(ctx, 9)
        finally:
            h0.remove()
            h1.remove()
        assert ran == [], "layer 1 ran after the interrupt"
        assert (ctx.kv_len, ctx.rope) == (kv_len, rope), "an interrupted step must not commit to the cache"

        # ComfyUI clears the flag when it raises; the next call works and matches
        assert not mm.processing_interrupted()
        again = coco.next_token_logits(ctx, 9)[0]
        assert torch.equal(again, clean)

        # the sampler loop checks too
        mm.interrupt_current_processing(True)
        with pytest.raises(mm.InterruptProcessingException):
            generate(coco, ctx, None, None, (2, 2), steps=3, cfg_text_scale=1.0, noise=torch.zeros(4, 64))


def test_unload_frees_and_nothing_leaks(cfg, sd):
    with torch.inference_mode():
        coco = _make(cfg, sd, FP8)
        _outputs(coco)
        ours = [coco.llm_patcher, coco.vit_patcher]
        assert all(any(m is p for m in mm.loaded_models()) for p in ours)
        assert coco.llm_patcher.loaded_size() > 0
        refs = [weakref.ref(coco.llm), weakref.ref(coco.vit),
                weakref.ref(coco.llm.language_model.model.layers[0].mlp.down_proj.weight)]
        mm.unload_all_models()
        assert not any(m is p for m in mm.loaded_models() for p in ours)
        assert coco.llm_patcher.loaded_size() == 0 and coco.vit_patcher.loaded_size() == 0
        # loading again after an unload works
        _outputs(coco)
        del ours
    del coco
    gc.collect()
    assert all(r() is None for r in refs), "a strong reference to the BAGEL modules survived"
    mm.cleanup_models()
    assert not any(lm.real_model is not None and lm.real_model() is not None and
                   type(lm.real_model()).__name__.startswith("Bagel") for lm in mm.current_loaded_models)
