"""The generic path: CoCo_ProtectComposite (any refiner) and CoCo_DraftRefineDiffusion (any MODEL)
in-process, with a real core ModelPatcher around a tiny SD1.x-layout UNet (random weights) and a tiny
SD-latent TAESD. Core code runs unmodified: comfy.sample.sample, VAE encode/decode."""

from __future__ import annotations

import torch
import pytest


@pytest.fixture()
def temp_dir(tmp_path):
    import folder_paths

    old = folder_paths.get_temp_directory()
    folder_paths.set_temp_directory(str(tmp_path))
    yield tmp_path
    folder_paths.set_temp_directory(old)


def _init(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.02 if p.ndim > 1 else 0.01))


@pytest.fixture(scope="module")
def tiny_sd():
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.sd
    import comfy.supported_models
    from comfy.taesd.taesd import TAESD

    unet = {"use_checkpoint": False, "image_size": 32, "use_spatial_transformer": True, "legacy": False,
            "in_channels": 4, "out_channels": 4, "model_channels": 32, "num_res_blocks": [1, 1],
            "transformer_depth": [1, 1], "transformer_depth_output": [1, 1, 1, 1], "channel_mult": [1, 2],
            "transformer_depth_middle": 1, "context_dim": 32, "use_linear_in_transformer": False,
            "adm_in_channels": None, "use_temporal_attention": False, "use_temporal_resblock": False}
    model = comfy.supported_models.SD15(unet).get_model({}, device="cpu")
    _init(model)
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=mm.get_torch_device(),
                                               offload_device=mm.unet_offload_device())
    taesd = TAESD(latent_channels=4)
    _init(taesd, 1)
    sd = {k: v.detach().clone() for k, v in taesd.state_dict().items()}
    sd["vae_scale"], sd["vae_shift"] = torch.tensor(0.18215), torch.tensor(0.0)
    vae = comfy.sd.VAE(sd=sd)
    g = torch.Generator().manual_seed(2)
    pos = [[torch.randn(1, 77, 32, generator=g), {}]]
    neg = [[torch.zeros(1, 77, 32), {}]]
    return patcher, vae, pos, neg


def test_protect_composite_node(temp_dir):
    from comfyui_coco.nodes.draft_refine import ProtectComposite

    draft = torch.rand(1, 40, 56, 3, generator=torch.Generator().manual_seed(0))
    image = torch.rand(1, 32, 48, 3, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(1, 40, 56)
    mask[:, 5:20, 5:30] = 1.0
    out = ProtectComposite.execute(image=image, draft=draft, mask=mask, feather=3, feather_kind="gaussian",
                                   resize="refined_to_draft")
    img, alpha, report = out.args
    assert img.shape == draft.shape and alpha.shape == (1, 40, 56)
    assert torch.equal(img[0][mask[0] >= 1], draft[0][mask[0] >= 1])
    assert "resized to the draft" in report and "(identical)" in report


def test_draft_refine_diffusion_with_core_ksampler(tiny_sd, temp_dir):
    from comfyui_coco.nodes.draft_refine import DraftRefineDiffusion

    patcher, vae, pos, neg = tiny_sd
    draft = torch.rand(1, 50, 70, 3, generator=torch.Generator().manual_seed(3))  # not a multiple of 8
    mask = torch.zeros(1, 50, 70)
    mask[:, 10:30, 20:50] = 1.0
    out = DraftRefineDiffusion.execute(model=patcher, vae=vae, positive=pos, negative=neg, draft=draft,
                                       denoise=0.5, seed=1, steps=2, cfg=2.0, sampler_name="euler",
                                       scheduler="normal", feather=2, protect=mask)
    image, latent, report = out.args
    assert latent["samples"].shape == (1, 4, 6, 8)          # VAE-encode crops 50x70 to 48x64
    assert image.shape == draft.shape                       # refined resized back to the draft's size
    inside = mask[0] >= 1
    assert torch.equal(image[0][inside], draft[0][inside])
    assert float((image[0][~inside] - draft[0][~inside]).abs().mean()) > 0.01
    assert "denoise 0.5" in report and "resized to the draft" in report and "(identical)" in report


def test_draft_refine_rejects_reversed_cfg_interval():
    from comfyui_coco.nodes.draft_refine import DraftRefine

    msg = DraftRefine.validate_inputs(cfg_interval_start=0.6, cfg_interval_end=0.2)
    assert isinstance(msg, str) and "cfg_interval_start" in msg
    assert DraftRefine.validate_inputs(cfg_interval_start=0.0, cfg_interval_end=1.0) is True
