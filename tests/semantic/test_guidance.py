"""CoCo_RegionalConditioning / CoCo_LayoutMasks against hand-wired graphs of core nodes (CLIP Text
Encode, Solid Mask + Mask Composite, Conditioning Set Mask / Set Area, Conditioning Combine), with
a real core CLIP (tiny text model) and a layout from a real render."""

from __future__ import annotations

import json

import pytest
import torch

from comfyui_coco.sandbox import render_inprocess
from comfyui_coco.sandbox.semantic import chain_objects, got_chain, got_palette

from .tiny_clip import tiny_clip

CHART = """
fig, ax = plt.subplots(figsize=(4, 3), dpi=64)
ax.bar(["Q1", "Q2", "Q3"], [3, 5, 2], color="#336699")
ax.set_title("Quarterly sales")
ax.text(0, 4.5, "record")
"""


@pytest.fixture(scope="module")
def clip():
    return tiny_clip()


@pytest.fixture(scope="module")
def layout():
    res = render_inprocess(CHART)
    assert res.ok
    return json.dumps(res.layout)


def core():
    import nodes as core_nodes
    from comfy_extras import nodes_mask
    return core_nodes, nodes_mask


def box_mask(box, w, h):
    """The hand-wired mask: Solid Mask (0, W x H) + Mask Composite 'add' of Solid Mask (1, box)."""
    from comfyui_coco.nodes.guidance import box_pixels
    _, nm = core()
    x0, y0, x1, y1 = box_pixels(box, w, h)
    dest = nm.SolidMask().solid(0.0, w, h)[0]
    src = nm.SolidMask().solid(1.0, x1 - x0, y1 - y0)[0]
    return nm.MaskComposite().combine(dest, src, x0, y0, "add")[0]


def assert_same_conditioning(a, b):
    assert len(a) == len(b)
    for (ta, da), (tb, db) in zip(a, b):
        assert torch.equal(ta, tb)
        assert set(da) == set(db), (set(da), set(db))
        for k in da:
            if isinstance(da[k], torch.Tensor):
                assert torch.equal(da[k], db[k]), k
            else:
                assert da[k] == db[k], k


def test_masks_and_colour_mask(layout):
    from comfyui_coco.nodes.guidance import LayoutMasks
    sem = json.loads(layout)["semantic"]
    W, H = sem["canvas"]["width"], sem["canvas"]["height"]
    objs = [o for o in chain_objects(sem) if o["box_1000"] and o["kind"] in ("bar", "title")]
    masks, colour, lines = LayoutMasks.execute(select="bar, title", width=0, height=0, layout=layout, chain="").args
    assert masks.shape == (len(objs), H, W) == (4, H, W)
    for m, o in zip(masks, objs):
        assert torch.equal(m, box_mask(o["box_1000"], W, H)[0])
    assert lines.splitlines()[0].startswith('title "Quarterly sales" [')
    pal = got_palette(len(objs))
    for i, o in enumerate(objs):                 # no box overlaps here: each shows its own colour
        ys, xs = torch.nonzero(masks[i], as_tuple=True)
        assert torch.equal(colour[0, int(ys[len(ys) // 2]), int(xs[len(xs) // 2])], torch.tensor(pal[i]) / 255.0)
    assert float(colour[0][masks.sum(0) == 0].abs().sum()) == 0.0


def test_one_mask_per_kind_is_the_union_of_that_kind(layout):
    from comfyui_coco.nodes.guidance import LayoutMasks
    per_obj, _, lines = LayoutMasks.execute(select="bar, title", width=0, height=0, layout=layout).args
    per_kind, _, kinds = LayoutMasks.execute(select="bar, title", width=0, height=0, layout=layout,
                                             one_mask_per="kind").args
    assert kinds.splitlines() == ["title", "bar"] and per_kind.shape[0] == 2
    assert torch.equal(per_kind[0], per_obj[0]) and torch.equal(per_kind[1], per_obj[1:].amax(0))


@pytest.mark.parametrize("method, set_cond_area, strength", [("mask", "default", 1.0), ("mask", "mask bounds", 0.7),
                                                             ("area", "default", 1.3)])
def test_regional_conditioning_equals_hand_wired_core_graph(clip, layout, method, set_cond_area, strength):
    from comfyui_coco.nodes.guidance import RegionalConditioning
    core_nodes, _ = core()
    enc = core_nodes.CLIPTextEncode()
    glob = enc.encode(clip, "a clean bar chart, studio lighting")[0]
    W, H = 512, 384
    out, masks, regions = RegionalConditioning.execute(
        clip=clip, conditioning=glob, select="title, bar, text", method=method, strength=strength,
        set_cond_area=set_cond_area, width=W, height=H, max_regions=16, layout=layout, chain="").args
    sem = json.loads(layout)["semantic"]
    objs = [o for o in chain_objects(sem) if o["box_1000"] and o["kind"] in ("title", "bar", "text")]
    texts = regions.splitlines()
    assert texts == ['title "Quarterly sales"', 'bar "Q1" value=3.0', 'bar "Q2" value=5.0', 'bar "Q3" value=2.0',
                     'text "record"']
    expected = glob
    for text, o in zip(texts, objs):
        cond = enc.encode(clip, text)[0]
        if method == "area":
            from comfyui_coco.nodes.guidance import box_pixels
            x0, y0, x1, y1 = box_pixels(o["box_1000"], W, H)
            cond = core_nodes.ConditioningSetArea().append(cond, x1 - x0, y1 - y0, x0, y0, strength)[0]
        else:
            cond = core_nodes.ConditioningSetMask().append(cond, box_mask(o["box_1000"], W, H), set_cond_area,
                                                           strength)[0]
        expected = core_nodes.ConditioningCombine().combine(expected, cond)[0]
    assert_same_conditioning(out, expected)
    assert masks.shape == (5, H, W)


def test_edited_chain_drives_the_regions(clip, layout):
    from comfyui_coco.nodes.guidance import RegionalConditioning
    core_nodes, _ = core()
    chain = got_chain(json.loads(layout)["semantic"]).replace('"Quarterly sales"', '"Yearly revenue"')
    chain += '\nrect "a red stamp" [700,50,950,200]'
    glob = core_nodes.CLIPTextEncode().encode(clip, "chart")[0]
    out, masks, regions = RegionalConditioning.execute(
        clip=clip, conditioning=glob, select="title, rect", method="mask", strength=1.0, set_cond_area="default",
        width=0, height=0, max_regions=16, chain=chain).args
    assert regions.splitlines() == ['title "Yearly revenue"', 'rect "a red stamp"']
    cond = core_nodes.CLIPTextEncode().encode(clip, 'rect "a red stamp"')[0]
    assert torch.equal(out[-1][0], cond[0][0]) and len(out) == 3
    H, W = masks.shape[1:]
    assert float(masks[1].sum()) == pytest.approx((round(0.951 * W) - int(0.7 * W)) * (round(0.201 * H) - int(0.05 * H)), abs=3 * (W + H))


def test_nothing_linked_is_a_fixable_error(clip):
    from comfyui_coco.nodes.common import CoCoError
    from comfyui_coco.nodes.guidance import LayoutMasks
    with pytest.raises(CoCoError) as e:
        LayoutMasks.execute(select="*", width=0, height=0)
    assert "link" in str(e.value)
