"""codegen.repair.generate_code's inspect-and-correct loop with the real sandbox and the real
inspector (no ComfyUI): stop when a draft passes, keep the best-scoring round otherwise, and send
the findings back with the code."""

from __future__ import annotations

from comfyui_coco.codegen.backend import GenerationParams
from comfyui_coco.codegen.repair import Inspection, generate_code
from comfyui_coco.verify.inspector import InspectSettings, inspect_draft

PROMPT = 'A bar chart titled "Fruit" with bars "Apples" = 3, "Pears" = 5 and "Plums" = 2.'
BASE = ("import os\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3), dpi=100)\n"
        "ax.bar({cats}, {vals})\nax.set_title({title!r})\nfig.tight_layout()\n"
        "fig.savefig(os.path.join(output_dir, 'd.png'))\n")
MISSING = BASE.format(cats='["Apples", "Pears"]', vals="[3, 5]", title="Fruit")
WORSE = BASE.format(cats='["Apples"]', vals="[3]", title="Fruits")
GOOD = BASE.format(cats='["Apples", "Pears", "Plums"]', vals="[3, 5, 2]", title="Fruit")


class Scripted:
    prompt_style = "chat"

    def __init__(self, answers):
        self.answers, self.asked = list(answers), []

    def describe(self):
        return "scripted"

    def generate(self, messages, params, on_token=None, should_stop=None):
        self.asked.append(messages)
        return f"```python\n{self.answers[min(len(self.asked), len(self.answers)) - 1]}```"


def _pool_render():
    from comfyui_coco.sandbox import get_pool

    pool = get_pool()
    return lambda code, lang: pool.render(code, language=lang)


def _inspect(code, language, result):
    rep = inspect_draft(result.images[0].to_pil(), result.layout, PROMPT, InspectSettings(ocr="off"))
    return Inspection(rep.passed, rep.score, rep.critique, rep.to_dict())


def test_loop_stops_when_the_draft_passes():
    be = Scripted([MISSING, GOOD, WORSE])
    res = generate_code(be, [{"role": "user", "content": PROMPT}], GenerationParams(), "python",
                        render=_pool_render(), max_repairs=1, inspect=_inspect, max_corrections=3)
    assert res.ok and res.code == GOOD and res.rounds == 2 and len(be.asked) == 2, res.log
    assert [r.kind for r in res.history] == ["generate", "correct"]
    assert [r.passed for r in res.history] == [False, True] and res.history[0].score < 1.0
    feedback = be.asked[1][-1]["content"]
    assert '"Plums" is missing' in feedback and MISSING.strip() in be.asked[1][-2]["content"]
    assert [r.index for r in res.trajectory] == [1, 2] and res.best_round == 2
    assert "inspection: failed" in res.log and "=== kept round 2" in res.log


def test_loop_keeps_the_best_round_when_none_passes():
    be = Scripted([MISSING, WORSE])
    res = generate_code(be, [{"role": "user", "content": PROMPT}], GenerationParams(), "python",
                        render=_pool_render(), max_repairs=0, inspect=_inspect, max_corrections=1)
    assert res.rounds == 2 and not res.ok and res.status.startswith("failed inspection")
    assert res.history[0].score > res.history[1].score
    assert res.code == MISSING and res.best_round == 1
    assert res.render_result is res.history[0].result  # the kept round's draft


def test_a_crash_is_repaired_inside_the_loop():
    crash = GOOD.replace("ax.bar(", "ax.bar(colour='red', x=")
    be = Scripted([crash, GOOD])
    res = generate_code(be, [{"role": "user", "content": PROMPT}], GenerationParams(), "python",
                        render=_pool_render(), max_repairs=1, inspect=_inspect, max_corrections=2)
    assert res.ok and [r.kind for r in res.history] == ["generate", "repair"], res.log
    assert "Traceback (your code)" in be.asked[1][-1]["content"] or "line 4" in be.asked[1][-1]["content"]
