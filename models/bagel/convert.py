"""Convert an official BAGEL/CoCo folder into one ComfyUI-CoCo safetensors file (fp8 or bf16).

The output has the same tensor keys and shapes as ``ema.safetensors``; the big Linear weights are
stored in the weight dtype and the rest in bf16, exactly the dtypes ``modeling.build_bagel``
gives each parameter. The configs and the tokenizer travel in the ``__metadata__`` (schema in
``loader.py``). The file is written tensor by tensor (the safetensors format is 8 bytes of header
length, the JSON header, then raw little-endian bytes), so RAM stays bounded by one chunk
(``safetensors_io.CHUNK_BYTES``) whatever the model size. It is written to ``OUT.tmp`` and renamed at the end.

Command line, from the repository root (the pack folder)::

    python -m models.bagel.convert SRC OUT.safetensors [--weight-dtype fp8_e4m3fn|bf16] [--overwrite]

``SRC`` is the official folder (or an existing converted file). The architecture imports
``comfy.ops``, so ComfyUI must be importable: the CLI finds it through ``--comfyui DIR``, the
environment variable ``COMFYUI_DIR``, the ComfyUI install this pack sits in
(``ComfyUI/custom_nodes/<pack>``), or ``.cache/comfyui`` of a development checkout.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Iterable, Iterator

import torch

from ..safetensors_io import CHUNK_BYTES, TORCH_TO_ST, TensorReader
from .loader import (
    FORMAT_VERSION, META_KEY, META_TOKENIZER_KEY, CheckpointError, CheckpointSource, check_tensors, expected_shapes,
    make_config, open_checkpoint, parse_weight_dtype, weight_dtype_name,
)

ALIGN = 8


def _tensor_bytes(t: torch.Tensor) -> memoryview:
    t = t.contiguous().view(-1)
    return memoryview(t.view(torch.uint8).numpy()).cast("B")


def write_safetensors(path: str, items: Iterable[tuple[str, torch.dtype, tuple, Callable[[], Iterator[torch.Tensor]]]],
                      metadata: dict[str, str] | None = None,
                      progress: Callable[[int, int], None] | None = None) -> int:
    """Stream tensors into a safetensors file.

    ``items``: (key, dtype, shape, pieces) where ``pieces()`` yields flat tensors of ``dtype`` whose
    concatenation is the tensor in C order. Writes ``path + '.tmp'`` then renames. Returns the size.
    """
    items = list(items)
    header: dict = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for key, dtype, shape, _ in items:
        if dtype not in TORCH_TO_ST:
            raise ValueError(f"{key}: dtype {dtype} cannot be written")
        n = 1
        for s in shape:
            n *= int(s)
        nbytes = n * torch.empty((), dtype=dtype).element_size()
        header[key] = {"dtype": TORCH_TO_ST[dtype], "shape": [int(s) for s in shape],
                       "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((-len(raw)) % ALIGN)  # data section starts 8-byte aligned (as safetensors does)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(len(raw).to_bytes(8, "little"))
            f.write(raw)
            for i, (key, dtype, shape, pieces) in enumerate(items):
                want = header[key]["data_offsets"][1] - header[key]["data_offsets"][0]
                got = 0
                for piece in pieces():
                    if piece.dtype != dtype:
                        raise ValueError(f"{key}: piece has dtype {piece.dtype}, header says {dtype}")
                    mv = _tensor_bytes(piece)
                    f.write(mv)
                    got += len(mv)
                if got != want:
                    raise ValueError(f"{key}: wrote {got} bytes, header says {want}")
                if progress is not None:
                    progress(i + 1, len(items))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    return os.path.getsize(path)


def target_dtypes(cfg, weight_dtype: torch.dtype) -> dict[str, torch.dtype]:
    """The dtype of every state-dict tensor in the model built for ``weight_dtype`` (meta, no memory)."""
    from .modeling import build_bagel

    module = build_bagel(cfg, weight_dtype, device="meta")
    return {k: v.dtype for k, v in module.state_dict(keep_vars=True).items()}


def build_metadata(src: CheckpointSource, weight_dtype: torch.dtype) -> dict[str, str]:
    meta = {
        "format_version": FORMAT_VERSION,
        "llm_config": src.llm_config,
        "vit_config": src.vit_config,
        "bagel_config": src.bagel_config or {},
        "tokenizer_config": src.tokenizer.tokenizer_config,
        "special_tokens": src.tokenizer.special_ids,
        "weight_dtype": weight_dtype_name(weight_dtype),
        "scaled": False,
        "source": {"name": src.name, "kind": src.kind, "weights_bytes": src.header.file_size},
    }
    return {"format": "pt", META_KEY: json.dumps(meta, ensure_ascii=False, sort_keys=True),
            META_TOKENIZER_KEY: src.tokenizer.json_text}


def convert_checkpoint(src_path: str, out_path: str, weight_dtype="fp8_e4m3fn", *, overwrite: bool = False,
                       progress: Callable[[int, int], None] | None = None,
                       chunk_bytes: int = CHUNK_BYTES) -> str:
    """Official folder (or converted file) -> one safetensors file. Returns ``out_path``."""
    wdt = parse_weight_dtype(weight_dtype)
    out_path = os.fspath(out_path)
    if not out_path.lower().endswith(".safetensors"):
        raise CheckpointError(out_path, "the output must be a .safetensors file.")
    src = open_checkpoint(src_path)
    if os.path.abspath(out_path) == os.path.abspath(src.weights):
        raise CheckpointError(out_path, "the output would overwrite the source weights.", "choose another name.")
    if os.path.exists(out_path) and not overwrite:
        raise CheckpointError(out_path, "already exists.", "choose another name, or allow overwriting.")
    cfg = make_config(src)
    check_tensors(src, expected_shapes(cfg))
    dtypes = target_dtypes(cfg, wdt)
    meta = build_metadata(src, wdt)
    with TensorReader(src.header, CheckpointError) as reader:
        def pieces(key, dt):
            return lambda: reader.chunks(key, dt, chunk_bytes)

        items = [(k, dtypes[k], src.header.tensors[k].shape, pieces(k, dtypes[k])) for k in sorted(dtypes)]
        write_safetensors(out_path, items, meta, progress)
    return out_path


# ---- command line -------------------------------------------------------------------------------

def ensure_comfy(explicit: str | None = None) -> None:
    """Make ``import comfy`` work outside ComfyUI (CLI, bench): put ComfyUI on sys.path, keep it
    from parsing our argv, and select its CPU mode when there is no GPU."""
    import importlib.util
    import sys

    if "comfy.model_management" in sys.modules:
        return
    if importlib.util.find_spec("comfy") is None or explicit:
        _add_comfy_path(explicit)
    import comfy.options

    comfy.options.enable_args_parsing(False)  # do not parse our argv as ComfyUI's
    import comfy.cli_args

    mps = getattr(torch.backends, "mps", None)
    if not torch.cuda.is_available() and not (mps is not None and mps.is_available()):
        comfy.cli_args.args.cpu = True


def _add_comfy_path(explicit: str | None) -> None:
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    pack = os.path.dirname(os.path.dirname(here))
    candidates = [explicit, os.environ.get("COMFYUI_DIR"),
                  os.path.dirname(os.path.dirname(pack)),          # ComfyUI/custom_nodes/<pack>
                  os.path.join(pack, ".cache", "comfyui")]         # development checkout
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "comfy", "ops.py")):
            sys.path.insert(0, os.path.abspath(c))
            break
    else:
        raise SystemExit("cannot import ComfyUI's 'comfy' package: pass --comfyui /path/to/ComfyUI "
                         "or set COMFYUI_DIR")


def main(argv=None) -> int:
    import argparse
    import sys
    import time

    p = argparse.ArgumentParser(prog="python -m models.bagel.convert",
                                description="Convert an official BAGEL/CoCo folder into one ComfyUI-CoCo "
                                            "safetensors file (fp8 or bf16), tensor by tensor.")
    p.add_argument("src", help="official folder (ema.safetensors, llm_config.json, vit_config.json, tokenizer files)")
    p.add_argument("out", help="output .safetensors (put it in ComfyUI/models/coco/)")
    p.add_argument("--weight-dtype", default="fp8_e4m3fn", choices=sorted(["fp8_e4m3fn", "bf16"]))
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--comfyui", default=None, help="ComfyUI folder (default: found automatically)")
    a = p.parse_args(argv)
    ensure_comfy(a.comfyui)
    t0 = time.time()

    def progress(i, n):
        if i == n or i % 50 == 0:
            print(f"\r{i}/{n} tensors", end="", file=sys.stderr, flush=True)

    try:
        out = convert_checkpoint(a.src, a.out, a.weight_dtype, overwrite=a.overwrite, progress=progress)
    except CheckpointError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 2
    print(f"\nwrote {out} ({os.path.getsize(out) / 1e9:.2f} GB) in {time.time() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
