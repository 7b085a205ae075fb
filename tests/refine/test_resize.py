"""Resolution snapping = the reference's MaxLongEdgeMinShortEdgeResize (hand-computed values)."""

from __future__ import annotations

import pytest
import torch

from comfyui_coco.models.refine import resize as R


@pytest.mark.parametrize("wh,expect", [
    ((800, 500), (816, 512)),      # short side up to 512: 819.2 -> 816 (stride 16), 512
    ((2000, 1000), (1024, 512)),   # long side down to 1024
    ((300, 300), (512, 512)),      # upscaled to the minimum short side
    ((1000, 3000), (336, 1024)),   # min short side first (512x1536), then long side back to 1024
    ((1024, 1024), (1024, 1024)),
])
def test_vae_side_matches_reference_rule(wh, expect):
    assert R.bagel_resize_size(*wh, 1024, 512, 16) == expect
    assert R.snap_size(*wh, 1024) == expect


def test_vit_side_of_a_resized_draft():
    assert R.bagel_resize_size(816, 512, 980, 224, 14) == (812, 518)


def test_max_resolution_and_model_cap():
    w, h = R.snap_size(800, 500, 512)
    assert max(w, h) <= 512 and w % 16 == 0 and h % 16 == 0
    assert R.snap_size(800, 500, 1024, model_max_side=64) == (64, 48)
    assert R.t2i_size(1024, 768, 1024) == (1024, 768)
    assert R.t2i_size(1000, 700, 512) == (512, 352)
    assert R.t2i_size(64, 48, 1024, model_max_side=64) == (64, 48)
    assert R.t2i_size(100, 40, 1024) == (96, 32)  # 40/16 = 2.5 rounds half to even, like the reference


def test_resize_pil_is_8bit_bicubic_and_normalised_tensor():
    img = torch.rand(1, 30, 40, 3, generator=torch.Generator().manual_seed(0))
    out = R.resize_pil(img, 32, 16)
    assert out.shape == (1, 16, 32, 3)
    assert torch.equal(out * 255, (out * 255).round())  # 8-bit values
    same = R.resize_pil(img, 40, 30)
    assert float((same - img).abs().max()) <= 0.5 / 255 + 1e-6
    t = R.to_model_tensor(same)
    assert t.shape == (3, 30, 40) and float(t.min()) >= -1 and float(t.max()) <= 1
