"""Optional OCR engines for reading the draft's pixels.

* Latin scripts: Tesseract through ``pytesseract`` (Python package) and the ``tesseract`` program
  (Debian/Ubuntu: ``apt-get install tesseract-ocr``; other languages: ``tesseract-ocr-<lang>``).
* CJK: RapidOCR (``rapidocr-onnxruntime``): PP-OCR models shipped inside the wheel, ONNX Runtime on
  the CPU, no download at run time.

Both are optional (``requirements-ocr.txt``). ``available(lang)`` says whether the engine for a
language is usable and, if not, the install command; ``ocr_text`` raises ``OcrUnavailable`` with
that command. Engines are created once per process and reused.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from typing import Optional

LANGS = ("en", "zh")
TESSERACT_INSTALL = ("pip install pytesseract  and the tesseract program: apt-get install tesseract-ocr "
                     "(macOS: brew install tesseract; Windows: the UB Mannheim installer)")
RAPIDOCR_INSTALL = "pip install rapidocr-onnxruntime"

_lock = threading.Lock()
_rapid = None


class OcrUnavailable(RuntimeError):
    """No OCR engine for this language; the message says how to install one."""


@dataclasses.dataclass
class OcrResult:
    text: str                 # every recognised line, in reading order, joined by newlines
    words: list               # [(text, [x0, y0, x1, y1], conf 0..1)] in image pixels
    engine: str               # "tesseract 5.3.0" / "rapidocr"


def engine_for(lang: str) -> str:
    """The engine used for a language code: "rapidocr" for Chinese/Japanese/Korean, else "tesseract"."""
    lang = (lang or "en").lower()
    return "rapidocr" if lang.split("-")[0] in ("zh", "ja", "ko", "cjk") else "tesseract"


def _tesseract_status() -> tuple[bool, str]:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False, f"Tesseract OCR is not installed (no pytesseract): {TESSERACT_INSTALL}"
    import pytesseract

    cmd = getattr(pytesseract.pytesseract, "tesseract_cmd", "tesseract")
    if not (shutil.which(cmd) or shutil.which("tesseract")):
        return False, f"the tesseract program is not installed: {TESSERACT_INSTALL}"
    try:
        version = str(pytesseract.get_tesseract_version()).split("\n")[0]
    except Exception as e:  # broken install
        return False, f"tesseract does not run ({type(e).__name__}: {e}): {TESSERACT_INSTALL}"
    return True, f"tesseract {version}"


def _rapid_status() -> tuple[bool, str]:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False, f"RapidOCR is not installed: {RAPIDOCR_INSTALL}"
    except Exception as e:  # onnxruntime / opencv failing to load
        return False, f"RapidOCR does not load ({type(e).__name__}: {e}): {RAPIDOCR_INSTALL}"
    return True, "rapidocr"


def available(lang: str = "en") -> tuple[bool, str]:
    """(usable, message): the engine name and version, or what is missing and how to install it."""
    return _rapid_status() if engine_for(lang) == "rapidocr" else _tesseract_status()


def _rgb(image):
    from PIL import Image

    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.split()[3])
        return bg
    return image.convert("RGB")


def _upscaled(image, min_side: int = 48):
    """Drafts under 1200 px are read at twice their size (chart text of 10-14 px is read much more
    reliably; 3x loses large text); returns (image, factor)."""
    w, h = image.size
    f = 2 if max(w, h) < 1200 else 1
    while min(w, h) * f < min_side:
        f += 1
    if f == 1:
        return image, 1
    from PIL import Image

    return image.resize((w * f, h * f), Image.LANCZOS), f


def _tesseract(image, lang: str) -> OcrResult:
    import pytesseract

    ok, msg = _tesseract_status()
    if not ok:
        raise OcrUnavailable(msg)
    tess_lang = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por"}.get(lang, lang)
    have = set(pytesseract.get_languages(config=""))
    if tess_lang not in have:
        tess_lang = "eng" if "eng" in have else next(iter(have - {"osd"}), "eng")
    big, f = _upscaled(_rgb(image))
    data = pytesseract.image_to_data(big, lang=tess_lang, output_type=pytesseract.Output.DICT,
                                     config="--psm 11")
    words, lines = [], {}
    for i, t in enumerate(data["text"]):
        t = (t or "").strip()
        conf = float(data["conf"][i])
        if not t or conf < 0:
            continue
        x, y, w, h = (data[k][i] / f for k in ("left", "top", "width", "height"))
        words.append((t, [x, y, x + w, y + h], conf / 100.0))
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(t)
    text = "\n".join(" ".join(v) for _, v in sorted(lines.items()))
    return OcrResult(text=text, words=words, engine=msg)


def _rapid_engine():
    global _rapid
    with _lock:
        if _rapid is None:
            from rapidocr_onnxruntime import RapidOCR

            _rapid = RapidOCR()
        return _rapid


def _rapidocr(image) -> OcrResult:
    ok, msg = _rapid_status()
    if not ok:
        raise OcrUnavailable(msg)
    import numpy as np

    big, f = _upscaled(_rgb(image))
    result, _ = _rapid_engine()(np.asarray(big))
    words = []
    for box, t, conf in result or []:
        xs = [p[0] / f for p in box]
        ys = [p[1] / f for p in box]
        words.append((str(t), [min(xs), min(ys), max(xs), max(ys)], float(conf)))
    words.sort(key=lambda w: (round(w[1][1] / 8), w[1][0]))
    return OcrResult(text="\n".join(w[0] for w in words), words=words, engine="rapidocr")


def ocr_text(image, lang: str = "en") -> OcrResult:
    """Read the text of a PIL image. ``lang``: "en" (or another Latin-script code) → Tesseract,
    "zh"/"ja"/"ko" → RapidOCR. Raises ``OcrUnavailable`` when that engine is not installed."""
    if engine_for(lang) == "rapidocr":
        return _rapidocr(image)
    return _tesseract(image, (lang or "en").lower())


def reset_engines() -> Optional[object]:
    """Drop the cached RapidOCR engine (frees its ONNX sessions)."""
    global _rapid
    with _lock:
        old, _rapid = _rapid, None
    return old
