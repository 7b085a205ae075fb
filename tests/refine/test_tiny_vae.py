"""Which VAE the refine path can be tested with, and the production (FLUX AE) branch in-process.

* ComfyUI's VAE detection builds the FLUX AE with hard-coded channels, so a FLUX-AE-shaped state
  dict with fewer channels is refused (this documents why the e2e test uses a TAEF1-layout VAE).
* The full FLUX AE architecture (random weights, 83.8 M parameters) goes through CoCo_DraftRefine's
  code path: raw latents are converted to BAGEL scaling exactly, and back for the LATENT output.
"""

from __future__ import annotations

import pytest
import torch

from .assets import flux_ae_state_dict, load_tiny_bagel, taef1_state_dict


def test_tiny_channel_flux_ae_is_refused_by_core():
    import comfy.sd

    sd = flux_ae_state_dict(ch=32, num_res_blocks=1)
    with pytest.raises(RuntimeError, match="size mismatch"):
        comfy.sd.VAE(sd=sd)


def test_taef1_layout_vae_has_the_flux_latent_interface():
    import comfy.sd

    vae = comfy.sd.VAE(sd=taef1_state_dict())
    assert vae.latent_channels == 16 and vae.spacial_compression_encode() == 8
    z = vae.encode(torch.rand(1, 32, 48, 3))
    assert z.shape == (1, 16, 4, 6)
    # TAESD decode applies the FLUX scale/shift itself: it takes raw latents like the FLUX AE
    assert float(vae.first_stage_model.vae_scale.detach()) == pytest.approx(0.3611)
    assert float(vae.first_stage_model.vae_shift.detach()) == pytest.approx(0.1159)


@pytest.fixture(scope="module")
def flux_vae():
    import comfy.sd

    return comfy.sd.VAE(sd=flux_ae_state_dict(seed=3))


def test_full_flux_ae_branch_and_exact_latent_conversion(flux_vae, monkeypatch):
    from comfyui_coco.models.bagel import latents as L
    from comfyui_coco.models.bagel import sampler as S
    from comfyui_coco.models.bagel import refine as DR

    model = load_tiny_bagel()
    draft = torch.rand(1, 64, 48, 3, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(1, 64, 48)
    mask[:, 8:24, 8:40] = 1.0

    seen = {}
    real_edit = S.edit_contexts

    def spy(m, ids, packed, hw, vit):  # record what the sampler is given (a spy, not a stand-in)
        seen["packed"], seen["hw"] = packed.clone(), hw
        return real_edit(m, ids, packed, hw, vit)

    monkeypatch.setattr(S, "edit_contexts", spy)
    r = DR.run_draft_refine("T", model, flux_vae, "make it nicer", draft=draft, protect=mask, feather=0, steps=2,
                            seed=5)
    raw = flux_vae.encode(r.draft_fed)
    expect, hw = L.pack_latent(0.3611 * (raw - 0.1159))
    assert seen["hw"] == hw == (4, 3)
    assert torch.equal(seen["packed"], expect)
    assert r.latent.shape == (1, 16, 8, 6) and r.image.shape == (1, 64, 48, 3)
    # LATENT output is raw FLUX: core VAEDecode of it gives the image before the composite
    decoded = flux_vae.decode(r.latent)
    inside = mask[0] >= 1
    assert torch.equal(r.image[0][inside], r.draft_fed[0][inside])
    assert torch.allclose(r.image[0][~inside], decoded[0][~inside].float(), atol=1e-6)
    assert "(identical)" in r.report


def test_a_non_flux_vae_is_refused_with_a_fix():
    import comfy.sd
    from comfy.taesd.taesd import TAESD

    from comfyui_coco.models.bagel.refine import run_draft_refine
    from comfyui_coco.models.errors import FixableError

    sd = {k: v.detach().clone() for k, v in TAESD(latent_channels=4).state_dict().items()}
    sd["vae_scale"], sd["vae_shift"] = torch.tensor(0.18215), torch.tensor(0.0)
    vae = comfy.sd.VAE(sd=sd)
    with pytest.raises(FixableError) as ei:
        run_draft_refine("CoCo_DraftRefine", load_tiny_bagel(), vae, "x", steps=2)
    msg = str(ei.value)
    assert "4 latent channels" in msg and "ae.safetensors" in msg and "Fix:" in msg
