"""Sandbox cost, one run, interleaved round-robin (each round runs every variant once):

  in-process   render_inprocess(code)       same pipeline, UNSANDBOXED, in this process
  pooled       SandboxPool().render(code)   warm zygote + pre-forked hardened single-use child
  cold         `python -c` per render       the naive approach: fresh interpreter, import, render, PNG

Usage (repo root):  .venv/bin/python bench/sandbox.py [--rounds 15]
Targets (issue 11): pooled <= 1.10x in-process; cold >= 10x pooled. On a loaded machine (load
average above the CPU count) wall times mostly measure the scheduler: read the CPU-time table.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from sandbox import SandboxPool, render_inprocess  # noqa: E402

# the design study's chart: 600x400, 4 bars, a title and a y-label
SIMPLE = """
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
ax.bar(["A", "B", "C", "D"], [3, 7, 5, 9], color="#4c72b0")
ax.set_title("Units sold")
ax.set_ylabel("units")
fig.savefig(os.path.join(output_dir, "chart.png"))
plt.close(fig)
"""

RICH = """
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
quarters = ["Q1", "Q2", "Q3", "Q4"]
values = [12.5, 17.1, 9.8, 21.4]
bars = ax.bar(quarters, values, color=["#4c72b0", "#55a868", "#c44e52", "#8172b2"])
ax.bar_label(bars, fmt="%.1f")
ax.set_title("Quarterly revenue (M$)")
ax.set_ylabel("revenue")
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
fig.savefig(os.path.join(output_dir, "chart.png"))
plt.close(fig)
"""

COLD_PRELUDE = ("import os, sys, json, re, math, random\nimport matplotlib\nmatplotlib.use('Agg')\n"
                "import matplotlib.pyplot as plt\nimport numpy as np\nfrom PIL import Image\n"
                "output_dir = sys.argv[1]\n")


POOLED_TARGET = 1.10   # pooled / in-process
COLD_TARGET = 10.0     # cold / pooled


def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p * (len(xs) - 1)))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--chart", choices=["simple", "rich"], default="simple",
                    help="simple: the design study's chart; rich: + bar labels, grid, tight_layout")
    a = ap.parse_args()
    CHART = SIMPLE if a.chart == "simple" else RICH
    pool = SandboxPool()
    info = pool.isolation()
    print(f"isolation: {info.description}")
    # warm-up (not measured): first in-process render imports matplotlib; first pooled render starts the zygote
    assert render_inprocess(CHART).ok
    r = pool.render(CHART)
    assert r.ok, r.error
    mpl = tempfile.mkdtemp(prefix="bench-mpl-")
    env = {"PATH": os.environ.get("PATH", ""), "MPLBACKEND": "Agg", "MPLCONFIGDIR": mpl, "HOME": "/nonexistent"}
    subprocess.run([sys.executable, "-I", "-c", "import matplotlib.pyplot"], env=env, check=True)  # font cache
    times = {"in-process": [], "pooled": [], "cold": []}
    cpu = {"in-process": [], "pooled": [], "cold": []}
    for i in range(a.rounds):
        c, t = time.process_time(), time.perf_counter()
        r = render_inprocess(CHART)
        times["in-process"].append(time.perf_counter() - t)
        cpu["in-process"].append(time.process_time() - c)
        assert r.ok
        c, t = time.process_time(), time.perf_counter()
        r = pool.render(CHART)
        times["pooled"].append(time.perf_counter() - t)
        assert r.ok, r.error
        # CPU: the job process (from wait4 in the worker host) + this process's side of the IPC
        st = pool.last_job_stats
        cpu["pooled"].append(time.process_time() - c + (st.get("job_cpu_s") or 0.0))
        out = tempfile.mkdtemp(prefix="bench-cold-")
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", COLD_PRELUDE + CHART, out], env=env, check=True)
        times["cold"].append(time.perf_counter() - t)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["cold"].append(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime)
        assert os.path.exists(os.path.join(out, "chart.png"))
        print(f"round {i + 1}/{a.rounds}: " + "  ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in times.items()),
              flush=True)
    pool.close()
    load = os.getloadavg()[0]
    print(f"\nchart: {a.chart} 600x400, N={a.rounds} interleaved rounds, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs"
          + ("  (LOADED: wall times are noise, compare CPU times)" if load > (os.cpu_count() or 1) else ""))
    for title, data in (("wall time (what the caller waits)", times),
                        ("CPU time after the job is sent (less sensitive to other load on the machine)", cpu)):
        med = {k: statistics.median(v) for k, v in data.items()}
        print(f"\n{title}\n{'variant':12s} {'median':>9s} {'p10':>9s} {'p90':>9s}")
        for k, v in data.items():
            print(f"{k:12s} {med[k] * 1000:8.1f}ms {q(v, .1) * 1000:8.1f}ms {q(v, .9) * 1000:8.1f}ms")
        r1 = med["pooled"] / med["in-process"]
        r2 = med["cold"] / med["pooled"]
        print(f"pooled / in-process = {r1:.2f}x (target <= {POOLED_TARGET:.2f}x) "
              f"{'OK' if r1 <= POOLED_TARGET else 'MISSED'}")
        print(f"cold / pooled       = {r2:.1f}x (target >= {COLD_TARGET:g}x)  {'OK' if r2 >= COLD_TARGET else 'MISSED'}")
        print(f"pooled overhead     = {(med['pooled'] - med['in-process']) * 1000:.1f} ms per render")
    from semantic_overhead import report   # bench/semantic_overhead.py: the semantic capture's share (issue 12)
    report(CHART, a.chart, a.rounds)


if __name__ == "__main__":
    main()
