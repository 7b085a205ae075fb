"""The sandbox child (Linux zygote mode): hardening, self-test and the single job it runs.

Forked by the zygote (_worker.py), it never returns: setup -> warm render -> kernel layers ->
self-test -> "ready" -> one job -> exit. Also the pipe helpers and the warm-up both sides share.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

from . import _protocol
from ._types import Limits

MAX_TASKS = 256           # threads of one job (pids cgroup, else polled by the zygote)
SCRATCH_QUOTA = 256 * 1024 * 1024
LINGER_S = 30.0           # a job child that replied waits at most this long for the zygote to kill it

def _out(fd, data: bytes):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _reader(fd):
    def read_exact(n):
        buf = bytearray()
        while len(buf) < n:
            chunk = os.read(fd, min(n - len(buf), 1 << 20))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)
    return read_exact


WARM_CODE = """
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
ax.bar(["Q1", "Q2", "Q3"], [3.5, 5.25, 2.0], color="#4c72b0", label="sales 销售")
ax.plot([0, 1, 2], [1, 2, 1.5], marker="o", color="k")
ax.set_title("Warm-up")
ax.set_ylabel("value")
ax.legend(loc="upper left")
fig.savefig(os.path.join(output_dir, "warm.png"))
plt.close(fig)
im = Image.new("RGB", (64, 32), "white"); ImageDraw.Draw(im).text((2, 2), "w", fill="black")
im.save(os.path.join(output_dir, "warm2.png"))
"""


def _warm_light():
    """Cheap warm-up for a pre-forked child: touch the drawing path without a full render."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.bar([1, 2], [3, 1])
    ax.set_title("warm")
    fig.canvas.draw()
    plt.close(fig)


def _warm(scratch=None):
    """Run the whole pipeline once on our own chart: imports, font caches, text layout caches and
    (in a pre-forked child) the copy-on-write faults are paid before a job arrives."""
    from . import _runner
    from ._types import Limits
    _runner.warm_imports()
    import tempfile
    d = scratch or tempfile.mkdtemp(prefix="warm-")
    try:
        _runner.run_python(WARM_CODE, Limits(), d)
    finally:
        for fn in os.listdir(d):
            try:
                os.remove(os.path.join(d, fn))
            except OSError:
                pass
        if scratch is None:
            shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- child

def _harden(cfg, scratch, required, ns_layers=(), ns_error=None, had_caps=False):
    """Apply the kernel layers. Returns the list of layers in place. Raises on a required failure.
    No /proc after the minimal-root step (it is not in the new root)."""
    from . import _linux, _ns
    layers, failed = list(ns_layers), {}
    if ns_error:
        for name in ("mount-ns", "tmpfs-scratch", "ipc-ns", "minimal-root"):
            if not any(x.startswith(name) for x in layers):
                failed[name] = ns_error

    def step(name, fn):
        try:
            r = fn()
            layers.append(name if r is None or r is True else f"{name}({r})")
        except Exception as e:  # noqa: BLE001
            failed[name] = f"{type(e).__name__}: {e}"

    if cfg.get("_cgroup"):
        step("pids-cgroup", lambda: (_ns.enter_cgroup(cfg["_cgroup"]), MAX_TASKS)[1])
    if ns_layers and not ns_error:
        step("minimal-root", lambda: "%d binds" % _ns.pivot_to_minimal_root(
            scratch + ".root", cfg["read_paths"] + cfg.get("rw_files", []), scratch))
        os.chdir(scratch)
    step("no_new_privs", _linux.set_no_new_privs)
    if os.geteuid() == 0 or had_caps:
        step("caps-dropped", _linux.drop_capabilities)
    if cfg.get("_test_break_landlock"):
        failed["landlock"] = "broken on purpose (test hook)"
    elif not cfg.get("disable_landlock"):
        rp = [p for p in cfg["read_paths"] if os.path.exists(p)]
        step("landlock", lambda: "abi %d" % _linux.apply_landlock(rp, [scratch], cfg.get("rw_files", [])))
    if not cfg.get("disable_seccomp"):
        step("seccomp", lambda: "%d insns" % _linux.apply_seccomp(os.getpid()))
    for req in required:
        if not any(layer.startswith(req) for layer in layers):
            raise RuntimeError(f"sandbox layer {req!r} could not be installed: {failed.get(req, 'not attempted')}")
    return layers, failed


def _has_caps():
    from . import _linux
    try:
        return _linux.cap_effective() != 0
    except Exception:  # noqa: BLE001
        return False


def _selftest(cfg, layers):
    """Verify the layers actually bite (a layer that silently does nothing must not pass)."""
    problems = []
    if any(x.startswith("minimal-root") for x in layers):
        probe = cfg.get("probe_path")
        if probe and os.path.lexists(probe):
            problems.append(f"minimal-root: {probe} is visible")
    if any(x.startswith("landlock") for x in layers):
        try:
            os.listdir("/")
            problems.append("landlock: / can be listed")
        except PermissionError:
            pass
        probe = cfg.get("probe_path")
        if probe and os.path.exists(probe):
            try:
                os.close(os.open(probe, os.O_RDONLY))
                problems.append(f"landlock: {probe} is readable")
            except PermissionError:
                pass
            except OSError:
                pass
    if any(x.startswith("seccomp") for x in layers):
        import socket
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.close()
            problems.append("seccomp: socket() allowed")
        except PermissionError:
            pass
    return problems


def child(cfg, job_r, res_w, scratch, nproc, required):
    # runs in the forked child; must never return
    t_fork = time.monotonic()
    try:
        # no setsid(): the job stays in the worker's process group, which the caller kills when the
        # worker host dies (seccomp denies setsid/setpgid, and prctl(PR_SET_PDEATHSIG) is kept)
        from . import _linux, _ns
        _linux.set_pdeathsig()
        if os.getppid() != cfg["_zygote_pid"]:
            os._exit(3)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = {0, 1, 2, job_r, res_w}
        os.closerange(3, min(job_r, res_w)) if min(job_r, res_w) > 3 else None
        for fd in range(3, max(job_r, res_w) + 1):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.closerange(max(job_r, res_w) + 1, 65536)
        ns_layers, ns_error = [], None
        if cfg.get("_namespaces"):
            try:
                ns_layers = _ns.enter_namespaces(scratch, SCRATCH_QUOTA)
            except Exception as e:  # noqa: BLE001 - the layer is then missing (required ones refuse)
                ns_error = f"{type(e).__name__}: {e}"
        os.chdir(scratch)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        tw = time.monotonic()
        _warm(scratch)
        warm_s = time.monotonic() - tw
        vm_base = _linux.vm_size_bytes()
        try:
            layers, failed = _harden(cfg, scratch, required, ns_layers, ns_error, _has_caps())
            problems = _selftest(cfg, layers)
            if problems:
                raise RuntimeError("sandbox self-test failed: " + "; ".join(problems))
        except Exception as e:  # noqa: BLE001 - fail closed
            _out(res_w, _protocol.encode({"ready": False, "error": f"{e}"}))
            os._exit(4)
        _out(res_w, _protocol.encode({"ready": True, "layers": layers, "failed": failed, "warm_s": warm_s,
                                      "ready_after_s": time.monotonic() - t_fork}))
        req, _ = _protocol.read_frame(_reader(job_r), 0)
        os.close(job_r)
        from . import _runner as _r
        _r._FRESH_PROCESS = True
        cpu0, wall0 = time.process_time(), time.monotonic()
        limits = Limits.from_dict(req.get("limits") or {})
        _linux.apply_rlimits(limits, vm_base, nproc)
        from . import _runner
        try:
            header, blobs = _runner.run_job(req.get("code", ""), req.get("language", "auto"), limits, scratch,
                                            req.get("files"))
        except MemoryError:
            header, blobs = {"ok": False, "error_type": "MemoryLimit",
                             "error": f"out of memory (memory_mb={limits.memory_mb})", "log": ""}, []
        if not header.get("ok") and any(x.startswith("tmpfs-scratch") for x in layers):
            header = _full_scratch(scratch, header)
        header["job_cpu_s"] = time.process_time() - cpu0   # CPU after the job arrived (critical path)
        header["job_wall_s"] = time.monotonic() - wall0
        for part in _protocol.encode_parts(header, blobs):
            _out(res_w, part)
        # Do not exit here: tearing down this process's memory would compete for the CPU with the
        # zygote reading and forwarding the reply. The zygote stops us (SIGSTOP) as soon as the reply
        # is read, and kills and reaps us after forwarding it (PDEATHSIG if it dies first).
        time.sleep(LINGER_S)
    except BaseException as e:  # noqa: BLE001
        try:
            _out(res_w, _protocol.encode({"ok": False, "error_type": "WorkerCrashed",
                                          "error": f"sandbox child failed: {type(e).__name__}: {e}"}))
        except BaseException:  # noqa: BLE001
            pass
    os._exit(0)


def _full_scratch(scratch, header):
    """A job that failed on a full tmpfs scratch gets the error type that says so."""
    try:
        st = os.statvfs(scratch)
        err = str(header.get("error") or "")
        if st.f_bavail * st.f_frsize < (1 << 20) or st.f_favail < 64 or "[Errno 28]" in err:
            return {"ok": False, "error_type": "OutputTooLarge", "log": header.get("log", ""),
                    "error": f"output_dir holds more than {SCRATCH_QUOTA >> 20} MiB or too many files"}
    except OSError:
        pass
    return header
