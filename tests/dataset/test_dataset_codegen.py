"""The code-generation stage of ``python -m dataset_builder build --openai-url``: a real HTTP server
speaking the OpenAI chat API (tests/codegen/coco_fake_openai.py, answers scripted per request),
the real sandbox and the real ``verify`` inspector. Code that fails is repaired with its error;
a draft that misses its required text is corrected with the inspector's critique; the rounds end
up in the records."""

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


def answer(body: dict) -> str:
    msgs = body["messages"]
    word = re.search(r'reads "([A-Z]+)"', msgs[1]["content"]).group(1)
    previous = msgs[-2]["content"] if len(msgs) > 2 else ""
    if word == "BROKEN" and "1 / 0" not in previous:
        return DRAW.format(text=word, extra="x = 1 / 0\n")            # fails in the sandbox: repaired
    if word == "FIXME" and "WRONG" not in previous:
        return DRAW.format(text="WRONG", extra="")                     # misses its text: corrected
    return DRAW.format(text=word, extra="")


def test_generated_code_is_repaired_corrected_and_recorded(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f'a sign that reads "{w}"'}) + "\n"
                               for w in ("OPEN", "BROKEN", "FIXME")))
    out = tmp_path / "ds"
    with FakeOpenAI(models=("coder-1",), answers=[answer]) as server:
        r = subprocess.run([sys.executable, "-m", "dataset_builder", "build", str(prompts), str(out), "--openai-url",
                            server.url, "--model", "coder-1", "--max-repairs", "1", "--inspect-repairs", "1",
                            "--executor", "local", "--workers", "1", "--no-progress"], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        assert len(server.requests) == 5
    assert verify(out) == []
    recs = {re.search(r'"(\w+)"', x["prompt"]).group(1): x for x in DatasetStore(out, create=False).records()}
    assert set(recs) == {"OPEN", "BROKEN", "FIXME"}
    assert recs["OPEN"]["rounds"] == {"codegen_calls": 1, "repair": 0, "correct": 0, "inspect": 1}
    assert recs["BROKEN"]["rounds"]["repair"] == 1 and "1 / 0" not in recs["BROKEN"]["code"]
    assert recs["FIXME"]["rounds"] == {"codegen_calls": 2, "repair": 0, "correct": 1, "inspect": 2}
    assert "'FIXME'" in recs["FIXME"]["code"] and recs["FIXME"]["inspection"]["passed"] is True
    assert recs["FIXME"]["codegen"]["history"][0]["score"] < 1.0
    for rec in recs.values():
        assert rec["codegen"]["backend"] == "openai_compat" and rec["settings"]["codegen"]["model"] == "coder-1"
        assert rec["inspection"]["passed"] is True
