"""CoCo_InputFiles: give drawing code its data (CSV/JSON/TXT, images, .mplstyle, helper .py modules).

Picks files from ComfyUI's input folder and passes them on as one ``COCO_FILES`` value. The sandbox
places them read-only beside the code (its working directory) under their own names, so
``open("sales.csv")``, ``plt.style.use("house.mplstyle")`` and ``import helpers`` work unchanged;
CoCo_CodeGen tells the model what they are. Only the bytes travel: the code still cannot read
anything else of the input folder.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from comfy_api.latest import io

from ..sandbox.inputs import MAX_FILES, MAX_TOTAL_BYTES, InputError, safe_name
from .common import CoCoError

NODE_ID = "CoCo_InputFiles"
ALLOWED_EXTS = (".csv", ".tsv", ".json", ".txt", ".dat", ".mplstyle", ".py", ".png", ".jpg", ".jpeg", ".gif",
                ".bmp", ".webp", ".tif", ".tiff", ".svg")

CocoFiles = io.Custom("COCO_FILES")


@dataclass(frozen=True)
class InputFiles:
    """The value of a COCO_FILES link: ``files`` is a tuple of (name, bytes), names unique."""
    files: tuple = ()

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name, data in self.files:
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()

    def pairs(self) -> list:
        return list(self.files)


def parse_names(names: str) -> list:
    """One file per line (``#`` starts a comment); commas also separate names."""
    out = []
    for line in (names or "").splitlines():
        line = line.split("#", 1)[0]
        out += [n.strip() for n in line.split(",") if n.strip()]
    return out


def read_files(names: str, input_dir: str) -> InputFiles:
    """Read the named files from ``input_dir`` (subfolders allowed; nothing outside it), checked."""
    base = os.path.realpath(input_dir)
    files, seen, total = [], set(), 0
    for rel in parse_names(names):
        path = os.path.realpath(os.path.join(base, rel))
        if not path.startswith(base + os.sep):
            raise CoCoError(NODE_ID, f"'{rel}' is not inside ComfyUI's input folder.",
                            "name a file inside the input folder (e.g. sales.csv or data/sales.csv).")
        if not path.lower().endswith(ALLOWED_EXTS):
            raise CoCoError(NODE_ID, f"'{rel}' is not a supported file type.",
                            "give data or style files: " + " ".join(ALLOWED_EXTS) + ".")
        if not os.path.isfile(path):
            raise CoCoError(NODE_ID, f"'{rel}' was not found in ComfyUI's input folder ({base}).",
                            "copy the file into ComfyUI's input folder (or upload it) and check the name's spelling.")
        try:
            name = safe_name(os.path.basename(path))
        except InputError as e:
            raise CoCoError(NODE_ID, str(e), "rename the file to letters, digits, '.', '_', '-' and spaces.") from e
        if name.lower() in seen:
            raise CoCoError(NODE_ID, f"two files are named '{name}'.",
                            "the code sees every file under its own name: rename one of them.")
        seen.add(name.lower())
        with open(path, "rb") as f:
            data = f.read(MAX_TOTAL_BYTES + 1)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise CoCoError(NODE_ID, f"the files are larger than {MAX_TOTAL_BYTES >> 20} MiB in all (at '{rel}').",
                            "give the code a smaller extract of the data (fewer rows, smaller images).")
        files.append((name, data))
    if len(files) > MAX_FILES:
        raise CoCoError(NODE_ID, f"{len(files)} files; at most {MAX_FILES} can be given.", "name fewer files.")
    return InputFiles(tuple(files))


def merge(a: InputFiles | None, b: InputFiles | None) -> InputFiles:
    files = list(a.files if a else ()) + list(b.files if b else ())
    names = [n.lower() for n, _ in files]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CoCoError(NODE_ID, f"the file name(s) {', '.join(dup)} are given twice.",
                        "remove one of them, or rename a file in the input folder.")
    if sum(len(d) for _, d in files) > MAX_TOTAL_BYTES:
        raise CoCoError(NODE_ID, f"the files are larger than {MAX_TOTAL_BYTES >> 20} MiB in all.",
                        "give the code a smaller extract of the data.")
    return InputFiles(tuple(files))


def input_dir() -> str:
    import folder_paths

    return folder_paths.get_input_directory()


class InputFilesNode(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Input Files",
            category="CoCo/code",
            description=(
                "Files from ComfyUI's input folder for drawing code: data (CSV, TSV, JSON, TXT), images, "
                "matplotlib style files (.mplstyle) and helper .py modules. The code sees them read-only in its "
                "working directory under their own names; CoCo CodeGen describes them to the model."
            ),
            inputs=[
                io.String.Input("names", multiline=True, default="",
                                tooltip="File names in ComfyUI's input folder, one per line (subfolders like "
                                        f"data/sales.csv allowed). Types: {' '.join(ALLOWED_EXTS)}; at most "
                                        f"{MAX_FILES} files and {MAX_TOTAL_BYTES >> 20} MiB in all."),
                CocoFiles.Input("more_files", optional=True,
                                tooltip="Optional: files from another CoCo Input Files node, added to these."),
            ],
            outputs=[CocoFiles.Output("files", display_name="files",
                                      tooltip="The files, for CoCo Sandbox Render, CoCo Code Editor and CoCo CodeGen.")],
        )

    @classmethod
    def fingerprint_inputs(cls, names: str, more_files=None):
        # The cache key is the files' CONTENT: an edited spreadsheet re-renders, a renamed-but-same one not.
        try:
            return read_files(names, input_dir()).digest
        except CoCoError as e:
            return f"error: {e}"

    @classmethod
    def execute(cls, names: str, more_files=None) -> io.NodeOutput:
        files = merge(more_files, read_files(names, input_dir()))
        listing = ", ".join(f"{n} ({len(d)} B)" for n, d in files.files) or "no files"
        return io.NodeOutput(files, ui={"text": [listing]})


NODES = [InputFilesNode]
