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
from .prompts import correction_messages, repair_messages

# ``inspect(code, language, render_result) -> Inspection``: the draft checked against the request.
@dataclasses.dataclass
class Inspection:
    passed: bool
    score: float  # 0..1
    critique: str  # short actionable findings, sent back to the model
    report: Optional[dict] = None


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
    # set when the draft rendered and was inspected (the correction loop)
    score: Optional[float] = None
    passed: Optional[bool] = None
    critique: str = ""
    report: Optional[dict] = None
    result: Any = dataclasses.field(default=None, repr=False)  # this round's render result


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
    best_round: int = 0  # the round whose code is returned (the best-scoring one when inspected)

    @property
    def trajectory(self) -> list:
        """Every round whose draft rendered, in order (their ``result`` holds the images)."""
        return [r for r in self.history if r.result is not None and render_ok(r.result)]

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
    # the sandbox protocol reports a run that drew nothing as ok=False, error_type "NoOutput"
    return bool(_field(result, "ok", False))


_FRAME = re.compile(r'^\s*(?:File "(?P<file>[^"]*)", )?line (?P<line>\d+)(?:, in (?P<func>.+))?\s*$')


def user_traceback(tb: str) -> list[str]:
    """The traceback lines about the user's code, each frame with its source line, plus the
    exception line.

    Reads the sandbox's own format (``RenderResult.traceback``: a ``Traceback (your code):`` header,
    frames ``  line N, in f`` already limited to the user's program, each followed by its source
    line, then ``Type: message``; syntax errors are ``SyntaxError: msg (line N)`` plus the source
    line) and CPython's ``File "...", line N, in f`` frames, of which library and sandbox files
    are dropped."""
    if not tb:
        return []
    lines = [ln.rstrip() for ln in tb.replace("\r\n", "\n").split("\n") if ln.strip()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = _FRAME.match(ln)
        if m and ln.startswith(" "):
            path = m.group("file")
            keep = path is None or not _LIB_PATH.search(ln)
            if keep:
                out.append(ln.strip())
            j = i + 1  # the indented source line(s) that follow the frame header
            while j < len(lines) and lines[j].startswith("    ") and not _FRAME.match(lines[j]):
                if keep:
                    out.append("    " + lines[j].strip())
                j += 1
            i = j
            continue
        stripped = ln.strip()
        if not ln.startswith(" ") and not stripped.startswith("Traceback ("):
            out.append(stripped)  # the exception line (and chained-exception notes)
        elif ln.startswith("    ") and out and not out[-1].startswith("    ") and not _FRAME.match(out[-1]):
            out.append("    " + stripped)  # a syntax error's source line
        i += 1
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
    if r.score is not None:
        lines.append(f"inspection: {'passed' if r.passed else 'failed'}, score {r.score:.3f}")
        if r.critique:
            lines.append("findings:\n" + "\n".join("  " + ln for ln in r.critique.splitlines()))
    if r.code:
        lines += ["--- code ---", r.code.rstrip(), "--- end ---"]
    return "\n".join(lines)


def generate_code(backend, messages: list, params: GenerationParams, language: str,
                  render: Optional[Callable[[str, str], Any]] = None, max_repairs: int = 0,
                  on_token: OnToken = None, should_stop: ShouldStop = None,
                  on_round: Optional[Callable[[int, str], None]] = None,
                  inspect: Optional[Callable[[str, str, Any], Inspection]] = None,
                  max_corrections: int = 0) -> CodeGenResult:
    """Ask ``backend`` for code; with ``render`` and ``max_repairs`` > 0, render it and repair it.

    With ``render`` and ``inspect``, every draft that renders is inspected; while it fails and
    ``max_corrections`` allows, the findings go back to the model with the code for a corrected
    program. The loop stops early when a draft passes; the best-scoring inspected round is returned
    (its code and render result), the later one on a tie.

    ``on_round(index, kind)`` is called before each model call (the node uses it to restart its
    progress bar and to separate the streamed text of the rounds); kind is "generate", "repair"
    (the code failed to render) or "correct" (it rendered but the inspection failed).
    """
    history: list[Round] = []
    base = list(messages)
    ask = base
    request = _summary(base[-1]["content"]) if base else ""
    kind = "generate"
    last_raw, last_ex, last_result = "", Extracted("", "", "none"), None
    status = "failed: no rounds"
    check = render is not None and (max_repairs > 0 or inspect is not None)
    inspecting = render is not None and inspect is not None
    repairs = corrections = 0
    max_corrections = max(0, int(max_corrections)) if inspecting else 0
    while True:
        index = len(history) + 1
        if on_round is not None:
            on_round(index, kind)
        raw = backend.generate(ask, params, on_token=on_token, should_stop=should_stop)
        ex = extract_code(raw, language)
        last_raw, last_ex = raw, ex
        rnd = Round(index, kind, request, len(raw), ex.code, ex.language, ex.source, "")
        history.append(rnd)
        nxt = "repair"
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
                rnd.status, rnd.result = "ok", result
                if not inspecting:
                    break
                verdict = inspect(ex.code, ex.language, result)
                rnd.score, rnd.passed = float(verdict.score), bool(verdict.passed)
                rnd.critique, rnd.report = verdict.critique, verdict.report
                if verdict.passed or corrections >= max_corrections:
                    break
                report, nxt = verdict.critique, "correct"
            else:
                report = error_report(result, ex.code)
                rnd.status, rnd.error = "failed", _summary(report.split("\n", 1)[0], 300)
        if nxt == "repair":
            if repairs >= max_repairs:
                break
            repairs += 1
        else:
            corrections += 1
        # next round: the program back with the error or the inspection's findings
        if nxt == "correct":
            ask = correction_messages(base, ex.code, report, language, score=rnd.score)
            request = _summary(f"correct: {report}")
        elif ex:
            ask = repair_messages(base, ex.code, report, language)
            request = _summary(f"repair: {rnd.error}")
        else:
            ask = [*base, {"role": "assistant", "content": raw[-2000:]}, {"role": "user", "content": report}]
            request = _summary(f"repair: {rnd.error}")
        kind = nxt

    inspected = [r for r in history if r.score is not None]
    best = max(inspected, key=lambda r: (r.score, r.index)) if inspected else None
    final = history[-1]
    if best is not None:
        status = "ok" if best.passed else f"failed inspection: best score {best.score:.3f} (round {best.index})"
        if best is not final:
            last_result = best.result
    elif final.status in ("ok", "not rendered"):
        status = "ok"
    else:
        status = f"failed: {final.error or 'unknown error'}"
    log_lines = [_format_round(r) for r in history]
    if last_ex and last_ex.note:
        log_lines.append(f"note: {last_ex.note}")
    if best is not None:
        log_lines.append(f"=== kept round {best.index} (score {best.score:.3f}) ===")
    log_lines.append(f"=== result: {status} after {len(history)} round(s) ===")
    if best is not None:
        chosen = best
    else:  # the last round that produced any code (a final answer without code keeps the previous code)
        with_code = [r for r in history if r.code]
        chosen = with_code[-1] if with_code else None
    code = chosen.code if chosen else ""
    code_lang = chosen.language if chosen else language
    return CodeGenResult(code=code, language=code_lang, status=status,
                         rounds=len(history), log="\n\n".join(log_lines), raw=last_raw, history=history,
                         render_result=last_result, best_round=chosen.index if chosen else 0)
