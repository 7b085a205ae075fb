"""One denoise step of draft refinement: ours vs the BAGEL reference, same weights, same inputs, this CPU.

One step = one velocity call with both CFG branches (cond + text-uncond + image-uncond, dual CFG with
``text_channel`` renorm: the edit defaults), i.e. what CoCo_DraftRefine runs steps - 1 times.

It writes a checkpoint with the real key layout and scaled sizes (seeded random bf16 weights,
``tests/models/make_tiny.py``), builds the edit contexts (VAE image at t=0 + ViT image + prompt;
image-only; prompt-only) on both sides from the same packed latent, ViT pixels and token ids, then
times the velocity call in a fresh subprocess per side:

* ours: ``load_coco(folder, "bf16")`` + ``sampler.edit_contexts`` + ``CoCoModel.velocity``, bf16
  compute (what the node runs on CPU);
* reference: the official code (github.com/ByteDance-Seed/Bagel, a checkout outside this repo, with
  a CPU stand-in for ``flash_attn``), bf16 weights under ``torch.autocast("cpu", bfloat16)`` as in
  bagel.md section 7, ``Bagel._forward_flow`` with the same three contexts built through its
  ``InterleaveInferencer`` (stub VAE returning the same latent, identity image transforms).

It prints the median time of each, the ratio ours / reference (target <= 1.0), and the largest
difference between the two velocities. The reference runs with ``--ref-python`` (default
``/work/ref/venv/bin/python``) and ``--ref-root`` (default ``/work/ref/bagel``; shim folder
``/work/ref/shim``); when they are missing it prints "reference not available" and times ours only.

    .venv/bin/python bench/denoise.py [--hidden 512 --layers 4 --image 256 --repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIGMA = 0.75
CFG = dict(cfg_text_scale=4.0, cfg_img_scale=2.0, cfg_renorm_type="text_channel", cfg_renorm_min=0.0)


# ---- shared inputs ------------------------------------------------------------------------------

def make_inputs(folder: Path, image: int, vit_image: int, prompt_len: int, seed: int = 0) -> Path:
    """Latent (BAGEL-scaled, unpacked [1,16,H/8,W/8]), ViT pixels [3,h,w] in [-1,1], noise, ids."""
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(seed)
    latent = torch.randn(1, 16, image // 8, image // 8, generator=g)
    vit = torch.rand(3, vit_image, vit_image, generator=g) * 2 - 1
    noise = torch.randn((image // 16) ** 2, 64, generator=g)
    path = folder / "bench_inputs.safetensors"
    save_file({"latent": latent.contiguous(), "vit": vit.contiguous(), "noise": noise.contiguous()}, str(path))
    ids = [int(i) for i in torch.randint(0, 200, (prompt_len,), generator=g)]
    (folder / "bench_inputs.json").write_text(json.dumps({"ids": ids, "image": image, "vit_image": vit_image}))
    return path


# ---- ours ---------------------------------------------------------------------------------------

def child_ours(folder: str, repeats: int, threads: int) -> None:
    sys.path.insert(0, str(REPO))
    from models.bagel.convert import ensure_comfy

    ensure_comfy()
    import torch
    from safetensors.torch import load_file

    torch.set_num_threads(threads)
    from models.bagel import latents as L
    from models.bagel import sampler as S
    from models.bagel.loader import load_coco

    f = Path(folder)
    t = load_file(str(f / "bench_inputs.safetensors"))
    meta = json.loads((f / "bench_inputs.json").read_text())
    model = load_coco(folder, "bf16")
    packed, hw = L.pack_latent(t["latent"])
    with torch.inference_mode():
        ctx = S.edit_contexts(model, meta["ids"], packed, hw, t["vit"])
        times, v = [], None
        for i in range(repeats + 1):
            t0 = time.perf_counter()
            v = model.velocity(t["noise"], SIGMA, hw, ctx.cond, ctx.text_uncond, ctx.img_uncond, **CFG)
            dt = time.perf_counter() - t0
            if i:
                times.append(dt)
    out = f / "v_ours.safetensors"
    from safetensors.torch import save_file

    save_file({"v": v.float().contiguous()}, str(out))
    print(json.dumps({"times": times, "tokens": hw[0] * hw[1], "kv": [ctx.cond.kv_len, ctx.text_uncond.kv_len,
                                                                      ctx.img_uncond.kv_len],
                      "torch": torch.__version__, "special_tokens": model.special_tokens}))


# ---- reference ----------------------------------------------------------------------------------

def child_ref(folder: str, repeats: int, threads: int, ref_root: str, shim: str, special: str) -> None:
    sys.path.insert(0, shim)
    sys.path.insert(0, ref_root)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import copy

    import torch
    from PIL import Image
    from safetensors.torch import load_file, save_file

    torch.set_num_threads(threads)
    from inferencer import InterleaveInferencer
    from modeling.autoencoder import AutoEncoderParams
    from modeling.bagel import BagelConfig, Bagel, Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig, SiglipVisionModel

    f = Path(folder)
    t = load_file(str(f / "bench_inputs.safetensors"))
    meta = json.loads((f / "bench_inputs.json").read_text())
    new_token_ids = json.loads(special)
    over = json.loads((f / "bagel_config.json").read_text())

    llm = Qwen2Config.from_json_file(str(f / "llm_config.json"))
    llm.qk_norm, llm.tie_word_embeddings, llm.layer_module = True, False, "Qwen2MoTDecoderLayer"
    vit = SiglipVisionConfig.from_json_file(str(f / "vit_config.json"))
    vit.rope = False
    vit.num_hidden_layers -= 1
    vae = AutoEncoderParams(resolution=256, in_channels=3, downsample=8, ch=128, out_ch=3, ch_mult=[1, 2, 4, 4],
                            num_res_blocks=2, z_channels=16, scale_factor=0.3611, shift_factor=0.1159)
    cfg = BagelConfig(visual_gen=True, visual_und=True, llm_config=llm, vit_config=vit, vae_config=vae,
                      vit_max_num_patch_per_side=over["vit_max_num_patch_per_side"],
                      connector_act="gelu_pytorch_tanh", latent_patch_size=2,
                      max_latent_size=over["max_latent_size"])
    model = Bagel(Qwen2ForCausalLM(llm), SiglipVisionModel(vit), cfg)
    model.vit_model.vision_model.embeddings.convert_conv2d_to_linear(vit, meta=False)
    model.load_state_dict(load_file(str(f / "ema.safetensors")), strict=True)
    model = model.to(torch.bfloat16).eval()

    class Tok:
        def encode(self, text):
            return list(meta["ids"])

    class StubVAE:
        def encode(self, x):
            return t["latent"].clone()

    class Tf:
        def __init__(self, fn):
            self.fn = fn

        def resize_transform(self, img):
            return img

        def __call__(self, img, img_num=1):
            return self.fn(img)

    image = meta["image"]
    inf = InterleaveInferencer(model, StubVAE(), Tok(), Tf(lambda im: torch.zeros(3, image, image)),
                               Tf(lambda im: t["vit"].clone()), new_token_ids)
    pil = Image.new("RGB", (image, image))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        gen = inf.init_gen_context()
        cfg_img = copy.deepcopy(gen)
        gen = inf.update_context_image(pil, gen, vae=True, vit=True)
        cfg_text = copy.deepcopy(gen)
        gen = inf.update_context_text("prompt", gen)
        cfg_img = inf.update_context_text("prompt", cfg_img)
        g = model.prepare_vae_latent(gen["kv_lens"], gen["ropes"], [(image, image)], new_token_ids)
        ct = model.prepare_vae_latent_cfg(cfg_text["kv_lens"], cfg_text["ropes"], [(image, image)])
        ci = model.prepare_vae_latent_cfg(cfg_img["kv_lens"], cfg_img["ropes"], [(image, image)])
        model.language_model.model.enable_taylorseer = False
        x = t["noise"]
        kw = dict(
            x_t=x, timestep=torch.tensor([SIGMA] * x.shape[0]),
            packed_vae_token_indexes=g["packed_vae_token_indexes"], packed_vae_position_ids=g["packed_vae_position_ids"],
            packed_text_ids=g["packed_text_ids"], packed_text_indexes=g["packed_text_indexes"],
            packed_indexes=g["packed_indexes"], packed_position_ids=g["packed_position_ids"],
            packed_seqlens=g["packed_seqlens"], key_values_lens=g["key_values_lens"],
            past_key_values=gen["past_key_values"], packed_key_value_indexes=g["packed_key_value_indexes"],
            cfg_text_packed_query_indexes=ct["cfg_packed_query_indexes"],
            cfg_text_packed_position_ids=ct["cfg_packed_position_ids"],
            cfg_text_key_values_lens=ct["cfg_key_values_lens"], cfg_text_past_key_values=cfg_text["past_key_values"],
            cfg_text_packed_key_value_indexes=ct["cfg_packed_key_value_indexes"],
            cfg_img_packed_query_indexes=ci["cfg_packed_query_indexes"],
            cfg_img_packed_position_ids=ci["cfg_packed_position_ids"],
            cfg_img_key_values_lens=ci["cfg_key_values_lens"], cfg_img_past_key_values=cfg_img["past_key_values"],
            cfg_img_packed_key_value_indexes=ci["cfg_packed_key_value_indexes"],
            **CFG,
        )
        times, v = [], None
        for i in range(repeats + 1):
            t0 = time.perf_counter()
            v = model._forward_flow(**kw)
            dt = time.perf_counter() - t0
            if i:
                times.append(dt)
    save_file({"v": v.float().contiguous()}, str(f / "v_ref.safetensors"))
    print(json.dumps({"times": times, "kv": [gen["kv_lens"][0], cfg_text["kv_lens"][0], cfg_img["kv_lens"][0]],
                      "torch": torch.__version__}))


# ---- driver -------------------------------------------------------------------------------------

def _run(cmd: list[str]) -> dict:
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(REPO))
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=1408)
    ap.add_argument("--vit-hidden", type=int, default=128)
    ap.add_argument("--vit-layers", type=int, default=2)
    ap.add_argument("--image", type=int, default=256, help="VAE-side image side in px (multiple of 16)")
    ap.add_argument("--vit-image", type=int, default=224, help="ViT-side image side in px (multiple of 14)")
    ap.add_argument("--prompt-len", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternating ours/reference rounds; the best median counts")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ref-python", default="/work/ref/venv/bin/python")
    ap.add_argument("--ref-root", default="/work/ref/bagel")
    ap.add_argument("--ref-shim", default="/work/ref/shim")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind = args.child[0]
        if kind == "ours":
            child_ours(args.child[1], int(args.child[2]), int(args.child[3]))
        else:
            child_ref(args.child[1], int(args.child[2]), int(args.child[3]), args.child[4], args.child[5],
                      args.child[6])
        return

    sys.path.insert(0, str(REPO / "tests" / "models"))
    import make_tiny

    tmp = Path(args.dir or tempfile.mkdtemp(prefix="coco-bench-denoise-"))
    latent_side = max(4, args.image // 16)
    vit_patches = max(4, args.vit_image // 14)
    folder = make_tiny.make_folder(tmp / "ckpt", seed=0, hidden=args.hidden, layers=args.layers, heads=args.heads,
                                   kv_heads=args.kv_heads, intermediate=args.intermediate,
                                   vit_hidden=args.vit_hidden, vit_layers=args.vit_layers,
                                   vit_patches=vit_patches, latent_size=latent_side)
    make_inputs(folder, args.image, args.vit_image, args.prompt_len)
    print(f"config: hidden {args.hidden}, {args.layers} layers, {args.heads}/{args.kv_heads} heads, "
          f"intermediate {args.intermediate}; image {args.image}px ({latent_side ** 2} latent tokens), ViT "
          f"{args.vit_image}px ({(args.vit_image // 14) ** 2} tokens), prompt {args.prompt_len} tokens; "
          f"{args.threads} threads; one step = cond + text-uncond + image-uncond passes, text_channel renorm")

    ref_ok = Path(args.ref_python).exists() and (Path(args.ref_root) / "modeling" / "bagel").is_dir() and \
        (Path(args.ref_shim) / "flash_attn").is_dir()
    ours_runs, ref_runs, ref_error = [], [], None
    for _ in range(max(1, args.rounds)):  # alternate, so load from other processes hits both sides alike
        ours_runs.append(_run([sys.executable, __file__, "--child", "ours", str(folder), str(args.repeats),
                               str(args.threads)]))
        if ref_ok and ref_error is None:
            special = json.dumps({k: int(v) for k, v in ours_runs[0]["special_tokens"].items()})
            try:
                ref_runs.append(_run([args.ref_python, __file__, "--child", "ref", str(folder), str(args.repeats),
                                      str(args.threads), args.ref_root, args.ref_shim, special]))
            except RuntimeError as e:
                ref_error = str(e)
    ours = ours_runs[0]
    t_ours = min(statistics.median(r["times"]) for r in ours_runs)
    print(f"ours:      median {t_ours * 1000:8.1f} ms  (best of {len(ours_runs)} rounds x {args.repeats}; "
          f"kv lens {ours['kv']}, torch {ours['torch']})")
    if not ref_ok:
        print("reference not available (need --ref-python, --ref-root with the official code and --ref-shim "
              "with a CPU flash_attn stand-in)")
        return
    if not ref_runs:
        print(f"reference not available: {ref_error}")
        return
    ref = ref_runs[0]
    t_ref = min(statistics.median(r["times"]) for r in ref_runs)
    print(f"reference: median {t_ref * 1000:8.1f} ms  (best of {len(ref_runs)} rounds x {args.repeats}; "
          f"kv lens {ref['kv']}, torch {ref['torch']})")
    from safetensors.torch import load_file

    vo, vr = load_file(str(folder / "v_ours.safetensors"))["v"], load_file(str(folder / "v_ref.safetensors"))["v"]
    err = float((vo - vr).abs().max())
    rel = float((vo - vr).norm() / vr.norm().clamp_min(1e-12))
    print(f"velocity agreement: max |ours - ref| = {err:.4g}, relative L2 = {rel:.4g} (|v| max {float(vr.abs().max()):.3g})")
    print(f"ratio ours / reference = {t_ours / t_ref:.3f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
