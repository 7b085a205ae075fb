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

from ..models.bagel.config import RENORM_TYPES
from .common import CoCoError
from .io_types import COCO_MODEL

NODE_ID = "CoCo_DraftRefine"
COMPOSITE_ID = "CoCo_ProtectComposite"
DIFFUSION_ID = "CoCo_DraftRefineDiffusion"
CATEGORY = "CoCo/refine"
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
                COCO_MODEL.Input("coco_model", tooltip="The CoCo/BAGEL model from CoCo_ModelLoader."),
                io.Vae.Input("vae", tooltip="The FLUX autoencoder (ae.safetensors of BAGEL/CoCo) loaded with core "
                                            "'Load VAE'. Its raw latents are converted to BAGEL's scaling "
                                            "(0.3611 * (z - 0.1159)) and back."),
                io.String.Input("prompt", multiline=True, default="",
                                tooltip="What the final image should look like (the refinement instruction)."),
                io.Image.Input("draft", optional=True,
                               tooltip="The draft from CoCo_SandboxRender. Not connected: text-to-image from the "
                                       "prompt alone (at width x height)."),
                io.Mask.Input("protect", optional=True, tooltip=_MASK_TIP),
                io.String.Input("verification", multiline=True, default="", optional=True, force_input=True,
                                tooltip="Optional: CoCo's verification of the draft (e.g. CoCo_Inspect's critique): "
                                        "a text segment after the draft's ViT tokens and the prompt, right before "
                                        "generation, as in CoCo's training sequence. Ignored without a draft."),
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
                io.Combo.Input("cfg_renorm_type", options=list(RENORM_TYPES), default="text_channel",
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
                width: int = 1024, height: int = 1024, verification: str = "") -> io.NodeOutput:
        from ..models.bagel.refine import run_draft_refine
        from ..models.errors import FixableError

        try:
            result = run_draft_refine(
                NODE_ID, coco_model, vae, prompt, draft=_first(draft), protect=protect, feather=feather, steps=steps,
                cfg_text_scale=cfg_text_scale, cfg_img_scale=cfg_img_scale,
                cfg_interval=(cfg_interval_start, cfg_interval_end), timestep_shift=timestep_shift,
                cfg_renorm_type=cfg_renorm_type, cfg_renorm_min=cfg_renorm_min, seed=seed,
                max_resolution=max_resolution, width=width, height=height,
                batch_note=(draft is not None and draft.shape[0] > 1), verification=verification or "")
        except FixableError as e:
            raise e.at(NODE_ID, CoCoError) from None
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


NODES = [DraftRefine, ProtectComposite, DraftRefineDiffusion]
