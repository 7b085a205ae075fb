"""verify.ocr on real engines (installed by dev/bootstrap.sh from requirements-ocr.txt + apt)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from comfyui_coco.verify import ocr

LATIN = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _draw(text, font, size=28):
    im = Image.new("RGBA", (420, 90), (255, 255, 255, 255))
    ImageDraw.Draw(im).text((12, 25), text, font=ImageFont.truetype(font, size), fill="black")
    return im


def test_tesseract_reads_latin():
    ok, msg = ocr.available("en")
    if not ok:
        pytest.skip(msg)
    r = ocr.ocr_text(_draw("Quarterly Sales 2024", LATIN), "en")
    assert "Quarterly Sales 2024" in r.text and r.engine.startswith("tesseract")
    words = {w[0]: w[1] for w in r.words}
    assert words["Quarterly"][0] < words["Sales"][0] < words["2024"][0]  # boxes in image pixels
    assert 0 <= words["Quarterly"][0] < 60 and words["2024"][2] < 420


def test_rapidocr_reads_chinese():
    ok, msg = ocr.available("zh")
    if not ok:
        pytest.skip(msg)
    r = ocr.ocr_text(_draw("季度销售额", CJK), "zh")
    assert "季度销售额" in r.text.replace(" ", "") and r.engine == "rapidocr"


def test_unavailable_names_the_install(monkeypatch):
    monkeypatch.setattr(ocr, "_rapid_status", lambda: (False, f"RapidOCR is not installed: {ocr.RAPIDOCR_INSTALL}"))
    ok, msg = ocr.available("zh")
    assert not ok and "pip install rapidocr-onnxruntime" in msg
    with pytest.raises(ocr.OcrUnavailable, match="pip install"):
        ocr.ocr_text(_draw("x", LATIN), "zh")
