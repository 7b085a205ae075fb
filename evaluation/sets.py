"""Prompt sets: the public ones read as they are published, and our own spec format.

Every loader returns a list of :class:`Item`. ``load_set(path)`` picks the reader from the file:

* LongText-Bench ``text_prompts*.jsonl`` (``prompt_id``, ``prompt``, ``text``, ``category``,
  ``length``); the language is ``zh`` for ``*_zh*`` files, else ``en``.
* OneIG-Bench ``text_content*.csv`` (``id``, ``prompt_en``/``prompt_cn``, ``text_content`` = a Python
  list literal, read with ``ast.literal_eval`` - never eval).
* GenEval ``evaluation_metadata.jsonl`` (``tag``, ``include``, ``prompt``): no required text; its
  object specs become ``spec`` (kind ``objects``) for checking a draft's layout.
* Our format, JSONL (any other ``.jsonl``): ``id``, ``category``, ``lang``, ``prompt``,
  ``required_text`` (list), optional ``spec`` (see README "Evaluation").
"""

from __future__ import annotations

import ast
import csv
import json
import os
from dataclasses import asdict, dataclass, field

SCORERS = ("longtext", "oneig", "none")


@dataclass
class Item:
    id: str
    set: str
    category: str
    lang: str
    prompt: str
    required_text: list = field(default_factory=list)
    spec: dict | None = None
    scorer: str = "longtext"           # which official text rule applies: longtext | oneig | none (no text score)
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class SetError(ValueError):
    pass


def _jsonl(path: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise SetError(f"{path}:{n}: not JSON ({e.msg})") from e
            if not isinstance(row, dict):
                raise SetError(f"{path}:{n}: a line must be a JSON object")
            rows.append(row)
    return rows


def _lang_of(path: str) -> str:
    base = os.path.basename(path).lower()
    return "zh" if ("_zh" in base or "_cn" in base) else "en"


def load_longtext(path: str) -> list[Item]:
    lang = _lang_of(path)
    name = f"longtext_{lang}"
    return [Item(id=f"{int(r['prompt_id']):04d}", set=name, category=str(r.get("category", "")), lang=lang,
                 prompt=r["prompt"], required_text=[str(t) for t in r["text"]], scorer="longtext",
                 meta={"length": r.get("length"), "text_length": r.get("text_length")})
            for r in _jsonl(path)]


def load_oneig(path: str) -> list[Item]:
    lang = _lang_of(path)
    items = []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            raw = r["text_content"]
            texts = ast.literal_eval(raw)
            if not isinstance(texts, list):
                raise SetError(f"{path}: id {r['id']}: text_content is not a list")
            prompt = r.get("prompt_en") or r.get("prompt_cn") or r.get("prompt") or ""
            items.append(Item(id=str(r["id"]), set=f"oneig_{lang}", category="text", lang=lang, prompt=prompt,
                              required_text=[str(t) for t in texts], scorer="oneig", meta={"text_content": raw}))
    return items


def load_geneval(path: str) -> list[Item]:
    return [Item(id=f"{n:04d}", set="geneval", category=str(r.get("tag", "")), lang="en", prompt=r["prompt"],
                 required_text=[], spec={"kind": "objects", "include": r.get("include", []),
                                         **({"exclude": r["exclude"]} if "exclude" in r else {})},
                 scorer="none")
            for n, r in enumerate(_jsonl(path))]


def load_spec_jsonl(path: str) -> list[Item]:
    """Our spec format; each line is checked by verify/spec.py's ``validate_item`` (the one home of
    the format). Extra keys here: ``set`` (default: the file name) and ``scorer``."""
    from ..verify.spec import SpecError, validate_item

    name = os.path.splitext(os.path.basename(path))[0]
    items, seen = [], set()
    for n, raw in enumerate(_jsonl(path), 1):
        try:
            r = validate_item(raw)
        except SpecError as e:
            raise SetError(f"{path}:{n}: {e}") from None
        lang = str(r.get("lang", "en")).lower()
        if lang not in ("en", "zh"):
            raise SetError(f"{path}:{n}: lang must be 'en' or 'zh' (the official rules know these two)")
        scorer = str(r.get("scorer", "longtext"))
        if scorer not in SCORERS:
            raise SetError(f"{path}:{n}: scorer must be one of {SCORERS}")
        iid = str(r["id"])
        if iid in seen:
            raise SetError(f"{path}:{n}: duplicate id {iid!r}")
        seen.add(iid)
        items.append(Item(id=iid, set=str(r.get("set", name)), category=str(r.get("category", "")), lang=lang,
                          prompt=str(r["prompt"]), required_text=list(r["required_text"]), spec=r.get("spec"),
                          scorer=scorer,
                          meta={k: v for k, v in r.items() if k not in ("id", "set", "category", "lang", "prompt",
                                                                        "required_text", "spec", "scorer")}))
    return items


def load_set(path: str) -> list[Item]:
    base = os.path.basename(path).lower()
    if base.endswith(".csv"):
        return load_oneig(path)
    if not base.endswith(".jsonl"):
        raise SetError(f"{path}: expected a .jsonl prompt set or a OneIG .csv")
    rows = _jsonl(path)
    first = rows[0] if rows else {}
    if "prompt_id" in first and "text" in first:
        return load_longtext(path)
    if "tag" in first and "include" in first:
        return load_geneval(path)
    return load_spec_jsonl(path)


def select(items: list[Item], limit: int | None = None, ids=None, categories=None, every: int = 1) -> list[Item]:
    """A subset: by ids, by categories, every n-th, then the first ``limit``."""
    out = [it for it in items if (not ids or it.id in ids) and (not categories or it.category in categories)]
    out = out[::max(1, every)]
    return out[:limit] if limit else out
