"""Pull the drawing program out of a model's answer.

Handles: ``<think>…</think>`` reasoning (removed; searched only when nothing is left outside it),
fenced blocks labelled python/py/python3/svg/xml/html or unlabelled, several fences (the right
one wins: the SVG document for ``svg``; for ``python`` the longest block that parses, preferring
python-labelled ones), a final fence that was never closed (truncated output), ``~~~`` fences, raw
``<svg>…</svg>`` without fences, code written inline in prose without any fence, CRLF line ends,
and indentation (uniform or on the first line only).

Syntax checks use ``ast.parse`` only: nothing is executed here.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap

PY_LABELS = {"python", "py", "python3", "py3", "matplotlib", "ipython", "pycon", "python2"}
SVG_LABELS = {"svg", "xml", "html", "svg+xml", "image/svg+xml"}

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<label>[^\s`{]*)[^\n`]*$")
_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_SVG_DOC = re.compile(r"(<\?xml[^>]*>\s*)?(<!DOCTYPE svg[^>]*>\s*)?<svg\b.*?(</svg\s*>|\Z)", re.DOTALL | re.IGNORECASE)

_CODE_LINE = re.compile(
    r"""^\s*(
        (import|from)\s+[\w.]+ |
        (def|class)\s+\w+ |
        (for|while|if|elif|with|try|except|finally|return|raise|assert|del|global|pass|break|continue|lambda)\b |
        else\s*: |
        [#@] |
        [\w.\[\]'"]+(\s*,\s*[\w.\[\]'"]+)*\s*(=|\+=|-=|\*=|/=)(?!=) |
        [\w.]+\( |
        [)\]}]
    )""", re.VERBOSE)
_STRONG = re.compile(r"^\s*((import|from)\s+\w|(def|class)\s+\w|[\w.]+\s*=[^=]|plt\.|fig|ax\.|Image\.|draw\.)")


@dataclasses.dataclass
class Extracted:
    code: str
    language: str  # "python" or "svg" (what the code is), "" when nothing was found
    source: str  # "fence", "fence-unclosed", "raw-svg", "prose", "none"
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.code.strip())


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_thinking(text: str) -> tuple[str, str]:
    """(answer without reasoning, the reasoning). Handles closed blocks, an unclosed ``<think>``
    (all after it is reasoning) and a lone ``</think>`` (all before it is reasoning: chat templates
    that open the block in the prompt)."""
    thinking = [m.group(0)[7:-8] for m in _THINK_BLOCK.finditer(text)]
    rest = _THINK_BLOCK.sub("", text)
    low = rest.lower()
    if "</think>" in low:
        i = low.rindex("</think>")
        thinking.insert(0, rest[:i])
        rest = rest[i + len("</think>"):]
        low = rest.lower()
    if "<think>" in low:
        i = low.index("<think>")
        thinking.append(rest[i + len("<think>"):])
        rest = rest[:i]
    return rest, "\n".join(thinking)


def dedent_code(code: str) -> str:
    code = textwrap.dedent(code.strip("\n"))
    lines = code.split("\n")
    # Only the first line indented (copied from the middle of a block): un-indent it.
    if len(lines) > 1 and lines[0][:1] in (" ", "\t") and lines[1][:1] not in (" ", "\t", ""):
        lines[0] = lines[0].lstrip()
    return "\n".join(lines).strip("\n") + "\n"


def parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


@dataclasses.dataclass
class _Block:
    label: str
    body: str
    closed: bool


def find_fences(text: str) -> list[_Block]:
    """Fenced blocks in order; a block still open at the end of the text is returned with
    ``closed=False``. Inner fences of a different length do not close a block."""
    blocks: list[_Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, label, indent = m.group("fence"), m.group("label").lower(), m.group("indent")
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            s = lines[j].strip()
            if s.startswith(fence[0] * len(fence)) and set(s) == {fence[0]} and len(s) >= len(fence):
                closed = True
                break
            ln = lines[j]
            if indent and ln.startswith(indent):
                ln = ln[len(indent):]
            if s.endswith(fence) and not s.endswith(fence[0] * (len(fence) + 1)) and s.count(fence) == 1:
                # the closing fence glued to the last code line: "plt.show()```"
                body.append(ln.rstrip()[: -len(fence)])
                closed = True
                break
            body.append(ln)
            j += 1
        blocks.append(_Block(label, "\n".join(body), closed))
        i = j + 1
    return blocks


def _svg_in(text: str) -> str:
    m = _SVG_DOC.search(text)
    return m.group(0).strip() if m else ""


def _kind(block: _Block) -> str:
    lab = block.label
    if lab in PY_LABELS:
        return "python"
    if lab in SVG_LABELS or (not lab and block.body.lstrip().startswith("<")):
        return "svg" if re.search(r"<svg\b", block.body, re.IGNORECASE) else "other"
    if not lab:
        return "python?"
    return "other"


def _python_from_prose(text: str) -> str:
    """The longest run of code-looking lines that parses, from an answer without fences."""
    lines = text.split("\n")
    runs: list[tuple[int, int]] = []
    start = None
    for k, ln in enumerate(lines + ["<end of text>"]):
        code_like = bool(_CODE_LINE.match(ln)) or (start is not None and (ln.strip() == "" or ln[:1] in (" ", "\t")))
        if code_like and start is None:
            start = k
        elif not code_like and start is not None:
            runs.append((start, k))
            start = None
    best = ""
    for a, b in runs:
        chunk = lines[a:b]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        nonblank = [c for c in chunk if c.strip()]
        if len(nonblank) < 2 or not any(_STRONG.match(c) for c in nonblank):
            continue
        # trim trailing lines until it parses (the run may end in a prose-ish line)
        for end in range(len(chunk), 1, -1):
            cand = dedent_code("\n".join(chunk[:end]))
            if parses(cand):
                if len(cand) > len(best):
                    best = cand
                break
    return best


def extract_code(text: str, language: str = "python") -> Extracted:
    """The program in ``text`` for ``language`` ("python" or "svg")."""
    if language not in ("python", "svg"):
        raise ValueError(f"language must be 'python' or 'svg', got {language!r}")
    text = normalize_newlines(text or "")
    answer, thinking = split_thinking(text)
    found = _extract(answer, language)
    if not found and thinking.strip():
        found = _extract(thinking, language)
        if found:
            found.note = (found.note + " " if found.note else "") + "code found inside <think>"
    return found


def _extract(text: str, language: str) -> Extracted:
    blocks = find_fences(text)
    svg_blocks = [b for b in blocks if _kind(b) == "svg"]
    py_blocks = [b for b in blocks if _kind(b) in ("python", "python?")]

    def pick_svg() -> Extracted | None:
        for b in sorted(svg_blocks, key=lambda b: (b.closed, len(b.body)), reverse=True):
            svg = _svg_in(b.body)
            if svg:
                return Extracted(svg + "\n", "svg", "fence" if b.closed else "fence-unclosed")
        svg = _svg_in(text)
        if svg:
            return Extracted(svg + "\n", "svg", "raw-svg")
        return None

    def pick_python() -> Extracted | None:
        cands = []
        for b in py_blocks:
            code = dedent_code(b.body)
            if not code.strip():
                continue
            ok = parses(code)
            if _kind(b) == "python?" and not (ok and any(_CODE_LINE.match(ln) for ln in code.split("\n"))):
                continue  # an unlabelled block of prose or program output
            cands.append((ok, _kind(b) == "python", b.closed, len(code), code, b))
        if cands:
            ok, _, closed, _, code, b = max(cands, key=lambda c: c[:4])
            note = "" if ok else "the code does not parse"
            return Extracted(code, "python", "fence" if b.closed else "fence-unclosed", note)
        code = _python_from_prose(text)
        if code:
            return Extracted(code, "python", "prose")
        return None

    if language == "svg":
        got = pick_svg() or pick_python()
    else:
        got = pick_python() or pick_svg()
    if got is None:
        return Extracted("", "", "none", "no code found in the model's answer")
    if got.language != language:
        got.note = (got.note + "; " if got.note else "") + f"the model wrote {got.language}, not {language}"
    return got
