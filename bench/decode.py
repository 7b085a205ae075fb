"""Greedy decoding speed: our native Qwen2 decoder (models/llm) vs Hugging Face transformers'
``Qwen2ForCausalLM.generate`` with its KV cache, same weights, same prompt, this CPU, one process.

A Qwen2 checkpoint with scaled sizes and seeded random bf16 weights is written once (HF layout:
config.json + model.safetensors + the tiny fixture tokenizer), then

* HF: ``Qwen2ForCausalLM.from_pretrained(dtype=bf16)`` (default sdpa attention),
  ``generate(ids, max_new_tokens=N, min_new_tokens=N, do_sample=False, use_cache=True)``;
* ours: ``load_llm(folder, "bf16" | "fp8_e4m3fn", "native")`` with ComfyUI's model management on
  (``load_models_gpu`` before prefill; the decode loop skips it while loaded), ``start`` (prefill)
  then ``step`` + argmax N times: the exact loop ``NativeBackend`` runs, without detokenisation.

Each measurement is prefill + N decode steps (tokens/s = N / seconds); the sides alternate
``--repeats`` times (fp8: ``--fp8-repeats``); the best and the median run are reported (the box is
shared and noisy), by wall clock and by this process's CPU time (less sensitive to other processes;
use ``--threads 1`` on a busy box), with ours / HF ratios (target >= 1.0) and whether the greedy
tokens agree.

    .venv/bin/python bench/decode.py [--hidden 1024 --layers 8 --vocab 32000 --new 128 --repeats 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKENIZER_FIXTURE = REPO / "tests" / "fixtures" / "qwen2_tiny"


def _setup_imports():
    sys.path.insert(0, str(REPO / "tests"))
    import conftest  # noqa: F401  (real ComfyUI as --cpu, the pack as ``comfyui_coco``)


def make_checkpoint(folder: Path, a) -> dict:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate,
                      num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                      max_position_embeddings=4096, rope_theta=1e6, rms_norm_eps=1e-6, tie_word_embeddings=False,
                      use_sliding_window=False, bos_token_id=356, eos_token_id=358)
    torch.manual_seed(a.seed)
    model = Qwen2ForCausalLM(cfg)
    g = torch.Generator().manual_seed(a.seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if name.endswith("layernorm.weight") or name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)
    model = model.to(torch.bfloat16)
    model.save_pretrained(str(folder), safe_serialization=True)
    for f in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        shutil.copy(TOKENIZER_FIXTURE / f, folder / f)
    return json.loads((folder / "config.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--intermediate", type=int, default=2816)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--prompt", type=int, default=32, help="prompt tokens")
    ap.add_argument("--new", type=int, default=128, help="new tokens (greedy)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--fp8-repeats", type=int, default=1, help="runs of the (slow on CPU) fp8 variant")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-fp8", action="store_true")
    ap.add_argument("--profile", default="", help="write a pyinstrument HTML profile of one of our bf16 runs here")
    a = ap.parse_args()

    _setup_imports()
    import torch
    import transformers

    if a.threads:
        torch.set_num_threads(a.threads)
    from comfyui_coco.models.llm.loader import load_llm

    tmp = Path(tempfile.mkdtemp(prefix="coco-decode-bench-"))
    try:
        make_checkpoint(tmp, a)
        g = torch.Generator().manual_seed(a.seed + 1)
        prompt = torch.randint(0, 356, (a.prompt,), generator=g).tolist()

        hf = transformers.Qwen2ForCausalLM.from_pretrained(str(tmp), dtype=torch.bfloat16).eval()
        attn = getattr(hf.config, "_attn_implementation", "?")

        def run_hf(n):
            x = torch.tensor([prompt])
            with torch.inference_mode():
                t0, c0 = time.perf_counter(), time.process_time()
                out = hf.generate(x, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=True,
                                  eos_token_id=None, pad_token_id=0)
                dt = (time.perf_counter() - t0, time.process_time() - c0)
            return dt, out[0, len(prompt):].tolist()

        ours = {"bf16": load_llm(tmp, "bf16", "native")}
        if not a.no_fp8:
            ours["fp8_e4m3fn"] = load_llm(tmp, "fp8_e4m3fn", "native")

        def run_ours(llm, n):
            lm = llm.lm
            with torch.inference_mode():
                t0, c0 = time.perf_counter(), time.process_time()
                state = lm.start(prompt[:-1])
                tok, out = prompt[-1], []
                for _ in range(n):
                    logits, state = lm.step(state, tok)
                    tok = int(torch.argmax(logits))
                    out.append(tok)
                dt = (time.perf_counter() - t0, time.process_time() - c0)
            return dt, out

        # warm-up (first-call allocations, ComfyUI's load_models_gpu)
        run_hf(4)
        for llm in ours.values():
            run_ours(llm, 4)

        times = {"hf": []}
        times.update({k: [] for k in ours})
        toks = {}
        for r in range(a.repeats):  # interleaved, so load from other processes hits every side alike
            dt, toks["hf"] = run_hf(a.new)
            times["hf"].append(dt)
            for k, llm in ours.items():
                if k != "bf16" and r >= a.fp8_repeats:
                    continue
                dt, toks[k] = run_ours(llm, a.new)
                times[k].append(dt)

        if a.profile:
            from pyinstrument import Profiler

            p = Profiler(interval=0.0005)
            p.start()
            run_ours(ours["bf16"], a.new)
            p.stop()
            Path(a.profile).write_text(p.output_html())

        params = sum(t.numel() for t in hf.state_dict().values())
        print(f"Qwen2 hidden {a.hidden}, intermediate {a.intermediate}, {a.layers} layers, {a.heads} heads / "
              f"{a.kv_heads} KV heads, vocab {a.vocab} ({params / 1e6:.0f}M params); prompt {a.prompt} tokens, "
              f"{a.new} new tokens greedy; torch {torch.__version__} ({torch.get_num_threads()} threads), "
              f"transformers {transformers.__version__} (attn {attn}); tokens/s from the best and the median run "
              f"(prefill + {a.new} steps)")

        def tps(k, which):
            ts = [t[which] for t in times[k]]
            return a.new / min(ts), a.new / statistics.median(ts)

        for which, label in ((0, "wall clock"), (1, "CPU time of this process")):
            print(f" by {label}:")
            hf_best, hf_med = tps("hf", which)
            print(f"  {'HF generate bf16':22s} best {hf_best:7.2f} tok/s  median {hf_med:7.2f} tok/s   "
                  f"runs {[round(t[which], 2) for t in times['hf']]} s")
            for k in ours:
                best, med = tps(k, which)
                print(f"  {'ours ' + k:22s} best {best:7.2f} tok/s  median {med:7.2f} tok/s   "
                      f"runs {[round(t[which], 2) for t in times[k]]} s   "
                      f"ours/HF: best {best / hf_best:5.2f}x, median {med / hf_med:5.2f}x")
        for k in ours:
            same = sum(int(x == y) for x, y in zip(toks[k], toks["hf"]))
            first_diff = next((i for i, (x, y) in enumerate(zip(toks[k], toks["hf"])) if x != y), None)
            print(f"  ours {k}: greedy tokens equal to HF's: {same}/{a.new}"
                  + (f" (first difference at step {first_diff}: "
                     + ("bf16 rounding" if k == "bf16" else "fp8 weight rounding") + " on random weights)"
                     if first_diff is not None else ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
