"""A draft that rendered but never passed inspection is a record (its report, score and
passed=false go with it), not a code-generation failure; only code that never rendered is a
failure. ``--require-pass`` turns non-passing drafts into failures of stage ``inspect`` with the
reason. Real HTTP server (tests/codegen/coco_fake_openai.py), real sandbox, real ``verify``,
the local executor (no Ray).

Seen failing before the fix: the WRONG item was recorded as a failure of stage ``codegen`` with
reason "failed inspection: best score … (round …)" and no record (the rendered draft was lost);
and ``--require-pass`` was an unknown option (exit status 2)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
from coco_fake_openai import FakeOpenAI  # noqa: E402

from comfyui_coco.dataset_builder.store import DatasetStore, verify  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DRAW = ("```python\nfrom PIL import Image, ImageDraw\nimport os\nim = Image.new('RGB', (320, 120), 'white')\n"
        "ImageDraw.Draw(im).text((20, 50), {text!r}, fill='black')\n"
        "{extra}im.save(os.path.join(output_dir, 'd.png'))\n```")
GIVEN_MISS = ("from PIL import Image, ImageDraw\nimport os\nim = Image.new('RGB', (320, 120), 'white')\n"
              "ImageDraw.Draw(im).text((20, 50), 'ELSEWHERE', fill='black')\n"
              "im.save(os.path.join(output_dir, 'd.png'))\n")


def answer(body: dict) -> str:
    word = re.search(r'reads "([A-Z]+)"', body["messages"][1]["content"]).group(1)
    if word == "WRONG":
        return DRAW.format(text="SOMETHING", extra="")        # renders, never shows its text
    if word == "BROKEN":
        return DRAW.format(text=word, extra="x = 1 / 0\n")    # never renders
    return DRAW.format(text=word, extra="")


def _build(tmp_path, name: str, *extra) -> tuple[dict, dict]:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f'a sign that reads "{w}"'}) + "\n"
                               for w in ("OPEN", "WRONG", "BROKEN")))
    out = tmp_path / name
    with FakeOpenAI(models=("coder-1",), answers=[answer]) as server:
        r = subprocess.run([sys.executable, "-m", "dataset_builder", "build", str(prompts), str(out), "--openai-url",
                            server.url, "--model", "coder-1", "--max-repairs", "1", "--inspect-repairs", "1",
                            "--executor", "local", "--workers", "1", "--no-progress", *extra], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert verify(out) == []
    store = DatasetStore(out, create=False)
    word = lambda x: re.search(r'"(\w+)"', x["prompt"]).group(1)  # noqa: E731
    return {word(x): x for x in store.records()}, {word(x): x for x in store.failures()}


def test_rendered_draft_that_never_passes_is_a_record(tmp_path):
    recs, fails = _build(tmp_path, "ds")
    assert set(recs) == {"OPEN", "WRONG"} and set(fails) == {"BROKEN"}
    wrong = recs["WRONG"]
    assert wrong["inspection"]["passed"] is False and wrong["inspection"]["score"] < 1.0
    assert wrong["inspection"]["critique"] and wrong["images"]["draft"]["path"]
    assert "'SOMETHING'" in wrong["code"]
    assert wrong["rounds"] == {"codegen_calls": 2, "repair": 0, "correct": 1, "inspect": 2}
    assert wrong["codegen"]["status"].startswith("failed inspection")
    assert recs["OPEN"]["inspection"]["passed"] is True
    assert fails["BROKEN"]["stage"] == "codegen" and "ZeroDivisionError" in fails["BROKEN"]["reason"]


def test_require_pass_records_non_passing_drafts_as_failures(tmp_path):
    recs, fails = _build(tmp_path, "ds", "--require-pass")
    assert set(recs) == {"OPEN"} and set(fails) == {"WRONG", "BROKEN"}
    assert fails["WRONG"]["stage"] == "inspect"
    assert fails["WRONG"]["reason"].startswith("failed inspection: score ") and "WRONG" in fails["WRONG"]["reason"]
    assert fails["BROKEN"]["stage"] == "codegen"


def test_require_pass_applies_to_given_code_too(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"prompt": 'a sign that reads "HERE"', "code": GIVEN_MISS}) + "\n")
    for name, extra in (("plain", []), ("strict", ["--require-pass"])):
        out = tmp_path / name
        r = subprocess.run([sys.executable, "-m", "dataset_builder", "build", str(prompts), str(out),
                            "--executor", "local", "--workers", "1", "--no-progress", *extra], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        store = DatasetStore(out, create=False)
        if name == "plain":
            (rec,) = store.records()
            assert rec["inspection"]["passed"] is False and store.failures() == []
        else:
            (fail,) = store.failures()
            assert store.records() == [] and fail["stage"] == "inspect" and "HERE" in fail["reason"]
