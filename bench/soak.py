"""Sandbox soak: many renders (good, failing and hostile jobs mixed) through ONE pool, with the
caller's resources printed at the start and at the end. Nothing may grow: the caller's RSS, its
open fds and threads, scratch dirs, SysV IPC objects, pids cgroups, processes of the worker.

Usage (repo root):  .venv/bin/python bench/soak.py [--renders 1000] [--worker-uid 65534]
Exit status 1 if a counter grew (RSS: more than 8 MiB, allocator noise) or a job got an outcome it
must not get (a hostile job rendering "ok", a good one failing).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from sandbox import Limits, SandboxPool  # noqa: E402

L = Limits(timeout_s=3, cpu_s=2, memory_mb=384)
LIBC = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
GOOD = ("fig, ax = plt.subplots(figsize=(3, 2), dpi=60)\nax.bar(['a', 'b', 'c'], [{i} % 7 + 1, 3, 2])\n"
        "ax.set_title('soak {i}')\n")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="40"><rect width="30" height="20" fill="#48c"/></svg>'

# (name, weight, code, language, expected outcome: "ok" | "fail")
JOBS = [
    ("good", 50, GOOD, "python", "ok"),
    ("good_svg", 5, SVG, "svg", "ok"),
    ("syntax_error", 4, "plt.plot([1, 2]\n", "python", "fail"),
    ("runtime_error", 4, "1 / 0", "python", "fail"),
    ("no_output", 3, "x = 1", "python", "fail"),
    ("memory_bomb", 3, "x = bytearray(10 ** 11)", "python", "fail"),
    ("read_secret", 3, "open('/etc/shadow').read()", "python", "fail"),
    ("socket", 3, "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)", "python", "fail"),
    ("fork", 3, "os.fork()", "python", "fail"),
    ("sysv_ipc", 3, LIBC + "print(libc.shmget(0xC0C0, 4096, 0o1666), libc.msgget(0xC0C1, 0o1666))\nplt.figure()",
     "python", "ok"),
    ("memfd", 2, "os.memfd_create('x')", "python", "fail"),
    ("threads", 2, "import threading, time\nthreading.stack_size(65536)\n"
                   "for i in range(600):\n    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()",
     "python", "fail"),
    ("deleted_files", 1, "fs = []\nfor i in range(6):\n    f = open(f'x{i}', 'wb'); f.write(b'x' * (50 << 20))\n"
                         "    os.unlink(f'x{i}'); fs.append(f)\nplt.figure()", "python", "fail"),
    ("deep_tree", 2, LIBC + "for i in range(2000):\n    libc.mkdir(b'a', 0o700); libc.chdir(b'a')\n", "python", "fail"),
    ("forged_reply", 2, "import json, struct, stat\nh = json.dumps({'ok': True, 'images': [{'width': 1e999, 'height': 1}],"
                        " 'log': '\\x1b]0;x\\x07'}).encode()\nfr = b'CSB1' + struct.pack('<I', len(h)) + h + "
                        "struct.pack('<Q', 0)\nfor fd in range(3, 64):\n    try:\n"
                        "        if stat.S_ISFIFO(os.fstat(fd).st_mode): os.write(fd, fr)\n    except OSError: pass\n"
                        "os._exit(0)", "python", "fail"),
    ("os_exit", 2, "os._exit(3)", "python", "fail"),
    ("unsafe_svg", 2, '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><style>a{}<g/>@import url(x);'
                      '</style></svg>', "svg", "fail"),
    ("infinite_loop", 1, "while True:\n    pass", "python", "fail"),
]


def _count_lines(path):
    try:
        with open(path) as f:
            return max(0, len(f.readlines()) - 1)
    except OSError:
        return 0


def snapshot(pool):
    with open("/proc/self/status") as f:
        st = {line.split(":")[0]: line.split(":")[1].strip() for line in f}
    tmp = tempfile.gettempdir()
    zpid = pool._worker.proc.pid if pool._worker is not None else -1
    time.sleep(0.5)         # let the worker host reap the last job and pre-fork the next child
    cg = 0                  # job cgroups of this pool's worker host (other pools are not ours to count)
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        try:
            for n in os.listdir(base):
                if n.startswith("coco-job-"):
                    pid = int(n.split("-")[2])
                    cg += pid == zpid
        except (OSError, ValueError):
            pass
    worker_procs = 0
    if pool._worker is not None:
        pgid = pool._worker.proc.pid
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    if os.getpgid(int(p)) == pgid:
                        worker_procs += 1
                except OSError:
                    pass
    zrss = 0.0
    try:
        with open(f"/proc/{zpid}/status") as f:
            zrss = [int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:")][0]
    except (OSError, IndexError):
        pass
    return collections.OrderedDict([
        ("caller RSS MiB", int(st["VmRSS"].split()[0]) / 1024),
        ("worker host RSS MiB", zrss),
        ("caller open fds", len(os.listdir("/proc/self/fd"))),
        ("caller threads", int(st["Threads"])),
        ("(info) scratch dirs of dead pools", sum(1 for n in os.listdir(tmp) if n.startswith("coco-sandbox-")
                                           and n.split("-")[2].isdigit()
                                           and not os.path.exists(f"/proc/{n.split('-')[2]}"))),
        ("entries in this pool's scratch", len(os.listdir(pool._scratch))),
        ("SysV IPC objects (machine-wide)", sum(_count_lines(f"/proc/sysvipc/{k}") for k in ("shm", "msg", "sem"))),
        ("pids cgroups", cg),
        ("worker processes", worker_procs),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--renders", type=int, default=1000)
    ap.add_argument("--worker-uid", type=int, default=None)
    a = ap.parse_args()
    pool = SandboxPool(limits=L, worker_uid=a.worker_uid)
    print("isolation:", pool.isolation().description)
    schedule = [j for j in JOBS for _ in range(j[1])]
    # warm-up (not counted): every kind once, then 100 mixed renders (in the first run without them the
    # caller's RSS went 15.2 -> 17.9 MiB during the first 100 renders, then stayed at 17.9 MiB to 1,000)
    for name, _, code, lang, _ in JOBS:
        pool.render(code.format(i=0) if name == "good" else code, language=lang)
    for i in range(100):            # + 100 mixed: the caller's allocator reaches its working size
        name, _, code, lang, _ = schedule[(i * 7) % len(schedule)]
        pool.render(code.format(i=i) if name == "good" else code, language=lang)
    start = snapshot(pool)
    t0 = time.monotonic()
    outcomes = collections.Counter()
    wrong = []
    for i in range(a.renders):
        name, _, code, lang, expect = schedule[(i * 7) % len(schedule)]
        r = pool.render(code.format(i=i) if name == "good" else code, language=lang)
        outcomes[(name, r.ok, r.error_type)] += 1
        if r.ok != (expect == "ok"):
            wrong.append((i, name, r.ok, r.error_type, (r.error or "")[:120]))
        if (i + 1) % 100 == 0:
            snap = snapshot(pool)
            print(f"  {i + 1}/{a.renders} renders, {time.monotonic() - t0:.0f} s, caller RSS "
                  f"{snap['caller RSS MiB']:.1f} MiB, worker host RSS {snap['worker host RSS MiB']:.1f} MiB", flush=True)
    end = snapshot(pool)
    pool.close()
    print(f"\n{a.renders} renders in {time.monotonic() - t0:.0f} s, worker restarts: {pool.restarts}")
    print(f"\n{'':34s} {'start':>10s} {'end':>10s}")
    grew = []
    for k in start:
        s, e = start[k], end[k]
        print(f"{k:34s} {s:10.1f} {e:10.1f}" if isinstance(s, float) else f"{k:34s} {s:10d} {e:10d}")
        if k.startswith("(info)"):
            continue        # machine-wide: another process's pool that died meanwhile shows here too
        if ("RSS" in k and e - s > 8) or ("RSS" not in k and e > s):
            grew.append(k)
    print("\noutcomes:")
    for (name, ok, et), n in sorted(outcomes.items()):
        print(f"  {name:16s} {'ok' if ok else et:16s} {n}")
    if wrong:
        print("\nUNEXPECTED outcomes:")
        for w in wrong[:20]:
            print("  ", w)
    print("\nverdict:", "GREW: " + ", ".join(grew) if grew else "nothing grew",
          "; all outcomes as expected" if not wrong else f"; {len(wrong)} unexpected outcomes")
    return 1 if grew or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
