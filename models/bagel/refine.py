"""BAGEL/CoCo draft refinement (CoCo_DraftRefine's pipeline): the draft through the VAE and the ViT
as BAGEL's editing reference does, dual-CFG flow sampling, decode, protect composite, report.
Without a draft it is plain BAGEL text-to-image."""

from __future__ import annotations

from ..errors import FixableError


class RefineResult:
    def __init__(self, image, draft_fed, latent, report):
        self.image, self.draft_fed, self.latent, self.report = image, draft_fed, latent, report


def _check_vae(node, vae, cfg):
    ch = getattr(vae, "latent_channels", None)
    down = vae.spacial_compression_encode() if hasattr(vae, "spacial_compression_encode") else None
    if ch != cfg.latent_channels or (down is not None and down != cfg.vae_downsample):
        raise FixableError(node, f"the connected VAE has {ch} latent channels and downscale {down}; the model needs the "
                              f"FLUX autoencoder ({cfg.latent_channels} channels, downscale {cfg.vae_downsample}).",
                        "load BAGEL's/CoCo's ae.safetensors (the FLUX.1 VAE) with core 'Load VAE' and connect it.")


def run_draft_refine(node, model, vae, prompt, *, draft=None, protect=None, feather=2, steps=50,
                     cfg_text_scale=4.0, cfg_img_scale=2.0, cfg_interval=(0.0, 1.0), timestep_shift=3.0,
                     cfg_renorm_type="text_channel", cfg_renorm_min=0.0, seed=0, max_resolution=1024,
                     width=1024, height=1024, batch_note=False, verification="") -> RefineResult:
    import torch

    import comfy.latent_formats
    import comfy.utils

    from ..refine import resize as R
    from ..refine.composite import as_mask, protect_composite
    from ..refine.preview import preview_pil
    from . import latents as L
    from . import sampler as S

    cfg = model.cfg
    if vae is None:
        raise FixableError(node, "no VAE is connected.", "connect core 'Load VAE' with BAGEL's ae.safetensors.")
    _check_vae(node, vae, cfg)
    stride = cfg.latent_downsample
    notes = []
    text = prompt or ""
    if not text.strip():
        notes.append("the prompt is empty: the model only sees the draft.")
    ids = model.tokenizer.encode(text)
    ids = list(getattr(ids, "ids", ids))
    vids = []
    if verification and verification.strip():
        if draft is None:
            notes.append("the verification is ignored without a draft (it describes the draft).")
        else:
            vids = model.tokenizer.encode(verification.strip())
            vids = list(getattr(vids, "ids", vids))
            notes.append(f"verification: {len(vids)} tokens after the draft's ViT tokens and the prompt.")

    if draft is not None:
        dh, dw = int(draft.shape[1]), int(draft.shape[2])
        W, H = R.snap_size(dw, dh, max_resolution, stride=stride, model_max_side=cfg.max_image_side)
        draft_fed = R.resize_pil(draft[:1], W, H)
        if (W, H) != (dw, dh):
            notes.append(f"draft {dw}x{dh} resized to {W}x{H} (stride {stride}, long side <= "
                         f"{min(max_resolution, cfg.max_image_side)}).")
        raw = vae.encode(draft_fed)                     # core VAE: posterior mean, raw FLUX latent
        z = L.comfy_to_bagel(raw.float().cpu(), cfg.vae_scale_factor, cfg.vae_shift_factor)
        packed, hw = L.pack_latent(z[:1], cfg.latent_patch_size)
        v = cfg.vit
        vit_max = v.patch_size * cfg.vit_max_num_patch_per_side
        vw, vh = R.bagel_resize_size(W, H, vit_max, min(R.VIT_MIN, vit_max), v.patch_size)
        vit_img = R.to_model_tensor(R.resize_pil(draft_fed, vw, vh))
        n_vit = (vw // v.patch_size) * (vh // v.patch_size)
        kv_tokens = S.edit_kv_tokens(hw[0] * hw[1], n_vit, len(ids), len(vids) if vids else 0)
    else:
        W, H = R.t2i_size(width, height, max_resolution, stride=stride, model_max_side=cfg.max_image_side)
        hw = (H // stride, W // stride)
        draft_fed = torch.ones((1, H, W, 3), dtype=torch.float32)
        kv_tokens = S.t2i_kv_tokens(len(ids))
        if protect is not None:
            notes.append("a protect mask without a draft is ignored.")
    n_tokens = hw[0] * hw[1]

    # Count every KV cache of the three contexts (and one velocity pass) before the first prefill.
    model.reserve_for_sampling(kv_tokens, n_tokens + 2)

    with torch.inference_mode():
        if draft is not None:
            ctx = S.edit_contexts(model, ids, packed, hw, vit_img, **({"verification_ids": vids} if vids else {}))
        else:
            ctx = S.t2i_contexts(model, ids)
        noise = S.make_noise(seed, n_tokens, cfg.patch_latent_dim)
        total = int(steps) - 1
        pbar = comfy.utils.ProgressBar(total)
        fmt = comfy.latent_formats.Flux()

        def callback(step, total_, x, denoised=None):
            preview = None
            try:
                lat = L.unpack_latent((denoised if denoised is not None else x).float(), hw,
                                      cfg.latent_patch_size, cfg.latent_channels)
                preview = ("JPEG", preview_pil(lat, fmt.latent_rgb_factors, fmt.latent_rgb_factors_bias), 512)
            except Exception:  # noqa: BLE001 - a preview must never break sampling
                preview = None
            pbar.update_absolute(step, total_, preview)

        try:
            x = S.generate(model, ctx.cond, ctx.text_uncond, ctx.img_uncond, hw, steps=steps,
                           timestep_shift=timestep_shift, cfg_text_scale=cfg_text_scale, cfg_img_scale=cfg_img_scale,
                           cfg_interval=cfg_interval, cfg_renorm_type=cfg_renorm_type, cfg_renorm_min=cfg_renorm_min,
                           noise=noise, callback=callback)
        finally:
            for c in (ctx.cond, ctx.text_uncond, ctx.img_uncond):  # free the KV caches now
                free = getattr(c, "free", None)
                if callable(free):
                    free()
            del ctx

    z = L.unpack_latent(x, hw, cfg.latent_patch_size, cfg.latent_channels)
    raw_out = L.bagel_to_comfy(z, cfg.vae_scale_factor, cfg.vae_shift_factor).float()
    decoded = vae.decode(raw_out)[..., :3].float().cpu()
    if tuple(decoded.shape[1:3]) != (H, W):
        notes.append(f"the VAE decoded {decoded.shape[2]}x{decoded.shape[1]} instead of {W}x{H}.")
    if draft is not None:
        if protect is not None and protect.ndim == 3 and protect.shape[0] > 1:
            protect = protect[:1]
        mask = as_mask(protect, 1, H, W) if protect is not None else None
        image, _alpha, rep = protect_composite(decoded, draft_fed, mask, feather, "box", "draft_to_refined")
        protect_text = rep.to_text()
        if protect is None:
            protect_text += "\n  (no protect mask connected: nothing was pasted back)"
    else:
        image = decoded
        protect_text = "protect check: no draft (text-to-image), nothing to compare."
    mode = "edit (draft)" if draft is not None else "text-to-image"
    head = (f"{node}: {mode}, {W}x{H} ({hw[1]}x{hw[0]} latent tokens), {steps} steps ({steps - 1} model calls), "
            f"shift {timestep_shift}, cfg text {cfg_text_scale} / img {cfg_img_scale}, interval "
            f"({cfg_interval[0]}, {cfg_interval[1]}], renorm {cfg_renorm_type} (min {cfg_renorm_min}), seed {seed}")
    if batch_note:
        notes.append("only the first draft of the batch was refined.")
    report = "\n".join([head, *("note: " + n for n in notes), protect_text])
    return RefineResult(image.contiguous(), draft_fed, raw_out, report)
