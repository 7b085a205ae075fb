"""Generate drawing code, render it, and let the model repair it when it fails.

Round 1 asks for the program. When ``render(code)`` reports a failure (``ok`` false, or no image),
the model gets its failing program back with the error and the user-code part of the traceback,
and is asked for the full corrected program; up to ``max_repairs`` such rounds. Every round is
logged (request summary, code, status, error).

``render`` is any callable ``render(code, language) -> result`` where ``result`` has the sandbox's
``RenderResult`` fields (``ok``, ``images``, ``error``, ``error_type``, ``traceback``,
``error_line``, ``log``); missing fields are tolerated.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Optional

from .backend import GenerationParams, OnToken, ShouldStop
from .extract import Extracted, extract_code, parses
from .prompts import repair_messages

_LIB_PATH = re.compile(r"(site-packages|dist-packages|[/\\]lib[/\\]python\d|<frozen |[/\\]sandbox[/\\])")
_MAX_TB_LINES = 24


@dataclasses.dataclass
class Round:
    index: int  # 1 = first generation, 2.. = repairs
    kind: str  # "generate" or "repair"
    request: str  # summary of what was asked
    answer_chars: int
    code: str
    language: str
    source: str
    status: str  # "ok", "failed", "not rendered"
    error: str = ""


@dataclasses.dataclass
class CodeGenResult:
    code: str
    language: str
    status: str  # "ok" or "failed: <reason>"
    rounds: int  # model calls made (1 + repairs)
    log: str
    raw: str  # the last raw answer
    history: list
    render_result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"



def _is_interrupt(e: BaseException) -> bool:
    try:
        from comfy.model_management import InterruptProcessingException
    except ImportError:  # used outside ComfyUI
        return False
    return isinstance(e, InterruptProcessingException)

def _field(result: Any, name: str, default=None):
    if isinstance(result, dict):
        return result.get(name, default)
    return getattr(result, name, default)


def render_ok(result: Any) -> bool:
    if not _field(result, "ok", False):
        return False
    images = _field(result, "images", None)
    if images is None:
        return True
    try:
        return len(images) > 0
    except TypeError:
        return True


def user_traceback(tb: str) -> list[str]:
    """The traceback lines about the user's code: frames outside libraries (and the sandbox's own
    files), each with its source line, plus the final exception line."""
    if not tb:
        return []
    lines = [ln for ln in tb.replace("\r\n", "\n").split("\n") if ln.strip()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.lstrip().startswith("File "):
            keep = not _LIB_PATH.search(ln)
            if keep:
                out.append(ln.strip())
            # the indented source line(s) that follow the frame header
            j = i + 1
            while j < len(lines) and lines[j].startswith("    ") and not lines[j].lstrip().startswith("File "):
                if keep:
                    out.append("    " + lines[j].strip())
                j += 1
            i = j
            continue
        i += 1
    tail = lines[-1].strip() if lines else ""
    if tail and not tail.startswith("File ") and tail not in out:
        out.append(tail)
    return out[-_MAX_TB_LINES:]


def error_report(result: Any, code: str) -> str:
    """A short report for the model: error type and message, the failing line of its code, and the
    user-code traceback."""
    etype = str(_field(result, "error_type", "") or "").strip()
    err = str(_field(result, "error", "") or "").strip()
    line = _field(result, "error_line", None)
    parts = []
    if etype or err:
        parts.append(f"{etype}: {err}" if etype and err else (etype or err))
    elif _field(result, "ok", False):
        parts.append("The program ran but saved no image into output_dir.")
    else:
        parts.append("The program failed.")
    try:
        n = int(line) if line is not None else 0
    except (TypeError, ValueError):
        n = 0
    src = code.split("\n")
    if 0 < n <= len(src):
        parts.append(f"Failing line {n}: {src[n - 1].strip()}")
    tb = user_traceback(str(_field(result, "traceback", "") or ""))
    if tb:
        parts.append("Traceback (your code):\n" + "\n".join(tb))
    elif not (etype or err):
        log = str(_field(result, "log", "") or "").strip()
        if log:
            parts.append("Output:\n" + "\n".join(log.split("\n")[-10:]))
    return "\n".join(parts)


def _summary(text: str, n: int = 160) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def _format_round(r: Round) -> str:
    head = f"=== round {r.index} ({r.kind}) ==="
    lines = [head, f"asked: {r.request}",
             f"answer: {r.answer_chars} chars; code: {len(r.code.splitlines())} lines of {r.language or 'nothing'}"
             f" (from {r.source})",
             f"status: {r.status}" + (f": {r.error}" if r.error else "")]
    if r.code:
        lines += ["--- code ---", r.code.rstrip(), "--- end ---"]
    return "\n".join(lines)


def generate_code(backend, messages: list, params: GenerationParams, language: str,
                  render: Optional[Callable[[str, str], Any]] = None, max_repairs: int = 0,
                  on_token: OnToken = None, should_stop: ShouldStop = None,
                  on_round: Optional[Callable[[int, str], None]] = None) -> CodeGenResult:
    """Ask ``backend`` for code; with ``render`` and ``max_repairs`` > 0, render it and repair it.

    ``on_round(index, kind)`` is called before each model call (the node uses it to restart its
    progress bar and to separate the streamed text of the rounds).
    """
    history: list[Round] = []
    base = list(messages)
    ask = base
    request = _summary(base[-1]["content"]) if base else ""
    kind = "generate"
    last_raw, last_ex, last_result = "", Extracted("", "", "none"), None
    status = "failed: no rounds"
    check = render is not None and max_repairs > 0
    for index in range(1, max_repairs + 2):
        if on_round is not None:
            on_round(index, kind)
        raw = backend.generate(ask, params, on_token=on_token, should_stop=should_stop)
        ex = extract_code(raw, language)
        last_raw, last_ex = raw, ex
        rnd = Round(index, kind, request, len(raw), ex.code, ex.language, ex.source, "")
        history.append(rnd)
        if not ex:
            rnd.status, rnd.error = "failed", ex.note or "no code in the answer"
            report = ("Your answer contained no program. Answer with the complete program in one "
                      f"```{language} block.")
        elif not check:
            if ex.language == "python" and not parses(ex.code):
                rnd.status, rnd.error = "failed", "the code does not parse (syntax error)"
            else:
                rnd.status = "not rendered"
            break
        else:
            try:
                result = render(ex.code, ex.language)
            except Exception as e:  # the sandbox itself failed: cannot check, stop repairing
                if _is_interrupt(e):
                    raise  # ComfyUI's Cancel (an Exception on 0.3.x cores) must end the node
                rnd.status, rnd.error = "failed", f"could not render to check the code: {type(e).__name__}: {e}"
                break
            last_result = result
            if render_ok(result):
                rnd.status = "ok"
                break
            report = error_report(result, ex.code)
            rnd.status, rnd.error = "failed", _summary(report.split("\n", 1)[0], 300)
        if index > max_repairs:
            break
        # next round: the failing program back with the error
        if ex:
            ask = repair_messages(base, ex.code, report, language)
        else:
            ask = [*base, {"role": "assistant", "content": raw[-2000:]}, {"role": "user", "content": report}]
        request = _summary(f"repair: {rnd.error}")
        kind = "repair"

    final = history[-1]
    if final.status in ("ok", "not rendered"):
        status = "ok"
    else:
        status = f"failed: {final.error or 'unknown error'}"
    log_lines = [_format_round(r) for r in history]
    if last_ex and last_ex.note:
        log_lines.append(f"note: {last_ex.note}")
    log_lines.append(f"=== result: {status} after {len(history)} round(s) ===")
    # the last round that produced any code (a final answer without code keeps the previous code)
    with_code = [r for r in history if r.code]
    code = with_code[-1].code if with_code else ""
    code_lang = with_code[-1].language if with_code else language
    return CodeGenResult(code=code, language=code_lang, status=status,
                         rounds=len(history), log="\n\n".join(log_lines), raw=last_raw, history=history,
                         render_result=last_result)
