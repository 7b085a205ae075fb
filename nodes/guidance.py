"""Layout guidance for any diffusion model (GoT-style, through core's own conditioning).

CoCo_LayoutMasks: semantic layout (or an edited GoT chain) -> one MASK per selected object and
GoT's colour mask image (one colour per object, chain order).
CoCo_RegionalConditioning: the same objects -> each object's own text encoded with the CLIP, set
to its region exactly as core's ConditioningSetMask / ConditioningSetArea do, combined with the
global conditioning as ConditioningCombine does; ready for core KSampler. No sampler code here.
"""

from __future__ import annotations

import json
import math

from comfy_api.latest import io

from .common import CoCoError

MASKS_ID = "CoCo_LayoutMasks"
REGIONS_ID = "CoCo_RegionalConditioning"
DEFAULT_SELECT = "title, suptitle, text, label, annotation, rect, ellipse, polygon, bar, wedge, cell, chart"
MAX_REGIONS = 64

_LAYOUT_TIP = ("The `layout` JSON of CoCo Sandbox Render (its `semantic` part is used). Leave unlinked when "
               "you give a chain.")
_CHAIN_TIP = ("A GoT chain (CoCo Sandbox Render's `got_chain`, edited as you like: one object per line, "
              "`kind \"text\" key=value [x0,y0,x1,y1]` with boxes in [0,1000)). When not empty it is used "
              "instead of the layout.")
_SELECT_TIP = ("Which objects become regions: comma-separated kinds of chain lines (title, text, rect, "
               "ellipse, bar, wedge, cell, chart, legend, arrow, ...), or * for every object with a box.")
_SIZE_TIP = "Size of the masks in pixels; 0 = the drawing's own size (the chain's canvas line)."


def read_objects(node, layout, chain):
    """-> (objects with a box, canvas (w, h)) from an edited chain (if not blank) or the layout."""
    from ..sandbox.semantic import SemanticError, chain_objects, parse_got_chain, validate_semantic
    if chain and chain.strip():
        objs = parse_got_chain(chain)
    else:
        if not layout or not str(layout).strip():
            raise CoCoError(node, "neither a layout nor a chain was given.",
                            "link CoCo Sandbox Render's `layout` (or `got_chain`) output to this node.")
        try:
            lay = json.loads(layout) if isinstance(layout, str) else layout
        except ValueError as e:
            raise CoCoError(node, f"the layout is not JSON ({e}).",
                            "link the `layout` output of CoCo Sandbox Render, unchanged.") from e
        sem = lay.get("semantic") if isinstance(lay, dict) else None
        canvas = (lay.get("canvas") or {}) if isinstance(lay, dict) else {}
        try:
            sem = validate_semantic(sem, int(canvas.get("width") or 0), int(canvas.get("height") or 0))
        except (SemanticError, TypeError, ValueError) as e:
            raise CoCoError(node, f"the layout has no usable semantic part ({e}).",
                            "re-run CoCo Sandbox Render with this pack's version, or give a chain instead.") from e
        objs = chain_objects(sem)
    canvas = next((o for o in objs if o["kind"] == "canvas"), None)
    size = None
    if canvas is not None:
        try:
            size = (int(canvas["attrs"]["width"]), int(canvas["attrs"]["height"]))
        except (KeyError, TypeError, ValueError):
            size = None
    return [o for o in objs if o.get("box_1000") and o["kind"] != "canvas"], size


def select_objects(objs, select, limit=MAX_REGIONS):
    kinds = {s.strip().lower() for s in str(select or "").split(",") if s.strip()}
    if not kinds or "*" in kinds:
        return objs[:limit]
    return [o for o in objs if o["kind"].lower() in kinds][:limit]


def target_size(node, size, width, height):
    w, h = int(width or 0), int(height or 0)
    if w <= 0 or h <= 0:
        if size is None:
            raise CoCoError(node, "the chain has no canvas line, so the mask size is unknown.",
                            "set width and height on this node, or keep the chain's first line "
                            "`canvas width=... height=...`.")
        sw, sh = size
        w = w if w > 0 else sw
        h = h if h > 0 else sh
    return w, h


def box_pixels(box, w, h):
    """A [0,1000) GoT box -> pixel box [x0, y0, x1, y1) covering every pixel the box may stand for."""
    x0 = min(w - 1, max(0, math.floor(box[0] * w / 1000)))
    y0 = min(h - 1, max(0, math.floor(box[1] * h / 1000)))
    x1 = min(w, max(x0 + 1, math.ceil((box[2] + 1) * w / 1000)))
    y1 = min(h, max(y0 + 1, math.ceil((box[3] + 1) * h / 1000)))
    return x0, y0, x1, y1


def object_masks(objs, w, h):
    import torch
    masks = torch.zeros((max(1, len(objs)), h, w), dtype=torch.float32)
    for i, o in enumerate(objs):
        x0, y0, x1, y1 = box_pixels(o["box_1000"], w, h)
        masks[i, y0:y1, x0:x1] = 1.0
    return masks


def torch_stack_max(groups):
    """One mask per group: the union (max) of its masks."""
    import torch
    return torch.stack([g.amax(0) for g in groups])


def colour_mask(objs, w, h):
    """GoT's spatial input: each object's box in its palette colour (chain order); larger boxes are
    painted first so that small objects stay visible where boxes overlap."""
    import torch

    from ..sandbox.semantic import got_palette
    img = torch.zeros((1, h, w, 3), dtype=torch.float32)
    pal = got_palette(len(objs))
    order = sorted(range(len(objs)), key=lambda i: -_area(box_pixels(objs[i]["box_1000"], w, h)))
    for i in order:
        x0, y0, x1, y1 = box_pixels(objs[i]["box_1000"], w, h)
        img[0, y0:y1, x0:x1] = torch.tensor(pal[i], dtype=torch.float32) / 255.0
    return img


def _area(b):
    return (b[2] - b[0]) * (b[3] - b[1])


class LayoutMasks(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=MASKS_ID,
            display_name="CoCo Layout Masks",
            category="CoCo/guidance",
            description=("Masks from the draft's semantic layout or a GoT chain: one mask per selected object (a "
                         "batch, chain order) and GoT's colour mask image (one colour per object)."),
            inputs=[
                io.String.Input("layout", force_input=True, optional=True, tooltip=_LAYOUT_TIP),
                io.String.Input("chain", multiline=True, default="", optional=True, dynamic_prompts=False,
                                tooltip=_CHAIN_TIP),
                io.String.Input("select", default="*", tooltip=_SELECT_TIP),
                io.Int.Input("width", default=0, min=0, max=16384, tooltip=_SIZE_TIP),
                io.Int.Input("height", default=0, min=0, max=16384, tooltip=_SIZE_TIP),
                io.Combo.Input("one_mask_per", options=["object", "kind"], default="object", optional=True,
                               tooltip="object: one mask per selected object; kind: one mask per kind (all bars "
                                       "together, all titles together...), in order of first appearance."),
            ],
            outputs=[
                io.Mask.Output("masks", display_name="masks",
                               tooltip="One mask per selected object (or kind), in chain order."),
                io.Image.Output("colour_mask", display_name="colour_mask",
                                tooltip="GoT's colour mask: each object's box in its own colour on black."),
                io.String.Output("objects", display_name="objects",
                                 tooltip="The selected objects' chain lines, one per mask, in the same order."),
            ],
        )

    @classmethod
    def execute(cls, select, width, height, layout=None, chain="", one_mask_per="object") -> io.NodeOutput:
        from ..sandbox.semantic import chain_line
        objs, size = read_objects(MASKS_ID, layout, chain)
        objs = select_objects(objs, select)
        w, h = target_size(MASKS_ID, size, width, height)
        masks = object_masks(objs, w, h)
        lines = [chain_line(o) for o in objs]
        if one_mask_per == "kind" and objs:
            kinds = list(dict.fromkeys(o["kind"] for o in objs))
            masks = torch_stack_max([masks[[i for i, o in enumerate(objs) if o["kind"] == k]] for k in kinds])
            lines = kinds
        return io.NodeOutput(masks, colour_mask(objs, w, h), "\n".join(lines))


class RegionalConditioning(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=REGIONS_ID,
            display_name="CoCo Regional Conditioning",
            category="CoCo/guidance",
            description=("Each selected object of the draft's layout (or an edited GoT chain) is encoded with its "
                         "own text and set to its region, exactly as core's ConditioningSetMask (or "
                         "ConditioningSetArea) would, then combined with the global conditioning like "
                         "ConditioningCombine. Feed the result to core KSampler as `positive`."),
            inputs=[
                io.Clip.Input("clip", tooltip="The CLIP of the diffusion model (Load Checkpoint's CLIP output)."),
                io.Conditioning.Input("conditioning", tooltip="The global prompt's conditioning (CLIP Text Encode)."),
                io.String.Input("layout", force_input=True, optional=True, tooltip=_LAYOUT_TIP),
                io.String.Input("chain", multiline=True, default="", optional=True, dynamic_prompts=False,
                                tooltip=_CHAIN_TIP),
                io.String.Input("select", default=DEFAULT_SELECT, tooltip=_SELECT_TIP),
                io.Combo.Input("method", options=["mask", "area"], default="mask",
                               tooltip="mask: like ConditioningSetMask (any model); area: like ConditioningSetArea "
                                       "(boxes in pixels of width x height, applied in latent units of 8 px)."),
                io.Float.Input("strength", default=1.0, min=0.0, max=10.0, step=0.01,
                               tooltip="Strength of every region (the core nodes' `strength`)."),
                io.Combo.Input("set_cond_area", options=["default", "mask bounds"], default="default",
                               tooltip="ConditioningSetMask's option: 'mask bounds' samples each region at its box."),
                io.Int.Input("width", default=0, min=0, max=16384,
                             tooltip="Size of the image being generated; 0 = the drawing's own size."),
                io.Int.Input("height", default=0, min=0, max=16384,
                             tooltip="Size of the image being generated; 0 = the drawing's own size."),
                io.Int.Input("max_regions", default=16, min=1, max=MAX_REGIONS,
                             tooltip="At most this many objects (chain order); each region costs a text encode "
                                     "and sampling work."),
            ],
            outputs=[
                io.Conditioning.Output("regional_conditioning", display_name="conditioning",
                                       tooltip="Global + regional conditioning for KSampler's `positive`."),
                io.Mask.Output("masks", display_name="masks", tooltip="The regions' masks, in the same order."),
                io.String.Output("regions", display_name="regions",
                                 tooltip="The text each region was encoded with, one per line."),
            ],
        )

    @classmethod
    def execute(cls, clip, conditioning, select, method, strength, set_cond_area, width, height, max_regions,
                layout=None, chain="") -> io.NodeOutput:
        import comfy.model_management as mm
        import comfy.utils

        from ..sandbox.semantic import object_prompt
        objs, size = read_objects(REGIONS_ID, layout, chain)
        objs = select_objects(objs, select, int(max_regions))
        w, h = target_size(REGIONS_ID, size, width, height)
        masks = object_masks(objs, w, h)
        out = list(conditioning)
        texts = []
        bar = comfy.utils.ProgressBar(max(1, len(objs)))
        for i, o in enumerate(objs):
            mm.throw_exception_if_processing_interrupted()
            text = object_prompt(o)
            texts.append(text)
            out = out + region_conditioning(clip, text, o, masks[i], w, h, method, strength, set_cond_area)
            bar.update(1)
        return io.NodeOutput(out, masks if objs else masks[:0], "\n".join(texts))


def encode(clip, text):
    """What core's CLIPTextEncode does."""
    return clip.encode_from_tokens_scheduled(clip.tokenize(text))


def region_conditioning(clip, text, obj, mask, w, h, method, strength, set_cond_area):
    """One region through core's own nodes (ConditioningSetMask / ConditioningSetArea)."""
    import nodes as core_nodes   # ComfyUI's top-level nodes.py (core), not this package
    cond = encode(clip, text)
    if method == "area":
        x0, y0, x1, y1 = box_pixels(obj["box_1000"], w, h)
        return core_nodes.ConditioningSetArea().append(cond, x1 - x0, y1 - y0, x0, y0, strength)[0]
    return core_nodes.ConditioningSetMask().append(cond, mask, set_cond_area, strength)[0]


NODES = [LayoutMasks, RegionalConditioning]
