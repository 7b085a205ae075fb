"""CoCo_DraftRefine's verification: a text segment after the draft's ViT tokens and the prompt,
right before generation, in the text branches only (tiny real checkpoint, real contexts)."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from comfyui_coco.models.bagel import sampler as S

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from test_bagel_parity import TINY, load_tiny  # noqa: E402


def test_verification_goes_after_the_vit_tokens_and_the_prompt():
    from safetensors.torch import load_file

    R = load_file(str(TINY / "fixtures.safetensors"))
    packed, px = R["edit.vae_latent_packed"], R["inputs.vit_pixel_values"]
    prompt, verification = [5, 6, 7], [40, 41, 42, 43]
    with torch.inference_mode():
        m = load_tiny()
        base = S.edit_contexts(m, prompt, packed, (3, 2), px)
        ver = S.edit_contexts(m, prompt, packed, (3, 2), px, verification_ids=verification)
        n = len(verification) + 2
        assert ver.cond.kv_len == base.cond.kv_len + n and ver.cond.rope == base.cond.rope + n
        assert ver.img_uncond.kv_len == base.img_uncond.kv_len + n
        assert ver.text_uncond.kv_len == base.text_uncond.kv_len  # the text-dropped branch has none
        # everything before the verification is the same cache, bit for bit
        k = base.cond.kv_len
        assert torch.equal(ver.cond.cache.k[0][:k], base.cond.cache.k[0][:k])
        # and it is the same as prefilling the verification by hand after the prompt
        by_hand = m.prefill_text(S.edit_contexts(m, prompt, packed, (3, 2), px).cond, verification)
        assert torch.equal(ver.cond.cache.k[1][: ver.cond.kv_len], by_hand.cache.k[1][: by_hand.kv_len])
        x = R["edit_vel.x_t"]
        v0 = m.velocity(x, 0.75, (3, 2), base.cond)
        v1 = m.velocity(x, 0.75, (3, 2), ver.cond)
        assert not torch.equal(v0, v1)  # the model sees it
        empty = S.edit_contexts(m, prompt, packed, (3, 2), px, verification_ids=[])
        assert torch.equal(m.velocity(x, 0.75, (3, 2), empty.cond), v0)  # empty = no verification


def test_draft_refine_passes_the_verification_to_the_model(monkeypatch):
    """run_draft_refine (CoCo_DraftRefine's pipeline) on the tiny checkpoint with a TAEF1-layout
    VAE: the verification's tokens reach the edit contexts; without a draft it is ignored."""
    import comfy.sd

    from comfyui_coco.models.bagel import refine as DR

    from .assets import load_tiny_bagel, taef1_state_dict

    model, vae = load_tiny_bagel(), comfy.sd.VAE(sd=taef1_state_dict())
    seen = {}
    real = S.edit_contexts

    def spy(m, ids, packed, hw, vit, **kw):  # records what the sampler is given (a spy, not a stand-in)
        seen.update(kw)
        return real(m, ids, packed, hw, vit, **kw)

    monkeypatch.setattr(S, "edit_contexts", spy)
    draft = torch.rand(1, 48, 32, 3, generator=torch.Generator().manual_seed(1))
    text = "1. [required_text] the label 'Q3' is missing"
    r = DR.run_draft_refine("T", model, vae, "make it nicer", draft=draft, steps=2, seed=3, verification=text)
    ids = model.tokenizer.encode(text)
    assert seen["verification_ids"] == list(getattr(ids, "ids", ids))
    assert "verification:" in r.report and r.image.shape[0] == 1
    seen.clear()
    r = DR.run_draft_refine("T", model, vae, "a chart", steps=2, seed=3, width=32, height=32, verification=text)
    assert "verification is ignored without a draft" in r.report and not seen
