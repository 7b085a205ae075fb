"""CoCo_LLMLoader: a local coder LLM from ComfyUI/models/LLM/<name>/ as a COCO_LLM for CoCo_CodeGen.

Plain Qwen2/Qwen2.5 folders (e.g. Qwen2.5-Coder-*-Instruct) run on the pack's native decoder (fp8 or
bf16 weights, 'auto' picking per device, ComfyUI's model manager, KV cache); other architectures through Hugging Face
transformers (local files only, no remote code, safetensors only), still managed by ComfyUI.
"""

from __future__ import annotations

import os
import time

from comfy_api.latest import io

from ..models.llm.config import BACKENDS
from ..models.weight_dtype import CHOICES as LOAD_DTYPES
from .common import CoCoError, list_model_entries, progress_with_cancel, resolve_model_entry
from .io_types import COCO_LLM

NODE_ID = "CoCo_LLMLoader"
FOLDER_KEY = "LLM"
EMPTY = "(no model folder in models/LLM)"

LAYOUT_FIX = ("put a Hugging Face model folder (config.json, model.safetensors or model-*.safetensors shards + "
              "model.safetensors.index.json, tokenizer.json, tokenizer_config.json, generation_config.json), e.g. "
              "Qwen/Qwen2.5-Coder-7B-Instruct, into ComfyUI/models/LLM/<name>/, then press R in the UI to refresh.")


def list_models() -> list[str]:
    """Folders under models/LLM that hold a config.json, as "<name>/" (nested paths allowed)."""
    return list_model_entries(FOLDER_KEY, ("config.json",)) or [EMPTY]


def resolve_model(name: str) -> str:
    if name and not name.endswith("/"):
        name += "/"
    return resolve_model_entry(FOLDER_KEY, name, node=NODE_ID, empty=EMPTY, fix=LAYOUT_FIX)


def _fingerprint_files(path: str) -> str:
    parts = []
    for n in sorted(os.listdir(path)):
        if n.endswith((".safetensors", ".json")):
            st = os.stat(os.path.join(path, n))
            parts.append(f"{n}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


class LLMLoader(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo LLM Loader",
            category="CoCo/loaders",
            description=(
                "Loads a local LLM from ComfyUI/models/LLM/<name>/ (Hugging Face folder) as a code writer for "
                "CoCo_CodeGen's 'llm' input. Qwen2/Qwen2.5 (e.g. Qwen2.5-Coder-Instruct) run on the CoCo decoder "
                "with fp8 or bf16 weights; other models through transformers. ComfyUI's model manager loads and "
                "offloads it like any other model."
            ),
            inputs=[
                io.Combo.Input(
                    "model", options=list_models(),
                    tooltip="A folder '<name>/' in ComfyUI/models/LLM/ holding config.json, the safetensors weights "
                            "(one file or shards + index) and tokenizer.json. Pickle .bin weights are refused.",
                ),
                io.Combo.Input(
                    "weight_dtype", options=list(LOAD_DTYPES), default="auto",
                    tooltip="Storage dtype of the large Linear weights on the native decoder. auto: fp8_e4m3fn on "
                            "NVIDIA GPUs with fp8 support (RTX 40xx, H100 and newer), bf16 elsewhere (CPU, Apple "
                            "MPS, older GPUs: fp8 is slow or missing there). bf16: original quality. fp8_e4m3fn: "
                            "half the memory, small quality loss (compute stays bf16). The transformers backend "
                            "always loads bf16.",
                ),
                io.Combo.Input(
                    "backend", options=list(BACKENDS), default="auto",
                    tooltip="auto: the native CoCo decoder for plain Qwen2/Qwen2.5, transformers for anything else. "
                            "native: force the CoCo decoder (Qwen2 only). transformers: Hugging Face "
                            "AutoModelForCausalLM (needs the transformers package; no remote code).",
                ),
                io.Boolean.Input(
                    "keep_model_loaded", default=True,
                    tooltip="On: the model stays in (V)RAM after generating, so the next run starts at once. Off: "
                            "ComfyUI unloads it after each generation (frees memory for diffusion; reloading "
                            "takes time).",
                ),
            ],
            outputs=[COCO_LLM.Output("llm", display_name="llm",
                                     tooltip="Connect to CoCo_CodeGen's 'llm' input.")],
        )

    @classmethod
    def fingerprint_inputs(cls, model, weight_dtype, backend, keep_model_loaded):
        try:
            return f"{model}|{weight_dtype}|{backend}|{keep_model_loaded}|{_fingerprint_files(resolve_model(model))}"
        except Exception:
            return f"{model}|{weight_dtype}|{backend}|{keep_model_loaded}"

    @classmethod
    def execute(cls, model: str, weight_dtype: str, backend: str, keep_model_loaded: bool) -> io.NodeOutput:
        from ..models.llm.loader import LLMError, load_llm

        path = resolve_model(model)  # load_llm checks weight_dtype and backend
        t0 = time.perf_counter()
        try:
            llm = load_llm(path, weight_dtype, backend, keep_model_loaded, progress=progress_with_cancel())
        except LLMError as e:
            raise e.at(NODE_ID, CoCoError) from e
        used = llm.weight_dtype + (" (auto)" if weight_dtype == "auto" else "")
        text = (f"{model}: {llm.backend} backend, {used} weights, loaded in "
                f"{time.perf_counter() - t0:.1f} s")
        return io.NodeOutput(llm, ui={"text": [text]})


NODES = [LLMLoader]
