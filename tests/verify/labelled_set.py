"""A labelled set of drafts for the inspector: correct drawings and drawings broken one way each.

Every case is a real drawing program rendered by the real sandbox; ``expect`` is the set of
finding kinds that must be reported (empty for a correct draft). Used by
tests/verify/test_inspect_set.py (exact checks must be 100% right) and bench/inspect.py
(precision/recall per finding kind, OCR and all).
"""

from __future__ import annotations

import dataclasses

PROMPT = ('A bar chart titled "Quarterly sales" with the bars "Q1" = 12, "Q2" = 20 and "Q3" = 15; '
          'x axis "Quarter", y axis "Sales (k$)".')
SPEC = {"id": "bars", "category": "chart", "lang": "en", "prompt": PROMPT,
        "required_text": ["Quarterly sales", "Q1", "Q2", "Q3", "Quarter", "Sales (k$)"],
        "spec": {"chart_type": "bar", "title": "Quarterly sales", "categories": ["Q1", "Q2", "Q3"],
                 "values": [12, 20, 15], "category_axis_label": "Quarter", "value_axis_label": "Sales (k$)"}}

ZH_PROMPT = '一张柱状图，标题为“季度销售额”，柱子“一季度” = 12，“二季度” = 20。'
ZH_SPEC = {"id": "bars-zh", "category": "chart", "lang": "zh", "prompt": ZH_PROMPT,
           "required_text": ["季度销售额", "一季度", "二季度"],
           "spec": {"chart_type": "bar", "title": "季度销售额", "categories": ["一季度", "二季度"], "values": [12, 20]}}

HEAD = """import os
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
"""
SAVE = """fig.tight_layout()
fig.savefig(os.path.join(output_dir, "draft.png"))
"""


BOX = """import os
from PIL import Image, ImageDraw, ImageFont
im = Image.new("RGB", (400, 200), "white")
d = ImageDraw.Draw(im)
font = ImageFont.truetype("DejaVuSans.ttf", 24)
d.rectangle([40, 60, {right}, 120], outline="black", fill="#dde8f5")
d.text((50, 75), "Start the engine", font=font, fill="black")
im.save(os.path.join(output_dir, "box.png"))
"""
BOX_SPEC = {"id": "box", "category": "diagram", "lang": "en", "prompt": 'A box labelled "Start the engine".',
            "spec": {"nodes": ["Start the engine"]}}


SLANT = """import os
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
names = [f"Region number {{i}}" for i in range({n})]
ax.bar(names, list(range({n})))
plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
fig.tight_layout()
fig.savefig(os.path.join(output_dir, "slant.png"))
"""
SLANT_SPEC = {"id": "slant", "category": "chart", "lang": "en", "prompt": "A bar chart of sales by region."}


def bars(values=(12, 20, 15), title="Quarterly sales", kind="bar", extra="", fontsize=None,
         cats=("Q1", "Q2", "Q3"), ylabel="Sales (k$)"):
    fs = f", fontsize={fontsize}" if fontsize else ""
    draw = (f'ax.bar({list(cats)}, {list(values)}, color="#4c72b0")' if kind == "bar"
            else f'ax.plot({list(cats)}, {list(values)}, marker="o")')
    lines = [draw]
    if title:
        lines.append(f'ax.set_title("{title}"{fs})')
    lines += [f'ax.set_xlabel("Quarter"{fs})', f'ax.set_ylabel("{ylabel}"{fs})']
    if fontsize:
        lines.append(f"ax.tick_params(labelsize={fontsize})")
    return HEAD + "\n".join(lines) + "\n" + extra + SAVE


@dataclasses.dataclass
class Case:
    name: str
    code: str
    expect: frozenset          # finding kinds that must be reported
    spec: dict = dataclasses.field(default_factory=lambda: SPEC)
    note: str = ""


def cases() -> list[Case]:
    zh_ok = ("import os\nimport matplotlib.pyplot as plt\n"
             "fig, ax = plt.subplots(figsize=(6, 4), dpi=100)\n"
             'ax.bar(["一季度", "二季度"], [12, 20], color="#4c72b0")\n'
             'ax.set_title("季度销售额", fontfamily="Noto Sans CJK SC")\n'
             "for lab in ax.get_xticklabels():\n    lab.set_fontfamily('Noto Sans CJK SC')\n" + SAVE)
    emoji_spec = {**SPEC, "spec": {**SPEC["spec"], "title": "Quarterly sales \U0001F4C8"}}
    return [
        Case("correct", bars(), frozenset()),
        Case("correct_line_spec", bars(kind="line"), frozenset(),
             spec={**SPEC, "spec": {**SPEC["spec"], "chart_type": "line"}}, note="the spec asks for a line chart"),
        Case("correct_zh", zh_ok, frozenset(), spec=ZH_SPEC),
        Case("missing_text", bars(title=""), frozenset({"required_text", "title"})),
        Case("overlap", bars(extra='ax.text(0, 19.0, "Quarterly sales", fontsize=14)\n'
                                   'ax.text(0, 19.0, "Record", fontsize=14)\n'),
             frozenset({"overlap"})),
        Case("overlap_axis_label", bars(extra='ax.yaxis.labelpad = -22\n'),
             frozenset({"overlap"}), note="the y label pulled onto the tick labels"),
        Case("clipped", bars(extra='ax.text(2.2, 16, "Best quarter of the decade so far", fontsize=12, '
                                   'clip_on=False)\n').replace("fig.tight_layout()\n", ""),
             frozenset({"clipped"})),
        Case("wrong_value", bars(values=(12, 25, 15)), frozenset({"value"})),
        Case("wrong_chart_type", bars(kind="line"), frozenset({"chart_type"})),
        Case("wrong_category", bars(cats=("Q1", "Q2", "Q4")), frozenset({"required_text", "category", "value"}),
             note="Q4 drawn instead of Q3: the text, the category and its value are all missing"),
        Case("wrong_axis_label", bars(ylabel="Revenue"), frozenset({"required_text", "axis_label"})),
        Case("missing_glyph", bars(title="Quarterly sales \U0001F4C8"), frozenset({"missing_glyph"}), spec=emoji_spec,
             note="no installed font has the emoji (bootstrap installs none)"),
        Case("too_small", bars(fontsize=3), frozenset({"too_small"})),
        Case("correct_slanted_ticks", SLANT.format(n=12), frozenset(), spec=SLANT_SPEC,
             note="45-degree tick labels: their upright boxes overlap, their glyphs do not"),
        Case("overlap_slanted_ticks", SLANT.format(n=30), frozenset({"overlap"}), spec=SLANT_SPEC),
        Case("correct_pil_box", BOX.format(right=300), frozenset(), spec=BOX_SPEC),
        Case("clipped_box", BOX.format(right=180), frozenset({"clipped"}), spec=BOX_SPEC,
             note="PIL text running out of its rectangle"),
    ]


EXACT_KINDS = ("required_text", "title", "category", "value", "axis_label", "chart_type", "missing_glyph",
               "overlap", "clipped", "too_small")
