"""Caller side: starts and supervises the worker host, sends jobs, validates results.

This module runs in the caller's (ComfyUI's) process. It never executes user code, never imports
matplotlib, and never forks the caller: workers are started with subprocess (fork+exec of a
fresh `python -I`) and a scrubbed environment.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

from . import _protocol, _scratch
from ._types import IsolationInfo, Limits, RenderResult

SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
MAX_CODE_BYTES = 1024 * 1024
START_TIMEOUT = 120.0
GRACE_S = 15.0

_BOOT = ("import sys,importlib.util as u;d=sys.argv[1];"
         "s=u.spec_from_file_location('_coco_sandbox',d+'/__init__.py',submodule_search_locations=[d]);"
         "m=u.module_from_spec(s);sys.modules['_coco_sandbox']=m;s.loader.exec_module(m);"
         "from _coco_sandbox import _worker;_worker.main(sys.argv[2])")

ENV_WHITELIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "SystemRoot", "WINDIR", "TEMP", "TMP")


def clean_env(mplconfig: str) -> dict:
    env = {k: os.environ[k] for k in ENV_WHITELIST if k in os.environ}
    env.update({"HOME": "/nonexistent" if os.name != "nt" else env.get("TEMP", ""), "MPLBACKEND": "Agg",
                "MPLCONFIGDIR": mplconfig, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
                "PYTHONIOENCODING": "utf-8"})
    return env


def _private_dir(name: str) -> str:
    """A 0700 directory owned by us in the temp dir (re-used, e.g. for matplotlib's font cache)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = os.path.join(tempfile.gettempdir(), f"{name}-{uid}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    import stat as _st
    if not _st.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and (st.st_uid != uid or st.st_mode & 0o077)):
        return tempfile.mkdtemp(prefix=name + "-")
    return path


def read_paths(mplconfig: str, sandbox_dir: str) -> list:
    """Read-only Landlock paths. Computed INSIDE the worker (python -I: its sys.path is only the
    stdlib and site-packages), never from the caller's sys.path (which may hold ComfyUI's tree)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, getattr(sys, "base_exec_prefix", sys.prefix),
             sandbox_dir, mplconfig}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    try:
        import matplotlib
        paths.add(matplotlib.get_data_path())
    except Exception:  # noqa: BLE001
        pass
    paths.update({"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/fonts", "/usr/local/share/fonts",
                  "/usr/share/zoneinfo", "/etc/localtime", "/etc/ld.so.cache", "/dev/urandom", "/dev/random",
                  "/usr/share/fontconfig", "/etc/fonts"})
    for p in list(paths):
        paths.add(os.path.realpath(p))
    bad = {"/", "/root", "/home", "/etc", "/usr", "/tmp", "/proc", "/sys", "/dev", "/var"}
    try:
        bad.add(os.path.realpath(os.path.expanduser("~")))
    except Exception:  # noqa: BLE001
        pass
    return sorted(p for p in paths if p and p not in bad and os.path.realpath(p) not in bad)


CANCEL_POLL_S = 0.1  # how often a waiting render asks whether it was cancelled


class Cancelled(Exception):
    """The caller cancelled a running job (ComfyUI's Cancel)."""


class _Worker:
    """One worker process and a thread reading its frames into a queue."""

    def __init__(self, argv, env, cwd, job_object=False, limits=None):
        kw = {}
        if os.name == "nt":
            kw["creationflags"] = 0x00000200 | 0x08000000  # CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW
        else:
            kw["start_new_session"] = True
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd, close_fds=True, **kw)
        self.job = None
        if job_object:
            from . import _windows
            self.job = _windows.confine(self.proc, limits or Limits())
        self.blob_cap = _protocol.max_blob(limits or Limits())   # set per job before each request
        self.frames = queue.Queue()
        self.stderr_tail = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        self.hello = None

    def _read(self):
        f = self.proc.stdout

        def read_exact(n):
            buf = b""
            while len(buf) < n:
                chunk = f.read(n - len(buf))
                if not chunk:
                    raise EOFError
                buf += chunk
            return buf
        try:
            while True:
                self.frames.put(_protocol.read_frame(read_exact, self.blob_cap))
        except Exception as e:  # noqa: BLE001 - EOF or garbage: the worker is finished
            self._kill_group()
            self.frames.put(e)

    def _kill_group(self):
        """The worker host is gone or lying: kill its whole process group at once, so a job that
        outlived it (whatever it did to its parent-death signal) does not run on without a clock.
        Safe against pid reuse: the group leader is our unreaped child until kill() waits for it."""
        if os.name == "nt" or self.proc.returncode is not None:
            return
        try:
            import signal
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _drain(self):
        try:
            for line in iter(self.proc.stderr.readline, b""):
                self.stderr_tail.append(line.decode("utf-8", "replace"))
                del self.stderr_tail[:-50]
        except Exception:  # noqa: BLE001
            pass

    def send(self, header):
        self.proc.stdin.write(_protocol.encode(header))
        self.proc.stdin.flush()

    def recv(self, timeout, should_cancel=None):
        """The next frame; TimeoutError after ``timeout`` s, Cancelled as soon as ``should_cancel()``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            step = left if should_cancel is None else min(left, CANCEL_POLL_S)
            try:
                item = self.frames.get(timeout=max(0.01, step))
                break
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise TimeoutError
                if should_cancel is not None and should_cancel():
                    raise Cancelled
        if isinstance(item, Exception):
            raise EOFError(f"worker ended: {item}")
        return item

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        try:
            if os.name != "nt":
                import signal
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except Exception:  # noqa: BLE001
                pass


class SandboxPool:
    """Runs drawing code in an isolated worker. Thread-safe; one job at a time.

    isolation: "auto" (strongest available; falls back but reports the tier honestly),
    "strong" / "partial" (refuse jobs if not available), "spawn" (single-use spawned workers, the
    Windows/macOS design; on Linux without kernel layers: tier "none")."""

    def __init__(self, limits: Limits | None = None, isolation: str = "auto", worker_uid: int | None = None):
        """``worker_uid`` (Linux, caller must be root): run the worker host itself as that uid (e.g.
        65534), so jobs run as a non-root user whatever the caller is; used by the red-team tests."""
        if isolation not in ("auto", "strong", "partial", "none", "spawn"):
            raise ValueError(f"unknown isolation {isolation!r}")
        self.worker_uid = worker_uid
        self.limits = limits or Limits()
        self.isolation_request = isolation
        self._lock = threading.Lock()
        self._closed = False
        self._mplconfig = _private_dir("coco-sandbox-mpl")
        _scratch.remove_stale(tempfile.gettempdir())
        self._scratch = tempfile.mkdtemp(prefix=f"coco-sandbox-{os.getpid()}-")
        os.chmod(self._scratch, 0o700)
        self._argv_prefix = []
        if worker_uid is not None:
            from . import _ns
            self._argv_prefix, self._mplconfig = _ns.run_as(worker_uid, [self._scratch])
        atexit.register(self.close)   # idempotent; also removes the scratch dir
        self._worker = None
        self._spare = None
        self._info = None
        self._start_error = None
        self.restarts = 0
        self.last_job_stats: dict = {}
        self.mode = "spawn" if (isolation == "spawn" or not sys.platform.startswith("linux")) else "zygote"
        self._start()

    # ------------------------------------------------------------------ worker management
    def _config(self) -> dict:
        cfg = {"mode": self.mode, "scratch_base": self._scratch, "isolation": self.isolation_request,
               "mplconfig": self._mplconfig, "sandbox_dir": SANDBOX_DIR, "rw_files": ["/dev/null"],
               "probe_path": "/etc/passwd" if os.path.exists("/etc/passwd") else None}
        if self.isolation_request == "none":
            cfg["disable_landlock"] = cfg["disable_seccomp"] = True
        if self.mode == "spawn":
            tier, layers = self._spawn_tier()
            cfg["spawn_tier"], cfg["spawn_layers"] = tier, layers
        return cfg

    def _spawn_tier(self):
        if sys.platform == "darwin":
            from . import _macos
            if _macos.available():
                return "partial", ["sandbox-exec(seatbelt, untested)", "rlimit-cpu", "clean-env", "single-use-worker"]
            return "none", ["rlimit-cpu", "clean-env", "single-use-worker"]
        if os.name == "nt":
            return "none", ["job-object(untested)", "clean-env", "single-use-worker"]
        return "none", ["rlimit-cpu", "clean-env", "single-use-worker"]

    def _spawn(self):
        cfg = self._config()
        argv = self._argv_prefix + [sys.executable, "-I", "-c", _BOOT, SANDBOX_DIR, json.dumps(cfg)]
        if sys.platform == "darwin" and self.mode == "spawn":
            from . import _macos
            if _macos.available():
                argv = _macos.wrap(argv, self._scratch, self._mplconfig)
        return _Worker(argv, clean_env(self._mplconfig), cwd=self._scratch, job_object=(os.name == "nt"),
                       limits=self.limits)

    def _start(self):
        try:
            if self.mode == "zygote":
                self._worker = self._spawn()
            else:
                self._spare = self._spawn()
        except Exception as e:  # noqa: BLE001
            self._start_error = f"could not start the sandbox worker: {type(e).__name__}: {e}"

    def _hello(self, w):
        if w.hello is None:
            try:
                hdr, _ = w.recv(START_TIMEOUT)
            except (TimeoutError, EOFError) as e:
                tail = "".join(w.stderr_tail[-5:]).strip()
                raise RuntimeError(f"sandbox worker did not start ({type(e).__name__}: {e}) {tail[-500:]}")
            w.hello = hdr
            if self._info is None or self.mode == "zygote":
                self._info = self._make_info(hdr)
        return w.hello

    def _make_info(self, hello) -> IsolationInfo:
        tier = hello.get("tier", "none")
        layers = list(hello.get("layers", []))
        err = hello.get("error")
        if self.mode == "zygote" and not err and tier != "strong" and self.isolation_request == "auto":
            err = f"kernel layers missing: {hello.get('failed')}"
        # only what is tested here counts: macOS Seatbelt would block files/network on paper, but until it
        # is tested on a Mac, foreign code must be approved there (enforces_files_network=False)
        enforces = tier == "strong" and self.mode == "zygote"
        if tier == "strong":
            desc = ("strong: " + "+".join(x.replace(" ", "") for x in layers) +
                    " — files outside the python prefix/fonts and the network are blocked by the kernel")
        elif tier == "partial":
            desc = ("partial: " + "+".join(layers) + " — no network/processes, but files CAN be read" if self.mode ==
                    "zygote" else "partial: " + "+".join(layers))
        else:
            desc = ("none: separate process with " + "+".join(layers) +
                    " only — the code can read your files and use the network")
        if err and self.isolation_request in ("strong", "partial"):
            desc += f" (requested {self.isolation_request!r} unavailable: {err})"
        return IsolationInfo(tier=tier, layers=layers, enforces_files_network=enforces, description=desc)

    def _tier_str(self):
        info = self._info
        if info is None:
            return "unknown"
        return info.tier + ": " + "+".join(x.replace(" ", "") for x in info.layers)

    def _get_worker(self):
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        if self.mode == "zygote":
            if self._worker is None or not self._worker.alive():
                if self._worker is not None:
                    self._worker.kill()
                    self.restarts += 1
                self._worker = self._spawn()
            self._hello(self._worker)
            return self._worker
        w = self._spare
        self._spare = None
        if w is None or not w.alive():
            if w is not None:
                w.kill()
            w = self._spawn()
        self._hello(w)
        return w

    # ------------------------------------------------------------------ public API
    def isolation(self) -> IsolationInfo:
        with self._lock:
            if self._info is None:
                try:
                    w = self._get_worker()
                    if self.mode == "spawn":
                        self._spare = w
                except Exception as e:  # noqa: BLE001
                    return IsolationInfo("none", [], False, f"none: the sandbox worker failed to start: {e}")
            return self._info

    def render(self, code: str, language: str = "auto", limits: Limits | None = None,
               should_cancel=None, files=None) -> RenderResult:
        """Run ``code`` in a fresh sandboxed child. ``should_cancel`` (optional, a callable polled
        while the job runs) ends the job early: its worker is killed and replaced, and the result
        has ``error_type == "Cancelled"``. ``files`` (optional, ``[(name, bytes)]``): input files the
        job sees read-only beside the code (its cwd) under their own names (see inputs.py).
        Never raises: anything unexpected becomes WorkerCrashed."""
        t0 = time.monotonic()
        try:
            return self._render(code, language, limits, should_cancel, t0, files)
        except Exception as e:  # noqa: BLE001 - the contract: render() never raises
            return _protocol.error_result("WorkerCrashed", "sandbox error: " + _protocol.clean_text(
                f"{type(e).__name__}: {e}", 300), self._tier_str(), time.monotonic() - t0)

    def _render(self, code, language, limits, should_cancel, t0, files=None):
        try:
            limits = (limits or self.limits).clamped()
        except (TypeError, ValueError) as e:
            return _protocol.error_result("RuntimeError", f"invalid limits: {e}", self._tier_str(), 0.0)
        if not isinstance(code, str):
            return _protocol.error_result("RuntimeError", "code must be a string", self._tier_str(), 0.0)
        if len(code.encode("utf-8", "ignore")) > MAX_CODE_BYTES:
            return _protocol.error_result("RuntimeError", f"code is larger than {MAX_CODE_BYTES >> 10} KiB",
                                          self._tier_str(), 0.0)
        if language not in ("auto", "python", "svg"):
            return _protocol.error_result("RuntimeError", f"unknown language {language!r} (auto, python or svg)",
                                          self._tier_str(), 0.0)
        from . import inputs as _inputs
        try:
            enc_files = _inputs.encode(files) if files else None
        except (_inputs.InputError, TypeError, ValueError) as e:
            return _protocol.error_result("RuntimeError", f"input files refused: {e}", self._tier_str(), 0.0)
        with self._lock:
            try:
                w = self._get_worker()
            except Exception as e:  # noqa: BLE001
                return _protocol.error_result("WorkerCrashed", str(e)[:2000], self._tier_str(), time.monotonic() - t0)
            tier = self._tier_str()
            if self._info and self.isolation_request in ("strong", "partial") and \
                    (w.hello.get("error") or self._info.tier not in (self.isolation_request, "strong")):
                return _protocol.error_result(
                    "WorkerCrashed", f"refused: isolation {self.isolation_request!r} is not available here "
                    f"({w.hello.get('error') or self._info.description})", tier, time.monotonic() - t0)
            try:
                w.blob_cap = _protocol.max_blob(limits)
                w.send({"code": code, "language": language, "limits": limits.to_dict(),
                        **({"files": enc_files} if enc_files else {})})
                hdr, blob = w.recv(float(limits.timeout_s) + GRACE_S, should_cancel)
            except Cancelled:
                w.kill()
                self._worker = None
                self.restarts += 1
                self._after_job()
                return _protocol.error_result("Cancelled", "the render was cancelled", tier, time.monotonic() - t0)
            except TimeoutError:
                w.kill()
                self._worker = None
                self.restarts += 1
                self._after_job()
                return _protocol.error_result("Timeout", f"the code ran longer than timeout_s={limits.timeout_s:g} s"
                                              " and its worker was replaced", tier, time.monotonic() - t0)
            except (EOFError, OSError, ValueError) as e:
                w.kill()
                self._worker = None
                self.restarts += 1
                self._after_job()
                return _protocol.error_result("WorkerCrashed", f"the sandbox worker died and was replaced ({e})", tier,
                                              time.monotonic() - t0)
            if self.mode == "spawn":
                w.kill()
                self._after_job()
            # diagnostics for benchmarks: wall time in the worker host, CPU time of the job process
            self.last_job_stats = _protocol.stats(hdr)
            self.last_job_stats["host_s"] = self.last_job_stats.get("child_s")
            layers = hdr.get("layers")
            if isinstance(layers, list) and layers and self._info is not None:
                tier = self._info.tier + ": " + "+".join(_protocol.clean_text(str(x), 64).replace(" ", "")
                                                         for x in layers[:32]) + "+rlimits+clean-env+single-use-child"
            try:
                return _protocol.to_result(hdr, blob, limits, tier, time.monotonic() - t0)
            except Exception as e:  # noqa: BLE001 - ProtocolError, or anything a forged reply triggers
                return _protocol.error_result("WorkerCrashed", "invalid result from the sandbox: "
                                              + _protocol.clean_text(str(e), 300), tier, time.monotonic() - t0)

    def _after_job(self):
        if self.mode == "spawn" and not self._closed:
            try:
                self._spare = self._spawn()   # pre-spawn the next single-use worker (off the critical path)
            except Exception:  # noqa: BLE001
                self._spare = None

    def close(self):
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for w in (self._worker, self._spare):
                if w is not None:
                    try:
                        w.proc.stdin.close()
                    except Exception:  # noqa: BLE001
                        pass
                    w.kill()
            self._worker = self._spare = None
            _scratch.remove_tree(self._scratch)
            if self.worker_uid is not None:
                _scratch.remove_tree(self._mplconfig)     # made for that uid by _ns.run_as

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_POOL = None
_POOL_LOCK = threading.Lock()


def get_pool() -> SandboxPool:
    """The process-wide pool, started on first use, closed at interpreter exit."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._closed:
            _POOL = SandboxPool()
            atexit.register(_POOL.close)
        return _POOL
