"""BAGEL model core: checkpoint layout, helpers, self-consistency, and numerical parity with the
reference implementation (ByteDance-Seed/Bagel) on the tiny official-layout checkpoint in
tests/fixtures/bagel_tiny (reference outputs in fixtures.safetensors / fixtures.json, see
FIXTURES.md there).  Real ComfyUI modules, CPU, torch.inference_mode.

Tolerances: bf16 weights must match the bf16 reference to bf16 noise (stated per test, with the
error measured when the test was written); fp8 (float8_e4m3fn, unscaled) weights only loosely.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from comfyui_coco.models.bagel import latents as L
from comfyui_coco.models.bagel import modeling
from comfyui_coco.models.bagel.config import BagelConfig, ConfigError
from comfyui_coco.models.bagel.pipeline import CoCoModel, cfg_combine
from comfyui_coco.models.bagel.sampler import generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_gen_text import gen_text  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "bagel_tiny"
FP8 = torch.float8_e4m3fn
needs_tiny = pytest.mark.skipif(not (TINY / "ema.safetensors").exists(), reason="tiny checkpoint missing")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny matrices: one intra-op thread is ~20x faster than two on a loaded 2-core box."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _read(name):
    return json.loads((TINY / name).read_text())


def _cfg() -> BagelConfig:
    return BagelConfig.from_dicts(_read("llm_config.json"), _read("vit_config.json"), _read("bagel_config.json"))


def _special_tokens() -> dict:
    """Special ids from the fixture tokenizer's added tokens."""
    added = {t["content"]: t["id"] for t in _read("tokenizer.json").get("added_tokens", [])}
    return {"bos_token_id": added["<|im_start|>"], "eos_token_id": added["<|im_end|>"],
            "start_of_image": added["<|vision_start|>"], "end_of_image": added["<|vision_end|>"]}


def load_tiny(weight_dtype=torch.bfloat16) -> CoCoModel:
    """Tiny local loader (the pack's loader replaces it): safe_open + load_state_dict(assign)."""
    from safetensors import safe_open
    cfg = _cfg()
    m = modeling.build_bagel(cfg, weight_dtype, "meta")
    with safe_open(str(TINY / "ema.safetensors"), "pt") as f:
        sd = {k: f.get_tensor(k) for k in f.keys()}
    sd = {k: v.to(weight_dtype if modeling.uses_weight_dtype(k) else torch.bfloat16) for k, v in sd.items()}
    m.load_state_dict(sd, assign=True, strict=True)
    return CoCoModel(m, cfg, None, weight_dtype, special_tokens=_special_tokens())


def _err(a, b) -> float:
    return (a.float() - b.float()).abs().max().item()


# ---- layout and helpers (no reference outputs needed) -------------------------------------------

@needs_tiny
def test_state_dict_keys_shapes_and_dtypes_match_checkpoint():
    from safetensors import safe_open
    cfg = _cfg()
    expected = modeling.expected_state_dict_shapes(cfg)
    with safe_open(str(TINY / "ema.safetensors"), "pt") as f:
        got = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    assert set(got) == set(expected)
    assert got == expected
    assert len(got) == 111  # 28*2 + 16*2 + 23 for the 2-layer LLM / 2-layer ViT tiny model
    m = modeling.build_bagel(cfg, FP8, "meta")
    dt = {k: v.dtype for k, v in m.state_dict().items()}
    assert dt == modeling.expected_state_dict_dtypes(cfg, FP8)
    assert dt["language_model.model.layers.0.self_attn.q_proj.weight"] == FP8
    assert dt["language_model.model.layers.0.self_attn.q_proj.bias"] == torch.bfloat16
    assert dt["language_model.lm_head.weight"] == torch.bfloat16
    assert dt["vit_model.vision_model.encoder.layers.1.mlp.fc2.weight"] == FP8
    assert dt["connector.fc1.weight"] == torch.bfloat16


@needs_tiny
def test_sincos_tables_equal_stored_tables():
    from safetensors import safe_open
    with safe_open(str(TINY / "ema.safetensors"), "pt") as f:
        for k in ("latent_pos_embed.pos_embed", "vit_pos_embed.pos_embed"):
            t = f.get_tensor(k)
            side = int(t.shape[0] ** 0.5)
            assert torch.equal(modeling.sincos_2d_table(side, t.shape[1]).to(t.dtype), t), k


def test_production_shapes_and_config_validation():
    llm = dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
               num_key_value_heads=4, vocab_size=152064, rope_theta=1e6, rms_norm_eps=1e-6, unknown_key=1)
    vit = dict(hidden_size=1152, intermediate_size=4304, num_attention_heads=16, num_hidden_layers=27,
               patch_size=14, image_size=980, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
    cfg = BagelConfig.from_dicts(llm, vit, {"max_latent_size": 64})
    shapes = modeling.expected_state_dict_shapes(cfg)
    assert len(shapes) == 1223
    n = sum(torch.Size(s).numel() for s in shapes.values())
    assert n == 14_607_260_128
    assert shapes["vit_model.vision_model.embeddings.patch_embedding.weight"] == (1152, 588)
    assert shapes["latent_pos_embed.pos_embed"] == (4096, 3584)
    assert "vit_model.vision_model.encoder.layers.26.mlp.fc1.weight" not in shapes
    assert BagelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError):
        BagelConfig.from_dicts({**llm, "num_key_value_heads": 5}, vit)
    with pytest.raises(ConfigError):
        BagelConfig.from_dicts(llm, {**vit, "image_size": 224})
    with pytest.raises(ConfigError):
        BagelConfig.from_dicts({k: v for k, v in llm.items() if k != "vocab_size"}, vit)


def test_latent_helpers():
    z = torch.randn(1, 16, 12, 8)
    packed, hw = L.pack_latent(z)
    assert hw == (6, 4) and packed.shape == (24, 64)
    # (p_h, p_w, c) feature order: token 0 = z[:, 0:2, 0:2] laid out row, col, channel
    assert torch.equal(packed[0], z[0, :, 0:2, 0:2].permute(1, 2, 0).reshape(-1))
    assert torch.equal(L.unpack_latent(packed, hw), z)
    raw = torch.randn(1, 16, 4, 4)
    assert torch.allclose(L.bagel_to_comfy(L.comfy_to_bagel(raw)), raw, atol=1e-6)
    assert torch.allclose(L.comfy_to_bagel(raw), 0.3611 * (raw - 0.1159))
    s = L.flow_sigmas(4, 3.0)
    t = torch.tensor([1.0, 2 / 3, 1 / 3, 0.0])
    assert torch.allclose(s, 3 * t / (1 + 2 * t)) and s[0] == 1 and s[-1] == 0
    assert L.cfg_active(torch.tensor(0.5), (0.4, 1.0)) and not L.cfg_active(torch.tensor(0.4), (0.4, 1.0))
    assert torch.equal(L.flattened_position_ids(2, 3, 4), torch.tensor([0, 1, 2, 4, 5, 6]))
    img = torch.randn(3, 4, 6)
    p = L.patchify(img, 2)
    assert p.shape == (6, 12) and torch.equal(p[1], img[:, 0:2, 2:4].permute(1, 2, 0).reshape(-1))
    v = torch.randn(5, 64, dtype=torch.bfloat16)
    x = torch.randn(5, 64)
    dt = torch.tensor(0.25)
    assert torch.equal(L.euler_step(x, v, dt), x - (v * dt).float())
    assert (v * dt).dtype == torch.bfloat16  # the reference rounds v*dt to bf16


def test_cfg_combine_reference_formulas():
    g = torch.Generator().manual_seed(0)
    c, u, i = (torch.randn(6, 64, generator=g) for _ in range(3))
    vt = u + 4.0 * (c - u)
    vg = i + 1.5 * (vt - i)
    want = vg * (c.norm() / (vg.norm() + 1e-8)).clamp(0.0, 1.0)
    assert torch.allclose(cfg_combine(c, u, i, 4.0, 1.5, "global", 0.0), want)
    want = vg * (c.norm(dim=-1, keepdim=True) / (vg.norm(dim=-1, keepdim=True) + 1e-8)).clamp(0.0, 1.0)
    assert torch.allclose(cfg_combine(c, u, i, 4.0, 1.5, "channel", 0.0), want)
    vtr = vt * (c.norm(dim=-1, keepdim=True) / (vt.norm(dim=-1, keepdim=True) + 1e-8)).clamp(0.0, 1.0)
    assert torch.allclose(cfg_combine(c, u, i, 4.0, 1.5, "text_channel", 0.0), i + 1.5 * (vtr - i))
    assert torch.allclose(cfg_combine(c, u, None, 4.0, 1.0, "global", 1.0), vt)  # renorm_min 1 disables


@needs_tiny
def test_chunked_and_incremental_prefill_are_consistent():
    """Bottom-right causal alignment: one block, chunks, or token-by-token give the same cache."""
    with torch.inference_mode():
        coco = load_tiny()
        ids = [5, 17, 42, 99, 3, 8, 250]
        a = coco.new_context()
        coco.prefill_text(a, ids)
        b = coco.new_context()
        coco.prefill_text(b, ids, chunk=3)
        assert (a.kv_len, a.rope) == (b.kv_len, b.rope) == (len(ids) + 2, len(ids) + 2)
        la, _ = coco.next_token_logits(a, 11)
        lb, _ = coco.next_token_logits(b, 11)
        # measured: 0 (rows of a bf16 GEMM do not depend on how the block is split here)
        assert _err(la, lb) <= 0.05, _err(la, lb)
        c = coco.new_context()
        st = coco.special_tokens
        seq = [st["bos_token_id"], *ids, st["eos_token_id"], 11]
        for t in seq:
            lc, _ = coco.next_token_logits(c, t)
        # one token at a time vs blocks: bf16 GEMV vs GEMM rounding only
        assert _err(la, lc) <= 0.1, _err(la, lc)
        assert int(la.argmax()) == int(lc.argmax())


# ---- parity with the reference fixtures ---------------------------------------------------------
#
# fixtures.safetensors: the unmodified reference, bf16 weights under CPU autocast, with two harness
# choices that differ from a production GPU run (FIXTURES.md "Provenance"):
#   * its flash_attn stand-in computes softmax(q k^T / sqrt d) v in fp32 (flash-attn and SDPA
#     round differently), and
#   * the whole model was cast to bf16 with .to(), which also rounds RoPE's inv_freq buffer to
#     bf16; the official app (init_empty_weights + load_checkpoint_and_dispatch(dtype=bf16)) keeps
#     that buffer fp32, and so do we.
# fixtures_cudanorm.safetensors: the same with torch.norm in fp32 (CUDA autocast), our default.
#
# test_bit_exact_*: with exactly those two harness choices emulated (test-local monkeypatches of
# ``modeling.attention`` / ``modeling.rope_cos_sin``), every fixture key matches bit for bit.
# test_bf16_*: production numerics (bf16 SDPA, fp32 inv_freq) against the same fixtures, within
# bf16 noise.  (A separate run of the unmodified reference with a bf16-SDPA stand-in and fp32
# inv_freq, outside the repo, matched production numerics bit-exactly on text/ViT/VAE/CFG/4-step.)

needs_fixtures = pytest.mark.skipif(not (TINY / "fixtures.safetensors").exists(), reason="reference fixtures missing")


@pytest.fixture(scope="module")
def fx():
    from safetensors.torch import load_file
    main = load_file(str(TINY / "fixtures.safetensors"))
    cuda = {**main, **load_file(str(TINY / "fixtures_cudanorm.safetensors"))}
    return {"cpu": main, "cuda": cuda, "json": _read("fixtures.json")["bf16"]}


def _run_cases(coco: CoCoModel, R: dict, J: dict) -> dict:
    """Every fixture case through our primitives -> {key: (ours, reference)}; greedy ids are
    compared separately; step logits use teacher forcing (the reference ids are fed)."""
    out = {}
    ctx = coco.new_context()
    coco.prefill_text(ctx, J["text"]["prompt_ids"])
    out["text.kv_cache_layer0_k"] = ctx.cache.k[0][: ctx.kv_len]
    out["text.kv_cache_layer0_v"] = ctx.cache.v[0][: ctx.kv_len]
    c, steps = ctx.clone(), []
    for t in R["gen.greedy_ids"].tolist():
        lg, c = coco.next_token_logits(c, t)
        steps.append(lg)
    out["gen.step_logits"] = torch.stack(steps)
    out["text.next_logits"] = steps[0]
    px = R["inputs.vit_pixel_values"]
    out["vit.llm_tokens"] = coco.encode_vit(px)
    und = coco.new_context()
    coco.prefill_vit(und, px)
    coco.prefill_text(und, J["und"]["prompt_ids"])
    assert (und.kv_len, und.rope) == (J["und"]["kv_lens"][0], J["und"]["ropes"][0])
    out["und.next_logits"] = coco.next_token_logits(und.clone(), 357)[0]

    hw, empty, x = (2, 3), coco.new_context(), R["t2i_vel.x_t"]
    out["t2i_vel.v_cond"] = coco.velocity(x, 0.75, hw, ctx)
    out["t2i_vel.v_text_uncond"] = coco.velocity(x, 0.75, hw, empty)
    out["t2i_vel.v_cond_sigma1"] = coco.velocity(x, 1.0, hw, ctx)
    for rt in ("global", "channel", "text_channel"):
        out[f"t2i_vel.v_cfg_text4_{rt}"] = coco.velocity(x, 0.75, hw, ctx, empty, None, 4.0, 1.0, rt, 0.0)
    out["t2i_vel.v_app_text4_img1p5_global"] = coco.velocity(x, 0.75, hw, ctx, empty, ctx, 4.0, 1.5, "global", 0.0)

    def trajectory(name, hw_, cond, text_u, img_u):
        h, xs, vs = J[name]["hyper"], [R[f"{name}.noise"]], []
        sig = L.flow_sigmas(h["num_timesteps"], h["timestep_shift"])
        assert torch.equal(sig[:-1], R[f"{name}.sigmas"])
        x_ = R[f"{name}.noise"].clone()
        for i in range(h["num_timesteps"] - 1):
            on = L.cfg_active(sig[i], h["cfg_interval"])
            v = coco.velocity(x_, sig[i].item(), hw_, cond, text_u, img_u, h["cfg_text_scale"] if on else 1.0,
                              h["cfg_img_scale"] if on else 1.0, h["cfg_renorm_type"], h["cfg_renorm_min"])
            x_ = L.euler_step(x_, v, sig[i] - sig[i + 1])
            xs.append(x_)
            vs.append(v)
        out[f"{name}.v_steps"] = torch.stack(vs)
        out[f"{name}.x_states"] = torch.stack(xs)
        out[f"{name}.final_unpacked"] = L.unpack_latent(x_, hw_)
        # the pipeline's own sampler gives the same result
        s = generate(coco, cond, text_u, img_u, hw_, h["num_timesteps"], h["timestep_shift"], h["cfg_text_scale"],
                     h["cfg_img_scale"], tuple(h["cfg_interval"]), h["cfg_renorm_type"], h["cfg_renorm_min"],
                     noise=R[f"{name}.noise"].clone())
        assert torch.equal(s, x_)

    trajectory("t2i", hw, ctx, empty, None)
    trajectory("t2i_gate", hw, ctx, empty, None)

    ehw = (3, 2)
    packed, got_hw = L.pack_latent(R["inputs.edit_vae_latent"])
    assert got_hw == ehw and torch.equal(packed, R["edit.vae_latent_packed"])
    gen = coco.new_context()
    coco.prefill_vae(gen, packed, ehw)
    coco.prefill_vit(gen, px)
    cfg_text = gen.clone()
    coco.prefill_text(gen, J["edit"]["prompt_ids"])
    cfg_img = coco.new_context()
    coco.prefill_text(cfg_img, J["edit"]["prompt_ids"])
    out["edit.ctx_kv_layer0_k"] = gen.cache.k[0][: gen.kv_len]
    out["edit.ctx_kv_layer0_v"] = gen.cache.v[0][: gen.kv_len]
    x = R["edit_vel.x_t"]
    out["edit_vel.v_cond"] = coco.velocity(x, 0.75, ehw, gen)
    out["edit_vel.v_text_uncond"] = coco.velocity(x, 0.75, ehw, cfg_text)
    out["edit_vel.v_img_uncond"] = coco.velocity(x, 0.75, ehw, cfg_img)
    for rt in ("global", "channel", "text_channel"):
        out[f"edit_vel.v_cfg_text4_img2_{rt}"] = coco.velocity(x, 0.75, ehw, gen, cfg_text, cfg_img, 4.0, 2.0, rt, 0.0)
    out["edit_vel.v_cfg_text4_img1_text_channel"] = coco.velocity(x, 0.75, ehw, gen, cfg_text, cfg_img, 4.0, 1.0,
                                                                  "text_channel", 0.0)
    trajectory("edit", ehw, gen, cfg_text, cfg_img)
    return {k: (v.float(), R[k].float()) for k, v in out.items()}


def _greedy(coco: CoCoModel, J: dict, R: dict) -> tuple[list, list]:
    ctx = coco.new_context()
    coco.prefill_text(ctx, J["text"]["prompt_ids"])
    gen = [357] + gen_text(coco, ctx, len(J["gen"]["greedy_ids"]))
    und = coco.new_context()
    coco.prefill_vit(und, R["inputs.vit_pixel_values"])
    coco.prefill_text(und, J["und"]["prompt_ids"])
    return gen, [357] + gen_text(coco, und, len(J["und"]["greedy_ids"]))


def _rel_l2(a, b) -> float:
    return ((a - b).norm() / b.norm().clamp_min(1e-12)).item()


def _is_cfg_or_traj(key: str) -> bool:
    return "_cfg_" in key or "_app_" in key or key.split(".")[0] in ("t2i", "t2i_gate", "edit") and \
        key.split(".")[1] in ("v_steps", "x_states", "final_unpacked")


@needs_fixtures
@pytest.mark.parametrize("variant", ["cpu", "cuda"], ids=["cpu_autocast_norm", "cuda_autocast_norm"])
def test_bit_exact_with_reference_harness_numerics(fx, monkeypatch, variant):
    """With the fixture harness' attention (fp32 softmax) and bf16-rounded inv_freq emulated, every
    output equals the reference bit for bit.  Tolerance 0; measured 0 on all 40 keys."""
    import math

    def attention_fp32(q, k, v, causal_offset):
        n, h, d = q.shape
        L_, hkv = k.shape[0], k.shape[1]
        k, v = k.repeat_interleave(h // hkv, dim=1), v.repeat_interleave(h // hkv, dim=1)
        qf, kf, vf = (t.float().transpose(0, 1) for t in (q, k, v))
        s = (qf @ kf.transpose(-1, -2)) / math.sqrt(d)
        if causal_offset is not None:
            s = s.masked_fill(~torch.ones(n, L_, dtype=torch.bool).tril(diagonal=L_ - n), float("-inf"))
        return (torch.softmax(s, dim=-1) @ vf).transpose(0, 1).reshape(n, h * d).to(q.dtype)

    def rope_bf16_inv_freq(positions, head_dim, theta, dtype):
        inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
        f = positions.float()[:, None] * inv.to(torch.bfloat16).float()[None, :]
        emb = torch.cat([f, f], dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)

    monkeypatch.setattr(modeling, "attention", attention_fp32)
    monkeypatch.setattr(modeling, "rope_cos_sin", rope_bf16_inv_freq)
    with torch.inference_mode():
        coco = load_tiny()
        coco.cfg_norm_fp32 = variant == "cuda"
        res = _run_cases(coco, fx[variant], fx["json"])
        errs = {k: _err(a, b) for k, (a, b) in res.items()}
        assert len(errs) == 31
        bad = {k: e for k, e in errs.items() if e != 0.0}
        assert not bad, f"not bit-exact: {bad}"
        gen, und = _greedy(coco, fx["json"], fx[variant])
        assert gen == fx[variant]["gen.greedy_ids"].tolist()
        assert und == fx[variant]["und.greedy_ids"].tolist()


# Production numerics (bf16 SDPA, fp32 inv_freq, fp32 CFG norms) vs fixtures_cudanorm: bf16 noise.
# Measured (this machine, torch 2.14.1 CPU): logits max-abs 0.094 (|logit| up to 12; tol 0.1);
# hidden/KV/ViT tokens/raw v max-abs <= 0.031 (tol 0.05); CFG velocities and trajectories rel-L2
# <= 4.9% (edit.v_steps; tol 8%).  The gap comes from the attention kernel (bf16 SDPA vs the
# harness' fp32 softmax) and is amplified by CFG (4 x 2); the reference's own bf16-vs-fp32 spread on
# the same keys is 0.09 / 0.025 / 0.032 / 4.1% (fixtures.json "tolerance").  The bit-exact test
# above is the tight check of everything else.
BF16_ATOL = {"logits": 0.1, "other": 0.05}
BF16_CFG_REL_L2 = 0.08
# fp8 (float8_e4m3fn, unscaled, per-layer Linear weights only) is loose by design.  Measured:
# logits rel-L2 <= 5.6% (max-abs 0.55), raw v / KV / ViT tokens <= 5.1%, CFG and trajectories
# <= 10.7% (edit.v_steps).  Tolerances: 10% raw, 20% CFG/trajectories.
FP8_REL_L2 = {"raw": 0.10, "cfg": 0.20}


@needs_fixtures
def test_bf16_production_numerics_match_reference(fx):
    with torch.inference_mode():
        coco = load_tiny(torch.bfloat16)
        assert coco.cfg_norm_fp32 is True
        res = _run_cases(coco, fx["cuda"], fx["json"])
        report, bad = {}, {}
        for k, (a, b) in res.items():
            if _is_cfg_or_traj(k):
                r = _rel_l2(a, b)
                report[k] = f"rel_l2={r:.4f}"
                if r >= BF16_CFG_REL_L2:
                    bad[k] = report[k]
            else:
                e = _err(a, b)
                tol = BF16_ATOL["logits" if "logits" in k else "other"]
                report[k] = f"max_abs={e:.4f}"
                if e > tol:
                    bad[k] = report[k]
        assert not bad, f"over tolerance: {bad}\nall: {report}"
        gen, und = _greedy(coco, fx["json"], fx["cuda"])
        assert gen == fx["cuda"]["gen.greedy_ids"].tolist()
        assert und == fx["cuda"]["und.greedy_ids"].tolist()


@needs_fixtures
def test_fp8_weights_match_reference_loosely(fx):
    with torch.inference_mode():
        coco = load_tiny(FP8)
        assert coco.llm.language_model.model.layers[0].self_attn.q_proj.weight.dtype == FP8
        res = _run_cases(coco, fx["cuda"], fx["json"])
        report, bad = {}, {}
        for k, (a, b) in res.items():
            r = _rel_l2(a, b)
            tol = FP8_REL_L2["cfg" if _is_cfg_or_traj(k) else "raw"]
            report[k] = round(r, 4)
            if r >= tol:
                bad[k] = r
        assert not bad, f"fp8 over tolerance: {bad}\nall: {report}"
        # greedy ids: teacher-forced top-1 must agree wherever the reference margin is > 1.0
        # (fp8 logit error reaches ~0.5; smaller margins may legitimately flip)
        ref_steps, ours = fx["cuda"]["gen.step_logits"], res["gen.step_logits"][0]
        top2 = ref_steps.topk(2, dim=-1).values
        confident = (top2[:, 0] - top2[:, 1]) > 1.0
        assert confident.sum() >= 5
        assert torch.equal(ours.argmax(-1)[confident], ref_steps.argmax(-1)[confident])
