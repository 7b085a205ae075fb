"""The local decoding loop (NativeBackend) over a tiny random-weight torch language model.

The model is a small GRU LM with seeded random weights and a byte-level tokenizer: a unit test of
the sampler, the KV-style incremental state, stopping, streaming and interruption, not a stand-in
for CoCo's outputs.
"""

from __future__ import annotations

import math

import pytest
import torch

from comfyui_coco.codegen.backend import (IM_END, IM_START, BackendError, GenerationParams,
                                                 GenerationStopped, IncrementalDecoder, LogitsModel, NativeBackend,
                                                 encode_prompt, sample_next)

N_BYTES = 256
START, END, EOS = 256, 257, 258
VOCAB = 259


class ByteTokenizer:
    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids) -> str:
        return bytes(i for i in ids if i < N_BYTES).decode("utf-8", errors="replace")


class TinyLM(torch.nn.Module):
    """embedding -> GRU cell -> linear head; the GRU hidden state is the decoding state."""

    prompt_style = "chat"
    special_ids = {IM_START: START, IM_END: END}

    def __init__(self, seed: int = 0, hidden: int = 32, eos_ids=(EOS,)):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.emb = torch.nn.Embedding(VOCAB, hidden)
        self.cell = torch.nn.GRUCell(hidden, hidden)
        self.head = torch.nn.Linear(hidden, VOCAB)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.8)
        self.tokenizer = ByteTokenizer()
        self.eos_ids = list(eos_ids)
        self.steps = 0

    def _advance(self, h, token_id: int):
        x = self.emb(torch.tensor([token_id]))
        return self.cell(x, h)

    # LogitsModel interface
    def start(self, prompt_ids):
        h = torch.zeros(1, self.cell.hidden_size)
        for t in prompt_ids:
            h = self._advance(h, t)
        return h

    def step(self, state, token_id):
        self.steps += 1
        h = self._advance(state, token_id)
        return self.head(h)[0], h

    # an independent reference: logits after a whole sequence, recomputed from scratch
    def logits_of(self, ids):
        h = torch.zeros(1, self.cell.hidden_size)
        for t in ids:
            h = self._advance(h, t)
        return self.head(h)[0]


def test_tiny_model_implements_the_protocol():
    assert isinstance(TinyLM(), LogitsModel)


def test_encode_prompt_styles():
    m = TinyLM()
    msgs = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    coco = encode_prompt(m, msgs, "coco")
    assert coco == [START, ord("S"), END, START, ord("U"), END, START]  # bare segments, then <|im_start|>
    chat = encode_prompt(m, msgs, "chat")
    assert m.tokenizer.decode(chat) == "system\nS\nuser\nU\nassistant\n"
    assert chat[0] == START and chat.count(START) == 3 and chat.count(END) == 2
    with pytest.raises(BackendError):
        class NoSpecials(TinyLM):
            special_ids = {}
        encode_prompt(NoSpecials(), msgs)


def test_greedy_matches_a_from_scratch_reference():
    m = TinyLM(seed=3, eos_ids=())
    b = NativeBackend(m)
    prompt = encode_prompt(m, "draw a cat", "chat")
    out_ids = []
    text = b.generate("draw a cat", GenerationParams(max_new_tokens=24))
    # reference: argmax of logits over the full sequence at every step
    seq = list(prompt)
    with torch.no_grad():
        for _ in range(24):
            t = int(torch.argmax(m.logits_of(seq)))
            out_ids.append(t)
            seq.append(t)
    assert text == m.tokenizer.decode(out_ids)
    assert m.steps == 24  # one step per new token, prompt prefilled once
    assert b.generate("draw a cat", GenerationParams(max_new_tokens=24, seed=99)) == text  # seed unused when greedy


def test_seeded_sampling_is_reproducible_and_seed_dependent():
    m = TinyLM(seed=1, eos_ids=())
    b = NativeBackend(m)
    p = dict(temperature=1.5, max_new_tokens=40)
    a1 = b.generate("x", GenerationParams(seed=7, **p))
    a2 = b.generate("x", GenerationParams(seed=7, **p))
    assert a1 == a2
    others = {b.generate("x", GenerationParams(seed=s, **p)) for s in range(8, 14)}
    assert len(others | {a1}) > 1


def test_top_k_1_and_tiny_top_p_equal_greedy():
    m = TinyLM(seed=5, eos_ids=())
    b = NativeBackend(m)
    greedy = b.generate("y", GenerationParams(max_new_tokens=20))
    assert b.generate("y", GenerationParams(temperature=2.0, top_k=1, seed=1, max_new_tokens=20)) == greedy
    assert b.generate("y", GenerationParams(temperature=2.0, top_p=1e-6, seed=2, max_new_tokens=20)) == greedy


def test_sample_next_distribution():
    g = torch.Generator().manual_seed(0)
    logits = torch.tensor([0.0, math.log(3.0), -1e9])
    draws = [sample_next(logits, GenerationParams(temperature=1.0), g) for _ in range(4000)]
    frac = draws.count(1) / len(draws)
    assert 0.72 < frac < 0.78 and 2 not in draws
    # top_p 0.5 keeps only the 75% token
    assert {sample_next(logits, GenerationParams(temperature=1.0, top_p=0.5), g) for _ in range(200)} == {1}
    # top_k 2 never draws the third
    assert 2 not in {sample_next(torch.tensor([1.0, 1.0, 0.9]), GenerationParams(temperature=1.0, top_k=2), g)
                     for _ in range(300)}


class ForcedEos(TinyLM):
    """The random LM, but EOS is impossible for ``n`` steps and then the most likely token."""

    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.n = n

    def step(self, state, token_id):
        logits, h = super().step(state, token_id)
        logits = logits.clone()
        logits[EOS] = logits.max() + 10 if self.steps > self.n else float("-inf")
        return logits, h


def test_eos_stops_and_is_not_in_the_text():
    m = ForcedEos(6, seed=2)
    text = NativeBackend(m).generate("z", GenerationParams(max_new_tokens=100))
    assert m.steps == 7
    assert len(text.encode("utf-8", errors="surrogatepass")) <= 6 * 3


def test_max_new_tokens_limits_steps():
    m = TinyLM(seed=4, eos_ids=())
    NativeBackend(m).generate("q", GenerationParams(max_new_tokens=9))
    assert m.steps == 9


def test_streamed_pieces_join_to_the_result_and_stop_strings_cut():
    m = TinyLM(seed=8, eos_ids=())
    b = NativeBackend(m)
    pieces = []
    full = b.generate("w", GenerationParams(max_new_tokens=60), on_token=pieces.append)
    assert "".join(pieces) == full
    stop = full[10:13]
    assert stop and stop not in full[:10]
    pieces = []
    cut = b.generate("w", GenerationParams(max_new_tokens=60, stop=(stop,)), on_token=pieces.append)
    assert cut == full[:full.index(stop)] and "".join(pieces) == cut


def test_incremental_decoder_never_streams_half_characters():
    tok = ByteTokenizer()
    text = "héllo ✓ 漢字 done"
    d = IncrementalDecoder(tok)
    seen = []
    for b in text.encode("utf-8"):
        seen.append(d.add(b))
    assert seen[-1] == text
    from comfyui_coco.codegen.backend import StreamEmitter
    pieces = []
    e = StreamEmitter(pieces.append, ())
    for s in seen:
        e.feed(s)
    assert e.finish() == text and "".join(pieces) == text
    assert all("\ufffd" not in p for p in pieces)


def test_should_stop_and_comfy_interrupt_between_tokens():
    import comfy.model_management as mm

    m = TinyLM(seed=9, eos_ids=())
    n = []
    with pytest.raises(GenerationStopped):
        NativeBackend(m).generate("s", GenerationParams(max_new_tokens=200), on_token=n.append,
                                  should_stop=lambda: len(n) >= 4)
    assert m.steps < 10
    m.steps = 0

    def on_token(p):
        if m.steps == 3:
            mm.interrupt_current_processing(True)

    try:
        with pytest.raises(mm.InterruptProcessingException):
            NativeBackend(m).generate("s", GenerationParams(max_new_tokens=200), on_token=on_token)
    finally:
        mm.interrupt_current_processing(False)
    assert m.steps == 3


def test_missing_interface_is_a_clear_error():
    class NotAModel:
        tokenizer = ByteTokenizer()

    with pytest.raises(BackendError, match="no 'start'"):
        NativeBackend(NotAModel(), name="thing")
