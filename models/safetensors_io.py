"""Reading safetensors files, one home for both loaders (``bagel/loader.py``, ``llm/loader.py``),
and refusing pickles.

Reading does not use ``safetensors.safe_open``: the header is parsed and validated here (length,
JSON, dtypes, offsets) **before anything is allocated**, and each tensor is read with ``readinto``
straight into its final tensor, in the target dtype; a dtype change (bf16 -> fp8, saturating at
+-448) goes through a bounded scratch buffer of at most ``CHUNK_BYTES``. With mmap every touched
page of the source would stay mapped, and be counted in RSS, until the file is closed.

Pickle checkpoints (``PICKLE_EXTS``) are never unpickled: :func:`refuse_pickle` says why and what to
use instead. Errors are :class:`..errors.FixableError` subclasses chosen by the caller (``error=``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Iterator

import torch

from .errors import FixableError

PICKLE_EXTS = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
FP8_MAX = 448.0

# safetensors dtype tags the loaders read, and their torch dtypes.
ST_DTYPES = {
    "BF16": torch.bfloat16,
    "F16": torch.float16,
    "F32": torch.float32,
    "F8_E4M3": torch.float8_e4m3fn,
}
TORCH_TO_ST = {v: k for k, v in ST_DTYPES.items()}
KNOWN_ST_DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
                   "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
MAX_HEADER_BYTES = 100_000_000  # the limit of the safetensors reference implementation
CHUNK_BYTES = 64 << 20


class WeightsFileError(FixableError):
    """A weights file problem (truncated, corrupt, not safetensors); ``where`` is the file."""


def refuse_pickle(path: str, error, fix: str) -> None:
    """Raise ``error``: ``path`` is a pickle file, which is never unpickled (``fix``: what to use)."""
    raise error(path, "the weights are a pickle file (.bin/.pt/.pth/.ckpt). ComfyUI-CoCo never unpickles files: "
                      "unpickling runs arbitrary code.", fix)


def read_json(path: str, what: str, error, hint: str | None = None) -> dict:
    """A JSON object from ``path`` (``what`` names it in errors), or ``error(path, problem, hint)``."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise error(path, f"cannot read the {what}: {e}.", hint) from e
    except ValueError as e:
        raise error(path, f"the {what} is not valid JSON ({e}).", hint) from e
    if not isinstance(data, dict):
        raise error(path, f"the {what} is not a JSON object.", hint)
    return data



@dataclass
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute file offset
    end: int

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass
class Header:
    path: str
    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    data_start: int
    file_size: int


def read_header(path: str, error=None) -> Header:
    """Parse and check a safetensors header without reading any tensor data; problems raise
    ``error`` (the caller's :class:`FixableError` subclass, default :class:`WeightsFileError`)."""
    CheckpointError = error or WeightsFileError
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(path, f"the file is {size} bytes long, too short for a safetensors file "
                                            "(truncated or not a safetensors file).", "download it again.")
            n = int.from_bytes(head, "little")
            if n > size - 8:
                raise CheckpointError(
                    path, f"the safetensors header claims {n} bytes but the file has only {size - 8} after the "
                          "length field: the file is truncated or corrupt (an interrupted download?).",
                    "download it again and compare its size with the one on the model page.")
            if n > MAX_HEADER_BYTES:
                raise CheckpointError(path, f"the safetensors header is {n} bytes (limit {MAX_HEADER_BYTES}); "
                                            "the file is corrupt or not a safetensors file.", "download it again.")
            raw = f.read(n)
    except OSError as e:
        raise CheckpointError(path, f"cannot read the file: {e}.") from e
    try:
        obj = json.loads(raw.decode("utf-8"))
        if not isinstance(obj, dict):
            raise ValueError("the header is not a JSON object")
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(path, f"the safetensors header is not valid JSON ({e}): the file is corrupt or not "
                                    "a safetensors file.", "download it again.") from e
    metadata = obj.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(path, "the safetensors __metadata__ is not a JSON object (corrupt header).")
    data_start = 8 + n
    data_len = size - data_start
    tensors: dict[str, TensorInfo] = {}
    for key, spec in obj.items():
        try:
            dtype, shape, (a, b) = spec["dtype"], tuple(int(s) for s in spec["shape"]), spec["data_offsets"]
            a, b = int(a), int(b)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(path, f"tensor {key!r} has a malformed header entry {spec!r}: corrupt file.") from e
        if dtype not in KNOWN_ST_DTYPES:
            raise CheckpointError(path, f"tensor {key!r} has the unknown dtype {dtype!r}: corrupt file.")
        info = TensorInfo(dtype, shape, data_start + a, data_start + b)
        if not (0 <= a <= b <= data_len):
            raise CheckpointError(
                path, f"tensor {key!r} lies at bytes {a}..{b} of the data section, which has only {data_len} bytes: "
                      "the file is truncated (an interrupted download or copy?).",
                "download it again and compare its size with the one on the model page.")
        if b - a != info.numel * KNOWN_ST_DTYPES[dtype]:
            raise CheckpointError(path, f"tensor {key!r} ({dtype}, shape {list(shape)}) should take "
                                        f"{info.numel * KNOWN_ST_DTYPES[dtype]} bytes but its offsets span {b - a}: "
                                        "corrupt header.", "download it again.")
        tensors[key] = info
    return Header(path, tensors, {str(k): str(v) for k, v in metadata.items()}, data_start, size)


def cast(src: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``src`` in ``dtype``; fp8 saturates at +-448 (torch's cast to e4m3fn would give NaN)."""
    if src.dtype == dtype:
        return src
    out = torch.empty(src.shape, dtype=dtype)
    convert_into(out, src.clone())
    return out


def convert_into(dst: torch.Tensor, scratch: torch.Tensor) -> None:
    """Write ``scratch`` (modified in place) into ``dst`` in ``dst``'s dtype. ``copy_`` converts
    several times faster than ``.to()`` on CPU and needs no temporary."""
    if dst.dtype == torch.float8_e4m3fn and scratch.dtype != torch.float8_e4m3fn:
        scratch.clamp_(-FP8_MAX, FP8_MAX)
    dst.copy_(scratch)


class TensorReader:
    """Reads tensors of one validated safetensors file with plain file reads (no mmap)."""

    def __init__(self, header: Header, error=None):
        self.header = header
        self.error = error or WeightsFileError
        self.f = open(header.path, "rb", buffering=0)

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _readinto(self, offset: int, t: torch.Tensor) -> None:
        mv = memoryview(t.view(-1).view(torch.uint8).numpy()).cast("B")
        self.f.seek(offset)
        got = 0
        while got < len(mv):
            k = self.f.readinto(mv[got:])
            if not k:
                raise self.error(self.header.path, f"unexpected end of file at byte {offset + got}: the file "
                                                    "was truncated while loading.", "download it again.")
            got += k

    def chunks(self, key: str, dtype: torch.dtype, chunk_bytes: int = CHUNK_BYTES) -> Iterator[torch.Tensor]:
        """The tensor ``key`` as consecutive flat pieces in ``dtype`` (bounded scratch memory)."""
        info = self.header.tensors[key]
        src_dtype = ST_DTYPES[info.dtype]
        itemsize = KNOWN_ST_DTYPES[info.dtype]
        per = max(1, chunk_bytes // itemsize)
        scratch = None
        done = 0
        while done < info.numel:
            n = min(per, info.numel - done)
            if src_dtype == dtype:
                piece = torch.empty(n, dtype=dtype)
                self._readinto(info.start + done * itemsize, piece)
            else:
                if scratch is None:
                    scratch = torch.empty(min(per, info.numel), dtype=src_dtype)
                self._readinto(info.start + done * itemsize, scratch[:n])
                piece = torch.empty(n, dtype=dtype)
                convert_into(piece, scratch[:n])
            yield piece
            done += n

    def read(self, key: str, dtype: torch.dtype, chunk_bytes: int = CHUNK_BYTES) -> torch.Tensor:
        """The tensor ``key`` as a new CPU tensor in ``dtype``; at most one chunk of scratch memory."""
        info = self.header.tensors[key]
        src_dtype = ST_DTYPES[info.dtype]
        out = torch.empty(info.shape, dtype=dtype)
        if info.numel == 0:
            return out
        if src_dtype == dtype:
            self._readinto(info.start, out)
            return out
        itemsize = KNOWN_ST_DTYPES[info.dtype]
        per = max(1, chunk_bytes // itemsize)
        scratch = torch.empty(min(per, info.numel), dtype=src_dtype)
        flat = out.view(-1)
        for done in range(0, info.numel, per):
            n = min(per, info.numel - done)
            self._readinto(info.start + done * itemsize, scratch[:n])
            convert_into(flat[done:done + n], scratch[:n])
        return out
