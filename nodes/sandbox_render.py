"""CoCo_SandboxRender: run drawing code in the sandbox and return the draft.

The code never runs in the ComfyUI process: ``sandbox.get_pool()`` owns a separate, isolated
worker process (see sandbox/README.md). This adapter only converts the result into ComfyUI types
and turns failures into errors that say what went wrong, where, and what to do.
"""

from __future__ import annotations

import json

from comfy_api.latest import io, ui

from . import approval
from .common import CoCoError, require

NODE_ID = "CoCo_SandboxRender"
LANGUAGES = ["auto", "python", "svg"]
WORKER_PACKAGES_PYTHON = (("matplotlib", "matplotlib"), ("numpy", "numpy"), ("PIL", "Pillow"))
WORKER_PACKAGES_SVG = (("resvg_py", "resvg-py"), ("defusedxml", "defusedxml"))


EMPTY_CODE = CoCoError(NODE_ID, "the code is empty.",
                       "type drawing code into CoCo_CodeEditor (or connect CoCo_CodeGen) and link its 'code' output here.")


def result_to_tensors(result):
    """RenderResult -> (IMAGE [B,H,W,3] float 0..1, MASK [B,H,W], note). RGBA is composited on white."""
    import numpy as np
    import torch

    first = result.images[0]
    same = [im for im in result.images if (im.width, im.height) == (first.width, first.height)]
    note = ""
    if len(same) < len(result.images):
        note = (f"{len(result.images) - len(same)} image(s) of another size were left out of the batch "
                f"(the batch keeps images of {first.width}x{first.height}).")
    frames = []
    for im in same:
        rgba = np.frombuffer(im.rgba, dtype=np.uint8).reshape(im.height, im.width, 4).astype(np.float32) / 255.0
        alpha = rgba[..., 3:4]
        frames.append(rgba[..., :3] * alpha + (1.0 - alpha))
    image = torch.from_numpy(np.stack(frames))
    if result.text_mask is not None:
        m = np.frombuffer(result.text_mask, dtype=np.uint8).reshape(first.height, first.width)
        mask = torch.from_numpy(m.astype(np.float32) / 255.0)[None]
    else:
        mask = torch.zeros((1, first.height, first.width), dtype=torch.float32)
    if image.shape[0] > 1:
        mask = mask.expand(image.shape[0], -1, -1).clone()
    return image, mask, note


class SandboxRender(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Sandbox Render",
            category="CoCo/code",
            description=(
                "Runs drawing code (Python matplotlib/PIL, or SVG) in an isolated worker process and returns "
                "the draft image, a mask of its text, the layout of what was drawn (pixel boxes and GoT boxes "
                "in [0,1000)) and the log. The code cannot read your files, reach the network or start "
                "processes where the platform enforces it; the node's log names the isolation in force."
            ),
            inputs=[
                io.String.Input("code", force_input=True,
                                tooltip="Drawing code, usually from CoCo_CodeEditor or CoCo_CodeGen. Python code saves "
                                        "into `output_dir` or leaves a matplotlib figure open; SVG is a <svg> document."),
                io.Combo.Input("language", options=LANGUAGES, default="auto",
                               tooltip="auto detects SVG (<svg ...>) vs Python."),
                io.Float.Input("max_megapixels", default=4.0, min=0.05, max=16.0, step=0.05,
                               tooltip="Largest canvas the code may draw (width x height / 1e6). A bigger "
                                       "figsize x dpi is refused with a message instead of exhausting memory."),
                io.Float.Input("timeout_s", default=20.0, min=1.0, max=300.0, step=1.0,
                               tooltip="Wall-clock limit for one render; the worker is killed and replaced after it."),
            ],
            outputs=[
                io.Image.Output("image", display_name="image", tooltip="The draft (RGB; transparency composited on white)."),
                io.Mask.Output("text_mask", display_name="text_mask", tooltip="1 where text was drawn: protect it when refining."),
                io.String.Output("layout", display_name="layout",
                                 tooltip="JSON: drawn elements with pixel boxes and GoT boxes in [0,1000)."),
                io.String.Output("log", display_name="log", tooltip="stdout, warnings and errors of the run."),
            ],
        )

    @classmethod
    def validate_inputs(cls, code=None):
        # A linked input arrives as None here and is checked in execute.
        if code is not None and not code.strip():
            return str(EMPTY_CODE)
        return True

    @classmethod
    def execute(cls, code: str, language: str, max_megapixels: float, timeout_s: float) -> io.NodeOutput:
        if not code or not code.strip():
            raise EMPTY_CODE
        from ..sandbox import Limits, detect_language, get_pool

        # The worker imports these (the Python ones always, at start); say which package is missing
        # instead of reporting a dead worker.
        lang = detect_language(code) if language == "auto" else language
        for module, pip in WORKER_PACKAGES_PYTHON + (WORKER_PACKAGES_SVG if lang == "svg" else ()):
            require(module, node=NODE_ID, pip=pip, import_it=False)
        pool = get_pool()
        iso = pool.isolation()
        if not iso.enforces_files_network and not approval.is_approved(code):
            raise CoCoError(
                NODE_ID,
                f"this code was not generated on this machine (it came in a workflow or was pasted), and the "
                f"sandbox here cannot keep it away from your files and the network ({iso.description}).",
                "read the code in CoCo_CodeEditor and press 'Approve' if you trust it (the approval stays on this "
                "machine), or run ComfyUI under Linux/WSL2/Docker where the sandbox is enforced.")
        import comfy.model_management as mm

        limits = Limits(timeout_s=float(timeout_s), max_megapixels=float(max_megapixels))
        # ComfyUI's Cancel ends the job at once (its worker is replaced) instead of waiting for timeout_s.
        result = pool.render(code, language=language, limits=limits, should_cancel=mm.processing_interrupted)
        if result.error_type == "Cancelled":
            mm.throw_exception_if_processing_interrupted()
        if not result.ok:
            where = f" (line {result.error_line})" if result.error_line else ""
            detail = f"\n{result.traceback}" if result.traceback else ""
            raise CoCoError(NODE_ID, f"the code failed{where}: {result.error}{detail}", _fix_for(result))
        if not result.images:
            raise CoCoError(NODE_ID, "the code ran but drew nothing.",
                            "save an image into `output_dir` or leave a matplotlib figure open; for SVG, return an <svg> document.")
        image, mask, note = result_to_tensors(result)
        log = result.log
        header = f"[sandbox: {result.tier}; {result.duration_s * 1000:.0f} ms]"
        log = "\n".join(x for x in (header, log, note) if x)
        layout = json.dumps(result.layout, ensure_ascii=False)
        return io.NodeOutput(image, mask, layout, log, ui=ui.PreviewImage(image, cls=cls))


def _fix_for(result) -> str:
    kind = result.error_type or ""
    return {
        "Timeout": "make the code faster, or raise timeout_s.",
        "MemoryLimit": "draw less data, or a smaller figure.",
        "CanvasTooLarge": "lower figsize/dpi in the code, or raise max_megapixels.",
        "Forbidden": "drawing code may not read files, use the network or start processes; remove that part.",
        "UnsafeSVG": "remove scripts, external references and entity declarations from the SVG.",
        "NoOutput": "save an image into `output_dir` or leave a matplotlib figure open.",
        "OutputTooLarge": "print less, or draw a smaller image.",
        "WorkerCrashed": "the worker was replaced; if it happens again, simplify the code and check the log.",
    }.get(kind, "fix the code at the line named above (edit it in CoCo_CodeEditor) and queue again.")


NODES = [SandboxRender]
