"""Worker host, run as ``python -I -c <boot> <sandbox dir> <config json>`` with a scrubbed environment.

Linux ("zygote" mode): preloads matplotlib/numpy/PIL/resvg, does a warm render, never runs user
code itself. It keeps ONE child forked, hardened and warmed, blocked on a job pipe; each job goes
to that child, which runs exactly once and exits. Child hardening order: setsid -> pdeathsig ->
fds closed (stdio to /dev/null) -> chdir(scratch) -> warm render -> capabilities dropped ->
no_new_privs -> Landlock -> seccomp -> self-test -> "ready" -> job -> rlimits -> exec(code).
A layer the tier needs that fails => the child reports it and the job is refused (fail closed).

"spawn" mode (Windows/macOS, and isolation="spawn" anywhere): the process itself is a single-use
worker: preload, warm, serve one job, exit. The parent confines it (Job Object / sandbox-exec).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import sys
import time

from . import _protocol, _scratch
from ._child import MAX_TASKS, SCRATCH_QUOTA, _out, _reader, _warm, child as _child
from ._types import Limits

READY_TIMEOUT = 30.0
AFTER_REPLY_S = 0.02      # clean-up after a reply waits this long for the caller to be done with it


class _TooManyThreads(Exception):
    pass


# ---------------------------------------------------------------------------------------------- zygote

class _Prepared:
    def __init__(self, pid, job_w, res_r, scratch, cgroup=None):
        self.pid, self.job_w, self.res_r, self.scratch, self.cgroup = pid, job_w, res_r, scratch, cgroup
        self.ready = None


class Zygote:
    def __init__(self, cfg):
        self.cfg = cfg
        self.n = 0
        self.child = None
        self.required = []
        self.tier = None
        self.layers = []
        self._to_reap = None
        self.ready_wait = 0.0

    def prepare(self):
        from . import _linux, _ns
        self.n += 1
        scratch = os.path.join(self.cfg["scratch_base"], f"job-{os.getpid()}-{self.n}")
        os.mkdir(scratch, 0o700)
        if self.cfg.get("_namespaces"):
            os.mkdir(scratch + ".root", 0o700)     # mount point of the child's minimal root
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        _grow_pipe(res_r)
        nproc = None
        try:
            nproc = _linux.count_uid_processes(os.getuid()) + 256
        except OSError:
            pass
        cfg = self.cfg
        cgroup = None
        if cfg.get("_pids_base"):
            try:
                cgroup = _ns.make_pids_cgroup(cfg["_pids_base"], f"coco-job-{os.getpid()}-{self.n}", MAX_TASKS)
                cfg = dict(cfg, _cgroup=cgroup)
            except OSError:
                pass        # the child then lacks the layer and, if the first one had it, refuses the job
        brk = cfg.get("_test_break_landlock_from_child")
        if brk and self.n >= brk:
            cfg = dict(cfg, _test_break_landlock=True)
        pid = os.fork()
        if pid == 0:
            os.close(job_w)
            os.close(res_r)
            _child(cfg, job_r, res_w, scratch, nproc, self.required)
            os._exit(0)
        os.close(job_r)
        os.close(res_w)
        self.child = _Prepared(pid, job_w, res_r, scratch, cgroup)

    def _await_ready(self, ch, timeout):
        buf = self._read_until_frame(ch.res_r, time.monotonic() + timeout, 1 << 16)
        if buf is None:
            return {"ready": False, "error": "sandbox child did not become ready"}
        try:
            hdr, _ = _protocol.read_frame(_bytes_reader(buf), 0)
        except Exception as e:  # noqa: BLE001
            return {"ready": False, "error": f"bad ready message: {e}"}
        return hdr

    def _read_until_frame(self, fd, deadline, cap, scratch=None, pid=None):
        """Read one complete frame from fd. Returns bytes, None on EOF/timeout, or raises OverflowError
        (reply or scratch too large) / _TooManyThreads."""
        buf = bytearray()
        need = None
        total = None    # once known (and within cap): buf is preallocated to it and filled in place
        got = 0
        last_quota = 0.0
        while True:
            if total is None:
                if need is None and len(buf) >= 8:
                    need = 8 + struct.unpack("<I", bytes(buf[4:8]))[0] + 8
                    if need - 16 > _protocol.MAX_HEADER:
                        raise OverflowError("header too large")
                if need is not None and len(buf) >= need and need >= 16:
                    hl = struct.unpack("<I", bytes(buf[4:8]))[0]
                    if len(buf) >= 8 + hl + 8:
                        bl = struct.unpack("<Q", bytes(buf[8 + hl:16 + hl]))[0]
                        total = 16 + hl + bl
                        if total > cap:
                            raise OverflowError("result too large")
                        got = min(len(buf), total)
                        if len(buf) < total:    # one allocation of the frame's size, read straight into it
                            full = bytearray(total)
                            full[:got] = buf
                            buf = full
            if total is not None and got >= total:
                if scratch:
                    self._check_scratch(scratch)
                del buf[total:]
                return buf
            now = time.monotonic()
            if now >= deadline:
                return None
            if scratch and now - last_quota > 0.1:
                last_quota = now
                self._check_scratch(scratch)
                if pid and _count_threads(pid) > MAX_TASKS:
                    raise _TooManyThreads(f"the code started more than {MAX_TASKS} threads")
            r, _, _ = select.select([fd], [], [], min(0.1, deadline - now))
            if r:
                if total is not None:
                    n = os.readv(fd, [memoryview(buf)[got:total]])   # no intermediate bytes, no regrowth
                    if not n:
                        return None
                    got += n
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                buf += chunk

    @staticmethod
    def _check_scratch(scratch):
        try:
            _scratch.usage(scratch, SCRATCH_QUOTA)
        except _scratch.QuotaExceeded as e:
            raise OverflowError(str(e))

    def _reap(self, ch, kill=True):
        if kill:
            try:
                os.kill(ch.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            _, status = os.waitpid(ch.pid, 0)
        except ChildProcessError:
            status = 0
        for fd in (ch.job_w, ch.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        _scratch.remove_tree(ch.scratch)
        _scratch.remove_tree(ch.scratch + ".root")
        if ch.cgroup:
            from . import _ns
            _ns.remove_cgroup(ch.cgroup)
        return status

    def start(self):
        self.prepare()
        ready = self._await_ready(self.child, READY_TIMEOUT)
        self.child.ready = ready
        layers = ready.get("layers", []) if ready.get("ready") else []
        req = self.cfg.get("isolation", "auto")
        has_ll = any(x.startswith("landlock") for x in layers)
        has_sc = any(x.startswith("seccomp") for x in layers)
        self.layers = layers
        if has_ll and has_sc:
            tier = "strong"
        elif has_sc:
            tier = "partial"
        else:
            tier = "none"
        want = {"strong": ["no_new_privs", "landlock", "seccomp"], "partial": ["no_new_privs", "seccomp"]}
        err = None
        if req in want and [r for r in want[req] if not any(x.startswith(r) for x in layers)]:
            err = f"isolation {req!r} requested but only [{', '.join(layers) or 'nothing'}] could be installed " \
                  f"({ready.get('failed') or ready.get('error')})"
        if req in ("auto", "strong", "partial") and not err:
            # every later child must install at least what this one did (fail closed)
            self.required = [r for r in ("no_new_privs", "landlock", "seccomp", "caps-dropped", "ipc-ns",
                                         "pids-cgroup", "user-ns", "mount-ns", "tmpfs-scratch", "minimal-root")
                             if any(x.startswith(r) for x in layers)]
        self.tier = tier
        return {"hello": True, "tier": tier, "layers": layers + ["rlimits", "clean-env", "single-use-child"],
                "failed": ready.get("failed") or {}, "error": err or (None if ready.get("ready") else ready.get("error")),
                "pid": os.getpid()}

    def serve(self, read_exact, in_fd=None):
        hello = self.start()
        _out(1, _protocol.encode(hello))
        while True:
            try:
                req, _ = _protocol.read_frame(read_exact, 0)
            except EOFError:
                break
            t0 = time.monotonic()
            self._to_reap = None
            header, blob = self.run_one(req)
            header["child_s"] = time.monotonic() - t0
            for part in _protocol.encode_parts(header, [blob] if len(blob) else []):
                _out(1, part)
            del blob
            if in_fd is not None:
                # the caller reads and checks the reply now: killing the job (its memory teardown) and
                # warming the next child would compete with it for the CPU. Start them when its next
                # request arrives (it has finished with this reply then) or after a short while.
                try:
                    select.select([in_fd], [], [], AFTER_REPLY_S)
                except (OSError, ValueError):
                    pass
            if self._to_reap is not None:
                self._reap(self._to_reap, kill=True)
                self._to_reap = None
            try:
                self.prepare()   # pre-fork + warm the next child after replying (off the critical path)
            except Exception:  # noqa: BLE001 - the next job reports it
                self.child = None
        if self.child:
            self._reap(self.child)

    def run_one(self, req):
        limits = Limits.from_dict(req.get("limits") or {})
        ch = self.child
        if ch is None:
            self.prepare()
            ch = self.child
        tw = time.monotonic()
        if ch.ready is None:
            ch.ready = self._await_ready(ch, READY_TIMEOUT)
        self.ready_wait = time.monotonic() - tw
        self.child = None
        try:
            if not ch.ready.get("ready"):
                self._reap(ch)
                return {"ok": False, "error_type": "WorkerCrashed",
                        "error": f"the sandbox refused to run the code: {ch.ready.get('error')}"}, b""
            layers = ch.ready.get("layers", [])
            try:
                _out(ch.job_w, _protocol.encode({"code": req.get("code", ""), "language": req.get("language", "auto"),
                                                 "limits": limits.to_dict(), "files": req.get("files")}))
                os.close(ch.job_w)
            except OSError:
                pass
            ch.job_w = -1
            cap = _protocol.max_blob(limits) + _protocol.MAX_HEADER + 16
            deadline = time.monotonic() + float(limits.timeout_s)
            try:
                buf = self._read_until_frame(ch.res_r, deadline, cap, scratch=ch.scratch, pid=ch.pid)
            except OverflowError as e:
                self._reap(ch)
                return {"ok": False, "error_type": "OutputTooLarge", "error": f"output too large: {e}"}, b""
            except _TooManyThreads as e:
                self._reap(ch)
                return {"ok": False, "error_type": "RuntimeError", "error": f"{e} and was stopped"}, b""
            timed_out = buf is None and time.monotonic() >= deadline
            if buf is None:
                status = self._reap(ch, kill=True)
                return self._no_result(status, timed_out, limits), b""
            # the job is over: stopped at once (no thread of it runs again), killed and reaped after the
            # reply is sent, so its exit (freeing its memory) is not on the critical path
            os.kill(ch.pid, signal.SIGSTOP)
            self._to_reap = ch
            try:
                header, blob = _protocol.parse_buffer(buf, cap)
            except Exception as e:  # noqa: BLE001
                return {"ok": False, "error_type": "WorkerCrashed", "error": f"invalid result from the sandbox: {e}"}, b""
            header["layers"] = layers
            header["ready_wait_s"] = self.ready_wait
            header["warm_s"] = ch.ready.get("warm_s")
            header["ready_after_s"] = ch.ready.get("ready_after_s")
            return header, blob
        finally:
            pass

    def _no_result(self, status, timed_out, limits):
        if timed_out:
            return {"ok": False, "error_type": "Timeout",
                    "error": f"the code ran longer than timeout_s={limits.timeout_s:g} s and was stopped"}
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXCPU:
                return {"ok": False, "error_type": "Timeout",
                        "error": f"the code used more than cpu_s={limits.cpu_s} s of CPU time and was stopped"}
            if sig == signal.SIGXFSZ:
                return {"ok": False, "error_type": "OutputTooLarge", "error": "a file written by the code was too large"}
            if sig == signal.SIGSYS:
                return {"ok": False, "error_type": "Forbidden", "error": "the code made a forbidden system call"}
            if sig == signal.SIGKILL:
                return {"ok": False, "error_type": "MemoryLimit",
                        "error": f"the sandbox process was killed (SIGKILL; likely out of memory, memory_mb={limits.memory_mb})"}
            hint = " (often an allocation failure under the memory limit)" if sig == signal.SIGABRT else ""
            return {"ok": False, "error_type": "WorkerCrashed", "error": f"the sandbox process crashed ({name}){hint}"}
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return {"ok": False, "error_type": "WorkerCrashed",
                "error": f"the sandbox process exited (status {code}) without a result (did the code call os._exit?)"}


def _count_threads(pid):
    from . import _ns
    return _ns.count_threads(pid)


def _grow_pipe(fd, size=4 << 20):
    """Bigger pipe buffers: a ~1 MB image then crosses in one or two wake-ups instead of ~20."""
    import fcntl
    for n in (size, 1 << 20):
        try:
            fcntl.fcntl(fd, 1031, n)   # F_SETPIPE_SZ
            return
        except OSError:
            continue


def _bytes_reader(buf):
    pos = [0]

    def read_exact(n):
        if pos[0] + n > len(buf):
            raise EOFError
        out = buf[pos[0]:pos[0] + n]
        pos[0] += n
        return out
    return read_exact


# ---------------------------------------------------------------------------------------------- spawn mode

def serve_spawn(cfg, read_exact):
    """Single-use worker: preload + warm, say hello, run exactly one job in-process, exit."""
    import tempfile
    _out(1, _protocol.encode({"hello": True, "tier": cfg.get("spawn_tier", "none"),
                              "layers": cfg.get("spawn_layers", []), "pid": os.getpid()}))
    try:
        req, _ = _protocol.read_frame(read_exact, 0)
    except EOFError:
        return
    limits = Limits.from_dict(req.get("limits") or {})
    scratch = tempfile.mkdtemp(prefix="job-", dir=cfg["scratch_base"])
    t0 = time.monotonic()
    try:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_CPU, (int(limits.cpu_s), int(limits.cpu_s) + 1))
        except Exception:  # noqa: BLE001 - Windows: the Job Object limits instead
            pass
        from . import _runner
        old = sys.stdout
        try:
            header, blobs = _runner.run_job(req.get("code", ""), req.get("language", "auto"), limits, scratch,
                                            req.get("files"))
        finally:
            sys.stdout = old
    except BaseException as e:  # noqa: BLE001
        header, blobs = {"ok": False, "error_type": "WorkerCrashed", "error": f"{type(e).__name__}: {e}"}, []
    finally:
        _scratch.remove_tree(scratch)
    header["child_s"] = time.monotonic() - t0
    _out(1, _protocol.encode(header, blobs))


def main(cfg_json: str):
    cfg = json.loads(cfg_json)
    # our protocol owns fd 0/1; anything else printing must not corrupt it
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(proto_out, 1)  # keep fd 1 = protocol for _out; Python-level stdout goes to stderr
    sys.stdout = sys.stderr
    read_exact = _reader(proto_in)
    # No PR_SET_PDEATHSIG here: it fires when the *thread* that started this process exits (a
    # request thread of the server, say), not the process. The worker ends on EOF of its stdin
    # instead, which happens when the owning process dies; job children do set it (their parent
    # is this single-threaded process).
    import tempfile
    warm_dir = tempfile.mkdtemp(prefix="warm-", dir=cfg["scratch_base"])   # inside the allowed scratch area
    _warm(warm_dir)
    shutil.rmtree(warm_dir, ignore_errors=True)
    if cfg.get("mode") == "spawn":
        serve_spawn(cfg, read_exact)
        return
    from ._pool import read_paths
    cfg["read_paths"] = read_paths(cfg["mplconfig"], cfg["sandbox_dir"])
    cfg["_zygote_pid"] = os.getpid()
    if not cfg.get("disable_landlock"):
        # private mount+IPC namespaces with a tmpfs scratch (a user namespace when not root); root is
        # also exempt from RLIMIT_NPROC => a pids cgroup per job where one is writable
        from . import _ns
        cfg["_namespaces"] = True
        if os.geteuid() == 0:
            cfg["_pids_base"] = _ns.pids_cgroup_dir()
            if cfg["_pids_base"]:
                _ns.remove_stale_cgroups(cfg["_pids_base"])
    _grow_pipe(proto_out)
    try:
        import gc
        gc.freeze()
    except Exception:  # noqa: BLE001
        pass
    Zygote(cfg).serve(read_exact, proto_in)
