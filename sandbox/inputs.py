"""Input files of a job: the user's data, style files and helper modules, placed read-only in the
job's scratch dir (its cwd, on ``sys.path``) under their own names before the code runs (stdlib only).

A request carries them as ``files=[{"name": "sales.csv", "data": "<base64>"}, ...]``. Everything is
checked again here, in the job: names are reduced to a safe base name, sizes and counts are capped,
and a bad entry refuses the job with a message (never a partial set of files).
"""

from __future__ import annotations

import base64
import binascii
import os
import re

MAX_FILES = 32
MAX_TOTAL_BYTES = 2 * 1024 * 1024        # the request header carries them (base64) next to the code
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$")
RESERVED = {"main.py", "_saved_elsewhere"}


class InputError(ValueError):
    pass


def safe_name(name) -> str:
    """``name`` if it is a plain, portable file name (no folder part), else raise InputError."""
    if not isinstance(name, str):
        raise InputError("an input file name is not a string")
    base = name.strip()
    if "/" in base or "\\" in base or not _SAFE.match(base) or base in RESERVED or base.endswith((".", " ")) \
            or ".." in base:
        raise InputError(f"input file name {name[:80]!r} is not allowed (letters, digits, '.', '_', '-', ' ')")
    return base


def decode(files) -> list:
    """``files`` (the request's list) -> [(name, bytes)], validated. Raises InputError."""
    if not files:
        return []
    if not isinstance(files, list) or len(files) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} input files")
    out, seen, total = [], set(), 0
    for f in files:
        if not isinstance(f, dict) or not isinstance(f.get("data"), str):
            raise InputError("bad input file entry")
        name = safe_name(f.get("name"))
        if name.lower() in seen:
            raise InputError(f"input file {name!r} is given twice")
        seen.add(name.lower())
        try:
            data = base64.b64decode(f["data"], validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"input file {name!r} is not valid base64") from None
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"input files are larger than {MAX_TOTAL_BYTES >> 20} MiB in all")
        out.append((name, data))
    return out


def encode(pairs) -> list:
    """[(name, bytes)] -> the request's list (the caller side)."""
    return [{"name": safe_name(n), "data": base64.b64encode(bytes(d)).decode("ascii")} for n, d in pairs]


def place(files, scratch) -> dict:
    """Write the decoded files into ``scratch`` read-only. Returns {realpath: (mtime_ns, size)}."""
    placed = {}
    for name, data in files:
        path = os.path.join(scratch, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        st = os.stat(path)
        placed[os.path.realpath(path)] = (st.st_mtime_ns, st.st_size)
    return placed
