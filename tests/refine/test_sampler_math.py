"""Sampler math against hand computations: schedule, CFG gating on the shifted sigma, Euler
rounding, renorm types, context layout.  The model is a small recording stand-in for the sampler's
bookkeeping only (no ComfyUI module is mocked, no model output is faked: the velocities here are
test inputs, not results)."""

from __future__ import annotations

import math

import pytest
import torch

from comfyui_coco.models.bagel import sampler as S
from comfyui_coco.models.bagel.pipeline import cfg_combine


def test_schedule_hand_values():
    sig = S.sigma_schedule(4, 3.0)
    assert sig.dtype == torch.float32
    # t = 1, 2/3, 1/3, 0 ; sigma = 3t / (1 + 2t)
    expect = [1.0, 6.0 / 7.0, 3.0 / 5.0, 0.0]
    assert torch.allclose(sig, torch.tensor(expect), atol=1e-7)
    assert torch.equal(S.sigma_schedule(5, 1.0), torch.linspace(1, 0, 5))
    with pytest.raises(ValueError):
        S.sigma_schedule(1, 3.0)


@pytest.mark.parametrize("interval,expect", [
    ((0.4, 1.0), [True, True, True]),
    ((0.7, 1.0), [True, True, False]),      # 3/5 < 0.7
    ((0.0, 0.9), [False, True, True]),      # sigma_0 = 1 > 0.9
    ((0.6, 1.0), [True, True, False]),      # lower bound is exclusive: 0.6 < 3/5 is false
])
def test_cfg_gate_uses_shifted_sigma(interval, expect):
    sig = S.sigma_schedule(4, 3.0)[:-1]
    got = [S.gated_scales(s, interval, 4.0, 2.0) != (1.0, 1.0) for s in sig]
    assert got == expect
    # unshifted step fraction would gate differently for (0.7, 1.0): t = 2/3 < 0.7
    assert S.gated_scales(torch.tensor(2.0 / 3.0), (0.7, 1.0), 4.0, 2.0) == (1.0, 1.0)


def _t(x):
    return torch.tensor(x, dtype=torch.float32)


def test_renorm_global_and_channel_hand_values():
    c = _t([[3.0, 4.0], [0.0, 1.0]])
    ut = _t([[0.0, 0.0], [0.0, 0.5]])
    # vt_ = ut + 3 (c - ut) = [[9, 12], [0, 2]]
    ch = cfg_combine(c, ut, None, 3.0, 1.0, "channel", 0.0)
    assert torch.allclose(ch, _t([[3.0, 4.0], [0.0, 1.0]]), atol=1e-6)
    gl = cfg_combine(c, ut, None, 3.0, 1.0, "global", 0.0)
    scale = math.sqrt(26.0) / math.sqrt(229.0)
    assert torch.allclose(gl, _t([[9.0, 12.0], [0.0, 2.0]]) * scale, atol=1e-6)
    # renorm_min = 1 disables renorm
    off = cfg_combine(c, ut, None, 3.0, 1.0, "global", 1.0)
    assert torch.allclose(off, _t([[9.0, 12.0], [0.0, 2.0]]))


def test_renorm_with_image_guidance_hand_values():
    c = _t([[3.0, 4.0]])
    ut = _t([[0.0, 0.0]])
    ui = _t([[1.0, 0.0]])
    # text_channel: vt = 2c renormed to |c| -> c = [3,4]; then ui + 2 (vt - ui) = [5, 8], no renorm
    tc = cfg_combine(c, ut, ui, 2.0, 2.0, "text_channel", 0.0)
    assert torch.allclose(tc, _t([[5.0, 8.0]]), atol=1e-6)
    # global: v' = ui + 2 (2c - ui) = [11, 16], renormed to |c| = 5
    gl = cfg_combine(c, ut, ui, 2.0, 2.0, "global", 0.0)
    assert torch.allclose(gl, _t([[11.0, 16.0]]) * (5.0 / math.sqrt(377.0)), atol=1e-6)
    # the renorm never scales up (clamp max 1): |vt_| = |[2.95, 3.95]| < |c| = 5 stays as is
    small = cfg_combine(c, _t([[3.1, 4.1]]), None, 1.5, 1.0, "global", 0.0)
    assert torch.allclose(small, _t([[2.95, 3.95]]), atol=1e-6)
    with pytest.raises(ValueError):
        cfg_combine(c, ut, ui, 2.0, 2.0, "local", 0.0)


class Recorder:
    """Records what the sampler asks for; returns v = k * x + b (bf16) as a test input."""

    def __init__(self):
        self.calls = []

    def velocity(self, x, sigma, hw, ctx_cond, ctx_text_uncond=None, ctx_img_uncond=None, cfg_text_scale=1.0,
                 cfg_img_scale=1.0, cfg_renorm_type="global", cfg_renorm_min=0.0):
        self.calls.append(dict(sigma=float(sigma), hw=hw, cond=ctx_cond, tu=ctx_text_uncond, iu=ctx_img_uncond,
                               ts=cfg_text_scale, is_=cfg_img_scale, rt=cfg_renorm_type, x=x.clone()))
        return (0.37 * x + 0.11).to(torch.bfloat16)


def test_generate_calls_gates_and_euler_rounding():
    rec = Recorder()
    noise = S.make_noise(123, 6, 64)
    steps_seen = []
    out = S.generate(rec, "C", "T", "I", (2, 3), steps=4, timestep_shift=3.0, cfg_text_scale=4.0,
                     cfg_img_scale=2.0, cfg_interval=(0.7, 1.0), cfg_renorm_type="text_channel",
                     noise=noise, callback=lambda s, n, x, denoised=None: steps_seen.append((s, n)),
                     interrupt=None)
    assert len(rec.calls) == 3 and steps_seen == [(1, 3), (2, 3), (3, 3)]
    assert [c["sigma"] for c in rec.calls] == pytest.approx([1.0, 6 / 7, 3 / 5], abs=1e-7)
    assert [(c["ts"], c["is_"]) for c in rec.calls] == [(4.0, 2.0), (4.0, 2.0), (1.0, 1.0)]
    assert [(c["tu"], c["iu"]) for c in rec.calls] == [("T", "I"), ("T", "I"), (None, None)]
    # Euler by hand, with v*dt rounded to bf16 before the fp32 subtraction
    sig = torch.tensor([1.0, 6 / 7, 3 / 5, 0.0], dtype=torch.float32)
    sig = S.sigma_schedule(4, 3.0)
    x = noise.clone()
    for i in range(3):
        v = (0.37 * x + 0.11).to(torch.bfloat16)
        step = (v * (sig[i] - sig[i + 1])).to(torch.bfloat16).float()
        x = x - step
    assert out.dtype == torch.float32 and torch.equal(out, x)
    # and that rounding matters (the fp32 product gives a different state)
    y = noise.clone()
    for i in range(3):
        v = (0.37 * y + 0.11).to(torch.bfloat16).float()
        y = y - v * (sig[i] - sig[i + 1])
    assert not torch.equal(out, y)


def test_image_guidance_is_dropped_without_text_guidance():
    rec = Recorder()
    S.generate(rec, "C", "T", "I", (1, 1), steps=3, cfg_text_scale=1.0, cfg_img_scale=2.0,
               cfg_interval=(0.0, 1.0), noise=torch.zeros(1, 64), interrupt=None)
    assert all(c["tu"] is None and c["iu"] is None and c["is_"] == 1.0 for c in rec.calls)


def test_interrupt_is_checked_before_every_call():
    rec = Recorder()

    class Stop(Exception):
        pass

    n = {"k": 0}

    def interrupt():
        n["k"] += 1
        if n["k"] == 3:
            raise Stop()

    with pytest.raises(Stop):
        S.generate(rec, "C", None, None, (1, 1), steps=10, cfg_text_scale=1.0, noise=torch.zeros(1, 64),
                   interrupt=interrupt)
    assert len(rec.calls) == 2


def test_noise_is_a_seeded_cpu_draw():
    a = S.make_noise(7, 12)
    torch.manual_seed(7)
    b = torch.randn(12, 64)
    assert torch.equal(a, b)


class RecCtx(list):
    """A context that records its blocks; mutated in place and cloned like the core's Context."""

    def clone(self):
        return RecCtx(self)

    def __eq__(self, other):
        return tuple(self) == tuple(other)


class CtxRecorder:
    def new_context(self):
        return RecCtx()

    def prefill_text(self, ctx, ids):
        ctx.append(("text", tuple(ids)))
        return ctx

    def prefill_vae(self, ctx, lat, hw):
        ctx.append(("vae", hw))
        return ctx

    def prefill_vit(self, ctx, img):
        ctx.append(("vit", tuple(img.shape)))
        return ctx


def test_context_layouts():
    m = CtxRecorder()
    t = S.t2i_contexts(m, [1, 2])
    assert t.cond == (("text", (1, 2)),) and t.text_uncond == () and t.img_uncond == t.cond
    e = S.edit_contexts(m, [1, 2], torch.zeros(4, 64), (2, 2), torch.zeros(3, 28, 28))
    assert e.cond == (("vae", (2, 2)), ("vit", (3, 28, 28)), ("text", (1, 2)))
    assert e.text_uncond == (("vae", (2, 2)), ("vit", (3, 28, 28)))
    assert e.img_uncond == (("text", (1, 2)),)
