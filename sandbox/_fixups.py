"""Language detection and CoCo's text fix-ups of model code (line numbers never change)."""

from __future__ import annotations

import re
import textwrap


def detect_language(code: str) -> str:
    s = code.lstrip("\ufeff \t\r\n")
    s = re.sub(r"^```[a-zA-Z]*\s*\n", "", s)
    head = s[:512].lower()
    if head.startswith("<?xml") or head.startswith("<svg") or head.startswith("<!doctype svg") \
            or (head.startswith("<!--") and "<svg" in s.lower()):
        return "svg"
    if head.startswith("<!doctype") and "<svg" in s.lower():
        return "svg"
    return "python"


def strip_fences(code: str) -> str:
    """Blank out markdown fence lines (line numbers are kept)."""
    lines = code.split("\n")
    fence = [i for i, ln in enumerate(lines) if re.match(r"^\s*```", ln)]
    if fence:
        for i in fence:
            lines[i] = ""
        if len(fence) >= 2 and fence[0] > 0 and any(lines[j].strip() for j in range(fence[0])):
            # prose before the first fence: keep only the fenced block (blank the rest)
            for j in range(fence[0]):
                lines[j] = ""
            for j in range(fence[1] + 1, len(lines)):
                lines[j] = ""
    return "\n".join(lines)


BAD_COLOURS = {"brick": "firebrick", "mintgreen": "#98ff98", "darkpink": "#e75480", "lightolive": "#b8b35a",
               "darkolive": "darkolivegreen", "darkviolet2": "darkviolet", "lightred": "#ff7f7f",
               "darkyellow": "#9b870c", "lightpurple": "#cbc3e3", "darkgrey2": "dimgray", "skyblue2": "skyblue",
               "lightorange": "#ffd580", "darkteal": "#014d4e", "lightbrown": "#c4a484", "navyblue": "navy",
               "mint": "#98ff98", "gold2": "gold", "lightnavy": "#4a6d8c"}


def fix_code(code: str) -> str:
    """CoCo's text fix-ups; the number of lines never changes, so line numbers stay the user's."""
    code = code.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    code = strip_fences(code)
    lines = code.split("\n")
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if nonblank:
        first = nonblank[0]
        rest = [lines[i] for i in nonblank[1:]]
        # first line indented while the rest starts at column 0: a copy/paste artefact
        if lines[first][:1] in (" ", "\t") and rest and any(not r[:1].isspace() for r in rest):
            lines[first] = lines[first].lstrip()
        code = textwrap.dedent("\n".join(lines))
    # stem(..., baseline=...) was removed from matplotlib; also handled at runtime
    return _blank_magics(code)


_MAGIC = re.compile(r"^(?:%%?[A-Za-z_]|![A-Za-z])")


def _blank_magics(code: str) -> str:
    """Notebook code: IPython magics and shell lines (``%matplotlib inline``, ``!pip install x``)
    are blanked, only when they are what keeps the code from compiling."""
    lines = code.split("\n")
    hits = [i for i, ln in enumerate(lines) if _MAGIC.match(ln)]
    if not hits:
        return code
    try:
        compile(code, "<coco>", "exec", dont_inherit=True)
        return code
    except SyntaxError:
        pass
    for i in hits:
        lines[i] = ""
    return "\n".join(lines)

