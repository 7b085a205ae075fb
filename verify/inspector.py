"""Inspect one draft: every check, a score, a pass/fail verdict and a short critique.

``inspect_draft(image, layout, prompt, settings)`` runs

1. required text (the prompt's quoted strings + ``settings.required_text`` + the spec item's
   ``required_text``) in the layout, exactly;
2. the spec's structure (chart type, title, categories, values, axis labels, table cells, graph
   nodes/edges) against the semantic layout (``verify.spec``);
3. missing glyphs, text overlapping text, text clipped by the canvas or its box, text too small at
   the target size;
4. optionally, the required text read back from the pixels by OCR (skipped, and said so, when no
   engine is installed);
5. optionally, a model's critique (``settings.critic(image, question) -> str``): CoCo/BAGEL in
   understanding mode, a vision model behind an OpenAI-compatible server, or any callable.

``passed`` is true when every exact finding holds (OCR and the model also count when
``strict_ocr`` / ``model_must_pass`` are set). ``score`` is the mean of the checks' scores
(each check: the fraction of what it tested that holds).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, Optional

from . import checks as C
from . import layout as L
from .spec import check_structure, norm_text, structure_score

CRITIQUE_MAX_ITEMS = 12


@dataclasses.dataclass
class InspectSettings:
    required_text: list = dataclasses.field(default_factory=list)  # strings that must be drawn
    spec: Optional[dict] = None          # a spec item or its "spec" object (verify/spec.py)
    use_prompt_quotes: bool = True       # the prompt's quoted strings are required text too
    target_long_side: int = 1024         # long side of the final picture (0 = the draft's size)
    min_text_px: float = 9.0             # smallest readable glyph height at that size
    ocr: str = "auto"                    # "auto" (when installed) | "off" | "required" (fail if missing)
    lang: str = "auto"                   # OCR language: "auto" (CJK if the text has CJK) | "en" | "zh" | ...
    strict_ocr: bool = False             # OCR misses make the draft fail
    critic: Optional[Callable[[Any, str], str]] = None  # (PIL image, question) -> critique text
    critic_name: str = ""
    model_must_pass: bool = False        # the model's verdict counts for `passed`
    max_rounds: int = 3                  # for CoCo_CodeGen's loop: rounds in all (1 = no correction)

    def to_dict(self) -> dict:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k != "critic"}
        d["critic"] = self.critic_name or (None if self.critic is None else "callable")
        return d


@dataclasses.dataclass
class InspectReport:
    passed: bool
    score: float
    findings: list
    checks: list
    critique: str
    required_text: list
    skipped: list
    model_critique: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @property
    def failed(self) -> list:
        return [f for f in self.findings if not f.get("ok")]


def required_strings(prompt: str, settings: InspectSettings) -> list[str]:
    req: list[str] = []
    if settings.use_prompt_quotes:
        req += C.quoted_strings(prompt)
    req += [norm_text(r) for r in settings.required_text or []]
    spec = settings.spec or {}
    req += [norm_text(r) for r in spec.get("required_text", []) or []]
    out: list[str] = []
    for r in req:
        if r and r not in out:
            out.append(r)
    return out


def critique_text(findings: list[dict], model_text: str = "") -> str:
    """Numbered, actionable list of what is wrong (exact findings first), or a one-line pass."""
    bad = [f for f in findings if not f.get("ok")]
    bad.sort(key=lambda f: (not f.get("exact", True), f["kind"]))
    lines = [f"{i}. [{f['kind']}] {f['message'] or f['kind']}" for i, f in enumerate(bad[:CRITIQUE_MAX_ITEMS], 1)]
    if len(bad) > CRITIQUE_MAX_ITEMS:
        lines.append(f"... and {len(bad) - CRITIQUE_MAX_ITEMS} more")
    if model_text.strip():
        lines.append("Model review: " + model_text.strip())
    return "\n".join(lines) if lines else "No problems found."


def _structure_check(settings: InspectSettings, lay: dict) -> tuple[list, dict]:
    spec = settings.spec or {}
    inner = spec.get("spec") if isinstance(spec.get("spec"), dict) else spec
    keys = set(inner) - {"required_text", "id", "prompt", "category", "lang"}
    if not keys:
        return [], C.skipped("structure", "no spec given")
    sem = L.semantic_of(lay)
    if sem is None:
        return [], C.skipped("structure", "the layout has no semantic part (render with this pack's sandbox)")
    f = check_structure(inner, sem)
    for x in f:
        x.setdefault("exact", True)
    s = C.summarize("structure", len(f), f)
    s["score"] = structure_score(f)
    return f, s


def _ocr_check(image, required: list[str], settings: InspectSettings, lang: str) -> tuple[list, dict]:
    from . import ocr

    if settings.ocr == "off":
        return [], C.skipped("ocr", "OCR is off")
    if image is None:
        return [], C.skipped("ocr", "no image given")
    if not required:
        return [], C.skipped("ocr", "no required text to read")
    ok, msg = ocr.available(lang)
    if not ok:
        if settings.ocr == "required":
            f = [C.finding("ocr_text", False, "an OCR engine", None, msg, exact=True)]
            return f, C.summarize("ocr", 1, f)
        return [], C.skipped("ocr", msg)
    res = ocr.ocr_text(image, lang)
    text = res.text
    if any(not x["ok"] for x in C.ocr_required(required, text, res.engine)):
        for angle in (-90, 90):  # axis labels and other vertical text
            text += "\n" + ocr.ocr_text(image.rotate(angle, expand=True), lang).text
    f = C.ocr_required(required, text, res.engine)
    if settings.strict_ocr:
        for x in f:
            x["exact"] = True
    s = C.summarize("ocr", len(f), f)
    s["engine"] = res.engine
    return f, s


def critic_question(prompt: str, findings: list[dict]) -> str:
    """The question put to a vision model with the draft (CoCo's "verification")."""
    known = [f["message"] for f in findings if not f.get("ok") and f.get("message")][:8]
    hint = ("\nThe automatic checks already found:\n" + "\n".join(f"- {m}" for m in known)) if known else ""
    return ("This image is a draft for the request below. Check it against the request: missing or "
            "misspelled text, wrong numbers, wrong chart type, overlapping or cut-off labels, elements in "
            "the wrong place.\n"
            f"Request: {prompt.strip()}{hint}\n"
            "If the draft matches the request, answer exactly PASS. Otherwise answer with one short line "
            "per problem, each starting with '- ' and saying what to change.")


def _model_check(image, prompt: str, findings: list, settings: InspectSettings) -> tuple[list, dict, str]:
    if settings.critic is None:
        return [], C.skipped("model", "no critic model connected"), ""
    if image is None:
        return [], C.skipped("model", "no image given"), ""
    text = str(settings.critic(image, critic_question(prompt, findings)) or "").strip()
    ok = text.upper().startswith("PASS")
    problems = [ln.strip()[2:].strip() for ln in text.splitlines() if ln.strip().startswith("- ")]
    f = [C.finding("model", ok, "PASS", None if ok else text[:500],
                   "" if ok else ("; ".join(problems) or text[:300]), exact=settings.model_must_pass,
                   critic=settings.critic_name)]
    s = C.summarize("model", 1, f)
    return f, s, "" if ok else text


def inspect_draft(image, layout: Any, prompt: str, settings: Optional[InspectSettings] = None) -> InspectReport:
    """Inspect a draft. ``image``: PIL image (or None: pixel checks are skipped); ``layout``: the
    sandbox layout (dict or JSON string)."""
    settings = settings or InspectSettings()
    lay = L.load_layout(layout)
    size = image.size if image is not None else None
    w, h = L.canvas_size(lay, size)
    texts = L.texts(lay)
    required = required_strings(prompt, settings)
    findings: list[dict] = []
    summary: list[dict] = []

    f = C.required_text(required, texts)
    findings += f
    summary.append(C.summarize("required_text", len(f), f) if required else C.skipped("required_text",
                                                                                      "no quoted or given text"))
    f, s = _structure_check(settings, lay)
    findings += f
    summary.append(s)
    f = C.glyphs(lay)
    findings += f
    summary.append(C.summarize("missing_glyph", max(len(texts), len(f)), f))
    f = C.overlaps(texts)
    findings += f
    summary.append(C.summarize("overlap", len(texts), f))
    f = C.clipped(lay, texts, w, h)
    findings += f
    summary.append(C.summarize("clipped", max(len(texts), len(f)), f))
    f = C.too_small(texts, w, h, settings.target_long_side, settings.min_text_px)
    findings += f
    summary.append(C.summarize("too_small", len(texts), f))

    lang = settings.lang if settings.lang and settings.lang != "auto" else C.lang_of(required)
    f, s = _ocr_check(image, required, settings, lang)
    findings += f
    summary.append(s)
    f, s, model_text = _model_check(image, prompt, findings, settings)
    findings += f
    summary.append(s)

    scores = [s["score"] for s in summary if s.get("score") is not None]
    score = sum(scores) / len(scores) if scores else 1.0
    passed = all(x.get("ok") for x in findings if x.get("exact", True))
    skipped = [f"{s['check']}: {s['skipped']}" for s in summary if s.get("skipped")]
    return InspectReport(passed=passed, score=round(score, 4), findings=findings, checks=summary,
                         critique=critique_text(findings, model_text), required_text=required,
                         skipped=skipped, model_critique=model_text)
