"""A real two-node Ray cluster on 127.0.0.1 for the dataset builder's tests.

``ray start --head --block`` and ``ray start --address=... --block`` run as our own child
processes, each the leader of its own session, with their own ports (a free block below the
ephemeral range), their own temp dir and a random auth token; the second node can be killed
(SIGKILL of its whole session: raylet, agents, workers) and started again. Nothing is stopped with
``ray stop`` (that would stop every Ray on the machine). Ray binds its servers on all interfaces;
the nodes and the driver talk over 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RAY = [sys.executable, "-m", "ray.scripts.scripts"]  # the ray CLI of this interpreter (no shebang to go stale)


def _free_block(n: int) -> int:
    import random
    for _ in range(200):
        base = random.randrange(10000, 20000 - n)   # below harness.free_port()'s range: no clash with ComfyServer
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("0.0.0.0", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports")


def _session_pids(sid: int) -> list:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _kill_session(proc: subprocess.Popen, graceful: bool) -> None:
    if proc.poll() is None and graceful:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
    for pid in _session_pids(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


class RayCluster:
    def __init__(self):
        self.base = _free_block(40)
        self.address = f"127.0.0.1:{self.base}"
        self.tmp = tempfile.mkdtemp(prefix="rc", dir="/tmp")   # short: Ray's socket paths have a length limit
        self.env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32),
                        RAY_USAGE_STATS_ENABLED="0", PYTHONDONTWRITEBYTECODE="1")
        b = self.base
        self.head = self._start(["--head", f"--port={b}", "--include-dashboard=false", f"--dashboard-port={b + 1}",
                                 f"--temp-dir={self.tmp}"], 0, "head")
        self.node2 = None
        self.start_node2()

    def _start(self, extra: list, off: int, name: str) -> subprocess.Popen:
        b = self.base + off
        cmd = [*RAY, "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1",
               "--object-store-memory=80000000", "--disable-usage-stats",
               f"--dashboard-agent-listen-port={b + 2}", f"--dashboard-agent-grpc-port={b + 3}",
               f"--runtime-env-agent-port={b + 4}", f"--metrics-export-port={b + 5}",
               f"--node-manager-port={b + 6}", f"--object-manager-port={b + 7}",
               f"--min-worker-port={b + 10}", f"--max-worker-port={b + 19}", *extra]
        log = open(os.path.join(self.tmp, f"{name}.log"), "ab")
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.tmp,
                                start_new_session=True)

    def alive_nodes(self) -> int:
        r = subprocess.run([*RAY, "status", f"--address={self.address}"], env=self.env, capture_output=True,
                           text=True, timeout=60)
        active = r.stdout.split("Active:", 1)[-1].split("Pending:", 1)[0] if "Active:" in r.stdout else ""
        return sum(line.strip().startswith("1 node_") for line in active.splitlines())

    def wait_nodes(self, n: int, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in (self.head, self.node2):
                if p is not None and p.poll() is not None:
                    raise RuntimeError(f"a Ray node exited: {self.log_tail()}")
            if self.alive_nodes() >= n:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the cluster did not reach {n} nodes: {self.log_tail()}")

    def start_node2(self) -> None:
        self.node2 = self._start([f"--address={self.address}"], 20, "node2")
        self.wait_nodes(2)

    def kill_node2(self) -> None:
        """A hard crash of the second machine: SIGKILL to every process of its session."""
        _kill_session(self.node2, graceful=False)

    def log_tail(self) -> str:
        out = []
        for name in ("head", "node2"):
            p = os.path.join(self.tmp, f"{name}.log")
            if os.path.exists(p):
                out.append(f"--- {name}\n" + Path(p).read_text(errors="replace")[-2000:])
        return "\n".join(out)

    def stop(self) -> None:
        for p in (self.node2, self.head):
            if p is not None:
                _kill_session(p, graceful=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def ray_cluster():
    # Ray is an optional extra of the pack, but the test environment always has it (requirements-dev.txt)
    import ray  # noqa: F401
    c = RayCluster()
    try:
        yield c
    finally:
        c.stop()
