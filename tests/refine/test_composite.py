"""Protect composite: masked pixels identical to the draft, feather ramp, size mismatch, report."""

from __future__ import annotations

import pytest
import torch

from comfyui_coco.models.refine.composite import as_mask, feather_mask, protect_composite


def _imgs(h=40, w=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    draft = torch.rand(1, h, w, 3, generator=g)
    refined = torch.rand(1, h, w, 3, generator=g)
    return draft, refined


def _box_mask(h=40, w=48, y0=10, y1=20, x0=12, x1=30):
    m = torch.zeros(1, h, w)
    m[:, y0:y1, x0:x1] = 1.0
    return m


@pytest.mark.parametrize("feather", [0, 1, 4, 9])
@pytest.mark.parametrize("kind", ["box", "gaussian"])
def test_masked_pixels_are_bit_identical_to_the_draft(feather, kind):
    draft, refined = _imgs()
    mask = _box_mask()
    out, alpha, report = protect_composite(refined, draft, mask, feather, kind)
    inside = mask[0] >= 1.0
    assert torch.equal(out[0][inside], draft[0][inside])
    assert bool((alpha[0][inside] == 1.0).all())
    full = alpha[0] >= 1.0
    assert torch.equal(out[0][full], draft[0][full])
    # far away from the mask the refined image is untouched
    far = feather_mask(mask, feather, kind)[0] <= 0.0
    assert torch.equal(out[0][far], refined[0][far])
    assert report.max_inside_after == 0.0
    assert report.inside_after == 0.0
    assert report.inside_before > 0.1 and abs(report.outside_after - report.outside_before) < 0.2


def test_no_mask_means_no_protection():
    draft, refined = _imgs()
    out, alpha, report = protect_composite(refined, draft, None, 8)
    assert torch.equal(out, refined)
    assert float(alpha.max()) == 0.0
    assert report.mask_fraction == 0.0 and report.outside_before == report.outside_after > 0.0


def test_feather_ramp_is_monotone_and_about_feather_px_wide():
    h, w = 9, 64
    mask = torch.zeros(1, h, w)
    mask[:, :, :20] = 1.0               # left part protected, edge at x = 20
    for feather in (4, 8, 16):
        alpha = feather_mask(mask, feather, "box")[0, 4]
        assert bool((alpha[:20] == 1.0).all())
        ramp = alpha[20:]
        assert bool((ramp[1:] <= ramp[:-1] + 1e-7).all()), "ramp must fall monotonically"
        assert 0.0 < float(ramp[0]) < 1.0
        width = int((ramp > 0).sum())
        assert feather - 1 <= width <= feather + 2, (feather, width, ramp)
        # roughly linear: the middle of the ramp is near one half
        assert abs(float(ramp[width // 2]) - 0.5) < 0.2
        assert bool((alpha[20 + width:] == 0).all())


def test_soft_mask_values_are_kept_as_lower_bound():
    mask = torch.zeros(1, 16, 16)
    mask[:, 4:8, 4:8] = 0.5
    mask[:, 5:7, 5:7] = 1.0
    alpha = feather_mask(mask, 4)
    assert bool((alpha >= mask).all())
    draft, refined = _imgs(16, 16)
    out, _, _ = protect_composite(refined, draft, mask, 0)
    half = mask[0] == 0.5
    assert torch.allclose(out[0][half], 0.5 * draft[0][half] + 0.5 * refined[0][half], atol=1e-6)


def test_size_mismatch_refined_to_draft_keeps_original_draft_pixels():
    draft = torch.rand(1, 50, 70, 3, generator=torch.Generator().manual_seed(1))
    refined = torch.rand(1, 48, 64, 3, generator=torch.Generator().manual_seed(2))
    mask = _box_mask(50, 70, 10, 30, 10, 40)
    out, alpha, report = protect_composite(refined, draft, mask, 3, resize="refined_to_draft")
    assert out.shape == draft.shape and alpha.shape == (1, 50, 70)
    inside = mask[0] >= 1
    assert torch.equal(out[0][inside], draft[0][inside])
    assert "resized to the draft" in report.to_text()


def test_size_mismatch_draft_to_refined_uses_resized_draft_and_mask():
    draft = torch.rand(1, 50, 70, 3, generator=torch.Generator().manual_seed(1))
    refined = torch.rand(1, 48, 64, 3, generator=torch.Generator().manual_seed(2))
    mask = _box_mask(50, 70, 10, 30, 10, 40)
    out, alpha, report = protect_composite(refined, draft, mask, 0, resize="draft_to_refined")
    assert out.shape == refined.shape
    from comfyui_coco.models.refine.composite import resize_image

    rd = resize_image(draft, 48, 64)
    full = alpha[0] >= 1
    assert bool(full.any())
    assert torch.equal(out[0][full], rd[0][full])
    assert "resized to the refined" in report.to_text()


def test_mask_shapes_and_batch_broadcast():
    m2 = torch.ones(10, 12)
    assert as_mask(m2, 3, 10, 12).shape == (3, 10, 12)
    m4 = torch.ones(1, 1, 5, 6)
    assert as_mask(m4, 1, 10, 12).shape == (1, 10, 12)
    with pytest.raises(ValueError):
        as_mask(torch.ones(2, 10, 12), 3, 10, 12)
    draft = torch.rand(1, 10, 12, 3)
    refined = torch.rand(2, 10, 12, 3)
    out, _, _ = protect_composite(refined, draft, m2, 0)
    assert out.shape == (2, 10, 12, 3) and torch.equal(out[1], draft[0])


def test_report_text_names_the_numbers():
    draft, refined = _imgs()
    _, _, report = protect_composite(refined, draft, _box_mask(), 2)
    text = report.to_text()
    assert "before composite" in text and "after composite" in text and "identical" in text
