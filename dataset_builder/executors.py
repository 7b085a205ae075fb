"""Where items run: plain local sandbox pools (threads) or Ray actors (one per CPU slot).

Both expose ``submit(item) -> handle``, ``wait(timeout) -> [(handle, result | Exception)]``,
``slots`` and ``close()``. A returned Exception means the infrastructure failed (a Ray node or
actor died, a worker crashed): the driver resubmits the item; item-level failures come back as
results with ``ok=False``. Ray is imported only here, and only when a Ray executor is made.
"""

from __future__ import annotations

import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor

from ._siblings import staged_pack
from .stages import ItemProcessor


class LocalExecutor:
    """``workers`` threads sharing ``workers`` ItemProcessors (each its own warm sandbox pool)."""

    name = "local"

    def __init__(self, cfg: dict, workers: int):
        self.slots = max(1, int(workers))
        self._done = queue.Queue()
        self._free = queue.Queue()
        self._pool = ThreadPoolExecutor(self.slots, thread_name_prefix="coco-dataset")
        self.nodes = 1
        self.lost = 0
        # start every sandbox pool now, in parallel: the first items should not pay the start-up
        self._procs = list(self._pool.map(lambda _: _warm(ItemProcessor(cfg)), range(self.slots)))
        for p in self._procs:
            self._free.put(p)

    def submit(self, item: dict):
        handle = object()

        def job():
            proc = self._free.get()
            try:
                res = proc.process(item)
            except Exception as e:  # noqa: BLE001 - reported to the driver as an infrastructure failure
                res = e
            finally:
                self._free.put(proc)
            self._done.put((handle, res))
        self._pool.submit(job)
        return handle

    def wait(self, timeout: float) -> list:
        out = []
        try:
            out.append(self._done.get(timeout=timeout))
            while True:
                out.append(self._done.get_nowait())
        except queue.Empty:
            pass
        return out

    def close(self):
        self._pool.shutdown(wait=True)
        for p in self._procs:
            p.close()


def _warm(proc: ItemProcessor) -> ItemProcessor:
    proc.warm()
    return proc


class _Actor:
    """Body of the Ray actor: one warm ItemProcessor for the actor's lifetime."""

    def __init__(self, cfg: dict):
        self.proc = ItemProcessor(cfg)

    def warm(self) -> dict:
        import socket
        return {"node": socket.gethostname(), "pid": os.getpid(), "tier": self.proc.warm()}

    def process(self, item: dict) -> dict:
        return self.proc.process(item)


class RayExecutor:
    """One actor per CPU slot of the cluster (``workers`` caps it), spread over the nodes. Each
    actor keeps one sandbox pool warm and runs ``per_actor`` items at a time (threads: code
    generation and refinement wait on servers while the sandbox renders). Dead actors are dropped
    and their items come back as exceptions; when none is left, new ones are started where the
    cluster has room."""

    name = "ray"

    def __init__(self, cfg: dict, workers: int | None, address: str | None, per_actor: int = 1,
                 object_store_mb: int = 200):
        import ray
        self.ray = ray
        import tempfile
        self._stage = tempfile.mkdtemp(prefix="coco-dataset-code-")
        runtime_env = {"py_modules": [staged_pack(self._stage)],   # the code travels to every node
                       "env_vars": {"PYTHONDONTWRITEBYTECODE": "1"}}
        if address:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level="WARNING")
        else:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, runtime_env=runtime_env,
                     object_store_memory=object_store_mb << 20, log_to_driver=False, logging_level="WARNING")
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max(1, min(cpus, workers) if workers else cpus)
        self.nodes = len([n for n in ray.nodes() if n.get("Alive")])
        self.per_actor = max(1, int(per_actor))
        self._cls = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0,
                               max_concurrency=self.per_actor)(_Actor)
        self._cfg = cfg
        self._actors: dict = {}      # actor -> outstanding count
        self._refs: dict = {}        # ref -> actor
        self.lost = 0                # actors lost (node or worker died)
        self.start_error = ""
        self._start(self.slots)

    def _start(self, n: int):
        new = [self._cls.options(scheduling_strategy="SPREAD").remote(self._cfg) for _ in range(n)]
        warm = [a.warm.remote() for a in new]
        ready, _ = self.ray.wait(warm, num_returns=len(warm), timeout=300)
        for a, r in zip(new, warm):
            if r in ready:
                try:
                    self.ray.get(r)
                    self._actors[a] = 0
                    continue
                except Exception as e:  # noqa: BLE001 - actor could not start (its node died, no sandbox): skip it
                    self.start_error = f"{type(e).__name__}: {e}"
            self.ray.kill(a)
        if not self._actors:
            raise RuntimeError("no Ray actor could start (is there a free CPU in the cluster?) "
                               + self.start_error[-1500:])

    @property
    def capacity(self) -> int:
        return max(1, len(self._actors)) * self.per_actor

    def submit(self, item: dict):
        if not self._actors:
            self._start(max(1, int(self.ray.available_resources().get("CPU", 1))))
        actor = min(self._actors, key=self._actors.get)
        ref = actor.process.remote(item)
        self._actors[actor] += 1
        self._refs[ref] = actor
        return ref

    def wait(self, timeout: float) -> list:
        if not self._refs:
            time.sleep(min(timeout, 0.05))
            return []
        ready, _ = self.ray.wait(list(self._refs), num_returns=len(self._refs), timeout=timeout, fetch_local=True)
        out = []
        for ref in ready:
            actor = self._refs.pop(ref)
            try:
                res = self.ray.get(ref)
                if actor in self._actors:
                    self._actors[actor] -= 1
            except (self.ray.exceptions.RayActorError, self.ray.exceptions.ObjectLostError) as e:
                res = e                   # the actor or its node died: drop it; the driver resubmits
                if actor in self._actors:
                    del self._actors[actor]
                    self.lost += 1
            except Exception as e:  # noqa: BLE001 - the task raised: the actor lives on; the driver retries
                res = e
                if actor in self._actors:
                    self._actors[actor] -= 1
            out.append((ref, res))
        return out

    def close(self):
        for a in list(self._actors):
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001
                pass
        self.ray.shutdown()
        import shutil
        shutil.rmtree(self._stage, ignore_errors=True)
