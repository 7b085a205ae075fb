"""The official text-scoring rules (evaluation/rules.py) on hand-computed cases: LongText-Bench
word/character multiset recall (micro average), OneIG-Bench ED / CR / WAC and its formula, with
punctuation, case, repeated words, CJK, empty OCR and the published scripts' quirks.

Each expected number below was worked out by hand from the rules in ../shared/evals/README.md
(the comments show the arithmetic). Seen failing: with lower-casing added to the OneIG
normaliser, test_oneig_is_case_sensitive fails (ED 0 instead of 4)."""

from __future__ import annotations

import pytest

from comfyui_coco.evaluation import rules


# ---- LongText-Bench, English: words after lower-casing and stripping punctuation -----------------

def test_longtext_en_strips_punctuation_and_case():
    # "Hello, World!" + "It's 5 o'clock" -> "hello world its 5 oclock": 5 words
    assert rules.longtext_normalize("Hello, World! It's 5 o'clock", "en") == "hello world its 5 oclock"
    s = rules.longtext_item(["Hello, World!", "It's 5 o'clock"], "HELLO world.\nits 5 OCLOCK", "en")
    assert (s.matched, s.total, s.recall) == (5, 5, 1.0)


def test_longtext_en_hyphens_and_unicode_punctuation_vanish():
    # " - " disappears, "e-mail" becomes one word, curly quotes and the em dash are dropped
    assert rules.longtext_normalize("Lakeview Point - 2 Miles", "en") == "lakeview point 2 miles"
    assert rules.longtext_normalize("“e-mail”—now", "en") == "emailnow"


def test_longtext_en_repeated_words_count_as_a_multiset():
    # gt: the x2, cat, and, hat = 5 words; OCR "the cat hat": the 1 + cat + hat = 3 -> 3/5
    s = rules.longtext_item(["the cat and the hat"], "the cat hat", "en")
    assert (s.matched, s.total) == (3, 5) and s.recall == pytest.approx(0.6)
    assert s.missing == ["and", "the"]
    # OCR repeating a word does not earn more than the ground truth has: min(2, 3) + cat = 3
    assert rules.longtext_item(["the cat and the hat"], "the the the cat", "en").matched == 3


def test_longtext_en_accents_are_kept_and_must_match():
    # "Café Crème" -> "café crème"; OCR without accents matches nothing
    assert rules.longtext_normalize("Café CRÈME", "en") == "café crème"
    assert rules.longtext_item(["Café Crème"], "cafe creme", "en").matched == 0


def test_longtext_empty_ocr_scores_zero():
    s = rules.longtext_item(["Grand Opening 2026"], "", "en")
    assert (s.matched, s.total, s.recall) == (0, 3, 0.0)
    assert rules.longtext_item(["Grand Opening"], "!!! ... ---", "en").matched == 0
    # the scripts drop the VLM's "No text recognized." answer before scoring
    assert rules.longtext_item(["No text"], "No text recognized.", "en").matched == 0


def test_longtext_set_score_is_micro_averaged():
    a = rules.longtext_item(["one two three four"], "one two three", "en")   # 3/4
    b = rules.longtext_item(["five"], "five", "en")                           # 1/1
    # (3 + 1) / (4 + 1) = 0.8, not the mean of 0.75 and 1.0
    assert rules.longtext_aggregate([a, b]) == pytest.approx(0.8)
    assert rules.longtext_aggregate([a.to_dict(), b.to_dict()]) == pytest.approx(0.8)
    assert rules.longtext_aggregate([]) is None


# ---- LongText-Bench, Chinese: characters ---------------------------------------------------------

def test_longtext_zh_counts_characters_without_punctuation_or_spaces():
    # gt "欢迎来到布鲁克小径" (9) + "湖景2公里" (5) = 14 characters
    full = rules.longtext_item(["欢迎来到布鲁克小径", "湖景2公里"], "欢迎来到布鲁克小径，\n湖景 2 公里。", "zh")
    assert (full.matched, full.total) == (14, 14)
    # OCR "欢迎来到小径 湖景": 欢迎来到 (4) + 小径 (2) + 湖景 (2) = 8 -> 8/14
    part = rules.longtext_item(["欢迎来到布鲁克小径", "湖景2公里"], "欢迎来到小径 湖景", "zh")
    assert part.matched == 8 and part.recall == pytest.approx(8 / 14)


def test_longtext_zh_repeated_characters_and_case_sensitive_latin():
    assert rules.longtext_item(["人人"], "人", "zh").recall == pytest.approx(0.5)
    # zh mode does not lower-case: "AI芯片" = A, I, 芯, 片; OCR "ai芯片" matches 芯, 片 -> 2/4
    assert rules.longtext_item(["AI芯片"], "ai芯片", "zh").recall == pytest.approx(0.5)


def test_longtext_rejects_unknown_language():
    with pytest.raises(ValueError):
        rules.longtext_item(["x"], "x", "fr")


# ---- OneIG-Bench text ----------------------------------------------------------------------------

def test_levenshtein():
    assert rules.levenshtein("kitten", "sitting") == 3
    assert rules.levenshtein("", "abc") == 3 == rules.levenshtein("abc", "")
    assert rules.levenshtein("技术农村", "技朮农村") == 1


def test_oneig_exact_text_scores_one():
    s = rules.oneig_item(["The Impact of 5G", "Rural"], "The Impact of 5G\nRural", "en")
    assert (s.ed, s.cr, s.matched, s.total, s.score) == (0, 1, 5, 5, 1.0)


def test_oneig_is_case_sensitive():
    # ED: T->t, I->i, G->g, R->r = 4; WAC: only "of" matches -> 1/5
    # score = 1 - min(100, 4) * (1 - 0) * (1 - 0.2) / 100 = 0.968
    s = rules.oneig_item(["The Impact of 5G", "Rural"], "the impact of 5g rural", "en")
    assert (s.ed, s.cr, s.matched, s.total) == (4, 0, 1, 5)
    assert s.score == pytest.approx(0.968)


def test_oneig_empty_ocr():
    # gt "Hello World" = 11 characters: ED 11, CR 0, WAC 0 -> 1 - 11 / 100 = 0.89 (EN)
    s = rules.oneig_item(["Hello, World"], "", "en")
    assert (s.ed, s.cr, s.wac) == (11, 0, 0.0) and s.score == pytest.approx(0.89)
    # ZH: gt "电信行业报告2025" = 10 characters: 1 - 10 / 50 = 0.8
    z = rules.oneig_item(["电信行业报告，2025"], "", "zh")
    assert (z.ed, z.total) == (10, 10) and z.score == pytest.approx(0.8)


def test_oneig_edit_distance_is_capped_at_max_ed():
    s = rules.oneig_item(["a " * 120], "", "en")     # gt 239 characters, ED 239 -> min(100, ED) -> score 0
    assert s.ed == 239 and s.score == pytest.approx(0.0)


def test_oneig_zh_uses_characters_and_no_spaces():
    # gt ['5G技术', '农村'] -> "5G技术农村" (6); OCR "技术 农" -> "技术农": ED 3 (drop 5, G, 村),
    # WAC 3/6 -> score = 1 - 3 * 1 * 0.5 / 50 = 0.97
    s = rules.oneig_item(["5G技术", "农村"], "技术 农", "zh")
    assert (s.ed, s.matched, s.total) == (3, 3, 6) and s.score == pytest.approx(0.97)
    # every character present but one extra: ED 1, WAC 1 -> score 1 (the formula's (1 - WAC) factor)
    t = rules.oneig_item(["5G技术", "农村"], "5G技术的农村", "zh")
    assert (t.ed, t.cr, t.wac, t.score) == (1, 0, 1.0, 1.0)
    # OCR text with CJK is normalised without spaces even if it mixes Latin words
    assert rules.oneig_normalize("Hello 世界, ok") == "Hello世界ok"


def test_oneig_set_aggregate():
    a = rules.oneig_item(["The Impact of 5G", "Rural"], "The Impact of 5G Rural", "en")   # ED 0, CR 1, 5/5
    b = rules.oneig_item(["Hello, World"], "", "en")                                    # ED 11, CR 0, 0/2
    agg = rules.oneig_aggregate([a, b], "en")
    # ED 5.5, CR 0.5, WAC 5/7 -> 1 - 5.5 * 0.5 * (2/7) / 100
    assert agg["ED"] == pytest.approx(5.5) and agg["CR"] == pytest.approx(0.5)
    assert agg["WAC"] == pytest.approx(5 / 7)
    assert agg["score"] == pytest.approx(1 - 5.5 * 0.5 * (2 / 7) / 100)
    assert rules.oneig_aggregate([], "en") is None


def test_oneig_ground_truth_from_the_csv_list_literal_keeps_the_scripts_quirk():
    # The official script normalises the CSV cell (a Python list literal) as text: brackets, quotes
    # and commas vanish, and an escaped newline "\\n" leaves its "n" glued to the next word.
    raw = "['Title: Models\\nAuthor list: Ho', 'Rural']"
    assert rules.oneig_ground_truth(raw) == "Title ModelsnAuthor list Ho Rural"
    assert rules.oneig_ground_truth(["Title: Models", "Author list: Ho", "Rural"]) == "Title Models Author list Ho Rural"
    assert rules.oneig_item(raw, "Title Models\nAuthor list Ho Rural", "en").ed == 1
