"""Load a BAGEL-7B-MoT / CoCo checkpoint into a module built on the meta device, tensor by tensor.

Two checkpoint formats are accepted (``load_coco(path)``):

1. **Official folder** (``ComfyUI/models/coco/<name>/``), as published in
   huggingface.co/ByteDance-Seed/BAGEL-7B-MoT:

   - ``ema.safetensors``: the weights (bf16, 1,223 tensors for the production model);
   - ``llm_config.json`` and ``vit_config.json``: the Qwen2 and SigLIP configs;
   - ``tokenizer.json`` (or ``vocab.json`` + ``merges.txt``) and ``tokenizer_config.json``;
   - optional ``bagel_config.json``: BagelConfig overrides (tiny test models). Absent in the
     production folder, where the production defaults apply.
   - ``config.json`` is ignored, as the reference code ignores it.

2. **Converted single file** (``ComfyUI/models/coco/<name>.safetensors``, written by
   ``convert.py`` / the ``CoCo_ConvertCheckpoint`` node). Same tensor keys and shapes as
   ``ema.safetensors``; the big Linear weights are stored in the weight dtype (``F8_E4M3``
   for fp8), everything else in bf16. The safetensors ``__metadata__`` (a str -> str map)
   carries two entries:

   - ``"coco"``: JSON text of an object with
       ``format_version`` (int, currently 1),
       ``llm_config`` (object, the content of llm_config.json),
       ``vit_config`` (object, the content of vit_config.json),
       ``bagel_config`` (object, the overrides; ``{}`` for production),
       ``tokenizer_config`` (object, tokenizer_config.json or ``{}``),
       ``special_tokens`` (object token -> id, informative),
       ``weight_dtype`` (``"fp8_e4m3fn"`` or ``"bf16"``),
       ``scaled`` (bool; always ``false``: plain cast, clamped to +-448, no per-tensor scale),
       ``source`` (object: the source's name and weight-file size, informative);
   - ``"coco_tokenizer"``: the complete ``tokenizer.json`` text (kept out of ``"coco"`` so it is
     not JSON-escaped twice).

   A safetensors file without the ``"coco"`` entry is refused with an explanation.

Reading goes through ``models/safetensors_io.py`` (not ``safetensors.safe_open``): headers are parsed
and validated (length, JSON, dtypes, offsets, then here the key set and shapes) **before anything is
allocated**. Each tensor is then read
with ``readinto`` straight into its final tensor, in the dtype of the target module. A dtype change
(bf16 -> fp8) goes through a bounded scratch buffer of at most ``CHUNK_BYTES`` bytes. Peak RAM is
therefore the final model plus one chunk. With mmap (``safe_open``) every touched page of the
source would stay mapped, and be counted in RSS, until the file is closed: up to the whole bf16
file on top of the fp8 model. The final tensors are assigned into the meta-built module with
``load_state_dict(strict=True, assign=True)``, so they are never copied a second time.

Pickle checkpoints (``.bin``, ``.pt``, ``.pth``, ``.ckpt``) are refused and never unpickled.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from .. import weight_dtype as weight_dtype_names
from ..errors import FixableError
from ..safetensors_io import PICKLE_EXTS, ST_DTYPES, Header, TensorReader, read_header, read_json, refuse_pickle
from .tokenizer import (
    MERGES_TXT, TOKENIZER_CONFIG, TOKENIZER_JSON, VOCAB_JSON, CoCoTokenizer, TokenizerError, has_tokenizer_files,
)

log = logging.getLogger("ComfyUI-CoCo")

WEIGHTS_FILE = "ema.safetensors"
LLM_CONFIG = "llm_config.json"
VIT_CONFIG = "vit_config.json"
BAGEL_CONFIG = "bagel_config.json"
FORMAT_VERSION = 1
META_KEY = "coco"
META_TOKENIZER_KEY = "coco_tokenizer"

HF_REPO = "huggingface.co/ByteDance-Seed/BAGEL-7B-MoT"
DOWNLOAD_HINT = (f"download the folder from {HF_REPO} (or the CoCo weights): ema.safetensors, llm_config.json, "
                 "vit_config.json, tokenizer.json, vocab.json, merges.txt, tokenizer_config.json, "
                 "into ComfyUI/models/coco/<name>/")

_TORCH = {"fp8_e4m3fn": torch.float8_e4m3fn, "bf16": torch.bfloat16}
WEIGHT_DTYPES = {name: _TORCH[name] for name in weight_dtype_names.WEIGHT_DTYPES}



class CheckpointError(FixableError):
    """A checkpoint problem a user can act on: ``where`` (``path``) is the file."""


def _list_some(items, n: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:n])
    return f"{shown} (and {len(items) - n} more)" if len(items) > n else shown


# ---- discovery ----------------------------------------------------------------------------------

@dataclass
class CheckpointSource:
    """A validated-so-far checkpoint: where the weights are, the configs and the tokenizer."""
    path: str                 # what the user gave (folder or file)
    kind: str                 # "folder" or "file"
    weights: str              # the safetensors file with the weights
    llm_config: dict
    vit_config: dict
    bagel_config: dict
    tokenizer: CoCoTokenizer
    header: Header
    meta: dict = field(default_factory=dict)  # the "coco" metadata of a converted file

    @property
    def name(self) -> str:
        return os.path.basename(os.path.normpath(self.path))


def _refuse_pickle(path: str) -> None:
    refuse_pickle(path, CheckpointError,
                  f"use the safetensors weights instead: ema.safetensors from {HF_REPO} (or the CoCo weights) in "
                  "ComfyUI/models/coco/<name>/, or convert the pickle to safetensors yourself in a trusted "
                  "environment (safetensors.torch.save_file) and then use CoCo_ConvertCheckpoint.")


def open_checkpoint(path: str) -> CheckpointSource:
    """Find and check the files of a checkpoint (folder or converted file). Reads headers only."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(path, "does not exist.", DOWNLOAD_HINT)
    if os.path.isdir(path):
        return _open_folder(path)
    low = path.lower()
    if low.endswith(PICKLE_EXTS):
        _refuse_pickle(path)
    if not low.endswith(".safetensors"):
        raise CheckpointError(path, "is neither a checkpoint folder nor a .safetensors file.", DOWNLOAD_HINT)
    if os.path.basename(low) == WEIGHTS_FILE:
        return _open_folder(os.path.dirname(path) or ".")
    return _open_file(path)


def _open_folder(folder: str) -> CheckpointSource:
    weights = os.path.join(folder, WEIGHTS_FILE)
    if not os.path.isfile(weights):
        pickles = sorted(n for n in os.listdir(folder) if n.lower().endswith(PICKLE_EXTS))
        if pickles:
            _refuse_pickle(os.path.join(folder, pickles[0]))
        others = sorted(n for n in os.listdir(folder) if n.lower().endswith(".safetensors"))
        hint = (f" It holds {_list_some(others)}; a converted single file is selected as the file itself, "
                "not its folder." if others else "")
        raise CheckpointError(folder, f"the weights file {WEIGHTS_FILE} is missing.{hint}",
                              f"download ema.safetensors from {HF_REPO} (or the CoCo weights) into {folder}/.")
    missing = [n for n in (LLM_CONFIG, VIT_CONFIG) if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise CheckpointError(folder, f"the config file(s) {', '.join(missing)} are missing (the weights alone do "
                                      "not say how to build the model).",
                              f"download {', '.join(missing)} from {HF_REPO} into {folder}/.")
    llm = read_json(os.path.join(folder, LLM_CONFIG), "LLM config", CheckpointError, DOWNLOAD_HINT)
    vit = read_json(os.path.join(folder, VIT_CONFIG), "ViT config", CheckpointError, DOWNLOAD_HINT)
    bcfg_path = os.path.join(folder, BAGEL_CONFIG)
    bagel = (read_json(bcfg_path, "BagelConfig overrides", CheckpointError, DOWNLOAD_HINT)
             if os.path.isfile(bcfg_path) else {})
    if not has_tokenizer_files(folder):
        raise CheckpointError(folder, f"the tokenizer is missing: neither {TOKENIZER_JSON} nor {VOCAB_JSON} + "
                                      f"{MERGES_TXT} is in the folder.",
                              f"download {TOKENIZER_JSON}, {VOCAB_JSON}, {MERGES_TXT} and {TOKENIZER_CONFIG} "
                              f"from {HF_REPO} into {folder}/.")
    try:
        tok = CoCoTokenizer.from_folder(folder)
    except TokenizerError as e:
        raise CheckpointError(folder, f"bad tokenizer: {e}.",
                              f"download the tokenizer files again from {HF_REPO} into {folder}/.") from e
    header = read_header(weights, CheckpointError)
    return CheckpointSource(folder, "folder", weights, llm, vit, bagel, tok, header)


def _open_file(path: str) -> CheckpointSource:
    header = read_header(path, CheckpointError)
    raw = header.metadata.get(META_KEY)
    convert_fix = ("select the official folder (ComfyUI/models/coco/<name>/ with ema.safetensors, llm_config.json, "
                   "vit_config.json and the tokenizer files) instead, or make a single file from that folder with "
                   "the CoCo_ConvertCheckpoint node (or `python -m models.bagel.convert`).")
    if raw is None:
        other = [k for k in header.metadata if k != "format"]
        extra = f" (its metadata has only {_list_some(other)})" if other else ""
        raise CheckpointError(path, f"this .safetensors file has no '{META_KEY}' metadata{extra}, so its configs and "
                                    "tokenizer are unknown: it was not written by ComfyUI-CoCo's converter.",
                              convert_fix)
    try:
        meta = json.loads(raw)
        version = int(meta.get("format_version", 0))
    except (ValueError, TypeError, AttributeError) as e:
        raise CheckpointError(path, f"the '{META_KEY}' metadata is not valid JSON ({e}).", convert_fix) from e
    if version != FORMAT_VERSION:
        raise CheckpointError(path, f"the '{META_KEY}' metadata has format_version {version}; this ComfyUI-CoCo "
                                    f"reads version {FORMAT_VERSION}.",
                              "update ComfyUI-CoCo, or convert the file again with this version.")
    for k in ("llm_config", "vit_config"):
        if not isinstance(meta.get(k), dict):
            raise CheckpointError(path, f"the '{META_KEY}' metadata lacks '{k}'.", convert_fix)
    tj = header.metadata.get(META_TOKENIZER_KEY)
    if not tj:
        raise CheckpointError(path, f"the tokenizer is missing: no '{META_TOKENIZER_KEY}' entry in the metadata.",
                              convert_fix)
    try:
        tok = CoCoTokenizer.from_str(tj, meta.get("tokenizer_config") or {}, source=f"embedded in {path}")
    except TokenizerError as e:
        raise CheckpointError(path, f"bad embedded tokenizer: {e}.", convert_fix) from e
    return CheckpointSource(path, "file", path, meta["llm_config"], meta["vit_config"],
                            meta.get("bagel_config") or {}, tok, header, meta)


# ---- validation against the architecture --------------------------------------------------------

def make_config(src: CheckpointSource):
    from .config import BagelConfig

    overrides = dict(src.bagel_config or {})
    if "special_tokens" not in overrides and "new_token_ids" not in overrides:
        # The ids come from the checkpoint's own tokenizer, looked up by token string.
        t = src.tokenizer
        overrides["special_tokens"] = {"bos_token_id": t.im_start_id, "eos_token_id": t.im_end_id,
                                       "start_of_image": t.vision_start_id, "end_of_image": t.vision_end_id}
    try:
        return BagelConfig.from_dicts(src.llm_config, src.vit_config, overrides)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(src.path, f"the configs do not describe a BAGEL model: {e}.", DOWNLOAD_HINT) from e


def check_tensors(src: CheckpointSource, expected: dict[str, tuple]) -> None:
    """Key set, shapes and dtypes of the weights file against the architecture; no allocation."""
    have = src.header.tensors
    f = src.weights
    missing = sorted(k for k in expected if k not in have)
    unexpected = sorted(k for k in have if k not in expected)
    if missing or unexpected:
        parts = []
        if missing and not any(k.startswith("language_model.") for k in have):
            parts.append("it has no 'language_model.*' tensors, so it is not a BAGEL/CoCo checkpoint "
                         "(ae.safetensors or a plain LLM?).")
        if missing:
            parts.append(f"{len(missing)} missing key(s): {_list_some(missing)}.")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): {_list_some(unexpected)}.")
        cfgs = "the configs embedded in the file" if src.kind == "file" else f"{LLM_CONFIG}/{VIT_CONFIG}"
        raise CheckpointError(f, "the tensors do not match the model described by " + cfgs + ": " + " ".join(parts),
                              f"use the matching ema.safetensors and configs from {HF_REPO} (or the CoCo weights) "
                              "in ComfyUI/models/coco/<name>/.")
    wrong = [(k, tuple(expected[k]), have[k].shape) for k in sorted(expected)
             if tuple(have[k].shape) != tuple(int(s) for s in expected[k])]
    if wrong:
        lines = "; ".join(f"{k}: expected {list(e)}, got {list(g)}" for k, e, g in wrong[:5])
        more = f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else ""
        raise CheckpointError(f, f"{len(wrong)} tensor(s) have the wrong shape: {lines}{more}. The weights and the "
                                 "configs do not belong together.",
                              f"use the llm_config.json/vit_config.json that came with these weights ({HF_REPO}).")
    bad = [(k, have[k].dtype) for k in sorted(have) if have[k].dtype not in ST_DTYPES]
    if bad:
        lines = ", ".join(f"{k} ({d})" for k, d in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise CheckpointError(f, f"unsupported tensor dtype(s): {lines}{more}. Supported: "
                                 f"{', '.join(ST_DTYPES)}.",
                              f"use the original bf16 ema.safetensors from {HF_REPO}, or a file written by "
                              "CoCo_ConvertCheckpoint.")


def expected_shapes(cfg) -> dict[str, tuple]:
    from .modeling import expected_state_dict_shapes

    return {k: tuple(v) for k, v in expected_state_dict_shapes(cfg).items()}


def parse_weight_dtype(weight_dtype) -> torch.dtype:
    if isinstance(weight_dtype, torch.dtype):
        if weight_dtype in WEIGHT_DTYPES.values():
            return weight_dtype
    elif weight_dtype in WEIGHT_DTYPES:
        return WEIGHT_DTYPES[weight_dtype]
    raise ValueError(f"weight_dtype must be one of {list(WEIGHT_DTYPES)}, got {weight_dtype!r}")


def weight_dtype_name(dtype: torch.dtype) -> str:
    return {v: k for k, v in WEIGHT_DTYPES.items()}[dtype]


# ---- loading ------------------------------------------------------------------------------------

def load_state_into(module: torch.nn.Module, src: CheckpointSource,
                    progress: Callable[[int, int], None] | None = None) -> None:
    """Read every tensor in the dtype of the module's (meta) tensor and assign it in place."""
    targets = module.state_dict(keep_vars=True)
    keys = list(targets)
    sd = {}
    with TensorReader(src.header, CheckpointError) as reader:
        for i, key in enumerate(keys):
            sd[key] = reader.read(key, targets[key].dtype)
            if progress is not None:
                progress(i + 1, len(keys))
    targets = None
    module.load_state_dict(sd, strict=True, assign=True)
    sd.clear()
    left = [n for n, t in list(module.named_parameters()) + list(module.named_buffers()) if t.is_meta]
    if left:
        raise RuntimeError(f"tensors still on the meta device after loading (architecture bug): {_list_some(left)}")


def _warn_if_ram_short(src: CheckpointSource, module: torch.nn.Module) -> None:
    need = sum(t.numel() * t.element_size() for t in module.state_dict(keep_vars=True).values())
    try:
        import psutil

        avail = psutil.virtual_memory().available
    except Exception:  # psutil comes with ComfyUI; without it, skip the hint
        return
    if need > avail:
        log.warning("ComfyUI-CoCo: loading %s needs %.1f GB of RAM but only %.1f GB is available; expect swapping "
                    "or an out-of-memory kill. An fp8 single file (CoCo_ConvertCheckpoint) needs about half.",
                    src.path, need / 1e9, avail / 1e9)


def load_coco(path, weight_dtype="auto", *, progress: Callable[[int, int], None] | None = None):
    """Load a CoCo/BAGEL checkpoint (official folder or converted single file) -> ``CoCoModel``.

    ``weight_dtype`` ("fp8_e4m3fn", "bf16", or "auto": what ComfyUI's device runs well, see
    ``models/weight_dtype.py``) is the storage dtype of the big Linear weights; the rest stays bf16
    (the architecture decides, see ``modeling.build_bagel``). Everything is checked before any
    weight memory is allocated.
    """
    if isinstance(weight_dtype, str):
        weight_dtype = weight_dtype_names.resolve_weight_dtype(weight_dtype)
    wdt = parse_weight_dtype(weight_dtype)
    src = open_checkpoint(path)
    cfg = make_config(src)
    check_tensors(src, expected_shapes(cfg))
    if src.kind == "file" and src.meta.get("weight_dtype") == "fp8_e4m3fn" and wdt != torch.float8_e4m3fn:
        log.warning("ComfyUI-CoCo: %s stores fp8 weights; loading them as %s does not restore the precision "
                    "lost in the conversion.", src.path, weight_dtype_name(wdt))

    from .modeling import build_bagel
    from .pipeline import CoCoModel

    t0 = time.perf_counter()
    module = build_bagel(cfg, wdt, device="meta")
    _warn_if_ram_short(src, module)
    load_state_into(module, src, progress)
    module.eval()
    nbytes = sum(t.numel() * t.element_size() for t in module.state_dict().values())
    log.info("ComfyUI-CoCo: loaded %s (%s, %d tensors, %.2f GB as %s) in %.1f s", src.path, src.kind,
             len(src.header.tensors), nbytes / 1e9, weight_dtype_name(wdt), time.perf_counter() - t0)
    # CoCoModel splits the module into its patcher-managed parts and, on newer cores, calls
    # comfy.model_management.archive_model_dtypes on each (the dtypes are final already).
    return CoCoModel(module, cfg, src.tokenizer, wdt)
