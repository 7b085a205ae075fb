"""CoCo_DatasetAppend: add the current graph's prompt, code, draft, final image, layout and report
to a dataset folder (the format of ``python -m dataset_builder``; docs/dataset_format.md).

The write is atomic: images first, then the record's bucket file and the manifest, each written to
a temporary file and moved into place with ``os.replace`` (a crash never leaves half a record).
The record id is a hash of the prompt, the code, the settings and the images' pixels, so queueing
the same result twice adds it once. Only the standard-library half of dataset_builder is used
(no Ray, no optional libraries).
"""

from __future__ import annotations

import json
import os
import re

from comfy_api.latest import io

from .common import CoCoError

NODE_ID = "CoCo_DatasetAppend"
_NAME = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,99}(/[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,99}){0,3}$")


def dataset_dir(name: str) -> str:
    """The dataset folder for ``name``, always inside ComfyUI's output directory."""
    import folder_paths

    name = (name or "").strip().replace("\\", "/").strip("/")
    if not _NAME.match(name) or any(p in (".", "..") for p in name.split("/")):
        raise CoCoError(NODE_ID, f"the dataset name {name!r} is not a plain folder name.",
                        "use letters, digits, '-', '_' and '.' (up to 4 levels separated by '/'); the folder is "
                        "created inside ComfyUI's output directory.")
    base = os.path.abspath(folder_paths.get_output_directory())
    path = os.path.abspath(os.path.join(base, name))
    if os.path.commonpath([base, path]) != base:
        raise CoCoError(NODE_ID, "the dataset folder must be inside ComfyUI's output directory.",
                        "give a folder name such as 'coco_dataset'.")
    return path


def _png(image, mode: str) -> tuple:
    """First frame of an IMAGE [B,H,W,C] or MASK [B,H,W] tensor -> (png bytes, width, height)."""
    import io as _io

    import numpy as np
    from PIL import Image

    arr = image[0] if image.dim() == (4 if mode == "RGB" else 3) else image
    a = (arr.detach().cpu().float().clamp(0, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
    if mode == "RGB":
        a = a[..., :3]
    im = Image.fromarray(a, mode)
    buf = _io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue(), im.width, im.height


def _json_or_text(s: str | None, what: str):
    if not s or not s.strip():
        return None
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        if what == "settings":
            raise CoCoError(NODE_ID, "settings is not valid JSON.",
                            'write a JSON object, e.g. {"backend": "openai", "model": "qwen2.5-coder", "seed": 7}, '
                            "or leave it empty.") from None
        return {"text": s}


class DatasetAppend(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Dataset Append",
            category="CoCo/dataset",
            is_output_node=True,
            description=(
                "Adds this graph's result to a dataset folder inside ComfyUI's output directory: the prompt and "
                "code (a text–code pair), the draft and, when connected, the final image (a text–draft–final "
                "triplet), the text mask, the layout and the inspection report. Same format as "
                "`python -m dataset_builder`; written atomically; the same result is added only once."
            ),
            inputs=[
                io.String.Input("dataset", default="coco_dataset",
                                tooltip="Folder name inside ComfyUI's output directory (created on first use). "
                                        "Several graphs and a running dataset_builder can share one folder."),
                io.String.Input("prompt", multiline=True, default="",
                                tooltip="The text prompt the code was written for (connect CoCo_CodeGen's prompt, "
                                        "or type it)."),
                io.String.Input("code", force_input=True,
                                tooltip="The drawing code (from CoCo_CodeGen or CoCo_CodeEditor)."),
                io.Image.Input("draft", tooltip="The draft rendered from the code (CoCo_SandboxRender's image)."),
                io.Image.Input("final", optional=True,
                               tooltip="The refined image (CoCo_DraftRefine). Connect it to store a "
                                       "text–draft–final triplet; leave it empty for a text–code pair."),
                io.Mask.Input("text_mask", optional=True, tooltip="CoCo_SandboxRender's text mask (stored as a PNG)."),
                io.String.Input("layout", optional=True, force_input=True,
                                tooltip="CoCo_SandboxRender's layout JSON (kept in the record, with its "
                                        "semantic part)."),
                io.String.Input("report", optional=True, force_input=True,
                                tooltip="An inspection report (JSON or text), kept in the record."),
                io.String.Input("settings", optional=True, multiline=True, default="",
                                tooltip="Optional JSON with what produced this result (backend, model, seed, "
                                        "sampler...). It is part of the record and of its id."),
                io.Combo.Input("language", options=["auto", "python", "svg"], default="auto", optional=True,
                               tooltip="Language of the code (auto detects SVG)."),
            ],
            outputs=[
                io.String.Output("record_id", display_name="record_id", tooltip="The id of the record."),
                io.String.Output("info", display_name="info",
                                 tooltip="What was written, and the dataset's counts after the write."),
            ],
        )

    @classmethod
    def execute(cls, dataset: str, prompt: str, code: str, draft, final=None, text_mask=None, layout=None,
                report=None, settings="", language="auto") -> io.NodeOutput:
        from ..dataset_builder.records import Item, build_record, item_id, sha256_hex
        from ..dataset_builder.store import DatasetError, DatasetStore

        if not prompt or not prompt.strip():
            raise CoCoError(NODE_ID, "the prompt is empty.",
                            "type the prompt or connect the one the code was made for.")
        if not code or not code.strip():
            raise CoCoError(NODE_ID, "the code is empty.", "connect CoCo_CodeGen's or CoCo_CodeEditor's code output.")
        root = dataset_dir(dataset)
        pngs = {"draft": _png(draft, "RGB")}
        if final is not None:
            pngs["final"] = _png(final, "RGB")
        if text_mask is not None:
            pngs["mask"] = _png(text_mask, "L")
        user_settings = _json_or_text(settings, "settings") or {}
        lay = _json_or_text(layout, "layout") or {}
        st = {"source": "comfyui", "user": user_settings, "code_sha256": sha256_hex(code),
              "images_sha256": {k: sha256_hex(v[0]) for k, v in sorted(pngs.items())}}
        item = Item(item_id(prompt, st), 0, prompt, st, code, language or "auto")
        rep = _json_or_text(report, "report")
        backend = user_settings.get("backend", "comfyui") if isinstance(user_settings, dict) else "comfyui"
        record = build_record(item, code=code, language=language or "auto", codegen={"backend": backend},
                              render={"layout": lay if isinstance(lay, dict) else {"text": str(lay)}},
                              images={}, inspection=rep if isinstance(rep, dict) else None, refine=None)
        try:
            store = DatasetStore(root)
            added = store.append(record, pngs)
            counts = store.manifest()["counts"]
        except (DatasetError, OSError) as e:
            raise CoCoError(NODE_ID, f"could not write to {root}: {e}",
                            "choose another dataset name (an empty folder or an existing CoCo dataset).") from e
        kinds = " + ".join(record["kinds"])
        info = (f"{'added' if added else 'already in the dataset'}: {item.id} ({kinds}) -> {root}\n"
                f"dataset: {counts['records']} records, {counts['text_draft_final_triplets']} triplets")
        return io.NodeOutput(item.id, info)


NODES = [DatasetAppend]
