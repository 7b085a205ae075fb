"""CoCo_CodeGen (prompt -> drawing code, with render-and-repair) and CoCo_OpenAIBackend (an
OpenAI-compatible server as a COCO_LLM).

The model-agnostic logic lives in ``codegen/`` (prompts, extraction, repair, the local
decoding loop) and ``codegen/backends/`` (the OpenAI-compatible backend); this module only adapts it to ComfyUI:
progress bar per token, streamed text on the node (``progress_text``), Cancel between tokens.
"""

from __future__ import annotations

import logging
import time

from comfy_api.latest import io

from ..codegen.prompts import DEFAULT_SYSTEM_PROMPT, LANGUAGES
from ..models.interrupt import check_interrupt
from .common import CoCoError, render_with_cancel
from .io_types import COCO_INSPECT, COCO_LLM, COCO_MODEL
from .input_files import CocoFiles

log = logging.getLogger("ComfyUI-CoCo")

NODE_ID = "CoCo_CodeGen"
BACKEND_NODE_ID = "CoCo_OpenAIBackend"

# the pack's socket types (what each carries: nodes/io_types.py)
CocoLLM, CocoModel, CocoInspect = COCO_LLM, COCO_MODEL, COCO_INSPECT

SEED_MAX = 0xFFFFFFFFFFFFFFFF
_TEXT_INTERVAL_S = 0.15  # at most ~7 progress_text frames a second
_TEXT_TAIL = 6000  # characters of streamed text shown on the node


def resolve_backend(llm, coco_model):
    """The backend object for the connected input (exactly one of them)."""
    from ..codegen.backend import BackendError
    from ..codegen.native import local_backend

    if llm is not None and coco_model is not None:
        raise CoCoError(NODE_ID, "both 'llm' and 'coco_model' are connected.",
                        "connect only one: 'coco_model' for the CoCo model, or 'llm' for another model or server.")
    if llm is None and coco_model is None:
        raise CoCoError(NODE_ID, "no model is connected.",
                        "connect a CoCo model (CoCo_ModelLoader) to 'coco_model', or a COCO_LLM "
                        "(e.g. CoCo_OpenAIBackend) to 'llm'.")
    try:
        if llm is not None:
            if callable(getattr(llm, "generate", None)) and hasattr(llm, "prompt_style"):
                return llm  # a ready backend (CoCo_OpenAIBackend)
            backend = local_backend(llm, name=type(llm).__name__)
            if backend is not None:
                return backend  # a local model (CoCo_LLMLoader), decoded here
            raise CoCoError(NODE_ID, f"the 'llm' input ({type(llm).__name__}) cannot generate text.",
                            "connect CoCo_OpenAIBackend or a local LLM loader's output.")
        backend = local_backend(coco_model, name="CoCo model", prompt_style="coco")
        if backend is None:
            raise CoCoError(NODE_ID, "this COCO_MODEL cannot write code (no text decoding interface).",
                            "update ComfyUI-CoCo, or use 'llm' with CoCo_OpenAIBackend meanwhile.")
        return backend
    except BackendError as e:
        raise CoCoError(NODE_ID, str(e)) from None


class _Streamer:
    """Per-token progress and streamed text for one node."""

    def __init__(self, node_id, total: int):
        import comfy.utils

        self.node_id = node_id
        self.total = max(1, int(total))
        self.bar = comfy.utils.ProgressBar(self.total, node_id=node_id)
        self.count = 0
        self.text = ""
        self.header = ""
        self._last_sent = 0.0
        self._dirty = False
        self._server = None
        try:
            from server import PromptServer

            inst = getattr(PromptServer, "instance", None)
            if inst is not None and hasattr(inst, "send_progress_text") and node_id is not None:
                self._server = inst
        except Exception:  # not running inside the server (scripts, tests)
            self._server = None

    def new_round(self, index: int, kind: str) -> None:
        self.count = 0
        self.text = ""
        self.header = "" if index == 1 else f"[round {index}: {kind}]\n"
        self.bar.update_absolute(0, self.total)
        self._send(force=True)

    def on_token(self, piece: str) -> None:
        self.count += 1
        self.text += piece
        self.bar.update_absolute(min(self.count, self.total), self.total)
        self._dirty = True
        self._send()

    def status(self, line: str) -> None:
        self.text += f"\n{line}\n"
        self._dirty = True
        self._send(force=True)

    def _send(self, force: bool = False) -> None:
        if self._server is None or not (self._dirty or force):
            return
        now = time.monotonic()
        if not force and now - self._last_sent < _TEXT_INTERVAL_S:
            return
        self._last_sent, self._dirty = now, False
        shown = self.text[-_TEXT_TAIL:]
        try:
            self._server.send_progress_text(self.header + shown, self.node_id,
                                            getattr(self._server, "client_id", None))
        except Exception as e:  # the UI text is a nicety; never fail the node for it
            log.debug("ComfyUI-CoCo: progress_text failed: %s", e)
            self._server = None

    def flush(self) -> None:
        self._send(force=True)


def generated_locally(backend) -> bool:
    """Whether code from this backend counts as generated on this machine: a local model, or a
    server on loopback. Code from a remote server (whose address may come from a shared workflow)
    is foreign, like code pasted into a workflow."""
    base_url = getattr(backend, "base_url", None)
    if base_url is None:
        return True
    from ..codegen.backends.openai_keys import is_loopback

    return is_loopback(base_url)


def _sandbox_render(local_source: bool, files=None):
    """``(render(code, language), "")`` through the sandbox pool, or ``(None, reason)``. ``files``:
    the user's input files (COCO_FILES), given to every render."""
    from . import approval

    try:
        from ..sandbox import get_pool

        approval.isolation()
    except Exception as e:  # the sandbox is optional for code generation
        return None, f"sandbox unavailable ({type(e).__name__}: {e}); the code was not rendered or repaired"
    refusal = approval.remote_code_refusal(local_source)
    if refusal:
        return None, refusal

    def render(code: str, language: str):
        if local_source:
            approval.mark_generated(code)  # generated here: the sandbox may run it without an approval
        return render_with_cancel(get_pool(), code, files, language=language)

    return render, ""


def _mark_generated(result) -> None:
    """Remember the code written here as locally generated (CoCo_SandboxRender runs it without an
    approval; code arriving in a shared workflow, or from a remote server, still needs one)."""
    try:
        from . import approval
    except Exception as e:
        log.debug("ComfyUI-CoCo: approval module unavailable: %s", e)
        return
    for r in result.history:
        if r.code:
            approval.mark_generated(r.code)


class CodeGen(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=NODE_ID,
            display_name="CoCo Code Gen",
            category="CoCo/code",
            description=(
                "Code as chain of thought: the model writes a program (Python matplotlib/PIL or SVG) that "
                "draws the prompt as a draft. With max_repairs > 0 the code is rendered in the sandbox and, "
                "when it fails, sent back to the model with the error to fix. With 'inspect' connected, every "
                "draft that renders is inspected and the findings go back to the model for corrected code "
                "(up to max_rounds; it stops when a draft passes and keeps the best-scoring round). Text "
                "streams onto the node."
            ),
            inputs=[
                CocoModel.Input("coco_model", optional=True,
                                tooltip="The CoCo model (CoCo_ModelLoader). Connect this or 'llm', not both."),
                CocoLLM.Input("llm", optional=True,
                              tooltip="Another code writer: CoCo_OpenAIBackend (Ollama, LM Studio, vLLM, "
                                      "OpenAI...) or a local LLM loader. Connect this or 'coco_model'."),
                io.String.Input("prompt", multiline=True, default="", dynamic_prompts=False,
                                tooltip="What to draw. Quote every text that must appear; it is reproduced exactly. Where "
                                        "the sandbox does not isolate files and network, a prompt that came with a "
                                        "workflow (not typed here) is approved on this node first."),
                io.Combo.Input("language", options=list(LANGUAGES), default="python",
                               tooltip="python: a matplotlib/PIL program that saves into output_dir. "
                                       "svg: one SVG document."),
                io.String.Input("system_prompt", multiline=True, default=DEFAULT_SYSTEM_PROMPT, dynamic_prompts=False,
                                tooltip="Instructions for the code writer (canvas, exact text, layout comments, "
                                        "output_dir). For the CoCo model it is sent as a bare segment; clear it "
                                        "to send the prompt alone."),
                io.Int.Input("seed", default=0, min=0, max=SEED_MAX, control_after_generate=True,
                             tooltip="Sampling seed: the same seed and inputs give the same code. Unused when "
                                     "temperature is 0 (greedy). Servers may treat it as best effort."),
                io.Float.Input("temperature", default=0.0, min=0.0, max=2.0, step=0.05,
                               tooltip="0 = greedy (deterministic, recommended for code); higher = more varied."),
                io.Float.Input("top_p", default=1.0, min=0.01, max=1.0, step=0.01,
                               tooltip="Nucleus sampling: keep the most likely tokens covering this probability "
                                       "(1 = off). Only with temperature > 0."),
                io.Int.Input("top_k", default=0, min=0, max=1000,
                             tooltip="Keep only the k most likely tokens (0 = off). Local models only; "
                                     "OpenAI-compatible servers do not receive it."),
                io.Int.Input("max_new_tokens", default=2048, min=16, max=16384, step=16,
                             tooltip="Upper limit on the tokens written per round (the code is cut there)."),
                io.Boolean.Input("think", default=False,
                                 tooltip="Let the model reason in <think>…</think> before the code (CoCo: BAGEL's "
                                         "think system prompt). The reasoning is kept in 'log', not in 'code'."),
                io.Int.Input("max_repairs", default=2, min=0, max=10,
                             tooltip="Render the code in the sandbox and, if it fails, ask the model to fix it, up "
                                     "to this many times. 0 = no rendering here, return the first code."),
                CocoFiles.Input("files", optional=True,
                                tooltip="Optional data/style/helper files (CoCo Input Files): the prompt tells the "
                                        "model their names, sizes and first lines, and the repair renders see them."),
                CocoInspect.Input("inspect", optional=True,
                                  tooltip="Optional CoCo_InspectSettings: render each draft, check it against the "
                                          "prompt (and spec), and send the findings back for corrected code, up to "
                                          "its max_rounds. Needs the sandbox."),
            ],
            outputs=[
                io.String.Output("code", display_name="code",
                                 tooltip="The drawing program: the last version, or with 'inspect' the "
                                         "best-scoring round's."),
                io.String.Output("status", display_name="status",
                                 tooltip="'ok', or 'failed: <reason>' when no working code came out."),
                io.Int.Output("rounds", display_name="rounds", tooltip="Model calls made: 1 + repairs used."),
                io.String.Output("log", display_name="log",
                                 tooltip="Every round: what was asked, the code, the render status and error."),
                io.Image.Output("trajectory", display_name="trajectory",
                                tooltip="Every rendered round's draft, in order (one white image when nothing "
                                        "rendered). Smaller drafts sit top-left on white."),
                io.String.Output("inspection", display_name="inspection",
                                 tooltip="JSON: per round its kind, status, score, passed, findings; the kept round."),
            ],
            hidden=[io.Hidden.unique_id],
        )

    @classmethod
    def execute(cls, prompt: str, language: str, system_prompt: str, seed: int, temperature: float,
                top_p: float, top_k: int, max_new_tokens: int, think: bool, max_repairs: int,
                coco_model=None, llm=None, files=None, inspect=None) -> io.NodeOutput:
        from ..codegen.backend import BackendError, GenerationParams, GenerationStopped
        from ..codegen.prompts import build_messages, describe_files
        from ..codegen.repair import generate_code

        if not prompt or not prompt.strip():
            raise CoCoError(NODE_ID, "the prompt is empty.", "describe what to draw in 'prompt'.")
        backend = resolve_backend(llm, coco_model)
        node_id = cls.hidden.unique_id if cls.hidden is not None else None
        from . import approval

        # Texts from a loaded workflow or another node, on a sandbox without file/network isolation:
        # no code is written from them until the user approved them (issue 17; approval.py).
        # The input files reach the model as the text describe_files() makes of them: that text is gated.
        files_text = describe_files(files.pairs()) if files is not None and files.files else ""
        approval.require_inputs(NODE_ID, node_id, {"prompt": prompt, "system_prompt": system_prompt,
                                                   **({"files": files_text} if files_text else {})})
        user_prompt = prompt  # what the draft is inspected against (without the files description)
        if files_text:
            prompt = prompt.rstrip() + "\n\n" + files_text
        messages = build_messages(prompt, language, system_prompt, backend.prompt_style, think)
        params = GenerationParams(seed=seed, temperature=temperature, top_p=top_p, top_k=top_k,
                                  max_new_tokens=max_new_tokens)
        local_source = generated_locally(backend)
        render, why_not = (None, "")
        if max_repairs > 0 or inspect is not None:
            render, why_not = _sandbox_render(local_source, files)
            if render is None:
                log.warning("ComfyUI-CoCo: %s: %s", NODE_ID, why_not)
        streamer = _Streamer(node_id, max_new_tokens)
        checker, corrections = None, 0
        if inspect is not None and render is not None:
            from .inspect_node import codegen_inspector

            checker = codegen_inspector(user_prompt, inspect, streamer.status)
            corrections = max(0, int(getattr(inspect, "max_rounds", 1)) - 1)
        try:
            result = generate_code(backend, messages, params, language, render=render, max_repairs=max_repairs,
                                   on_token=streamer.on_token, should_stop=check_interrupt,
                                   on_round=streamer.new_round, inspect=checker, max_corrections=corrections)
        except BackendError as e:
            streamer.status(f"error: {e}")
            raise CoCoError(NODE_ID, str(e)) from None
        except GenerationStopped:
            raise CoCoError(NODE_ID, "generation was stopped.") from None
        if local_source:
            _mark_generated(result)
        log_text = f"backend: {backend.describe()}\n\n{result.log}"
        if why_not:
            log_text += f"\n\nnote: {why_not}"
        streamer.status(f"[{result.status}; {result.rounds} round(s)]")
        from .inspect_node import trajectory_outputs

        trajectory, inspection = trajectory_outputs(result)
        return io.NodeOutput(result.code, result.status, result.rounds, log_text, trajectory, inspection)


class OpenAIBackend(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id=BACKEND_NODE_ID,
            display_name="CoCo OpenAI-compatible Backend",
            category="CoCo/backends",
            description=(
                "An OpenAI-compatible chat server (Ollama, LM Studio, vLLM, llama.cpp server, OpenAI, "
                "OpenRouter...) as the code writer for CoCo_CodeGen. The API key is read from an environment "
                "variable or a local key file, never from the workflow, and is sent only to servers on this "
                "machine or to hosts allowed here (COCO_API_HOSTS, or a per-host key-file entry): a shared "
                "workflow cannot redirect your key to another server."
            ),
            inputs=[
                io.String.Input("base_url", default="http://127.0.0.1:11434/v1",
                                tooltip="API root of the server, http(s) only, no user/password in it; /v1 is "
                                        "added when missing. Ollama :11434, LM Studio :1234, vLLM :8000, "
                                        "llama.cpp :8080, https://api.openai.com/v1. A key is sent to a non-local "
                                        "host only if this machine allows it (COCO_API_HOSTS or a key-file entry "
                                        "for that host)."),
                io.String.Input("model", default="",
                                tooltip="Model name as the server lists it (GET /v1/models). Checked when the node "
                                        "runs; an unknown name fails with the list of available ones. Empty = "
                                        "the first listed model."),
                io.String.Input("api_key_env", default="OPENAI_API_KEY",
                                tooltip="NAME of the environment variable that holds the API key (not the key "
                                        "itself). Must end in API_KEY. Leave the variable unset for local servers "
                                        "without keys. The key goes only to localhost/127.x/::1 or to hosts listed "
                                        "in the environment variable COCO_API_HOSTS (e.g. "
                                        "COCO_API_HOSTS=api.openai.com,openrouter.ai); other hosts are refused."),
                io.String.Input("api_key_file", default="",
                                tooltip="Optional path to a local JSON/INI key file, e.g. coco_keys.json in "
                                        "ComfyUI's user folder (relative paths start there): {\"api_key\": \"...\"} "
                                        "or {\"keys\": {\"host\": \"...\"}}. Used instead of api_key_env. A "
                                        "per-host entry is sent to that host only; the fallback api_key follows "
                                        "the same host rule as api_key_env."),
                io.Float.Input("timeout", default=120.0, min=1.0, max=3600.0, step=1.0,
                               tooltip="Seconds to wait for the server to connect or send the next piece of text."),
            ],
            outputs=[CocoLLM.Output("llm", display_name="llm",
                                    tooltip="Connect to CoCo_CodeGen's 'llm' input.")],
        )

    @classmethod
    def validate_inputs(cls, base_url: str, api_key_env: str) -> bool | str:
        from ..codegen.backends.openai_keys import check_env_name, normalize_base_url
        from ..codegen.backend import BackendError

        try:
            normalize_base_url(base_url)
            check_env_name(api_key_env)
        except BackendError as e:
            return str(e)
        return True

    @classmethod
    def execute(cls, base_url: str, model: str, api_key_env: str, api_key_file: str,
                timeout: float) -> io.NodeOutput:
        from ..codegen.backends.openai_compat import OpenAICompatBackend
        from ..codegen.backend import BackendError

        try:
            backend = OpenAICompatBackend(base_url, model, api_key_env, api_key_file, timeout)
            backend.choose_model(check_interrupt)  # Cancel works while the server stalls
        except BackendError as e:
            raise CoCoError(BACKEND_NODE_ID, str(e)) from None
        return io.NodeOutput(backend)


NODES = [CodeGen, OpenAIBackend]
