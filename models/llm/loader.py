"""Load a Hugging Face-layout LLM folder (``ComfyUI/models/LLM/<name>/``) as a ``COCO_LLM``.

A folder holds ``config.json``, the weights as ``model.safetensors`` or shards
``model-0000x-of-0000y.safetensors`` + ``model.safetensors.index.json``, and ``tokenizer.json``
(+ ``tokenizer_config.json``, ``generation_config.json``).

* ``backend="native"``: plain Qwen2/Qwen2.5 (``model_type: qwen2``) on the pack's decoder
  (``qwen2.py``). Headers are validated (keys, shapes, dtypes) before anything is allocated; tensors
  are read with plain file reads straight into their final dtype (``models/safetensors_io.py``,
  no mmap), fp8 saturating at +-448.
* ``backend="transformers"``: ``AutoModelForCausalLM.from_pretrained(local_files_only=True,
  trust_remote_code=False, use_safetensors=True)`` in bf16, wrapped in a ModelPatcher.
* ``backend="auto"``: native when the config is plain Qwen2 the native decoder runs exactly, else
  transformers.

Pickle weights (``*.bin``, ``*.pt``, ...) are refused and never unpickled.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable, Optional

from ..errors import FixableError
from .config import BACKENDS
from ..safetensors_io import PICKLE_EXTS, ST_DTYPES, TensorReader, read_header, read_json, refuse_pickle
from ..text_tokenizer import TextTokenizer
from ..weight_dtype import CHOICES as WEIGHT_DTYPE_CHOICES
from ..weight_dtype import resolve_weight_dtype

log = logging.getLogger("ComfyUI-CoCo")

CONFIG = "config.json"
GEN_CONFIG = "generation_config.json"
SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
TOKENIZER_JSON = "tokenizer.json"
# tensors in some exports that carry no weights
_IGNORED_KEYS = (".rotary_emb.inv_freq",)

LAYOUT_HINT = ("put the model folder from Hugging Face (config.json, model.safetensors or the "
               "model-0000x-of-0000y.safetensors shards with model.safetensors.index.json, tokenizer.json, "
               "tokenizer_config.json, generation_config.json) into ComfyUI/models/LLM/<name>/, e.g. "
               "Qwen/Qwen2.5-Coder-7B-Instruct")


class LLMError(FixableError):
    """An LLM folder problem a user can act on: ``where`` (``path``) is the file or folder."""


def _read_json(path: str, what: str) -> dict:
    return read_json(path, what, LLMError, LAYOUT_HINT)


def _refuse_pickle(path: str) -> None:
    refuse_pickle(path, LLMError, "download the model's safetensors weights instead (model.safetensors or the "
                                  "model-*.safetensors shards); most Hugging Face repositories ship them.")


class ModelFolder:
    """The files of one model folder, checked (headers read, nothing allocated)."""

    def __init__(self, path: str):
        path = os.path.abspath(os.fspath(path))
        if not os.path.isdir(path):
            raise LLMError(path, "is not a folder (an LLM is selected as its Hugging Face folder).", LAYOUT_HINT)
        self.path = path
        self.name = os.path.basename(path)
        cfg_path = os.path.join(path, CONFIG)
        if not os.path.isfile(cfg_path):
            raise LLMError(path, f"{CONFIG} is missing, so the architecture is unknown.", LAYOUT_HINT)
        self.config = _read_json(cfg_path, "model config")
        gen = os.path.join(path, GEN_CONFIG)
        self.generation_config = _read_json(gen, "generation config") if os.path.isfile(gen) else {}
        self.model_type = self.config.get("model_type")
        self.weight_files = self._find_weights()

    def _find_weights(self) -> list[str]:
        names = os.listdir(self.path)
        index = os.path.join(self.path, INDEX)
        if os.path.isfile(os.path.join(self.path, SINGLE)):
            return [os.path.join(self.path, SINGLE)]
        if os.path.isfile(index):
            data = _read_json(index, "shard index")
            wm = data.get("weight_map")
            if not isinstance(wm, dict) or not wm:
                raise LLMError(index, "has no 'weight_map'.", "download the index file again.")
            files = []
            for f in dict.fromkeys(wm.values()):
                if not isinstance(f, str) or os.path.basename(f) != f or not f.endswith(".safetensors"):
                    raise LLMError(index, f"names an unexpected weight file {f!r}.", "download the index file again.")
                full = os.path.join(self.path, f)
                if not os.path.isfile(full):
                    raise LLMError(self.path, f"the shard {f} listed in {INDEX} is missing (an interrupted "
                                              "download?).", "download the missing shard(s).")
                files.append(full)
            return files
        shards = sorted(n for n in names if n.endswith(".safetensors"))
        if shards:
            raise LLMError(self.path, f"holds {', '.join(shards[:3])} but neither {SINGLE} nor {INDEX}.",
                           f"download {INDEX} too (it maps the tensors to the shards).")
        pickles = sorted(n for n in names if n.lower().endswith(PICKLE_EXTS))
        if pickles:
            _refuse_pickle(os.path.join(self.path, pickles[0]))
        raise LLMError(self.path, "has no weights (model.safetensors or model-*.safetensors shards).", LAYOUT_HINT)


def choose_backend(folder: ModelFolder, backend: str) -> str:
    from .config import native_unsupported_reason

    if backend not in BACKENDS:
        raise LLMError(folder.path, f"unknown backend {backend!r}.", f"choose one of {', '.join(BACKENDS)}.")
    why = native_unsupported_reason(folder.config)
    if backend == "auto":
        return "native" if why is None else "transformers"
    if backend == "native" and why is not None:
        raise LLMError(folder.path, f"the native decoder cannot run this model: {why}.",
                       "set backend to 'transformers' (or 'auto') to run it through Hugging Face transformers.")
    return backend


# ---- tokenizer ----------------------------------------------------------------------------------

def load_fast_tokenizer(folder: ModelFolder) -> TextTokenizer:
    tj = os.path.join(folder.path, TOKENIZER_JSON)
    if not os.path.isfile(tj):
        raise LLMError(folder.path, f"{TOKENIZER_JSON} is missing (the native decoder reads the fast tokenizer).",
                       f"download {TOKENIZER_JSON} from the model's Hugging Face page into {folder.path}/.")
    try:
        return TextTokenizer.from_file(tj)
    except ValueError as e:
        raise LLMError(tj, f"cannot parse the tokenizer: {e}.", "download tokenizer.json again.") from e


# ---- native --------------------------------------------------------------------------------------

def _weight_dtype(name: str):
    import torch

    table = {"bf16": torch.bfloat16, "fp8_e4m3fn": torch.float8_e4m3fn}
    if name not in table:
        raise ValueError(f"weight_dtype must be one of {list(table)}, got {name!r}")
    return table[name]


def _headers(folder: ModelFolder):
    return [read_header(f, LLMError) for f in folder.weight_files]


def _plan(folder: ModelFolder, cfg, headers) -> dict:
    """checkpoint key -> (header, checkpoint key to read) for every module key; validates shapes."""
    from .qwen2 import expected_state_dict_shapes

    expected = expected_state_dict_shapes(cfg)
    where = {}
    for h in headers:
        for k in h.tensors:
            if k in where:
                raise LLMError(h.path, f"the tensor {k!r} is stored twice (also in {where[k].path}).",
                               "download the model again.")
            where[k] = h
    plan = {}
    for key in expected:
        src = key
        if key == "lm_head.weight" and key not in where and cfg.tie_word_embeddings:
            src = "model.embed_tokens.weight"  # tied: the head is the embedding table
        if src in where:
            plan[key] = (where[src], src)
    missing = sorted(k for k in expected if k not in plan)
    unexpected = sorted(k for k in where if k not in expected and not k.endswith(_IGNORED_KEYS))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing tensor(s): {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensor(s): {', '.join(unexpected[:5])}")
        raise LLMError(folder.path, "the weights do not match a plain Qwen2 model with this config.json: "
                                    + "; ".join(parts) + ".",
                       "use the config.json that came with these weights, or backend 'transformers'.")
    for key, (h, src) in plan.items():
        info = h.tensors[src]
        if tuple(info.shape) != tuple(expected[key]):
            raise LLMError(h.path, f"tensor {src!r} has shape {list(info.shape)}, the config needs "
                                   f"{list(expected[key])}.", "use the config.json that came with these weights.")
        if info.dtype not in ST_DTYPES:
            raise LLMError(h.path, f"tensor {src!r} has the unsupported dtype {info.dtype} (supported: "
                                   f"{', '.join(ST_DTYPES)}).",
                           "use the model's original bf16/fp16 safetensors, or backend 'transformers'.")
    return plan


def load_native(folder: ModelFolder, weight_dtype: str = "bf16", keep_model_loaded: bool = True,
                progress: Optional[Callable[[int, int], None]] = None, load_device=None, offload_device=None):
    from .config import LLMConfigError, parse_qwen2_config
    from .qwen2 import Qwen2ForCausalLM
    from .runtime import LocalLLM, NativeQwen2

    wdt = _weight_dtype(weight_dtype)
    try:
        cfg = parse_qwen2_config(folder.config, folder.generation_config)
    except LLMConfigError as e:
        raise LLMError(os.path.join(folder.path, CONFIG), f"not a plain Qwen2 config the native decoder runs: {e}.",
                       "use backend 'transformers'.") from e
    tok = load_fast_tokenizer(folder)
    headers = _headers(folder)
    plan = _plan(folder, cfg, headers)
    t0 = time.perf_counter()
    module = Qwen2ForCausalLM(cfg, wdt, device="meta")
    targets = module.state_dict(keep_vars=True)
    sd = {}
    readers = {}
    try:
        for i, key in enumerate(targets):
            h, src = plan[key]
            r = readers.get(h.path)
            if r is None:
                r = readers[h.path] = TensorReader(h, LLMError)
            sd[key] = r.read(src, targets[key].dtype)
            if progress is not None:
                progress(i + 1, len(targets))
    finally:
        for r in readers.values():
            r.close()
    targets = None
    module.load_state_dict(sd, strict=True, assign=True)
    sd.clear()
    module.eval()
    nbytes = sum(t.numel() * t.element_size() for t in module.state_dict().values())
    log.info("ComfyUI-CoCo: loaded LLM %s natively (%.2f GB, %s weights) in %.1f s", folder.path, nbytes / 1e9,
             weight_dtype, time.perf_counter() - t0)
    lm = NativeQwen2(module, cfg, tok, load_device=load_device, offload_device=offload_device)
    del module
    return LocalLLM(lm, name=folder.name, backend="native", weight_dtype=weight_dtype,
                    keep_model_loaded=keep_model_loaded)


# ---- transformers -----------------------------------------------------------------------------------

def load_transformers(folder: ModelFolder, weight_dtype: str = "bf16", keep_model_loaded: bool = True,
                      load_device=None, offload_device=None):
    import torch

    from .runtime import HFCausalLM, LocalLLM

    try:
        import transformers
    except ImportError as e:
        raise LLMError(folder.path, f"the model_type {folder.model_type!r} needs Hugging Face transformers, "
                                    f"which is not installed ({e}); the native decoder runs plain Qwen2 only.",
                       "install it into ComfyUI's Python (`python -m pip install transformers`) and restart "
                       "ComfyUI, or use a Qwen2/Qwen2.5 model.") from e
    if weight_dtype != "bf16":
        log.warning("ComfyUI-CoCo: %s: the transformers backend loads bf16 weights; weight_dtype %s applies to the "
                    "native Qwen2 decoder only.", folder.name, weight_dtype)
    if folder.config.get("auto_map"):
        log.warning("ComfyUI-CoCo: %s asks for remote code (auto_map); it is not run (trust_remote_code=False).",
                    folder.name)
    t0 = time.perf_counter()
    kw = dict(local_files_only=True, trust_remote_code=False, use_safetensors=True)
    try:
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(folder.path, dtype=torch.bfloat16, **kw)
        except TypeError:  # transformers 4.x names it torch_dtype
            model = transformers.AutoModelForCausalLM.from_pretrained(folder.path, torch_dtype=torch.bfloat16, **kw)
    except ValueError as e:
        msg = str(e)
        if "trust_remote_code" in msg or "does not recognize this architecture" in msg or "Unrecognized" in msg:
            raise LLMError(folder.path, f"transformers {transformers.__version__} has no built-in implementation "
                                        f"of model_type {folder.model_type!r} (custom code is never run here).",
                           "use a model whose architecture transformers ships (or a newer transformers), or a "
                           "Qwen2/Qwen2.5 model for the native decoder.") from e
        raise LLMError(folder.path, f"transformers could not load the model: {msg[:400]}", LAYOUT_HINT) from e
    except OSError as e:
        raise LLMError(folder.path, f"transformers could not load the model: {str(e)[:400]}", LAYOUT_HINT) from e
    model.eval()
    model.requires_grad_(False)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(folder.path, local_files_only=True, trust_remote_code=False)
    except Exception as e:  # noqa: BLE001 - any failure is a tokenizer problem to report
        raise LLMError(folder.path, f"transformers could not load the tokenizer: {str(e)[:300]}",
                       "download tokenizer.json and tokenizer_config.json again.") from e
    log.info("ComfyUI-CoCo: loaded LLM %s through transformers (%s) in %.1f s", folder.path,
             type(model).__name__, time.perf_counter() - t0)
    lm = HFCausalLM(model, tok, folder.generation_config, load_device=load_device, offload_device=offload_device)
    del model
    return LocalLLM(lm, name=folder.name, backend="transformers", weight_dtype="bf16",
                    keep_model_loaded=keep_model_loaded)


def load_llm(path, weight_dtype: str = "auto", backend: str = "auto", keep_model_loaded: bool = True,
             progress: Optional[Callable[[int, int], None]] = None, load_device=None, offload_device=None):
    """``ComfyUI/models/LLM/<name>/`` -> ``LocalLLM`` (a ``COCO_LLM``). ``weight_dtype`` "auto": what
    the load device runs well (``models/weight_dtype.py``)."""
    if weight_dtype not in WEIGHT_DTYPE_CHOICES:
        raise LLMError(os.fspath(path), f"unknown weight_dtype {weight_dtype!r}.",
                       f"choose one of {', '.join(WEIGHT_DTYPE_CHOICES)}.")
    weight_dtype = resolve_weight_dtype(weight_dtype, load_device)
    p = os.fspath(path)
    if os.path.isfile(p) and p.lower().endswith(PICKLE_EXTS):
        _refuse_pickle(p)
    folder = ModelFolder(p)
    kind = choose_backend(folder, backend)
    if kind == "native":
        return load_native(folder, weight_dtype, keep_model_loaded, progress, load_device, offload_device)
    return load_transformers(folder, weight_dtype, keep_model_loaded, load_device, offload_device)
