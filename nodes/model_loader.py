"""CoCo_ModelLoader and CoCo_ConvertCheckpoint: CoCo/BAGEL checkpoints from ComfyUI/models/coco/.

Two layouts are listed in the ``checkpoint`` dropdown:

* ``<name>/``: an official folder (ema.safetensors, llm_config.json, vit_config.json, tokenizer
  files), as downloaded from huggingface.co/ByteDance-Seed/BAGEL-7B-MoT (or the CoCo weights);
* ``<name>.safetensors``: a single file written by CoCo_ConvertCheckpoint (fp8 or bf16 weights,
  configs and tokenizer in its metadata).

Loading streams tensor by tensor into the final dtype (see ``models/bagel/loader.py``), so peak
RAM is about the size of the loaded model.
"""

from __future__ import annotations

import os
import time

from comfy_api.latest import io

from ..models.weight_dtype import CHOICES as LOAD_DTYPES
from ..models.weight_dtype import WEIGHT_DTYPES
from .common import CoCoError, list_model_entries, progress_with_cancel, resolve_model_entry
from .io_types import COCO_MODEL

LOADER_ID = "CoCo_ModelLoader"
CONVERT_ID = "CoCo_ConvertCheckpoint"
FOLDER_KEY = "coco"
EMPTY = "(no checkpoint in models/coco)"
FOLDER_MARKERS = ("ema.safetensors", "llm_config.json")

DOWNLOAD_FIX = ("put the official folder from huggingface.co/ByteDance-Seed/BAGEL-7B-MoT (or the CoCo weights: "
                "ema.safetensors, llm_config.json, vit_config.json, tokenizer.json, vocab.json, merges.txt, "
                "tokenizer_config.json) into ComfyUI/models/coco/<name>/, then press R in the UI to refresh.")


def list_checkpoints() -> list[str]:
    """Folders holding ema.safetensors or llm_config.json as "<name>/", plus the other
    .safetensors files (converted single files). Files inside a listed folder are not listed."""
    return list_model_entries(FOLDER_KEY, FOLDER_MARKERS, ".safetensors") or [EMPTY]


def resolve_checkpoint(name: str, node: str) -> str:
    return resolve_model_entry(FOLDER_KEY, name, node=node, empty=EMPTY, fix=DOWNLOAD_FIX)


def _weights_file(path: str) -> str:
    return os.path.join(path, "ema.safetensors") if os.path.isdir(path) else path


class ModelLoader(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=LOADER_ID,
            display_name="CoCo Model Loader",
            category="CoCo/loaders",
            description=(
                "Loads a CoCo / BAGEL-7B-MoT checkpoint from ComfyUI/models/coco/ into ComfyUI's model manager. "
                "fp8 stores the large Linear weights in float8_e4m3fn (about 15 GB instead of 29 GB) and computes "
                "in bf16; 'auto' uses fp8 on GPUs with fp8 support and bf16 elsewhere. ComfyUI moves layers to "
                "the GPU as memory allows."
            ),
            inputs=[
                io.Combo.Input(
                    "checkpoint", options=list_checkpoints(),
                    tooltip="A folder '<name>/' in ComfyUI/models/coco/ with the official files (ema.safetensors, "
                            "llm_config.json, vit_config.json, tokenizer files from "
                            "huggingface.co/ByteDance-Seed/BAGEL-7B-MoT or the CoCo weights), or a single "
                            ".safetensors made by CoCo_ConvertCheckpoint (loads faster, half the disk space).",
                ),
                io.Combo.Input(
                    "weight_dtype", options=list(LOAD_DTYPES), default="auto",
                    tooltip="Storage dtype of the large Linear weights. auto: fp8_e4m3fn on NVIDIA GPUs with fp8 "
                            "support (RTX 40xx, H100 and newer), bf16 elsewhere (CPU, Apple MPS, older GPUs: fp8 is "
                            "slow or missing there). fp8_e4m3fn: half the memory of bf16, small quality loss; pick "
                            "it on an older GPU that is short of VRAM. bf16: the original precision (about 29 GB). "
                            "Norms, embeddings and position tables always stay bf16.",
                ),
            ],
            outputs=[COCO_MODEL.Output("model", display_name="model",
                                       tooltip="The loaded CoCo model for the CoCo generation nodes.")],
        )

    @classmethod
    def fingerprint_inputs(cls, checkpoint, weight_dtype):
        # Reload when the file on disk changes (re-download, re-convert).
        try:
            st = os.stat(_weights_file(resolve_checkpoint(checkpoint, LOADER_ID)))
            return f"{checkpoint}|{weight_dtype}|{st.st_size}|{st.st_mtime_ns}"
        except Exception:
            return f"{checkpoint}|{weight_dtype}"

    @classmethod
    def execute(cls, checkpoint: str, weight_dtype: str) -> io.NodeOutput:
        from ..models.bagel.loader import CheckpointError, load_coco, weight_dtype_name

        if weight_dtype not in LOAD_DTYPES:
            raise CoCoError(LOADER_ID, f"unknown weight_dtype '{weight_dtype}'.", f"choose one of {list(LOAD_DTYPES)}.")
        path = resolve_checkpoint(checkpoint, LOADER_ID)
        t0 = time.perf_counter()
        try:
            model = load_coco(path, weight_dtype, progress=progress_with_cancel())
        except CheckpointError as e:
            raise e.at(LOADER_ID, CoCoError) from e
        used = weight_dtype_name(model.weight_dtype)
        if weight_dtype == "auto":
            used += " (auto)"
        text = f"{checkpoint}: loaded with {used} weights in {time.perf_counter() - t0:.1f} s"
        return io.NodeOutput(model, ui={"text": [text]})


class ConvertCheckpoint(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=CONVERT_ID,
            display_name="CoCo Convert Checkpoint",
            category="CoCo/loaders",
            description=(
                "Writes an official CoCo/BAGEL folder as one .safetensors file in ComfyUI/models/coco/ (fp8: about "
                "15 GB instead of 29 GB), with the configs and tokenizer inside. Streams tensor by tensor, so it "
                "needs little RAM. Run it once, then pick the new file in CoCo_ModelLoader."
            ),
            inputs=[
                io.Combo.Input(
                    "source", options=list_checkpoints(),
                    tooltip="The official folder '<name>/' in ComfyUI/models/coco/ (ema.safetensors, "
                            "llm_config.json, vit_config.json, tokenizer files).",
                ),
                io.Combo.Input(
                    "weight_dtype", options=list(WEIGHT_DTYPES), default="fp8_e4m3fn",
                    tooltip="Storage dtype of the large Linear weights in the new file. fp8_e4m3fn halves the size; "
                            "the rest stays bf16.",
                ),
                io.String.Input(
                    "output_name", default="", multiline=False,
                    tooltip="File name for the result in ComfyUI/models/coco/ ('.safetensors' is added). Empty: "
                            "'<source>_<weight_dtype>.safetensors'.",
                ),
                io.Boolean.Input(
                    "overwrite", default=False,
                    tooltip="Replace an existing file of that name. Off: an existing file is an error.",
                ),
            ],
            outputs=[io.String.Output("checkpoint", display_name="checkpoint",
                                      tooltip="The name of the written file as CoCo_ModelLoader lists it.")],
            is_output_node=True,
        )

    @classmethod
    def execute(cls, source: str, weight_dtype: str, output_name: str = "", overwrite: bool = False) -> io.NodeOutput:
        import folder_paths

        from ..models.bagel.convert import convert_checkpoint
        from ..models.bagel.loader import CheckpointError

        if weight_dtype not in WEIGHT_DTYPES:
            raise CoCoError(CONVERT_ID, f"unknown weight_dtype '{weight_dtype}'.", f"choose one of {list(WEIGHT_DTYPES)}.")
        src = resolve_checkpoint(source, CONVERT_ID)
        name = (output_name or "").strip()
        if not name:
            name = f"{os.path.basename(os.path.normpath(src)).rsplit('.', 1)[0]}_{weight_dtype}"
        if name.lower().endswith(".safetensors"):
            name = name[: -len(".safetensors")]
        if not name or any(c in name for c in "/\\:") or name.startswith("."):
            raise CoCoError(CONVERT_ID, f"output_name '{output_name}' is not a plain file name.",
                            "use letters, digits, '-', '_' and '.', without folders.")
        out_dir = folder_paths.get_folder_paths(FOLDER_KEY)[0]
        os.makedirs(out_dir, exist_ok=True)
        out = os.path.join(out_dir, name + ".safetensors")
        t0 = time.perf_counter()
        try:
            convert_checkpoint(src, out, weight_dtype, overwrite=bool(overwrite), progress=progress_with_cancel())
        except CheckpointError as e:
            raise e.at(CONVERT_ID, CoCoError) from e
        rel = name + ".safetensors"
        text = (f"wrote models/coco/{rel} ({os.path.getsize(out) / 1e9:.2f} GB, {weight_dtype}) in "
                f"{time.perf_counter() - t0:.1f} s")
        return io.NodeOutput(rel, ui={"text": [text]})


NODES = [ModelLoader, ConvertCheckpoint]
