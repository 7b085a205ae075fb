"""Required text wrapped over two draw calls (two text items on consecutive lines, or next to
each other on one line) is found; texts that do not continue each other are never read together.
Every drawing is rendered by the real sandbox (matplotlib fig.text, PIL ImageDraw.text) and
inspected with the real inspector.

Seen failing before the fix: the CJK strings wrapped over two lines ("第一季度销售额增长",
"欢迎光临本店开业大吉", "光临本店") were reported missing (the parts were joined with a space), and
three negative cases were reported found ("Annual report" from two labels at opposite ends of the
figure, "sale today Big" and "summer deals" from texts far apart), because every text of the
layout was joined into one string in drawing order."""

from __future__ import annotations

import functools

import pytest

from comfyui_coco.verify.inspector import InspectSettings, inspect_draft

MPL = '''
import os
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.rcParams["font.family"] = ["Noto Sans CJK JP", "DejaVu Sans"]
fig = plt.figure(figsize=(6, 4), dpi=100)
fig.text(0.1, 0.85, "第一季度销", fontsize=24)
fig.text(0.1, 0.73, "售额增长", fontsize=24)
fig.text(0.1, 0.52, "Quarterly revenue", fontsize=18)
fig.text(0.1, 0.44, "grew by ten percent", fontsize=18)
fig.text(0.6, 0.52, "年度", fontsize=28)          # big, then a small caption just below
fig.text(0.6, 0.44, "报告", fontsize=10)
fig.text(0.05, 0.05, "Annual", fontsize=12)       # same line, far apart
fig.text(0.80, 0.05, "report", fontsize=12)
fig.text(0.55, 0.25, "Net", fontsize=12)          # same line, next word
fig.text(0.605, 0.25, "income", fontsize=12)
fig.savefig(os.path.join(output_dir, "d.png"))
'''

PIL = '''
import os
from PIL import Image, ImageDraw, ImageFont
im = Image.new("RGB", (480, 360), "white")
d = ImageDraw.Draw(im)
f = ImageFont.truetype("NotoSansCJK-Regular.ttc", 28)
d.text((20, 20), "欢迎光临本", font=f, fill="black")
d.text((20, 58), "店开业大吉", font=f, fill="black")
g = ImageFont.truetype("DejaVuSans.ttf", 22)
d.text((20, 140), "Grand opening", font=g, fill="black")
d.text((20, 170), "sale today", font=g, fill="black")
d.text((20, 320), "Big", font=g, fill="black")          # two lines apart: unrelated
d.text((300, 140), "summer", font=g, fill="black")
d.text((300, 300), "deals", font=g, fill="black")
im.save(os.path.join(output_dir, "d.png"))
'''


@functools.lru_cache(maxsize=None)
def _render(code: str):
    from comfyui_coco.sandbox import get_pool

    res = get_pool().render(code, language="python")
    assert res.ok, f"{res.error}\n{res.log}"
    return res


def _found(code: str, required: list[str]) -> dict:
    res = _render(code)
    rep = inspect_draft(res.images[0].to_pil(), res.layout, "a drawing",
                        InspectSettings(required_text=required, ocr="off"))
    return {f["expected"]: f["ok"] for f in rep.findings if f["kind"] == "required_text"}


@pytest.mark.parametrize("code,text", [
    (MPL, "第一季度销售额增长"), (MPL, "Quarterly revenue grew by ten percent"), (MPL, "revenue grew"),
    (MPL, "Net income"),
    (PIL, "欢迎光临本店开业大吉"), (PIL, "光临本店"), (PIL, "Grand opening sale today"), (PIL, "opening sale"),
], ids=["mpl-cjk", "mpl-latin", "mpl-latin-part", "mpl-same-line", "pil-cjk", "pil-cjk-part", "pil-latin",
        "pil-latin-part"])
def test_wrapped_required_text_is_found(code, text):
    assert _found(code, [text]) == {text: True}


@pytest.mark.parametrize("code,text", [
    (MPL, "Annual report"),           # same baseline, at opposite ends of the figure
    (MPL, "年度报告"),               # a 28 pt title and a 10 pt caption below it
    (MPL, "增长Quarterly"),           # different sizes, a paragraph apart
    (MPL, "第一季度 销售额"),          # exact: the parts meet without a space
    (PIL, "sale today Big"),          # the next text is far below
    (PIL, "summer deals"),            # same column, far apart
    (PIL, "Grand opening summer"),    # a separate column on the same line, a wide gap
    (PIL, "大吉Grand"),               # a paragraph apart, different font size
], ids=["mpl-far-same-line", "mpl-size", "mpl-paragraph", "mpl-space", "pil-far-below", "pil-far-column",
        "pil-wide-gap", "pil-paragraph"])
def test_unrelated_texts_are_not_read_together(code, text):
    assert _found(code, [text]) == {text: False}
