"""CoCo_Evaluate: score one image in a graph with the evaluation harness's scoring library
(evaluation/scoring.py): official LongText-Bench / OneIG text scores by OCR, structure against a
spec from the draft's semantic layout and from the image's OCR text."""

from __future__ import annotations

import json

from comfy_api.latest import io, ui

from .common import CoCoError

NODE_ID = "CoCo_Evaluate"
RULES = ["longtext", "oneig"]


def _pil(image):
    import numpy as np
    from PIL import Image

    arr = (image[0].detach().cpu().float().clamp(0, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(arr[..., :3])


class Evaluate(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Evaluate",
            category="CoCo/eval",
            is_output_node=True,
            description=(
                "Scores one picture like the benchmarks do: OCR reads the image (Tesseract for English, RapidOCR "
                "for Chinese) and the text is scored with LongText-Bench's word/character recall or OneIG-Bench's "
                "edit-distance score; with a spec and the draft's layout, also the structure (chart type, values, "
                "labels, table cells, graph nodes/edges). The same scoring as `python -m evaluation`."
            ),
            inputs=[
                io.Image.Input("image", tooltip="The picture to score: the final image, or the draft when there is "
                                                "no refinement (the first image of a batch)."),
                io.String.Input("required_text", multiline=True, default="", dynamic_prompts=False,
                                tooltip="The strings that must appear, one per line (as in the prompt's quotes)."),
                io.Combo.Input("lang", options=["en", "zh"], default="en",
                               tooltip="en: words after lower-casing and stripping punctuation (Tesseract OCR); "
                                       "zh: characters (RapidOCR)."),
                io.Combo.Input("rule", options=RULES, default="longtext",
                               tooltip="longtext: recall of the required words/characters. oneig: OneIG-Bench's "
                                       "1 - min(MAX_ED, ED)(1 - CR)(1 - WAC)/MAX_ED on the joined text."),
                io.String.Input("spec", multiline=True, default="", dynamic_prompts=False, optional=True,
                                tooltip="Optional JSON spec of the structure (README 'Evaluation'): e.g. "
                                        "{\"kind\": \"chart\", \"chart_type\": \"bar\", \"title\": ..., \"categories\": [...], "
                                        "\"values\": [...]}. Checked against 'layout' and against the OCR text."),
                io.Image.Input("draft", optional=True,
                               tooltip="The draft from CoCo_SandboxRender, to see how much text the refinement lost."),
                io.String.Input("layout", optional=True, force_input=True,
                                tooltip="CoCo_SandboxRender's layout output (its semantic layout answers the spec)."),
                io.Boolean.Input("ocr", default=True,
                                 tooltip="Read the images with OCR. Off: only the structure from 'layout' is scored."),
            ],
            outputs=[
                io.Float.Output("score", display_name="score",
                                tooltip="The text score of 'image' (0..1); the structure score when there is no "
                                        "required text; -1 when nothing could be scored."),
                io.String.Output("report", display_name="report", tooltip="JSON: OCR text, every score, findings."),
                io.String.Output("summary", display_name="summary", tooltip="The scores in a few lines."),
            ],
        )

    @classmethod
    def execute(cls, image, required_text: str, lang: str, rule: str, spec: str = "", draft=None,
                layout: str | None = None, ocr: bool = True) -> io.NodeOutput:
        import comfy.model_management as mm
        import comfy.utils

        from ..evaluation import scoring
        from ..evaluation.sets import Item

        required = [line.strip() for line in (required_text or "").splitlines() if line.strip()]
        spec_obj = None
        if spec and spec.strip():
            try:
                spec_obj = json.loads(spec)
            except json.JSONDecodeError as e:
                raise CoCoError(NODE_ID, f"the spec is not valid JSON ({e.msg} at line {e.lineno}).",
                                "fix the JSON in 'spec' (double quotes around keys and strings), or clear it.") from None
            if not isinstance(spec_obj, dict):
                raise CoCoError(NODE_ID, "the spec must be a JSON object.", "write it as {\"kind\": ..., ...} or clear it.")
        layout_obj = None
        if layout:
            try:
                layout_obj = json.loads(layout)
            except json.JSONDecodeError:
                raise CoCoError(NODE_ID, "'layout' is not JSON.",
                                "connect the 'layout' output of CoCo_SandboxRender.") from None
        if not required and not spec_obj:
            raise CoCoError(NODE_ID, "there is nothing to score.",
                            "type the strings that must appear into 'required_text' (one per line), or give a spec.")
        if required and ocr:
            from ..verify import ocr as vocr

            ok, msg = vocr.available(lang)
            if not ok:
                raise CoCoError(NODE_ID, f"no OCR engine for '{lang}': {msg}",
                                "install it into ComfyUI's Python (see the README's OCR section), or switch "
                                "'ocr' off to score the structure from the layout only.")
        item = Item(id="node", set="graph", category="", lang=lang, prompt="", required_text=required, spec=spec_obj,
                    scorer=rule)
        bar = comfy.utils.ProgressBar(2)
        images = {"final": _pil(image)}
        if draft is not None:
            images["draft"] = _pil(draft)
        mm.throw_exception_if_processing_interrupted()
        res = scoring.score_images(item, images, layout_obj, use_ocr=bool(ocr))
        bar.update(2)
        rec = {"required_text": required, "spec": spec_obj, **res}
        rec["primary"] = scoring.primary(rec)
        score = rec["primary"]["text_score"]
        if score is None:
            score = rec["primary"]["structure"]
        lines = []
        for name, t in res["text"].items():
            if "longtext" in t:
                lt = t["longtext"]
                lines.append(f"LongText {name}: {lt['recall']:.3f} ({lt['matched']}/{lt['total']})"
                             + (f"; missing: {' '.join(lt['missing'][:20])}" if lt["missing"] else ""))
            if "oneig" in t:
                o = t["oneig"]
                lines.append(f"OneIG {name}: {o['score']:.3f} (ED {o['ed']}, CR {o['cr']}, WAC {o['wac']:.3f})")
        for name, st in res["structure"].items():
            sc = st.get("score")
            lines.append(f"structure ({name}): {'–' if sc is None else f'{sc:.3f}'}" + (f"; {st['error']}" if st.get("error") else ""))
        for name, o in res["ocr"].items():
            if "error" in o:
                lines.append(f"OCR {name}: {o['error']}")
        summary = "\n".join(lines) or "nothing scored"
        return io.NodeOutput(float(-1.0 if score is None else score), scoring.dumps(rec), summary,
                             ui=ui.PreviewText(summary))


NODES = [Evaluate]
