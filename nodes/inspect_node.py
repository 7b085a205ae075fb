"""CoCo_InspectSettings (what to check, which model critiques) and CoCo_Inspect (draft + layout +
prompt -> passed, score, critique, report). The checks live in ``verify/``; the critics adapt a
connected model: the CoCo/BAGEL model in understanding mode (``models/bagel/understand.py``), an
OpenAI-compatible vision model (the draft as a data URL), or a local text LLM (reads the GoT chain
of the semantic layout instead of the pixels).
"""

from __future__ import annotations

import base64
import copy
import io as _io
import json
import logging

from comfy_api.latest import io

from ..models.interrupt import check_interrupt as _interrupt
from ..models.interrupt import interrupted as _cancel_requested
from .common import CoCoError
from .io_types import COCO_INSPECT as CocoInspect
from .io_types import COCO_LLM as CocoLLM
from .io_types import COCO_MODEL as CocoModel

log = logging.getLogger("ComfyUI-CoCo")

NODE_ID = "CoCo_Inspect"
SETTINGS_ID = "CoCo_InspectSettings"
OCR_MODES = ("auto", "off", "required", "strict")
LANGS = ("auto", "en", "zh", "ja", "ko", "de", "fr", "es")


def _png_data_url(image) -> str:
    buf = _io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def openai_vision_critic(backend, max_tokens: int):
    """critic(image, question) for an OpenAI-compatible server: one user message with the question
    and the draft as a PNG data URL (the backend's key/host rules apply unchanged)."""
    from ..codegen.backend import GenerationParams, GenerationStopped

    def critic(image, question: str) -> str:
        b = copy.copy(backend)
        base_body = backend.request_body
        url = _png_data_url(image)

        def body(messages, params):
            d = base_body(messages, params)
            d["messages"] = [{"role": "user", "content": [{"type": "text", "text": question},
                                                          {"type": "image_url", "image_url": {"url": url}}]}]
            return d

        b.request_body = body
        try:
            return b.generate([{"role": "user", "content": question}], GenerationParams(max_new_tokens=max_tokens),
                              should_stop=_cancel_requested)
        except GenerationStopped:
            _interrupt()  # ComfyUI's Cancel: end the node the way ComfyUI expects
            raise

    return critic


def coco_understanding_critic(coco_model, max_tokens: int, think: bool):
    """critic(image, question) with the CoCo/BAGEL model in understanding mode (greedy)."""
    from ..codegen.backend import GenerationParams, NativeBackend
    from ..codegen.native import CoCoTextModel
    from ..codegen.prompts import BAGEL_VLM_THINK_SYSTEM_PROMPT
    from ..models.bagel import understand as U

    def critic(image, question: str) -> str:
        text_model = CoCoTextModel(coco_model)
        px = U.vit_pixels(coco_model.cfg, image)
        backend = NativeBackend(U.ImageQuestionModel(text_model, coco_model, px), name="CoCo understanding",
                                prompt_style="coco")
        msgs = ([{"role": "system", "content": BAGEL_VLM_THINK_SYSTEM_PROMPT}] if think else []) + \
            [{"role": "user", "content": question}]
        text = backend.generate(msgs, GenerationParams(max_new_tokens=max_tokens))
        if think and "</think>" in text:
            text = text.split("</think>", 1)[1]
        return text.strip()

    return critic


def text_llm_critic(llm, max_tokens: int):
    """critic for a local text-only LLM: it reads the draft's GoT chain (semantic layout as text)."""
    from ..codegen.backend import GenerationParams
    from ..codegen.native import local_backend

    if callable(getattr(llm, "generate", None)) and hasattr(llm, "prompt_style"):
        backend = llm
    else:
        backend = local_backend(llm, name=type(llm).__name__)
    if backend is None:
        raise CoCoError(SETTINGS_ID, f"the 'critic_llm' input ({type(llm).__name__}) cannot generate text.",
                        "connect CoCo_OpenAIBackend or a local LLM loader's output.")

    def critic(image, question: str, chain: str = "") -> str:
        q = question.replace("This image is a draft", "This draft, described object by object below,")
        msg = f"{q}\n\nThe draft's objects (GoT chain, boxes in [0,1000)):\n{chain or '(no layout)'}"
        return backend.generate([{"role": "user", "content": msg}], GenerationParams(max_new_tokens=max_tokens),
                                should_stop=_cancel_requested)

    critic.wants_chain = True
    return critic


def build_settings(required_text: str = "", spec: str = "", target_long_side: int = 1024,
                   min_text_px: float = 9.0, ocr: str = "auto", lang: str = "auto", max_rounds: int = 3,
                   critic_llm=None, critic_model=None, critic_max_tokens: int = 256, critic_think: bool = False,
                   model_must_pass: bool = False, node: str = SETTINGS_ID):
    from ..verify.inspector import InspectSettings
    from ..verify.spec import SpecError, validate_item

    spec_obj = None
    if spec and spec.strip():
        try:
            spec_obj = json.loads(spec)
        except json.JSONDecodeError as e:
            raise CoCoError(node, f"'spec' is not valid JSON ({e}).",
                            'write a JSON object, e.g. {"chart_type": "bar", "categories": ["Q1", "Q2"], '
                            '"values": [3, 5]} (see README: spec format).') from None
        if not isinstance(spec_obj, dict):
            raise CoCoError(node, "'spec' must be a JSON object.", 'wrap it in {...}, e.g. {"title": "Sales"}.')
        if "prompt" in spec_obj and "id" in spec_obj:
            try:
                spec_obj = validate_item(spec_obj)
            except SpecError as e:
                raise CoCoError(node, f"the spec item is malformed: {e}", "fix that field (README: spec format).") \
                    from None
    if critic_llm is not None and critic_model is not None:
        raise CoCoError(node, "both critic inputs are connected.", "connect one critic: 'critic_model' or 'critic_llm'.")
    critic, name = None, ""
    if critic_model is not None:
        critic, name = coco_understanding_critic(critic_model, critic_max_tokens, critic_think), "CoCo understanding"
    elif critic_llm is not None:
        if getattr(critic_llm, "base_url", None) and callable(getattr(critic_llm, "request_body", None)):
            critic = openai_vision_critic(critic_llm, critic_max_tokens)
            name = f"vision model {critic_llm.describe()}"
        else:
            critic, name = text_llm_critic(critic_llm, critic_max_tokens), "local LLM (reads the layout chain)"
    lines = [ln.strip() for ln in (required_text or "").splitlines() if ln.strip()]
    return InspectSettings(required_text=lines, spec=spec_obj, target_long_side=int(target_long_side),
                           min_text_px=float(min_text_px), ocr="auto" if ocr == "strict" else ocr,
                           strict_ocr=ocr == "strict", lang=lang, max_rounds=int(max_rounds),
                           critic=critic, critic_name=name, model_must_pass=bool(model_must_pass))


def _chain_for(layout) -> str:
    try:
        from ..sandbox.semantic import got_chain

        lay = json.loads(layout) if isinstance(layout, str) else layout
        sem = (lay or {}).get("semantic")
        return got_chain(sem) if sem else ""
    except Exception as e:  # the chain is a help for text critics only
        log.debug("ComfyUI-CoCo: no GoT chain: %s", e)
        return ""


def run_inspection(image, layout, prompt: str, settings, node: str = NODE_ID):
    """``verify.inspector.inspect_draft`` with the critic wired for this draft; errors of a
    connected critic become CoCoErrors naming the fix."""
    from ..codegen.backend import BackendError
    from ..verify.inspector import inspect_draft

    s = settings
    critic = getattr(s, "critic", None)
    if critic is not None and getattr(critic, "wants_chain", False):
        chain = _chain_for(layout)
        s = copy.copy(settings)
        s.critic = lambda img, q: critic(img, q, chain)
    try:
        return inspect_draft(image, layout, prompt, s)
    except BackendError as e:
        raise CoCoError(node, f"the critic model failed: {e}",
                        "check the critic's server/model, or disconnect the critic to run the exact checks only.") \
            from None
    except json.JSONDecodeError as e:
        raise CoCoError(node, f"'layout' is not the JSON of CoCo_SandboxRender's layout output ({e}).",
                        "connect CoCo_SandboxRender's 'layout' output.") from None


def _settings_inputs(optional_critic: bool = True) -> list:
    return [
        io.String.Input("required_text", multiline=True, default="", optional=True,
                        tooltip="Text that must appear in the draft, one string per line (in addition to the "
                                "strings quoted in the prompt)."),
        io.String.Input("spec", multiline=True, default="", optional=True,
                        tooltip='Optional JSON spec: charts {"chart_type", "title", "categories", "values", '
                                '"category_axis_label", "value_axis_label"}, tables {"title", "header", "rows"}, '
                                'graphs {"nodes", "edges", "directed"}, or a whole spec item (README).'),
        io.Int.Input("target_long_side", default=1024, min=0, max=8192, step=64, optional=True,
                     tooltip="Long side of the final picture in pixels: text is judged at that size (0 = the "
                             "draft's own size)."),
        io.Float.Input("min_text_px", default=9.0, min=1.0, max=200.0, step=0.5, optional=True,
                       tooltip="Smallest readable glyph height (pixels at the target size)."),
        io.Combo.Input("ocr", options=list(OCR_MODES), default="auto", optional=True,
                       tooltip="Read the required text back from the pixels: auto = when an OCR engine is "
                               "installed (Tesseract / RapidOCR, see README; advisory), off, required = fail "
                               "without an engine, strict = OCR misses fail the draft too."),
        io.Combo.Input("lang", options=list(LANGS), default="auto", optional=True,
                       tooltip="OCR language: auto picks RapidOCR when the required text has CJK characters, "
                               "else Tesseract."),
        io.Int.Input("max_rounds", default=3, min=1, max=10, optional=True,
                     tooltip="For CoCo_CodeGen: rounds in all (1 = inspect only, no correction)."),
        CocoModel.Input("critic_model", optional=True,
                        tooltip="Optional: the CoCo/BAGEL model reads the draft (understanding mode) and writes "
                                "the verification."),
        CocoLLM.Input("critic_llm", optional=True,
                      tooltip="Optional: a vision model behind CoCo_OpenAIBackend (the draft is sent as an "
                              "image), or a local LLM (it reads the layout chain as text)."),
        io.Int.Input("critic_max_tokens", default=256, min=16, max=4096, optional=True,
                     tooltip="Longest critique the model may write."),
        io.Boolean.Input("critic_think", default=False, optional=True,
                         tooltip="CoCo critic only: reason in <think> first (BAGEL's think prompt)."),
        io.Boolean.Input("model_must_pass", default=False, optional=True,
                         tooltip="The model's verdict counts for 'passed' (off: it only adds to the critique)."),
    ]


class InspectSettingsNode(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=SETTINGS_ID, display_name="CoCo Inspect Settings", category="CoCo/inspect",
            description=("What a draft is checked against, and which model critiques it. Connect to "
                         "CoCo_CodeGen's 'inspect' (the inspect-and-correct loop) and/or CoCo_Inspect."),
            inputs=_settings_inputs(),
            outputs=[CocoInspect.Output("inspect", display_name="inspect",
                                        tooltip="Inspection settings for CoCo_CodeGen / CoCo_Inspect.")],
        )

    @classmethod
    def execute(cls, **kw) -> io.NodeOutput:
        return io.NodeOutput(build_settings(**kw))


class InspectNode(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID, display_name="CoCo Inspect", category="CoCo/inspect",
            description=("Checks a draft against its prompt: required text (exactly, in the layout; and by OCR "
                         "in the pixels when installed), chart type, categories and values against a spec, "
                         "missing glyphs, overlapping text, text clipped by the canvas or its box, text too "
                         "small; optionally a model's critique (CoCo's verification). The critique feeds "
                         "CoCo_DraftRefine's 'verification'."),
            inputs=[
                io.Image.Input("image", tooltip="The draft (CoCo_SandboxRender's image)."),
                io.String.Input("layout", force_input=True,
                                tooltip="CoCo_SandboxRender's 'layout' output (JSON) for the same draft."),
                io.String.Input("prompt", multiline=True, default="", dynamic_prompts=False,
                                tooltip="The request the draft should satisfy; its quoted strings must appear."),
                CocoInspect.Input("settings", optional=True,
                                  tooltip="From CoCo_InspectSettings; without it the defaults apply (no spec, "
                                          "OCR when installed, no critic)."),
            ],
            outputs=[
                io.Boolean.Output("passed", display_name="passed", tooltip="Every exact check holds."),
                io.Float.Output("score", display_name="score", tooltip="0..1: mean of the checks' scores."),
                io.String.Output("critique", display_name="critique",
                                 tooltip="Numbered, actionable findings (and the model's review)."),
                io.String.Output("report", display_name="report",
                                 tooltip="JSON: every finding, every check (tested/failed/skipped and why)."),
            ],
        )

    @classmethod
    def execute(cls, image, layout: str, prompt: str, settings=None) -> io.NodeOutput:
        from ..models.refine.resize import to_pil
        from ..verify.inspector import InspectSettings

        if image is None or image.ndim != 4 or image.shape[0] < 1:
            raise CoCoError(NODE_ID, "no draft image.", "connect CoCo_SandboxRender's 'image'.")
        rep = run_inspection(to_pil(image[:1]), layout, prompt or "", settings or InspectSettings())
        if image.shape[0] > 1:
            rep.skipped.append(f"batch: only the first of {image.shape[0]} images was inspected")
        critique = rep.critique
        unchecked = [s for s in rep.skipped if not s.endswith(("OCR is off", "no critic model connected",
                                                               "no spec given", "no required text to read"))]
        if unchecked:  # say what could not be checked (e.g. no OCR engine installed, and how to get one)
            critique += "\n(not checked: " + "; ".join(unchecked) + ")"
        return io.NodeOutput(rep.passed, rep.score, critique, rep.to_json())


NODES = [InspectSettingsNode, InspectNode]


# ---- CoCo_CodeGen's inspect-and-correct loop -------------------------------------------------

def codegen_inspector(prompt: str, settings, status=None):
    """``inspect(code, language, render_result) -> Inspection`` for codegen.repair.generate_code:
    the first image of each rendered draft through ``run_inspection`` with these settings."""
    from ..codegen.repair import Inspection

    def inspect(code: str, language: str, result):
        _interrupt()
        image = result.images[0].to_pil()
        layout = (getattr(result, "layouts", None) or [result.layout])[0]
        rep = run_inspection(image, layout, prompt, settings, node="CoCo_CodeGen")
        if status is not None:
            status(f"[inspection: {'passed' if rep.passed else 'failed'}, score {rep.score:.3f}]")
        return Inspection(rep.passed, rep.score, rep.critique, rep.to_dict())

    return inspect


def trajectory_outputs(result, pad=(1.0, 1.0, 1.0)):
    """(IMAGE batch of every rendered round's draft, JSON of every round's inspection).

    Drafts of different sizes are placed top-left on a white canvas of the largest size (an IMAGE
    batch has one size); the JSON gives each draft's own size. Without any rendered draft the batch
    is one white 64x64 image."""
    import numpy as np
    import torch

    rounds, imgs = [], []
    for r in result.history:
        entry = {"round": r.index, "kind": r.kind, "status": r.status, "error": r.error, "score": r.score,
                 "passed": r.passed, "critique": r.critique, "draft": None}
        if r.report:
            entry["findings"] = [f for f in r.report.get("findings", []) if not f.get("ok")]
            entry["checks"] = r.report.get("checks", [])
        if r.result is not None and getattr(r.result, "images", None) and r.status == "ok":
            im = r.result.images[0].to_pil().convert("RGB")
            entry["draft"] = {"index": len(imgs), "width": im.size[0], "height": im.size[1]}
            imgs.append(np.asarray(im, dtype=np.float32) / 255.0)
        rounds.append(entry)
    if imgs:
        h = max(a.shape[0] for a in imgs)
        w = max(a.shape[1] for a in imgs)
        batch = torch.empty((len(imgs), h, w, 3), dtype=torch.float32)
        batch[:] = torch.tensor(pad, dtype=torch.float32)
        for i, a in enumerate(imgs):
            batch[i, : a.shape[0], : a.shape[1]] = torch.from_numpy(a)
    else:
        batch = torch.ones((1, 64, 64, 3), dtype=torch.float32)
    inspected = [r for r in rounds if r["score"] is not None]
    doc = {"best_round": result.best_round, "status": result.status,
           "passed": any(r["passed"] for r in inspected) if inspected else None, "rounds": rounds}
    return batch, json.dumps(doc, ensure_ascii=False, indent=1)
