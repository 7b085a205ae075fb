"""The official text-scoring rules of LongText-Bench and OneIG-Bench (text), re-implemented.

Stdlib only. Written from the rules in ``../shared/evals/README.md`` and the published scoring
scripts (X-Omni ``textbench/summary_scores.py`` at 2b8237bb; OneIG-Benchmark
``scripts/text/text_utils.py`` + ``text_score.py`` at 41b49831), including their quirks:

LongText-Bench
  * normalise: drop every character that is not a CJK ideograph (U+4E00..U+9FA5), an ASCII letter
    or digit, whitespace, or one of the accented Latin letters the script keeps;
    EN: collapse whitespace, strip, lower-case; ZH: keep the kept characters only (no spaces, no
    lower-casing).
  * ground truth = normalise(" ".join(text)); EN units = words (split on whitespace), ZH units =
    characters; matches = size of the multiset intersection with the OCR units.
  * score of a set = sum(matches) / sum(ground-truth units) (micro average over images).
OneIG-Bench text
  * normalise: the same character filter; if the result contains a CJK ideograph (U+4E00..U+9FFF)
    keep the kept characters only (no spaces), else collapse whitespace and strip. No lower-casing.
  * ED = Levenshtein distance (characters) between normalised OCR text and normalised ground truth;
    CR = 1 when ED == 0; WAC = multiset recall of words (characters when the ground truth contains
    CJK).
  * per set: ED = mean ED, CR = mean CR, WAC = sum(matches) / sum(gt units);
    score = 1 - min(MAX_ED, ED) * (1 - CR) * (1 - WAC) / MAX_ED, MAX_ED 100 (EN) or 50 (ZH).
Both scripts remove "No text recognized." (and OneIG also "addCriterion") from the OCR text first;
those are Qwen2.5-VL answers, harmless for Tesseract/RapidOCR text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

_ACCENTED = "àâäéèêëîïôöùûüçÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ"
_DROP = re.compile(r"[^\u4e00-\u9fa5a-zA-Z0-9\s" + _ACCENTED + r"]")
_KEEP_NO_SPACE = re.compile(r"[\u4e00-\u9fa5a-zA-Z0-9" + _ACCENTED + r"]")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_WS = re.compile(r"\s+")

MAX_ED = {"en": 100, "zh": 50}
LONGTEXT_NOISE = ("No text recognized.",)
ONEIG_NOISE = ("addCriterion", "No text recognized.")


def _lang(lang: str) -> str:
    lang = (lang or "en").lower()
    if lang not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', not {lang!r}")
    return lang


def remove_noise(text: str, keywords=LONGTEXT_NOISE) -> str:
    for k in keywords:
        text = text.replace(k, "")
    return text


# ---- LongText-Bench -----------------------------------------------------------------------------

def longtext_normalize(text: str, lang: str) -> str:
    if _lang(lang) == "en":
        return _WS.sub(" ", _DROP.sub("", text)).strip().lower()
    return "".join(_KEEP_NO_SPACE.findall(text)).strip()


def longtext_units(normalized: str, lang: str) -> list[str]:
    return normalized.split() if _lang(lang) == "en" else list(normalized)


@dataclass
class LongTextScore:
    matched: int
    total: int
    missing: list          # ground-truth units the OCR did not find (multiset difference)

    @property
    def recall(self) -> float | None:
        return self.matched / self.total if self.total else None

    def to_dict(self) -> dict:
        return {"matched": self.matched, "total": self.total, "recall": self.recall, "missing": self.missing}


def longtext_item(required: list[str], ocr_text: str, lang: str) -> LongTextScore:
    """One image. ``required`` is the prompt's list of strings (LongText ``text``)."""
    gt = longtext_units(longtext_normalize(" ".join(required), lang), lang)
    got = longtext_units(longtext_normalize(remove_noise(ocr_text or "", LONGTEXT_NOISE), lang), lang)
    g, o = Counter(gt), Counter(got)
    return LongTextScore(sum((g & o).values()), len(gt), sorted((g - o).elements()))


def longtext_aggregate(items) -> float | None:
    """Micro average: sum(matched) / sum(total) over the images (LongTextScore or their dicts)."""
    m = t = 0
    for it in items:
        d = it.to_dict() if isinstance(it, LongTextScore) else it
        m += d["matched"]
        t += d["total"]
    return m / t if t else None


# ---- OneIG-Bench text ---------------------------------------------------------------------------

def oneig_normalize(text: str) -> str:
    cleaned = _DROP.sub("", text)
    if _HAS_CJK.search(cleaned):
        return "".join(_KEEP_NO_SPACE.findall(text)).strip()
    return _WS.sub(" ", cleaned).strip()


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def oneig_word_match(gt: str, ocr: str) -> tuple[int, int]:
    """(matched units, ground-truth units): characters when ``gt`` contains CJK, else words."""
    if _HAS_CJK.search(gt):
        g, o = Counter(gt), Counter(ocr)
    else:
        g, o = Counter(gt.split()), Counter(ocr.split())
    return sum((g & o).values()), sum(g.values())


@dataclass
class OneIGScore:
    ed: int
    cr: int
    matched: int
    total: int
    lang: str

    @property
    def wac(self) -> float:
        return self.matched / self.total if self.total else 0.0

    @property
    def score(self) -> float:
        """The set formula applied to this one image."""
        return oneig_formula(self.ed, self.cr, self.wac, self.lang)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(wac=self.wac, score=self.score)
        return d


def oneig_formula(ed: float, cr: float, wac: float, lang: str) -> float:
    mx = MAX_ED[_lang(lang)]
    return 1.0 - min(mx, ed) * (1.0 - cr) * (1.0 - wac) / mx


def oneig_ground_truth(required: list[str] | str) -> str:
    """The normalised ground truth. OneIG normalises the CSV's list literal text itself (brackets,
    quotes and commas fall to the filter); a list is joined with spaces, which gives the same string."""
    return oneig_normalize(required if isinstance(required, str) else " ".join(required))


def oneig_item(required: list[str] | str, ocr_text: str, lang: str) -> OneIGScore:
    gt = oneig_ground_truth(required)
    ocr = oneig_normalize(remove_noise(ocr_text or "", ONEIG_NOISE))
    ed = levenshtein(ocr, gt)
    matched, total = oneig_word_match(gt, ocr)
    return OneIGScore(ed, int(ed == 0), matched, total, _lang(lang))


def oneig_aggregate(items, lang: str) -> dict | None:
    """Set-level ED, CR, WAC and text score over images (OneIGScore or their dicts)."""
    rows = [it.to_dict() if isinstance(it, OneIGScore) else it for it in items]
    if not rows:
        return None
    ed = sum(r["ed"] for r in rows) / len(rows)
    cr = sum(r["cr"] for r in rows) / len(rows)
    tot = sum(r["total"] for r in rows)
    wac = sum(r["matched"] for r in rows) / tot if tot else 0.0
    return {"ED": ed, "CR": cr, "WAC": wac, "score": oneig_formula(ed, cr, wac, lang), "n": len(rows)}
