"""Full size on a GPU: what a ComfyUI user with an 8-24 GB card will feel, measured in one run.

It builds the real BAGEL-7B-MoT dimensions (the official ``llm_config.json`` / ``vit_config.json``
values, notes/bagel.md section 1: Qwen2-7B MoT 3584x28, SigLIP 1152x26, latent grid 64), makes
random weights on the device, writes them as real single-file checkpoints (fp8 and bf16, the
pack's own format with configs + tokenizer in the metadata) and loads them through the real loader
(``models.bagel.loader.load_coco``) under ComfyUI's model management. Then, side by side:

* load: time from file to RAM, time to VRAM, peak RSS and peak VRAM, fp8 vs bf16;
* decode: tokens/s of greedy decoding with the KV cache (``--new-tokens``, 256) fp8 vs bf16, and
  Hugging Face transformers' ``Qwen2ForCausalLM.generate`` at the same dimensions (bf16) as the
  reference point;
* denoise: one step of a ``--image`` (1024) edit: three CFG branches (cond, text-uncond,
  image-uncond) over the packed sequence the reference builds (VAE image at t=0 + ViT image + text),
  fp8 vs bf16; and ``--steps`` (10) steps end to end through the FLUX VAE (``run_draft_refine``, what
  CoCo_DraftRefine runs);
* budgets (CUDA only): the same edit (``--budget-steps`` steps) with ComfyUI's memory management told
  the card has 24, 16 and 12 GB (``EXTRA_RESERVED_VRAM``, what ``--reserve-vram`` sets, plus
  ``torch.cuda.set_per_process_memory_fraction`` so the allocator enforces it), with peak VRAM and
  the slowdown against the unconstrained run;
* the attention kernels that ran (SDPA flash / memory-efficient / cuDNN / math, from the profiler),
  and whether ComfyUI's DynamicVRAM path was taken (cores that have it).

Each model is measured in its own subprocess (clean RSS and VRAM peaks). The lent GPU machine has
PyTorch but no ComfyUI and no network: the command runs from the working tree with the ComfyUI
source the bootstrap installs carried along (``.cache/comfyui``; ``--comfyui DIR`` or
``COMFYUI_DIR`` for another one).

    python bench/gpu.py                      # full size (needs a GPU: ~14 GB fp8 + 28 GB bf16 files)
    python bench/gpu.py --scale 0.05 --image 256 --steps 3 --new-tokens 16   # scaled down, runs on CPU

``--json OUT`` also writes every figure as JSON. Times are wall clock after a CUDA synchronize.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GiB = 1 << 30

# BAGEL-7B-MoT's published configs (notes/bagel.md section 1.2): the LLM is Qwen2.5-7B's shape with
# a second (generation) expert per layer; the ViT is SigLIP so400m/14 with its last layer dropped.
FULL = dict(hidden=3584, layers=28, heads=28, kv_heads=4, intermediate=18944, vocab=152064,
            vit_hidden=1152, vit_layers=26, vit_heads=16, vit_intermediate=4304, vit_patches=70, latent_size=64)
PROMPT = ("Refine this draft into a clean, professional bar chart titled 'Quarterly revenue 2025' with the "
          "bars Q1 12.5, Q2 18.0, Q3 9.75 and Q4 21.25, keep every label exactly as drawn.")


# ---- sizes ------------------------------------------------------------------------------------

def _round(v: float, m: int, lo: int) -> int:
    return max(lo, int(round(v / m)) * m)


def scaled_sizes(scale: float) -> dict:
    """The full sizes scaled by ``scale`` (widths and depths), keeping head dims (128 / 72), the GQA
    shape and the 64x64 latent grid, so the code paths are the full model's."""
    if scale >= 1.0:
        return dict(FULL)
    hidden = _round(FULL["hidden"] * scale, 128, 256)
    heads = hidden // 128
    kv = max(d for d in range(1, heads + 1) if heads % d == 0 and d <= max(1, heads // 7))
    vit_hidden = _round(FULL["vit_hidden"] * scale, 72, 144)
    return dict(hidden=hidden, layers=max(2, round(FULL["layers"] * scale)), heads=heads, kv_heads=kv,
                intermediate=_round(FULL["intermediate"] * scale, 64, 512),
                vocab=_round(FULL["vocab"] * scale, 64, 4096), vit_hidden=vit_hidden,
                vit_layers=max(1, round(FULL["vit_layers"] * scale)), vit_heads=vit_hidden // 72,
                vit_intermediate=_round(FULL["vit_intermediate"] * scale, 16, 256), vit_patches=70, latent_size=64)


# ---- imports ----------------------------------------------------------------------------------

def _setup(comfyui: str | None):
    """Pack modules importable as ``models.*`` (and ``tests.*`` for the test asset helpers), ComfyUI's
    ``comfy`` from the carried source, not parsing our argv."""
    for p in (str(REPO / "tests" / "models"), str(REPO / "tests"), str(REPO)):
        if p not in sys.path:
            sys.path.insert(0, p)
    from models.bagel.convert import ensure_comfy

    ensure_comfy(comfyui or os.environ.get("COMFYUI_DIR"))


def _sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vram_reset():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def _gib(v):
    return None if v is None else v / GiB


def _vram_peak() -> int | None:
    import torch

    return int(torch.cuda.max_memory_reserved()) if torch.cuda.is_available() else None


# ---- checkpoints ------------------------------------------------------------------------------

def _metadata(cfg_dicts, weight_dtype: str) -> dict:
    """The pack's single-file metadata (schema in models/bagel/loader.py) with the fixture tokenizer."""
    from models.bagel.loader import FORMAT_VERSION, META_KEY, META_TOKENIZER_KEY

    tok = REPO / "tests" / "fixtures" / "bagel_tiny"
    llm, vit, bagel = cfg_dicts
    meta = {"format_version": FORMAT_VERSION, "llm_config": llm, "vit_config": vit, "bagel_config": bagel,
            "tokenizer_config": json.loads((tok / "tokenizer_config.json").read_text()),
            "special_tokens": {}, "weight_dtype": weight_dtype, "scaled": False,
            "source": {"name": "bench/gpu.py random weights", "kind": "bench", "weights_bytes": 0}}
    return {"format": "pt", META_KEY: json.dumps(meta, sort_keys=True),
            META_TOKENIZER_KEY: (tok / "tokenizer.json").read_text(encoding="utf-8")}


def write_checkpoints(sizes: dict, work: Path, dtypes: list[str]) -> dict:
    """Random weights made on the device (N(0, 0.02), norm vectors near 1), written tensor by tensor
    with the pack's streaming writer as one file per weight dtype. Returns paths, sizes, seconds."""
    import torch

    import make_tiny
    from models.bagel.config import BagelConfig
    from models.bagel.convert import target_dtypes, write_safetensors
    from models.bagel.loader import parse_weight_dtype

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg_dicts = make_tiny.tiny_configs(**sizes)
    shapes = make_tiny.official_shapes(*cfg_dicts)
    out = {}
    for name in dtypes:
        wdt = parse_weight_dtype(name)
        llm, vit, bagel = cfg_dicts
        cfg = BagelConfig.from_dicts(llm, vit, dict(bagel, special_tokens={
            "bos_token_id": 1, "eos_token_id": 2, "start_of_image": 3, "end_of_image": 4}))
        want = target_dtypes(cfg, wdt)

        def pieces(key, i, dt):
            def gen():
                g = torch.Generator(device=dev).manual_seed(1000 + i)
                shape = shapes[key]
                x = torch.randn(shape, generator=g, device=dev, dtype=torch.float32).mul_(0.02)
                if len(shape) == 1:
                    x += 1.0
                if dt == torch.float8_e4m3fn:
                    x = x.clamp_(-448.0, 448.0)
                yield x.to(dt).reshape(-1).cpu()
            return gen

        items = [(k, want[k], tuple(shapes[k]), pieces(k, i, want[k])) for i, k in enumerate(sorted(shapes))]
        path = work / f"coco_bench_{name}.safetensors"
        t0 = time.perf_counter()
        size = write_safetensors(str(path), items, _metadata(cfg_dicts, name))
        out[name] = {"path": str(path), "bytes": size, "write_s": time.perf_counter() - t0}
    params = sum(math.prod(s) for s in shapes.values())
    return {"files": out, "params": params, "tensors": len(shapes)}


# ---- one model's measurements (subprocess) -----------------------------------------------------

def _attention_kernels(fn) -> list[str]:
    """Names of the SDPA kernels one call runs (CUDA profiler); empty on CPU."""
    import torch

    if not torch.cuda.is_available():
        return []
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    found = set()
    for ev in prof.key_averages():
        n = ev.key.lower()
        for tag, label in (("flash", "flash"), ("efficient", "mem-efficient"), ("cudnn", "cudnn"),
                           ("fmha", "fmha"), ("attention", "attention")):
            if tag in n and ("attn" in n or "attention" in n or "fmha" in n):
                found.add(f"{label}: {ev.key[:90]}")
                break
    return sorted(found)


def measure_model(path: str, weight_dtype: str, a) -> dict:
    _setup(a.comfyui)
    import torch

    import comfy.model_management as mm
    from models.bagel import latents as L
    from models.bagel import sampler as S
    from models.bagel.loader import load_coco
    from models.bagel.refine import run_draft_refine
    from models.refine import resize as R
    from refine.assets import flux_ae_state_dict

    res = {"weight_dtype": weight_dtype, "device": str(mm.get_torch_device())}
    base = _rss_peak()
    t0 = time.perf_counter()
    model = load_coco(path, weight_dtype)
    res["load_s"] = time.perf_counter() - t0
    res["rss_base_gb"], res["rss_peak_load_gb"] = base / GiB, _rss_peak() / GiB
    dyn = model.is_dynamic
    res["dynamic_vram"] = bool(dyn() if callable(dyn) else dyn)
    res["compute_dtype"] = str(model.compute_dtype)
    cfg = model.cfg
    ids = list(getattr(model.tokenizer.encode(PROMPT), "ids", model.tokenizer.encode(PROMPT)))

    # decode: prefill the prompt, then greedy tokens one at a time (the loop CodeGen runs)
    _vram_reset()
    t0 = time.perf_counter()
    ctx = model.prefill_text(model.new_context(), ids)
    tok = model.special_tokens["bos_token_id"]
    logits, ctx = model.next_token_logits(ctx, tok)
    _sync()
    res["to_vram_and_prefill_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(a.new_tokens):
        tok = int(torch.argmax(logits))
        logits, ctx = model.next_token_logits(ctx, tok)
    _sync()
    dt = time.perf_counter() - t0
    res["decode_tok_s"] = a.new_tokens / dt
    res["vram_peak_decode_gb"] = _gib(_vram_peak())
    res["attention_decode"] = _attention_kernels(lambda: model.next_token_logits(ctx, tok))
    ctx.free()
    del ctx

    # denoise: the edit contexts of a --image draft, then velocity calls with three branches
    W = H = a.image
    stride = cfg.latent_downsample
    W, H = R.snap_size(W, H, a.image, stride=stride, model_max_side=cfg.max_image_side)
    g = torch.Generator().manual_seed(0)
    z = torch.randn(1, cfg.latent_channels, H // cfg.vae_downsample, W // cfg.vae_downsample, generator=g)
    packed, hw = L.pack_latent(z, cfg.latent_patch_size)
    v = cfg.vit
    vit_max = v.patch_size * cfg.vit_max_num_patch_per_side
    vw, vh = R.bagel_resize_size(W, H, vit_max, min(R.VIT_MIN, vit_max), v.patch_size)
    vit_img = torch.rand(3, vh, vw, generator=g) * 2 - 1
    n_lat, n_vit = hw[0] * hw[1], (vw // v.patch_size) * (vh // v.patch_size)
    res["sequence"] = {"latent_tokens": n_lat, "vit_tokens": n_vit, "text_tokens": len(ids),
                       "image": [W, H], "vit_image": [vw, vh]}
    kv_tokens = S.edit_kv_tokens(n_lat, n_vit, len(ids))
    _vram_reset()
    model.reserve_for_sampling(kv_tokens, n_lat + 2)
    t0 = time.perf_counter()
    with torch.inference_mode():
        ctxs = S.edit_contexts(model, ids, packed, hw, vit_img)
    _sync()
    res["edit_prefill_s"] = time.perf_counter() - t0
    stamps = []
    noise = S.make_noise(0, n_lat, cfg.patch_latent_dim)
    t0 = time.perf_counter()
    S.generate(model, ctxs.cond, ctxs.text_uncond, ctxs.img_uncond, hw, steps=a.denoise_calls + 2,
               noise=noise, callback=lambda i, n, x, denoised=None: stamps.append(time.perf_counter()),
               interrupt=None)
    times = [b - a_ for a_, b in zip([t0] + stamps[:-1], stamps)]
    res["denoise_step_s"] = statistics.median(times[1:]) if len(times) > 1 else times[0]
    res["denoise_first_step_s"] = times[0]
    res["vram_peak_denoise_gb"] = _gib(_vram_peak())
    x = noise.clone()
    res["attention_denoise"] = _attention_kernels(lambda: model.velocity(
        x, 0.5, hw, ctxs.cond, ctxs.text_uncond, ctxs.img_uncond, 4.0, 2.0, "text_channel", 0.0))
    for c in (ctxs.cond, ctxs.text_uncond, ctxs.img_uncond):
        c.free()
    del ctxs

    # end to end through the FLUX VAE (full architecture, random weights), as CoCo_DraftRefine runs it
    import comfy.sd

    vae = comfy.sd.VAE(sd=flux_ae_state_dict(seed=3))
    draft = torch.rand(1, H, W, 3, generator=g)

    def edit(steps):
        _vram_reset()
        t = time.perf_counter()
        out = run_draft_refine("bench", model, vae, PROMPT, draft=draft, steps=steps, seed=0,
                               max_resolution=a.image)
        _sync()
        return time.perf_counter() - t, _gib(_vram_peak()), out

    res["edit_steps"] = a.steps
    res["edit_s"], res["vram_peak_edit_gb"], out = edit(a.steps)
    res["edit_output"] = list(out.image.shape)

    # budgets: ComfyUI told the card is smaller, the allocator held to it
    budgets = []
    if torch.cuda.is_available() and a.budgets:
        total = torch.cuda.get_device_properties(0).total_memory
        ref_s, ref_peak, _ = edit(a.budget_steps)
        budgets.append({"budget_gb": None, "seconds": ref_s, "vram_peak_gb": ref_peak, "slowdown": 1.0})
        saved = mm.EXTRA_RESERVED_VRAM
        for b in a.budgets:
            mm.unload_all_models()
            mm.soft_empty_cache()
            torch.cuda.synchronize()
            used = torch.cuda.memory_reserved()
            mm.EXTRA_RESERVED_VRAM = max(0, int(total - b * GiB))
            torch.cuda.set_per_process_memory_fraction(min(1.0, b * GiB / total))
            row = {"budget_gb": b}
            try:
                s, peak, _ = edit(a.budget_steps)
                row.update(seconds=s, vram_peak_gb=peak, slowdown=s / ref_s)
            except torch.OutOfMemoryError as e:
                row.update(error=f"out of memory: {str(e)[:160]}", reserved_before_gb=used / GiB)
            finally:
                mm.EXTRA_RESERVED_VRAM = saved
                torch.cuda.set_per_process_memory_fraction(1.0)
            budgets.append(row)
    res["budgets"] = budgets
    res["rss_peak_gb"] = _rss_peak() / GiB
    return res


def measure_hf(sizes: dict, a) -> dict:
    """transformers' Qwen2ForCausalLM at the same LLM dimensions, bf16, generate with its KV cache."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = Qwen2Config(vocab_size=sizes["vocab"], hidden_size=sizes["hidden"], intermediate_size=sizes["intermediate"],
                      num_hidden_layers=sizes["layers"], num_attention_heads=sizes["heads"],
                      num_key_value_heads=sizes["kv_heads"], max_position_embeddings=4096, rope_theta=1e6,
                      rms_norm_eps=1e-6, tie_word_embeddings=False, use_sliding_window=False)
    t0 = time.perf_counter()
    with torch.device(dev):
        model = Qwen2ForCausalLM(cfg).to(torch.bfloat16).eval()
    _sync()
    build_s = time.perf_counter() - t0
    ids = torch.randint(0, 1000, (1, 40), device=dev)
    kw = dict(max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, do_sample=False, use_cache=True)
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=4, min_new_tokens=4, do_sample=False)   # warm-up
        _vram_reset()
        t0 = time.perf_counter()
        model.generate(ids, **kw)
        _sync()
    dt = time.perf_counter() - t0
    return {"build_s": build_s, "decode_tok_s": a.new_tokens / dt, "vram_peak_decode_gb": _gib(_vram_peak()),
            "attn_implementation": getattr(model.config, "_attn_implementation", None)}


# ---- driver ------------------------------------------------------------------------------------

def _child(args: list[str]) -> dict:
    cmd = [sys.executable, "-u", __file__, *args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(REPO))
    if r.returncode:
        return {"error": (r.stderr or r.stdout)[-2500:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _workdir(need_bytes: int, explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    for base in ("/dev/shm", tempfile.gettempdir()):
        try:
            if shutil.disk_usage(base).free > need_bytes * 1.15:
                return Path(tempfile.mkdtemp(prefix="coco-gpu-bench-", dir=base))
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix="coco-gpu-bench-"))


def _fmt(v, spec=".2f", unit=""):
    if v is None:
        return "-"
    if isinstance(v, (int, float)):
        return f"{v:{spec}}{unit}"
    return str(v)


def report(r: dict) -> str:
    lines = [f"bench/gpu.py  {r['when']}  device: {r['device']}  torch {r['torch']}  ComfyUI {r['comfyui']}",
             f"model: {r['params'] / 1e9:.2f} B params, {r['tensors']} tensors, sizes {r['sizes']}"]
    for name, f in r["files"].items():
        lines.append(f"  file {name}: {f['bytes'] / GiB:.2f} GiB written in {f['write_s']:.1f} s")
    m = r["models"]
    cols = [k for k in ("fp8_e4m3fn", "bf16") if k in m]
    head = f"\n{'':<34}" + "".join(f"{c:>14}" for c in cols) + (f"{'fp8/bf16':>10}" if len(cols) == 2 else "")
    lines.append(head)

    def row(label, key, spec=".2f", ratio=True):
        vals = [m[c].get(key) for c in cols]
        s = f"{label:<34}" + "".join(f"{_fmt(v, spec):>14}" for v in vals)
        if ratio and len(vals) == 2 and all(isinstance(v, (int, float)) and v for v in vals):
            s += f"{vals[0] / vals[1]:>9.2f}x"
        lines.append(s)

    if any("error" in m[c] for c in cols):
        for c in cols:
            if "error" in m[c]:
                lines.append(f"{c}: FAILED\n{m[c]['error']}")
    ok = [c for c in cols if "error" not in m[c]]
    if ok:
        row("load file -> RAM (s)", "load_s")
        row("peak RSS after load (GiB)", "rss_peak_load_gb")
        row("to VRAM + prompt prefill (s)", "to_vram_and_prefill_s")
        row("decode tokens/s", "decode_tok_s", ".1f")
        row("peak VRAM decode (GiB)", "vram_peak_decode_gb")
        row("edit prefill, 3 contexts (s)", "edit_prefill_s")
        row("denoise step, 3 branches (s)", "denoise_step_s", ".3f")
        row("peak VRAM denoise (GiB)", "vram_peak_denoise_gb")
        row(f"edit end to end, {r['args']['steps']} steps (s)", "edit_s")
        row("peak VRAM edit (GiB)", "vram_peak_edit_gb")
        row("peak RSS (GiB)", "rss_peak_gb")
        seq = m[ok[0]]["sequence"]
        lines.append(f"sequence: {seq['latent_tokens']} latent + {seq['vit_tokens']} ViT + {seq['text_tokens']} text "
                     f"tokens; image {seq['image'][0]}x{seq['image'][1]}, ViT {seq['vit_image'][0]}x{seq['vit_image'][1]}")
    hf = r.get("hf", {})
    if "decode_tok_s" in hf:
        ours = m.get("bf16", {}).get("decode_tok_s")
        lines.append(f"\nHF transformers Qwen2 (bf16, attn {hf.get('attn_implementation')}): "
                     f"{hf['decode_tok_s']:.1f} tokens/s, peak VRAM {_fmt(hf['vram_peak_decode_gb'])} GiB"
                     + (f"; ours bf16 / HF = {ours / hf['decode_tok_s']:.2f}x" if ours else ""))
    elif hf:
        lines.append(f"\nHF transformers Qwen2: {hf.get('error', hf.get('skipped'))}")
    for c in ok:
        b = m[c].get("budgets") or []
        if b:
            lines.append(f"\nmemory budgets, {c}, {r['args']['budget_steps']}-step edit:")
            for x in b:
                name = "unconstrained" if x["budget_gb"] is None else f"{x['budget_gb']} GB"
                if "error" in x:
                    lines.append(f"  {name:<14} {x['error']}")
                else:
                    lines.append(f"  {name:<14} {x['seconds']:.2f} s  peak VRAM {x['vram_peak_gb']:.2f} GiB  "
                                 f"slowdown {x['slowdown']:.2f}x")
        elif c == ok[0]:
            lines.append("\nmemory budgets: skipped (no CUDA device)")
    for c in ok:
        lines.append(f"\n{c}: DynamicVRAM path: {'yes' if m[c]['dynamic_vram'] else 'no'}; compute {m[c]['compute_dtype']}")
        for k in ("attention_decode", "attention_denoise"):
            ks = m[c].get(k) or ["(no CUDA profiler on this device)"]
            lines.append(f"  {k.split('_')[1]} attention kernels: " + "; ".join(ks))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = BAGEL-7B-MoT; e.g. 0.05 for a CPU check")
    ap.add_argument("--image", type=int, default=1024, help="edit size (square), multiple of 16")
    ap.add_argument("--new-tokens", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10, help="steps of the end-to-end edit (steps - 1 model calls)")
    ap.add_argument("--denoise-calls", type=int, default=3, help="timed velocity calls (after one warm-up)")
    ap.add_argument("--budgets", default="24,16,12", help="GB budgets for ComfyUI's memory management ('' = none)")
    ap.add_argument("--budget-steps", type=int, default=4)
    ap.add_argument("--dtypes", default="fp8_e4m3fn,bf16")
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--workdir", default=None, help="where the checkpoints go (default /dev/shm if it has room)")
    ap.add_argument("--keep", action="store_true", help="keep the checkpoints")
    ap.add_argument("--comfyui", default=None, help="ComfyUI folder (default: the bootstrap's .cache/comfyui)")
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-hf", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.budgets = [float(b) for b in a.budgets.split(",") if b.strip()]
    sizes = scaled_sizes(a.scale)
    if a.child:
        print(json.dumps(measure_model(a.child[0], a.child[1], a)))
        return 0
    if a.child_hf:
        print(json.dumps(measure_hf(sizes, a)))
        return 0

    _setup(a.comfyui)
    import torch

    import make_tiny

    dtypes = [d for d in a.dtypes.split(",") if d]
    shapes = make_tiny.official_shapes(*make_tiny.tiny_configs(**sizes))
    need = sum(math.prod(s) for s in shapes.values()) * sum(1 if d.startswith("fp8") else 2 for d in dtypes)
    work = _workdir(need, a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU (no CUDA)"
    comfy_ver = "?"
    try:
        import comfyui_version  # ComfyUI's own version module, on the path ensure_comfy set
        comfy_ver = comfyui_version.__version__
    except Exception:  # noqa: BLE001 - informative only
        pass
    r = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "device": dev, "torch": torch.__version__,
         "comfyui": comfy_ver, "sizes": sizes, "args": {k: v for k, v in vars(a).items() if k not in ("child",)},
         "workdir": str(work)}
    child_args = ["--scale", str(a.scale), "--image", str(a.image), "--new-tokens", str(a.new_tokens),
                  "--steps", str(a.steps), "--denoise-calls", str(a.denoise_calls),
                  "--budgets", ",".join(str(b) for b in a.budgets), "--budget-steps", str(a.budget_steps)]
    if a.comfyui:
        child_args += ["--comfyui", a.comfyui]
    try:
        r.update(write_checkpoints(sizes, work, dtypes))
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        r["models"] = {d: _child([*child_args, "--child", r["files"][d]["path"], d]) for d in dtypes}
        r["hf"] = {"skipped": "--skip-hf"} if a.skip_hf else _child([*child_args, "--child-hf"])
    finally:
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(report(r))
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=2))
    return 1 if any("error" in m for m in r["models"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
