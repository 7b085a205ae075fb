"""Records of a CoCo dataset: deterministic ids, prompt-file items, drawing-only code templates.

Standard library only. One record per item holds everything CoCo-10K kept (prompt, code, draft,
final) and what it did not (semantic layout, inspection report/score, repair and inspect rounds,
backend/model/seed/sampler settings). A record with code is a text–code pair; a record that also
has a final image is a text–draft–final triplet. docs/dataset_format.md documents every field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from . import FORMAT_VERSION

ID_CHARS = 24  # hex chars of sha256: 96 bits


def canonical_json(obj) -> str:
    """The one JSON spelling used for hashing and for writing records (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def item_id(prompt: str, settings: dict) -> str:
    """Deterministic id: a hash of the prompt and every setting that changes the output."""
    return sha256_hex(canonical_json({"prompt": prompt, "settings": settings}))[:ID_CHARS]


@dataclass
class Item:
    """One line of the prompt file, ready for the pipeline."""
    id: str
    line: int
    prompt: str
    settings: dict                      # what the id hashes (besides the prompt)
    code: str | None = None             # given code (drawing-only path), else generated
    language: str = "auto"
    expected_texts: list = field(default_factory=list)   # strings the image must show (LongText "text")
    meta: dict = field(default_factory=dict)              # passed through into the record

    def to_dict(self) -> dict:
        return {"id": self.id, "line": self.line, "prompt": self.prompt, "settings": self.settings,
                "code": self.code, "language": self.language, "expected_texts": self.expected_texts,
                "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict) -> "Item":
        return cls(**d)


@dataclass
class Malformed:
    """A prompt-file line that cannot become an item; it becomes a failure record."""
    id: str
    line: int
    reason: str
    raw: str


def parse_prompt_line(raw: str, line_no: int, settings: dict, template: str | None) -> Item | Malformed | None:
    """A JSONL line -> Item. Keys: ``prompt`` (required), optional ``code`` + ``language``
    (drawing-only), ``text`` (list of strings the image must show, as in LongText-Bench), any other
    keys are kept as ``meta``. Blank lines and ``#`` comments give None."""
    s = raw.strip()
    if not s or s.startswith("#"):
        return None
    bad_id = "bad-" + sha256_hex(f"{line_no}\n{s}")[:ID_CHARS - 4]
    try:
        obj = json.loads(s)
    except json.JSONDecodeError as e:
        return Malformed(bad_id, line_no, f"malformed line: not JSON ({e.msg} at column {e.colno})", s[:500])
    if not isinstance(obj, dict):
        return Malformed(bad_id, line_no, "malformed line: not a JSON object", s[:500])
    prompt = obj.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return Malformed(bad_id, line_no, "malformed line: no non-empty string 'prompt'", s[:500])
    texts = obj.get("text", obj.get("expected_texts", []))
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return Malformed(bad_id, line_no, "malformed line: 'text' must be a list of strings", s[:500])
    code = obj.get("code")
    if code is not None and not isinstance(code, str):
        return Malformed(bad_id, line_no, "malformed line: 'code' must be a string", s[:500])
    language = obj.get("language", "auto")
    if language not in ("auto", "python", "svg"):
        return Malformed(bad_id, line_no, f"malformed line: unknown language {language!r}", s[:500])
    meta = {k: v for k, v in obj.items() if k not in ("prompt", "code", "language", "text", "expected_texts")}
    st = dict(settings)
    if code is None and template:
        code, language = render_template(template, prompt, texts), "python"
        st["template"] = template
    if code is not None:
        st["code_sha256"] = sha256_hex(code)      # given or templated code changes the output
    return Item(item_id(prompt, st), line_no, prompt, st, code, language, list(texts), meta)


# ---- drawing-only code templates ---------------------------------------------------------------

TEMPLATES = ("text_card",)


def render_template(name: str, prompt: str, texts: list) -> str:
    """Deterministic drawing code for a prompt without a model (the drawing-only path).

    ``text_card``: a PIL card that draws the prompt's required strings (or the first words of the
    prompt), one per line, wrapped to the canvas. A stand-in for a code model in examples,
    benchmarks and tests; the code is ordinary untrusted drawing code to the sandbox."""
    if name != "text_card":
        raise ValueError(f"unknown template {name!r} (one of {', '.join(TEMPLATES)})")
    lines = [t for t in texts if t.strip()][:12] or [" ".join(prompt.split()[:12])]
    cjk = any(ord(c) >= 0x2E80 for t in lines for c in t)
    return _TEXT_CARD.format(lines=json.dumps(lines, ensure_ascii=False),
                             font="NotoSansCJK-Regular.ttc" if cjk else "DejaVuSans.ttf", cjk=cjk)


_TEXT_CARD = '''\
# Plan: a 640x480 card, one required string per line (Latin: wrapped at 36 characters;
# CJK: one line each, the font shrunk until it fits).
import os
import textwrap
from PIL import Image, ImageDraw, ImageFont

LINES = {lines}
CJK = {cjk}
W, H = 640, 480
img = Image.new("RGB", (W, H), "#f7f4ec")
draw = ImageDraw.Draw(img)
draw.rectangle([16, 16, W - 16, H - 16], outline="#1f3b5c", width=3)
y = 36
for text in LINES:
    size = max(10, min(22, (W - 80) // max(1, len(text)))) if CJK else 22
    font = ImageFont.truetype("{font}", size)
    for part in ([text] if CJK else textwrap.wrap(text, 36) or [""]):
        if y > H - 50:
            break
        draw.text((36, y), part, fill="#1f3b5c", font=font)
        y += size + 8
    y += 8
img.save(os.path.join(output_dir, "draft.png"))
'''


def kinds_for(images: dict) -> list:
    """Every record with code is a text–code pair; with a final image also a text–draft–final triplet."""
    return ["text_code"] + (["text_draft_final"] if "final" in images and "draft" in images else [])


def build_record(item: Item, *, code: str, language: str, codegen: dict, render: dict, images: dict,
                 inspection: dict | None, refine: dict | None) -> dict:
    """The record written for a finished item. ``images`` maps role (draft/mask/final) to
    {"path", "sha256", "width", "height"}; paths are relative to the dataset folder."""
    return {
        "format_version": FORMAT_VERSION,
        "id": item.id,
        "kinds": kinds_for(images),
        "prompt": item.prompt,
        "expected_texts": item.expected_texts,
        "code": code,
        "language": language,
        "images": images,
        "layout": render.get("layout") or {},
        "semantic": (render.get("layout") or {}).get("semantic"),
        "inspection": inspection,
        "rounds": {"codegen_calls": int(codegen.get("rounds", 0)), "repair": int(codegen.get("repairs", 0)),
                   "correct": int(codegen.get("corrections", 0)),
                   "inspect": int((inspection or {}).get("rounds", 0))},
        "settings": item.settings,
        "codegen": codegen,
        "render": {k: v for k, v in render.items() if k != "layout"},
        "refine": refine,
        "meta": item.meta,
    }


def failure_record(id_: str, line: int, stage: str, reason: str, prompt: str | None = None,
                   detail: str | None = None) -> dict:
    return {"format_version": FORMAT_VERSION, "id": id_, "line": line, "stage": stage, "reason": reason,
            "prompt": prompt, "detail": (detail or "")[:4000]}
