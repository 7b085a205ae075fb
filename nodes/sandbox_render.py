"""CoCo_SandboxRender: run drawing code in the sandbox and return the draft.

The code never runs in the ComfyUI process: ``sandbox.get_pool()`` owns a separate, isolated
worker process (see sandbox/README.md). This adapter only converts the result into ComfyUI types
and turns failures into errors that say what went wrong, where, and what to do.
"""

from __future__ import annotations

import json

from comfy_api.latest import io, ui

from . import approval
from .common import CoCoError, render_with_cancel, require
from .input_files import CocoFiles

NODE_ID = "CoCo_SandboxRender"
LANGUAGES = ["auto", "python", "svg"]
WORKER_PACKAGES_PYTHON = (("matplotlib", "matplotlib"), ("numpy", "numpy"), ("PIL", "Pillow"))
WORKER_PACKAGES_SVG = (("resvg_py", "resvg-py"), ("defusedxml", "defusedxml"))


# The ONE set of render limits: the node's widgets and the editor's live preview (which sends the
# values of the SandboxRender node it feeds) both use these defaults and ranges.
DEFAULT_MAX_MEGAPIXELS, MIN_MAX_MEGAPIXELS, MAX_MAX_MEGAPIXELS = 4.0, 0.05, 16.0
DEFAULT_TIMEOUT_S, MIN_TIMEOUT_S, MAX_TIMEOUT_S = 20.0, 1.0, 300.0

EMPTY_CODE = CoCoError(NODE_ID, "the code is empty.",
                       "type drawing code into CoCo_CodeEditor (or connect CoCo_CodeGen) and link its 'code' output here.")


def _rgb(im, size=None):
    """RenderedImage -> float RGB [H,W,3] composited on white; ``size`` (w, h): fitted inside it
    (aspect kept, centred on white) so that images of other sizes can share a batch."""
    import numpy as np

    pil = im.to_pil()
    if size is not None and pil.size != tuple(size):
        from PIL import Image

        w, h = size
        s = min(w / pil.width, h / pil.height)
        fitted = pil.resize((max(1, round(pil.width * s)), max(1, round(pil.height * s))), Image.LANCZOS)
        canvas = Image.new("RGBA", (w, h), (255, 255, 255, 0))
        canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
        pil = canvas
    rgba = np.asarray(pil, dtype=np.float32) / 255.0
    alpha = rgba[..., 3:4]
    return rgba[..., :3] * alpha + (1.0 - alpha)


def _box_mask(layout, w, h):
    import numpy as np

    m = np.zeros((h, w), np.float32)
    for el in (layout or {}).get("elements", []):
        if el.get("type") == "text" and el.get("bbox"):
            x0, y0, x1, y1 = (int(v) for v in el["bbox"])
            m[max(0, y0):max(0, min(h, y1 + 1)), max(0, x0):max(0, min(w, x1 + 1))] = 1.0
    return m


def pick_draft(result, draft_index: int):
    """The index of the draft among the images (``draft_index`` clamped) and a note if it was."""
    n = len(result.images)
    i = min(max(int(draft_index), 0), n - 1)
    note = f"draft_index {draft_index} is past the last image; image {i} is the draft." if i != draft_index else ""
    return i, note


def result_to_tensors(result, draft_index: int = 0):
    """RenderResult -> (draft IMAGE [1,H,W,3] float 0..1, its text MASK [1,H,W], layout of the draft,
    all images as a batch IMAGE [N,H,W,3] at the draft's size, note). RGBA is composited on white."""
    import numpy as np
    import torch

    i, note = pick_draft(result, draft_index)
    draft = result.images[i]
    size = (draft.width, draft.height)
    image = torch.from_numpy(_rgb(draft)[None].copy())
    layouts = list(getattr(result, "layouts", None) or [])
    layout = layouts[i] if i < len(layouts) else (result.layout if i == 0 else {})
    if i == 0 and result.text_mask is not None:
        m = np.frombuffer(result.text_mask, dtype=np.uint8).reshape(draft.height, draft.width)
        mask = torch.from_numpy(m.astype(np.float32) / 255.0)[None]
    else:   # the sandbox sends text pixels for the first image; other drafts get their text boxes
        mask = torch.from_numpy(_box_mask(layout, *size))[None]
    frames = [_rgb(im, size) for im in result.images]
    if len(result.images) > 1 and any((im.width, im.height) != size for im in result.images):
        note = (note + " " if note else "") + f"all_images: images of other sizes were fitted into {size[0]}x{size[1]}."
    all_images = torch.from_numpy(np.stack(frames))
    return image, mask, layout, all_images, note


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
                io.Float.Input("max_megapixels", default=DEFAULT_MAX_MEGAPIXELS, min=MIN_MAX_MEGAPIXELS,
                               max=MAX_MAX_MEGAPIXELS, step=0.05,
                               tooltip="Largest canvas the code may draw (width x height / 1e6). A bigger "
                                       "figsize x dpi is refused with a message instead of exhausting memory. The editor's live "
                                       "preview uses the same value."),
                io.Float.Input("timeout_s", default=DEFAULT_TIMEOUT_S, min=MIN_TIMEOUT_S, max=MAX_TIMEOUT_S, step=1.0,
                               tooltip="Wall-clock limit for one render; the worker is killed and replaced after it. "
                                       "The editor's live preview uses the same value."),
                io.Int.Input("draft_index", default=0, min=0, max=15, optional=True,
                             tooltip="Which image is the draft when the code makes several (0 = the first saved or "
                                     "shown, in the order the code made them). 'all_images' has every one."),
                CocoFiles.Input("files", optional=True,
                                tooltip="Optional data/style/helper files (CoCo Input Files), read-only in the "
                                        "code's working directory under their own names."),
            ],
            outputs=[
                io.Image.Output("image", display_name="image", tooltip="The draft (RGB; transparency composited on white)."),
                io.Mask.Output("text_mask", display_name="text_mask", tooltip="1 where text was drawn: protect it when refining."),
                io.String.Output("layout", display_name="layout",
                                 tooltip="JSON: drawn elements with pixel boxes and GoT boxes in [0,1000)."),
                io.String.Output("log", display_name="log", tooltip="stdout, warnings and errors of the run."),
                io.Image.Output("all_images", display_name="all_images",
                                tooltip="Every image the code made or saved, in order, as one batch (images of "
                                        "another size are fitted into the draft's size on white)."),
                io.String.Output("got_chain", display_name="got_chain",
                                 tooltip="The draft's semantic layout as a GoT chain: one object per line in reading "
                                         "order with its box in [0,1000). Read it, edit it, feed it to CoCo "
                                         "Regional Conditioning / Layout Masks."),
            ],
        )

    @classmethod
    def validate_inputs(cls, code=None):
        # A linked input arrives as None here and is checked in execute.
        if code is not None and not code.strip():
            return str(EMPTY_CODE)
        return True

    @classmethod
    def execute(cls, code: str, language: str, max_megapixels: float, timeout_s: float, draft_index: int = 0,
                files=None) -> io.NodeOutput:
        if not code or not code.strip():
            raise EMPTY_CODE
        from ..sandbox import Limits, detect_language, get_pool

        # The worker imports these (the Python ones always, at start); say which package is missing
        # instead of reporting a dead worker.
        lang = detect_language(code) if language == "auto" else language
        for module, pip in WORKER_PACKAGES_PYTHON + (WORKER_PACKAGES_SVG if lang == "svg" else ()):
            require(module, node=NODE_ID, pip=pip, import_it=False)
        pool = get_pool()
        approval.require_code(NODE_ID, code)
        limits = Limits(timeout_s=float(timeout_s), max_megapixels=float(max_megapixels))
        # ComfyUI's Cancel ends the job at once (its worker is replaced) instead of waiting for timeout_s.
        result = render_with_cancel(pool, code, files, language=language, limits=limits)
        if not result.ok:  # a run that drew nothing is the protocol's NoOutput
            raise CoCoError(NODE_ID, failure_text(result), fix_for(result))
        image, mask, layout, all_images, note = result_to_tensors(result, draft_index)
        log = result.log
        header = f"[sandbox: {result.tier}; {result.duration_s * 1000:.0f} ms]"
        log = "\n".join(x for x in (header, log, note) if x)
        if len(result.images) > 1:
            log += "\nimages: " + ", ".join(f"{k}: {im.source} {im.width}x{im.height}"
                                            for k, im in enumerate(result.images))
        from ..sandbox.semantic import got_chain
        chain = got_chain(layout.get("semantic")) if isinstance(layout, dict) else ""
        layout = json.dumps(layout, ensure_ascii=False)
        return io.NodeOutput(image, mask, layout, log, all_images, chain, ui=ui.PreviewImage(all_images, cls=cls))


def user_error(result) -> str:
    """The sandbox's error text without names of limits no widget sets (max_side, memory_mb)."""
    import re

    text = str(result.error or "")
    if "max_side" in text:  # the side limit is fixed: no "raise the limit" for it
        text = re.sub(r",? or raise the limit\.?", ".", text).replace("..", ".")
    text = re.sub(r"\bmax_side=(\d+)", r"the side limit of \1 px", text)
    text = re.sub(r"\bmemory_mb=(\d+)( MB)?", r"the sandbox's memory limit of \1 MB", text)
    text = re.sub(r"\bmax_megapixels=", "max_megapixels ", text)
    return text


def failure_text(result) -> str:
    """'the code failed (line N): <error>' plus the traceback lines that add something (a
    SyntaxError's traceback repeats the error line; the dialog shows it once)."""
    import re

    err = user_error(result)
    where = ""
    if result.error_line:
        where = f" (line {result.error_line})"
        err = re.sub(rf"\s*\(line {result.error_line}\)\s*$", "", err)
    said = {str(result.error or "").strip(), err.strip()}
    extra = [ln for ln in (result.traceback or "").splitlines() if ln.strip() and ln.strip() not in said]
    detail = "\n" + "\n".join(extra) if extra else ""
    return f"the code failed{where}: {err}{detail}"


def fix_for(result) -> str:
    """What the user can do about a failed render: only settings a widget exposes are named."""
    kind = result.error_type or ""
    error = str(result.error or "")
    if kind in ("CanvasTooLarge", "UnsafeSVG", "OutputTooLarge") and "max_side" in error:
        from ..sandbox import Limits

        return ("draw a smaller image: lower figsize x dpi (or the SVG width/height) so that each side is at most "
                f"{Limits().max_side} px; the side limit is fixed, max_megapixels does not change it.")
    if kind == "CanvasTooLarge" or (kind == "UnsafeSVG" and "max_megapixels" in error):
        return (f"lower figsize/dpi in the code, or raise max_megapixels on CoCo Sandbox Render (up to "
                f"{MAX_MAX_MEGAPIXELS:g}; the editor's preview follows that node).")
    return {
        "Timeout": (f"make the code faster, or raise timeout_s on CoCo Sandbox Render (up to {MAX_TIMEOUT_S:g} s; "
                    "the editor's preview follows that node)."),
        "MemoryLimit": "draw less data, or a smaller figure (the sandbox's memory limit is fixed).",
        "Forbidden": "drawing code may not read files, use the network or start processes; remove that part.",
        "UnsafeSVG": "remove scripts, external references and entity declarations from the SVG.",
        "NoOutput": "save an image into `output_dir` or leave a matplotlib figure open; for SVG, return an <svg> "
                    "document.",
        "OutputTooLarge": "print less, or draw a smaller image.",
        "WorkerCrashed": "the worker was replaced; if it happens again, simplify the code and check the log.",
    }.get(kind, "fix the code at the line named above (edit it in CoCo_CodeEditor) and queue again.")


NODES = [SandboxRender]
