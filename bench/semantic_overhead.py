"""What the semantic layout capture costs a render, measured in the same renders (in-process, the
same pipeline as the sandbox job): the time spent inside the matplotlib reader (at the save's own
draw) and in the reply-side finish (rescale, text ink boxes, validation), against the render's wall
time. Target (issue 12): <= 10% of the study chart's render time.

Usage (repo root):  .venv/bin/python bench/semantic_overhead.py [--rounds 20]
bench/sandbox.py prints the same line for its chart.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

TARGET = 0.10


def measure(code, rounds=20):
    """-> (median render ms, median semantic ms, median share) over ``rounds`` in-process renders."""
    from sandbox import _reply, _semantic_mpl, render_inprocess
    spent = [0.0]

    def timed(fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t
        return wrapper

    orig_capture, orig_finish = _semantic_mpl.capture, _reply.finish_semantic
    _semantic_mpl.capture, _reply.finish_semantic = timed(orig_capture), timed(orig_finish)
    try:
        assert render_inprocess(code).ok      # warm-up
        total, sem, share = [], [], []
        for _ in range(rounds):
            spent[0] = 0.0
            t = time.perf_counter()
            r = render_inprocess(code)
            dt = time.perf_counter() - t
            assert r.ok and r.layout.get("semantic"), r.error
            total.append(dt)
            sem.append(spent[0])
            share.append(spent[0] / dt)
    finally:
        _semantic_mpl.capture, _reply.finish_semantic = orig_capture, orig_finish
    return statistics.median(total) * 1000, statistics.median(sem) * 1000, statistics.median(share)


def report(code, name, rounds=20):
    render_ms, sem_ms, share = measure(code, rounds)
    print(f"semantic layout capture ({name}, N={rounds}): {sem_ms:.2f} ms of a {render_ms:.1f} ms render = "
          f"{share * 100:.1f}% (target <= {TARGET * 100:.0f}%) {'OK' if share <= TARGET else 'MISSED'}")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_sandbox", os.path.join(REPO, "bench", "sandbox.py"))
    charts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(charts)            # bench/sandbox.py's charts
    report(charts.SIMPLE, "study chart", a.rounds)
    report(charts.RICH, "rich chart", a.rounds)
