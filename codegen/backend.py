"""Text-generation backends for CoCo_CodeGen.

A backend turns chat messages into text:

    backend.generate(messages, params, on_token=None, should_stop=None) -> str

* ``messages``: a list of ``{"role": "system"|"user"|"assistant", "content": str}`` (or a plain
  string, taken as one user message). How the roles are rendered is the backend's business: an
  OpenAI-compatible server applies its own chat template, a local Qwen2 model uses ChatML, and a
  CoCo/BAGEL model gets bare ``<|im_start|>…<|im_end|>`` segments without role headers.
* ``on_token(text_piece)`` is called with each newly decoded piece of text, as soon as it is known.
* ``should_stop()`` is called between tokens (or stream events). It may raise (ComfyUI's
  ``throw_exception_if_processing_interrupted`` does, and the exception propagates unchanged) or
  return True, which makes the backend stop and raise :class:`GenerationStopped`.

:class:`NativeBackend` is the local decoding loop (greedy or seeded temperature/top-k/top-p
sampling) over any model that implements :class:`LogitsModel`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Protocol, Sequence, Union, runtime_checkable

from ..models.interrupt import check_interrupt
from ..models.llm.chat import IM_END, IM_START, strip_special_tokens

Messages = list  # list[dict[str, str]]
OnToken = Optional[Callable[[str], None]]
ShouldStop = Optional[Callable[[], Optional[bool]]]


class BackendError(RuntimeError):
    """A failure a user can act on (server down, wrong key, unknown model...). The message says
    what happened and what to do; it never contains an API key."""


class GenerationStopped(RuntimeError):
    """``should_stop()`` returned True: generation was abandoned."""


@dataclasses.dataclass(frozen=True)
class GenerationParams:
    seed: int = 0
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0  # 1 = off
    top_k: int = 0  # 0 = off
    max_new_tokens: int = 1024
    stop: tuple = ()  # stop strings; the text is cut before the first one

    def __post_init__(self):
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        object.__setattr__(self, "stop", tuple(s for s in (self.stop or ()) if s))

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


@runtime_checkable
class Backend(Protocol):
    """What CoCo_CodeGen calls. ``prompt_style`` names the prompt convention the backend expects:
    ``"chat"`` (roles; OpenAI/ChatML) or ``"coco"`` (bare segments, BAGEL think prompts)."""

    prompt_style: str

    def generate(self, messages: Union[Messages, str], params: GenerationParams,
                 on_token: OnToken = None, should_stop: ShouldStop = None) -> str: ...

    def describe(self) -> str: ...


def as_messages(messages: Union[Messages, str]) -> list[dict]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out = []
    for m in messages:
        if not isinstance(m, dict) or "content" not in m:
            raise TypeError(f"a message must be a dict with 'role' and 'content', got {m!r}")
        out.append({"role": str(m.get("role", "user")), "content": str(m["content"])})
    if not out:
        raise ValueError("no messages to generate from")
    return out


def check_stop(should_stop: ShouldStop) -> None:
    if should_stop is not None and should_stop():
        raise GenerationStopped("generation stopped")


def find_stop(text: str, stops: Sequence[str]) -> int:
    """Index of the first stop string in ``text``, or -1."""
    best = -1
    for s in stops:
        i = text.find(s)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


def stop_holdback(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of ``text`` could be the start of a stop string (and so must
    not be streamed yet)."""
    keep = 0
    for s in stops:
        for n in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:n]):
                keep = max(keep, n)
                break
    return keep


class StreamEmitter:
    """Feeds the full text generated so far; calls ``on_token`` with the new, safe-to-show part
    (stop strings are held back until they cannot match any more). ``done`` tells when a stop
    string appeared; ``text`` is the result cut before it."""

    def __init__(self, on_token: OnToken, stops: Sequence[str]):
        self.on_token, self.stops = on_token, tuple(stops)
        self.sent = 0
        self.text = ""
        self.done = False

    def feed(self, full_text: str) -> None:
        if self.done:
            return
        cut = find_stop(full_text, self.stops)
        if cut >= 0:
            self.text, self.done = full_text[:cut], True
            self._emit(self.text)
            return
        self.text = full_text
        safe = len(full_text) - stop_holdback(full_text, self.stops)
        # An undecodable partial UTF-8 sequence decodes to U+FFFD: hold it back too.
        while safe > self.sent and full_text[safe - 1] == "\ufffd":
            safe -= 1
        self._emit(full_text[:safe])

    def finish(self) -> str:
        self._emit(self.text)
        return self.text

    def _emit(self, upto: str) -> None:
        if len(upto) > self.sent:
            piece = upto[self.sent:]
            self.sent = len(upto)
            if self.on_token is not None and piece:
                self.on_token(piece)


# ---- local decoding ----------------------------------------------------------------------------


@runtime_checkable
class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...  # plain text, no special-token parsing needed
    def decode(self, ids: Sequence[int]) -> str: ...


@runtime_checkable
class LogitsModel(Protocol):
    """What a local model must provide for :class:`NativeBackend`.

    * ``tokenizer``: ``encode(text) -> list[int]`` (no BOS added, special tokens in the text need
      not be parsed) and ``decode(ids) -> str`` (special tokens may be skipped).
    * ``special_ids``: at least ``{"<|im_start|>": id, "<|im_end|>": id}`` (Qwen2 ids 151644/151645).
    * ``eos_ids``: token ids that end generation (for Qwen2/BAGEL: ``<|im_end|>``, ``<|endoftext|>``).
    * ``prompt_style``: ``"coco"`` (BAGEL bare segments) or ``"chat"`` (ChatML with roles).
    * ``start(prompt_ids) -> state``: prefill these ids (a fresh context each call) and return the
      decoding state. Nothing is sampled from it: the first logits come from ``step``.
    * ``step(state, token_id) -> (logits, state)``: append one token at the next position and return
      the next-token logits, a 1-D float tensor ``[vocab]`` (any device/dtype), plus the new state.
    """

    tokenizer: Tokenizer
    special_ids: dict
    eos_ids: Sequence[int]
    prompt_style: str

    def start(self, prompt_ids: Sequence[int]) -> Any: ...
    def step(self, state: Any, token_id: int) -> tuple: ...


def encode_prompt(model: LogitsModel, messages: Union[Messages, str], style: Optional[str] = None) -> list[int]:
    """Token ids of the prompt, ending with the token that starts the answer.

    ``coco``: every message becomes a bare segment ``<|im_start|>content<|im_end|>`` (roles are
    dropped, as BAGEL's ``prepare_prompts`` does), then ``<|im_start|>`` opens the answer: BAGEL's
    ``gen_text`` feeds exactly that token first. Prefilling the segments one after the other with
    causal attention and consecutive positions equals one causal pass over the concatenation.

    ``chat``: the model's own chat template where it has one (``model.template_ids(messages)``, a
    transformers tokenizer's), else ChatML, ``<|im_start|>role\\ncontent<|im_end|>\\n`` per
    message, then ``<|im_start|>assistant\\n``.
    """
    style = style or getattr(model, "prompt_style", "chat")
    tok = model.tokenizer
    if style == "chat" and callable(getattr(model, "template_ids", None)):
        ids = model.template_ids(as_messages(messages))
        if ids is not None:
            return ids
    try:
        start, end = model.special_ids[IM_START], model.special_ids[IM_END]
    except (KeyError, TypeError, AttributeError) as e:
        raise BackendError(f"this model has no chat template (tokenizer_config.json 'chat_template') and no "
                           f"{IM_START}/{IM_END} tokens, so there is no way to prompt it as a chat model; use an "
                           "instruct/chat model") from e
    ids: list[int] = []
    msgs = [{"role": m["role"], "content": strip_special_tokens(m["content"])} for m in as_messages(messages)]
    if style == "coco":
        for m in msgs:
            ids += [start, *tok.encode(m["content"]), end]
        ids.append(start)
    elif style == "chat":
        nl = tok.encode("\n")
        for m in msgs:
            ids += [start, *tok.encode(f"{m['role']}\n{m['content']}"), end, *nl]
        ids += [start, *tok.encode("assistant\n")]
    else:
        raise ValueError(f"unknown prompt style {style!r}")
    return ids


def sample_next(logits, params: GenerationParams, generator) -> int:
    """One token id from ``logits`` [vocab]. Greedy when temperature is 0; otherwise softmax of
    logits/temperature, restricted to the top-k and then to the smallest top-p nucleus, drawn with
    the seeded CPU ``generator`` (sampling on CPU makes a seed give the same tokens on any device
    the logits came from)."""
    import torch

    logits = logits.detach().reshape(-1).float().cpu()
    if params.greedy:
        return int(torch.argmax(logits).item())
    logits = logits / params.temperature
    if params.top_k and params.top_k < logits.numel():
        kth = torch.topk(logits, params.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if params.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        cum = torch.cumsum(probs, dim=-1)
        # drop a token when the tokens before it already cover top_p (the top one always stays)
        drop = (cum - probs) > params.top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(0, order, sorted_logits)
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator).item())


class IncrementalDecoder:
    """Decodes a growing list of ids into text without re-decoding everything each step (the
    "prefix/read offset" method): BPE pieces that only make sense together are decoded together."""

    def __init__(self, tokenizer: Tokenizer):
        self.tok = tokenizer
        self.ids: list[int] = []
        self.text = ""
        self._prefix = 0  # the decode window starts at this id
        self._prefix_text = ""

    def add(self, token_id: int) -> str:
        self.ids.append(int(token_id))
        window = self.tok.decode(self.ids[self._prefix:])
        if window.endswith("\ufffd"):  # an incomplete multi-byte character: wait for more ids
            return self.text + window[len(self._prefix_text):]
        new = window[len(self._prefix_text):]
        self.text += new
        # Keep a few ids as context for the next window, so merges across ids decode right.
        self._prefix = max(0, len(self.ids) - 6)
        self._prefix_text = self.tok.decode(self.ids[self._prefix:])
        return self.text


class NativeBackend:
    """Greedy/sampled decoding over a :class:`LogitsModel` (CoCo/BAGEL, or a local Qwen2).

    Per token: interrupt check (ComfyUI's and ``should_stop``), one ``step``, sampling, detokenise,
    ``on_token``. Stops at an ``eos_ids`` token, a stop string, or ``max_new_tokens``.

    ``owner``: the object the model came from (a loader's ``COCO_LLM``), when it has one: its
    ``describe()`` names the backend, and when its ``keep_model_loaded`` is off its ``unload()``
    runs after every generation.
    """

    def __init__(self, model: LogitsModel, name: str = "local model", prompt_style: Optional[str] = None,
                 owner=None):
        for attr in ("start", "step", "tokenizer", "eos_ids", "special_ids"):
            if not hasattr(model, attr):
                raise BackendError(f"{name} cannot generate text: it has no '{attr}' (LogitsModel interface)")
        self.model = model
        self.name = name
        self.prompt_style = prompt_style or getattr(model, "prompt_style", "chat")
        self.owner = owner

    def describe(self) -> str:
        described = getattr(self.owner, "describe", None)
        return described() if callable(described) else f"{self.name} ({self.prompt_style} prompts)"

    def generate(self, messages, params: GenerationParams, on_token: OnToken = None,
                 should_stop: ShouldStop = None) -> str:
        try:
            ids = encode_prompt(self.model, messages, self.prompt_style)
            return self.generate_ids(ids, params, on_token, should_stop)
        finally:
            if self.owner is not None and not getattr(self.owner, "keep_model_loaded", True):
                self.owner.unload()

    def generate_ids(self, prompt_ids: Sequence[int], params: GenerationParams, on_token: OnToken = None,
                     should_stop: ShouldStop = None, on_step: Optional[Callable[[int, int], None]] = None) -> str:
        import torch

        if len(prompt_ids) < 1:
            raise ValueError("empty prompt")
        gen = torch.Generator(device="cpu")
        gen.manual_seed(int(params.seed) % (2 ** 64))
        eos = {int(i) for i in self.model.eos_ids}
        decoder = IncrementalDecoder(self.model.tokenizer)
        emitter = StreamEmitter(on_token, params.stop)

        check_interrupt()
        check_stop(should_stop)
        with torch.inference_mode():
            state = self.model.start(list(prompt_ids[:-1]))
            token = int(prompt_ids[-1])
            for i in range(params.max_new_tokens):
                check_interrupt()
                check_stop(should_stop)
                logits, state = self.model.step(state, token)
                token = sample_next(logits, params, gen)
                if token in eos:
                    break
                emitter.feed(decoder.add(token))
                if on_step is not None:
                    on_step(i + 1, params.max_new_tokens)
                if emitter.done:
                    break
        return emitter.finish()

