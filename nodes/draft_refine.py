"""Draft refinement: turn the sandbox draft into a high-fidelity image that keeps its layout and text.

Three nodes:

* ``CoCo_DraftRefine``: the CoCo/BAGEL path.  The draft is fed to the model as BAGEL's editing
  reference does (VAE latent at t=0 + ViT tokens + the prompt; dual CFG with renorm), the image is
  sampled with the reference's Euler flow sampler, decoded with the core FLUX VAE, and the
  protected pixels (the SandboxRender text mask) are composited back.  Without a draft it is plain
  BAGEL text-to-image.
* ``CoCo_ProtectComposite``: the protect composite alone, for any refiner (core KSampler img2img,
  another pack's editor, ...).
* ``CoCo_DraftRefineDiffusion``: the generic path for ANY ComfyUI MODEL: VAE-encode the draft,
  core ``comfy.sample.sample`` with ``denoise`` (what KSampler runs, previews included),
  VAE-decode, protect composite.  Equivalent core wiring: VAEEncode -> KSampler(denoise) ->
  VAEDecode -> CoCo_ProtectComposite.
"""

from __future__ import annotations

from comfy_api.latest import io, ui

from .common import CoCoError

NODE_ID = "CoCo_DraftRefine"
COMPOSITE_ID = "CoCo_ProtectComposite"
DIFFUSION_ID = "CoCo_DraftRefineDiffusion"
CATEGORY = "CoCo/refine"
RENORM_TYPES = ["global", "channel", "text_channel"]
FEATHER_KINDS = ["box", "gaussian"]
RESIZE_MODES = ["refined_to_draft", "draft_to_refined"]

_MASK_TIP = ("What to keep from the draft (1 = keep the draft pixel). Connect CoCo_SandboxRender's 'text_mask' "
             "to keep the drawn text exactly. Not connected: no protection (the report still measures the drift).")
_FEATHER_TIP = ("Width in pixels of the soft edge grown OUTSIDE the mask (box blur of the dilated mask). Pixels "
                "inside the mask always stay identical to the draft; 0 = hard edge.")


def _first(image):
    return image[:1] if image is not None and image.shape[0] > 1 else image


class DraftRefine(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Draft Refine",
            category=CATEGORY,
            description=(
                "Turns the sandbox draft into a high-fidelity image with the CoCo/BAGEL model, keeping its layout and "
                "text: the draft is given to the model like BAGEL's image-editing reference (VAE latent + ViT tokens + "
                "your prompt, dual CFG with renorm, Euler flow sampler), decoded with the FLUX VAE, and the protected "
                "pixels (connect CoCo_SandboxRender's text_mask) are pasted back. Without a draft it is plain BAGEL "
                "text-to-image. For any other ComfyUI diffusion MODEL use CoCo_DraftRefineDiffusion, or core "
                "VAEEncode -> KSampler(denoise) -> VAEDecode -> CoCo_ProtectComposite."
            ),
            inputs=[
                io.Custom("COCO_MODEL").Input("coco_model", tooltip="The CoCo/BAGEL model from CoCo_ModelLoader."),
                io.Vae.Input("vae", tooltip="The FLUX autoencoder (ae.safetensors of BAGEL/CoCo) loaded with core "
                                            "'Load VAE'. Its raw latents are converted to BAGEL's scaling "
                                            "(0.3611 * (z - 0.1159)) and back."),
                io.String.Input("prompt", multiline=True, default="",
                                tooltip="What the final image should look like (the refinement instruction)."),
                io.Image.Input("draft", optional=True,
                               tooltip="The draft from CoCo_SandboxRender. Not connected: text-to-image from the "
                                       "prompt alone (at width x height)."),
                io.Mask.Input("protect", optional=True, tooltip=_MASK_TIP),
                io.Int.Input("feather", default=2, min=0, max=256, tooltip=_FEATHER_TIP),
                io.Int.Input("steps", default=50, min=2, max=200,
                             tooltip="Timesteps of the flow schedule; the model runs steps - 1 times (reference: 50)."),
                io.Float.Input("cfg_text_scale", default=4.0, min=0.0, max=20.0, step=0.1,
                               tooltip="Text guidance (reference 4.0). <= 1 disables all guidance (the image "
                                       "guidance only acts on top of the text guidance, as in the reference)."),
                io.Float.Input("cfg_img_scale", default=2.0, min=0.0, max=20.0, step=0.1,
                               tooltip="Image guidance: how strongly to follow the draft (reference edit 2.0). "
                                       "Without a draft the reference's text-to-image uses 1.0 (off)."),
                io.Float.Input("cfg_interval_start", default=0.0, min=0.0, max=1.0, step=0.01,
                               tooltip="Guidance runs while start < sigma <= end, on the shifted sigma (reference "
                                       "edit 0.0; text-to-image 0.4)."),
                io.Float.Input("cfg_interval_end", default=1.0, min=0.0, max=1.0, step=0.01,
                               tooltip="Upper end of the guidance interval (reference 1.0)."),
                io.Float.Input("timestep_shift", default=3.0, min=0.1, max=20.0, step=0.1,
                               tooltip="Shift of the schedule sigma = s*t / (1 + (s-1)*t) (reference 3.0). Higher "
                                       "spends more steps at high noise."),
                io.Combo.Input("cfg_renorm_type", options=RENORM_TYPES, default="text_channel",
                               tooltip="CFG renorm: text_channel (reference edit default), global (text-to-image "
                                       "default; try it if the result is blurry), channel."),
                io.Float.Input("cfg_renorm_min", default=0.0, min=0.0, max=1.0, step=0.01,
                               tooltip="Lower clamp of the renorm scale; 1.0 disables renorm (reference 0.0)."),
                io.Int.Input("seed", default=0, min=0, max=0xFFFFFFFFFFFFFFFF, control_after_generate=True,
                             tooltip="Seed of the initial noise (drawn on the CPU in BAGEL's packed layout, as the "
                                     "reference does)."),
                io.Int.Input("max_resolution", default=1024, min=16, max=4096, step=16,
                             tooltip="Longest side of the output. The draft is resized as the reference does "
                                     "(long side <= this, short side >= 512 where possible, sides multiples of 16); "
                                     "capped at the model's largest side (1024 for BAGEL-7B-MoT)."),
                io.Int.Input("width", default=1024, min=16, max=4096, step=16, optional=True,
                             tooltip="Text-to-image only (no draft): output width before the max_resolution cap."),
                io.Int.Input("height", default=1024, min=16, max=4096, step=16, optional=True,
                             tooltip="Text-to-image only (no draft): output height before the max_resolution cap."),
            ],
            outputs=[
                io.Image.Output("image", display_name="image", tooltip="The refined image, protected pixels pasted back."),
                io.Image.Output("draft_fed", display_name="draft_fed",
                                tooltip="The draft as fed to the model (resized, 8-bit). White when there is no draft."),
                io.Latent.Output("latent", display_name="latent",
                                 tooltip="The sampled latent in ComfyUI's raw FLUX format (core VAEDecode works on it); "
                                         "before the protect composite."),
                io.String.Output("report", display_name="report",
                                 tooltip="Settings used and the protect check: mean |draft - image| inside and "
                                         "outside the mask, before and after the composite."),
            ],
        )

    @classmethod
    def validate_inputs(cls, steps=None, cfg_interval_start=None, cfg_interval_end=None, **_):
        if cfg_interval_start is not None and cfg_interval_end is not None and cfg_interval_start > cfg_interval_end:
            return f"{NODE_ID}: cfg_interval_start ({cfg_interval_start}) is above cfg_interval_end ({cfg_interval_end})."
        return True

    @classmethod
    def execute(cls, coco_model, vae, prompt: str, steps: int, cfg_text_scale: float, cfg_img_scale: float,
                cfg_interval_start: float, cfg_interval_end: float, timestep_shift: float, cfg_renorm_type: str,
                cfg_renorm_min: float, seed: int, max_resolution: int, feather: int = 2, draft=None, protect=None,
                width: int = 1024, height: int = 1024) -> io.NodeOutput:
        result = run_draft_refine(
            NODE_ID, coco_model, vae, prompt, draft=_first(draft), protect=protect, feather=feather, steps=steps,
            cfg_text_scale=cfg_text_scale, cfg_img_scale=cfg_img_scale,
            cfg_interval=(cfg_interval_start, cfg_interval_end), timestep_shift=timestep_shift,
            cfg_renorm_type=cfg_renorm_type, cfg_renorm_min=cfg_renorm_min, seed=seed,
            max_resolution=max_resolution, width=width, height=height,
            batch_note=(draft is not None and draft.shape[0] > 1))
        return io.NodeOutput(result.image, result.draft_fed, {"samples": result.latent}, result.report,
                             ui=ui.PreviewImage(result.image, cls=cls))


class ProtectComposite(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=COMPOSITE_ID,
            display_name="CoCo Protect Composite",
            category=CATEGORY,
            description=(
                "Pastes the protected pixels of the draft back over a refined image from ANY refiner (core KSampler "
                "img2img, an editing model, CoCo_DraftRefine without protection...). Pixels where the mask is 1 "
                "become identical to the draft; a soft edge 'feather' pixels wide is grown outside the mask. "
                "Reports the mean |draft - image| inside and outside the mask before and after. Core wiring for any "
                "MODEL: VAEEncode(draft) -> KSampler(denoise < 1) -> VAEDecode -> this node."
            ),
            inputs=[
                io.Image.Input("image", tooltip="The refined image."),
                io.Image.Input("draft", tooltip="The draft whose protected pixels are kept (CoCo_SandboxRender 'image')."),
                io.Mask.Input("mask", tooltip=_MASK_TIP.replace("Not connected: no protection (the report still "
                                                                 "measures the drift).", "")),
                io.Int.Input("feather", default=2, min=0, max=256, tooltip=_FEATHER_TIP),
                io.Combo.Input("feather_kind", options=FEATHER_KINDS, default="box",
                               tooltip="Profile of the soft edge: box (linear ramp) or gaussian."),
                io.Combo.Input("resize", options=RESIZE_MODES, default="refined_to_draft",
                               tooltip="When sizes differ: refined_to_draft resizes the refined image to the draft "
                                       "(output at the draft's size, original draft pixels kept); draft_to_refined "
                                       "resizes draft and mask to the refined image."),
            ],
            outputs=[
                io.Image.Output("image_out", display_name="image", tooltip="The composited image."),
                io.Mask.Output("alpha", display_name="alpha", tooltip="The feathered mask actually used (1 = draft)."),
                io.String.Output("report", display_name="report", tooltip="The protect check (drift numbers)."),
            ],
        )

    @classmethod
    def execute(cls, image, draft, mask, feather: int, feather_kind: str, resize: str) -> io.NodeOutput:
        from ..models.refine.composite import protect_composite

        try:
            out, alpha, report = protect_composite(image, draft, mask, feather, feather_kind, resize)
        except ValueError as e:
            raise CoCoError(COMPOSITE_ID, str(e), "use one draft (or as many drafts as images) and a matching mask.")
        return io.NodeOutput(out, alpha, report.to_text(), ui=ui.PreviewImage(out, cls=cls))


def _sampler_options():
    try:
        import comfy.samplers

        return list(comfy.samplers.KSampler.SAMPLERS), list(comfy.samplers.KSampler.SCHEDULERS)
    except Exception:  # noqa: BLE001 - schema must register even if the import fails
        return ["euler"], ["normal"]


class DraftRefineDiffusion(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        samplers, schedulers = _sampler_options()
        return io.Schema(
            node_id=DIFFUSION_ID,
            display_name="CoCo Draft Refine (any diffusion model)",
            category=CATEGORY,
            description=(
                "Generic draft refinement with ANY ComfyUI diffusion MODEL (SD, SDXL, FLUX, ...): VAE-encodes the "
                "draft, runs core KSampler img2img with 'denoise' (same code, previews and interrupt as KSampler), "
                "VAE-decodes and pastes the protected pixels back (CoCo_ProtectComposite). The same as wiring core "
                "VAEEncode -> KSampler -> VAEDecode -> CoCo_ProtectComposite yourself. For the CoCo/BAGEL model use "
                "CoCo_DraftRefine."
            ),
            inputs=[
                io.Model.Input("model", tooltip="Any diffusion MODEL (Load Checkpoint / Load Diffusion Model)."),
                io.Vae.Input("vae", tooltip="The VAE that belongs to the model."),
                io.Conditioning.Input("positive", tooltip="Prompt conditioning (CLIP Text Encode)."),
                io.Conditioning.Input("negative", tooltip="Negative conditioning."),
                io.Image.Input("draft", tooltip="The draft from CoCo_SandboxRender."),
                io.Mask.Input("protect", optional=True, tooltip=_MASK_TIP),
                io.Int.Input("feather", default=2, min=0, max=256, tooltip=_FEATHER_TIP),
                io.Float.Input("denoise", default=0.6, min=0.0, max=1.0, step=0.01,
                               tooltip="How much of the draft is re-generated: 0 keeps it, 1 ignores it."),
                io.Int.Input("seed", default=0, min=0, max=0xFFFFFFFFFFFFFFFF, control_after_generate=True,
                             tooltip="Noise seed (as KSampler)."),
                io.Int.Input("steps", default=20, min=1, max=10000, tooltip="Sampler steps (as KSampler)."),
                io.Float.Input("cfg", default=7.0, min=0.0, max=100.0, step=0.1, tooltip="CFG scale (as KSampler)."),
                io.Combo.Input("sampler_name", options=samplers, default=samplers[0], tooltip="Sampler (as KSampler)."),
                io.Combo.Input("scheduler", options=schedulers, default=schedulers[0], tooltip="Scheduler (as KSampler)."),
            ],
            outputs=[
                io.Image.Output("image", display_name="image",
                                tooltip="Refined image at the draft's size, protected pixels pasted back."),
                io.Latent.Output("latent", display_name="latent", tooltip="The sampled latent (before the composite)."),
                io.String.Output("report", display_name="report", tooltip="The protect check (drift numbers)."),
            ],
        )

    @classmethod
    def execute(cls, model, vae, positive, negative, draft, denoise: float, seed: int, steps: int, cfg: float,
                sampler_name: str, scheduler: str, feather: int = 2, protect=None) -> io.NodeOutput:
        from ..models.refine.composite import protect_composite

        draft = draft[..., :3]
        samples = _ksample(model, seed, steps, cfg, sampler_name, scheduler, positive, negative,
                           vae.encode(draft), denoise)
        out_latent = {"samples": samples}
        refined = vae.decode(samples)
        if refined.ndim == 5:  # video VAEs: [B, T, H, W, C]
            refined = refined.reshape(-1, *refined.shape[-3:])
        image, _alpha, report = protect_composite(refined, draft, protect, feather, "box", "refined_to_draft")
        text = f"{DIFFUSION_ID}: denoise {denoise}, {steps} steps, {sampler_name}/{scheduler}, cfg {cfg}, seed {seed}\n"
        text += report.to_text()
        return io.NodeOutput(image, out_latent, text, ui=ui.PreviewImage(image, cls=cls))


def _ksample(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise):
    """What core KSampler does (noise from the seed, latent previews, progress bar, interrupt), through
    comfy.sample directly: the pack must not ``import nodes`` (that name is ambiguous inside it)."""
    import comfy.sample
    import comfy.utils
    import latent_preview

    fix = getattr(comfy.sample, "fix_empty_latent_channels", None)
    if fix is not None:
        latent_image = fix(model, latent_image)
    noise = comfy.sample.prepare_noise(latent_image, seed, None)
    callback = latent_preview.prepare_callback(model, steps)
    return comfy.sample.sample(model, noise, steps, cfg, sampler_name, scheduler, positive, negative, latent_image,
                               denoise=denoise, callback=callback, disable_pbar=not comfy.utils.PROGRESS_BAR_ENABLED,
                               seed=seed)


# ---- the BAGEL path -------------------------------------------------------------------------------

class RefineResult:
    def __init__(self, image, draft_fed, latent, report):
        self.image, self.draft_fed, self.latent, self.report = image, draft_fed, latent, report


def _check_vae(node, vae, cfg):
    ch = getattr(vae, "latent_channels", None)
    down = vae.spacial_compression_encode() if hasattr(vae, "spacial_compression_encode") else None
    if ch != cfg.latent_channels or (down is not None and down != cfg.vae_downsample):
        raise CoCoError(node, f"the connected VAE has {ch} latent channels and downscale {down}; the model needs the "
                              f"FLUX autoencoder ({cfg.latent_channels} channels, downscale {cfg.vae_downsample}).",
                        "load BAGEL's/CoCo's ae.safetensors (the FLUX.1 VAE) with core 'Load VAE' and connect it.")


def generation_memory(model, kv_tokens: int, query_tokens: int) -> int:
    """Bytes the sampling needs on the load device besides the weights: every KV cache of the three
    contexts (K and V, all layers, compute dtype) plus one velocity pass over ``query_tokens``."""
    c = model.cfg.llm
    e = model.compute_dtype.itemsize
    kv = 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * e * kv_tokens
    act = query_tokens * (8 * c.hidden_size + 3 * c.intermediate_size
                          + 2 * (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim) * e
    rep = 2 * (kv_tokens + query_tokens) * c.num_attention_heads * c.head_dim * e
    return int(kv + act + rep + (256 << 20))


def run_draft_refine(node, model, vae, prompt, *, draft=None, protect=None, feather=2, steps=50,
                     cfg_text_scale=4.0, cfg_img_scale=2.0, cfg_interval=(0.0, 1.0), timestep_shift=3.0,
                     cfg_renorm_type="text_channel", cfg_renorm_min=0.0, seed=0, max_resolution=1024,
                     width=1024, height=1024, batch_note=False) -> RefineResult:
    import torch

    import comfy.latent_formats
    import comfy.model_management as mm
    import comfy.utils

    from ..models.bagel import latents as L
    from ..models.bagel import sampler as S
    from ..models.refine import resize as R
    from ..models.refine.composite import as_mask, protect_composite
    from ..models.refine.preview import preview_pil

    cfg = model.cfg
    if cfg_renorm_type not in RENORM_TYPES:
        raise CoCoError(node, f"unknown cfg_renorm_type {cfg_renorm_type!r}.", f"pick one of {RENORM_TYPES}.")
    if vae is None:
        raise CoCoError(node, "no VAE is connected.", "connect core 'Load VAE' with BAGEL's ae.safetensors.")
    _check_vae(node, vae, cfg)
    stride = cfg.latent_downsample
    notes = []
    text = prompt or ""
    if not text.strip():
        notes.append("the prompt is empty: the model only sees the draft.")
    ids = model.tokenizer.encode(text)
    ids = list(getattr(ids, "ids", ids))

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
        kv_tokens = 2 * (hw[0] * hw[1] + 2 + n_vit + 2) + 2 * (len(ids) + 2)
    else:
        W, H = R.t2i_size(width, height, max_resolution, stride=stride, model_max_side=cfg.max_image_side)
        hw = (H // stride, W // stride)
        draft_fed = torch.ones((1, H, W, 3), dtype=torch.float32)
        kv_tokens = 2 * (len(ids) + 2)
        if protect is not None:
            notes.append("a protect mask without a draft is ignored.")
    n_tokens = hw[0] * hw[1]

    if getattr(model, "manage_memory", True):
        # Count every KV cache of the three contexts (and one velocity pass) before the first prefill.
        mm.load_models_gpu([model.llm_patcher], memory_required=generation_memory(model, kv_tokens, n_tokens + 2))

    with torch.inference_mode():
        if draft is not None:
            ctx = S.edit_contexts(model, ids, packed, hw, vit_img)
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
                           noise=noise, callback=callback, interrupt=mm.throw_exception_if_processing_interrupted)
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


NODES = [DraftRefine, ProtectComposite, DraftRefineDiffusion]
