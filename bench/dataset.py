"""Dataset builder throughput: drafts per second with 1 and 2 worker processes, Ray against the
plain local sandbox pools for the same work, side by side, one run.

Each variant runs ``python -m dataset_builder build`` (drawing-only: ``--template text_card`` on
LongText-Bench prompts, so no model is involved) into a fresh folder and reads its summary:
start-up (Ray: start the embedded cluster and warm the actors; local: warm the pools) is reported
apart from the steady part, where drafts/s = items committed / seconds after start-up. Rounds are
interleaved (each round runs every variant once). All four variants must produce the same manifest
(checked). On a machine shared with other work the load average is printed: read the ratios.

Usage (repo root):  .venv/bin/python bench/dataset.py [--items 60] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LONGTEXT = os.path.join(os.path.dirname(REPO), "shared", "evals", "longtext_bench", "text_prompts.jsonl")


def run(prompts: str, out: str, executor: str, workers: int) -> dict:
    summary = out + ".summary.json"
    cmd = [sys.executable, "-m", "dataset_builder", "build", prompts, out, "--template", "text_card",
           "--executor", executor, "--workers", str(workers), "--no-progress", "--summary", summary]
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    with open(summary) as f:
        s = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        s["manifest"] = f.read()
    s["wall_s"] = wall
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--prompts", default=LONGTEXT)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="coco-bench-dataset-")
    prompts = os.path.join(tmp, "prompts.jsonl")
    with open(a.prompts, encoding="utf-8") as f, open(prompts, "w", encoding="utf-8") as g:
        g.writelines(f.readlines()[: a.items])
    variants = [("local", 1), ("ray", 1), ("local", 2), ("ray", 2)]
    res: dict = {v: [] for v in variants}
    print(f"{a.items} LongText prompts, drawing-only (text_card), {os.cpu_count()} CPUs, "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for r in range(a.rounds):
        for ex, w in variants:
            s = run(prompts, os.path.join(tmp, f"{ex}{w}-{r}"), ex, w)
            res[(ex, w)].append(s)
            print(f"  round {r + 1}: {ex} x{w}: {s['seconds']:.1f} s", flush=True)
    manifests = {s["manifest"] for v in res.values() for s in v}
    print(f"\nsame manifest from every run: {len(manifests) == 1}")
    print(f"\n{'executor':<8} {'workers':>7} {'start-up s':>10} {'run s':>7} {'drafts/s':>9} "
          f"{'render busy s/draft':>20}")
    rate = {}
    for (ex, w), runs in res.items():
        startup = sum(s.get("startup_s", 0) for s in runs) / len(runs)
        run_s = sum(s["seconds"] - s.get("startup_s", 0) for s in runs) / len(runs)
        n = sum(s.get("committed", 0) for s in runs) / len(runs)
        busy = sum(s["stage_busy_s"].get("render", 0) for s in runs) / max(1, sum(s.get("committed", 0) for s in runs))
        rate[(ex, w)] = n / run_s if run_s else 0.0
        print(f"{ex:<8} {w:>7} {startup:>10.1f} {run_s:>7.1f} {rate[(ex, w)]:>9.2f} {busy:>20.3f}")
    print()
    for w in (1, 2):
        lo, ry = rate[("local", w)], rate[("ray", w)]
        print(f"{w} worker(s): Ray {ry:.2f} drafts/s vs local {lo:.2f} drafts/s -> Ray overhead "
              f"{(lo / ry - 1) * 100 if ry else float('nan'):+.1f}% time per draft (start-up not included)")
    print(f"2 vs 1 worker: local x{rate[('local', 2)] / rate[('local', 1)]:.2f}, "
          f"ray x{rate[('ray', 2)] / rate[('ray', 1)]:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
