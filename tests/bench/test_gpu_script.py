"""bench/gpu.py runs unchanged on a CPU at a scaled-down config (what reviewers and CI can check):
real checkpoints written and loaded through the real loader for both weight dtypes, decode, denoise,
the end-to-end edit through the FLUX VAE, and the transformers reference, with one JSON record.
No figure is asserted (timings belong to the script's output), only that every measurement ran."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_bench_runs_scaled_down_on_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    cmd = [sys.executable, str(REPO / "bench" / "gpu.py"), "--scale", "0.02", "--image", "64", "--steps", "2",
           "--new-tokens", "3", "--denoise-calls", "1", "--budget-steps", "2", "--json", str(out),
           "--workdir", str(tmp_path / "ckpt")]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=str(REPO), timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    rec = json.loads(out.read_text())
    assert set(rec["files"]) == {"fp8_e4m3fn", "bf16"}
    assert rec["files"]["fp8_e4m3fn"]["bytes"] < rec["files"]["bf16"]["bytes"]
    for name, m in rec["models"].items():
        assert "error" not in m, (name, m.get("error"))
        assert m["weight_dtype"] == name
        assert m["decode_tok_s"] > 0 and m["denoise_step_s"] > 0 and m["edit_s"] > 0
        assert m["edit_output"] == [1, 64, 64, 3]
        assert m["sequence"]["latent_tokens"] == (64 // 16) ** 2
    assert rec["hf"]["decode_tok_s"] > 0
    for row in ("decode tokens/s", "denoise step, 3 branches (s)", "edit end to end, 2 steps (s)",
                "HF transformers Qwen2", "memory budgets: skipped (no CUDA device)"):
        assert row in r.stdout, row
