"""Red team, round 2 (issue 11): the design-specific attacks of an attacker who read sandbox/README.md.

Each class runs against a worker host started as root AND as an unprivileged user (uid 65534 via
setpriv; the Python under /root stays loadable through CAP_DAC_READ_SEARCH of the worker host only:
its job children drop every capability). As a non-root caller only the unprivileged variant runs.

How each failed without the fix (on commit e7386a1, as root):
  1 sysv_*        the job read the host's shared-memory segment (MARK came back in the log), and a
                  segment/queue/semaphore made by one job was found by the next one.
  2 memfd/falloc  memfd_create succeeded; fallocate(KEEP_SIZE, 1 GiB) returned 0; 6 x 60 MiB deleted-
                  but-open files rendered "ok" (the quota walker saw nothing).
  3 threads       2,000 threads with 64 KiB stacks started as root (uid 0 ignores RLIMIT_NPROC): "ok".
  4 pdeathsig     prctl(PR_SET_PDEATHSIG, 0) returned 0, and after the worker host was SIGKILLed the job
                  was still alive 10 s later (setsid had moved it out of any group the caller kills).
  5 deep tree     a 5,000-level stale scratch dir made SandboxPool() raise RecursionError.
  7 style         text after a child element / in CDATA / CSS escapes in <style> were not checked.
  8 inotify/stat  inotify_init1 succeeded (watches report names created in watched folders), and
                  os.stat('/work/main/README.md') returned its size (Landlock does not cover stat).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from comfyui_coco.sandbox import Limits, SandboxPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel layers are Linux-only")

MARK = "COCO-IPC-SECRET-51c0ffee"
FAST = Limits(timeout_s=8, cpu_s=6, memory_mb=768)
HEALTHY = "fig, ax = plt.subplots(figsize=(2, 1), dpi=50)\nax.plot([0, 1], [1, 0])\n"
LIBC = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
IPC_CREAT = 0o1000


def _variants():
    out = []
    if os.geteuid() == 0:
        out.append("root")
    if shutil.which("setpriv") or os.geteuid() != 0:
        out.append("unprivileged")
    return out


@pytest.fixture(scope="module", params=_variants())
def pool(request):
    uid = 65534 if (request.param == "unprivileged" and os.geteuid() == 0) else None
    p = SandboxPool(limits=FAST, worker_uid=uid)
    info = p.isolation()
    assert info.tier == "strong", info.description      # a broken sandbox fails, never skips
    p.variant = request.param
    yield p
    p.close()


def _namespaces_expected():
    """Root always gets its namespaces; other users need unprivileged user namespaces (off on some
    distributions, e.g. Ubuntu 24.04's AppArmor restriction): then the fallbacks apply."""
    if os.geteuid() == 0:
        return True

    def val(path, default):
        try:
            with open(path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return default
    return (val("/proc/sys/user/max_user_namespaces", 1) > 0 and val("/proc/sys/kernel/unprivileged_userns_clone", 1) == 1
            and val("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", 0) == 0)


def healthy(pool):
    r = pool.render(HEALTHY, limits=FAST)
    assert r.ok, (r.error_type, r.error, r.log)
    assert "seccomp" in r.tier and "landlock" in r.tier


def test_variant_really_is_what_it_says(pool):
    r = pool.render("print('uid', os.getuid())\nplt.figure()")
    assert r.ok, r.error
    uid = int(r.log.split()[1])
    assert (uid == 0) == (pool.variant == "root"), (uid, pool.variant)
    if _namespaces_expected():
        for layer in ("mount-ns", "ipc-ns", "tmpfs-scratch", "minimal-root"):
            assert layer in r.tier, r.tier
    if pool.variant == "root":
        assert "pids-cgroup" in r.tier or os.path.exists("/sys/fs/cgroup/pids") is False


# ---------------------------------------------------------------------------------------------- 1 SysV IPC

def _ipc_objects():
    n = 0
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                n += len(f.readlines()) - 1
        except OSError:
            pass
    return n


def test_sysv_host_segment_is_invisible(pool):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    key = 0x0C0C0001
    shmid = libc.shmget(key, 4096, IPC_CREAT | 0o666)
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    addr = libc.shmat(shmid, None, 0)
    ctypes.memmove(addr, MARK.encode(), len(MARK))
    try:
        code = LIBC + (f"libc.shmat.restype = ctypes.c_void_p\nfound = []\n"
                       f"for sid in list(range(0, 64)) + [libc.shmget({key}, 0, 0)]:\n"
                       f"    a = libc.shmat(sid, None, 0)\n"
                       f"    if a not in (None, ctypes.c_void_p(-1).value):\n"
                       f"        found.append(ctypes.string_at(a, 64))\n"
                       f"print('shmget', libc.shmget({key}, 0, 0), 'found', found)\nplt.figure()")
        r = pool.render(code)
        assert r.ok, (r.error_type, r.error)
        assert MARK not in r.log and "found []" in r.log, r.log
        assert "shmget -1" in r.log
    finally:
        libc.shmdt(ctypes.c_void_p(addr))
        libc.shmctl(shmid, 0, None)       # IPC_RMID
    healthy(pool)


def test_sysv_objects_do_not_outlive_the_job(pool):
    before = _ipc_objects()
    make = LIBC + ("print('made', libc.shmget(0x0C0C0002, 4096, 0o1666), libc.msgget(0x0C0C0003, 0o1666),"
                   " libc.semget(0x0C0C0004, 1, 0o1666))\nplt.figure()")
    look = LIBC + ("print('seen', libc.shmget(0x0C0C0002, 0, 0), libc.msgget(0x0C0C0003, 0),"
                   " libc.semget(0x0C0C0004, 0, 0))\nplt.figure()")
    r1 = pool.render(make)
    r2 = pool.render(look)
    assert r1.ok and r2.ok, (r1.error, r2.error)
    assert "seen -1 -1 -1" in r2.log, r2.log
    assert _ipc_objects() == before
    healthy(pool)


# ---------------------------------------------------------------------------------------------- 2 memory / disk

def test_memfd_is_refused(pool):
    r = pool.render("try:\n    fd = os.memfd_create('x')\n    os.ftruncate(fd, 1 << 30)\n    print('memfd', fd)\n"
                    "except OSError as e:\n    print('refused', e.errno)\nplt.figure()")
    assert r.ok, r.error
    assert "refused" in r.log and "memfd" not in r.log.replace("refused", ""), r.log


def test_shared_anonymous_memory_counts(pool):
    r = pool.render("import mmap\nm = mmap.mmap(-1, 6 << 30)\nm[-1] = 1\nplt.figure()",
                    limits=Limits(timeout_s=10, cpu_s=8, memory_mb=256))
    assert not r.ok and r.error_type in ("MemoryLimit", "RuntimeError"), (r.error_type, r.error)


def test_fallocate_keep_size_is_refused(pool):
    r = pool.render(LIBC + "fd = os.open('f', os.O_CREAT | os.O_RDWR)\n"
                    "print('falloc', libc.fallocate(fd, 1, 0, ctypes.c_long(1 << 30)), ctypes.get_errno())\n"
                    "print('blocks', os.fstat(fd).st_blocks)\nplt.figure()")
    assert r.ok, r.error
    assert "falloc -1" in r.log, r.log
    assert int(r.log.split("blocks")[1].split()[0]) < 1024


@pytest.mark.parametrize("name,code", [
    ("deleted_open", "fs = []\nfor i in range(6):\n    f = open(f'x{i}', 'wb')\n    f.write(b'x' * (60 << 20))\n"
                     "    os.unlink(f'x{i}')\n    fs.append(f)\nplt.figure()"),
    ("unreadable_dir", "os.mkdir('d', 0o300)\nfor i in range(6):\n    with open(f'd/x{i}', 'wb') as f:\n"
                       "        f.write(b'x' * (60 << 20))\nplt.figure()"),
])
def test_disk_outside_the_quota(pool, name, code):
    if name == "deleted_open" and "tmpfs-scratch" not in pool.isolation().description:
        pytest.xfail("without a tmpfs scratch, deleted-but-open files are bounded only by NOFILE x FSIZE")
    r = pool.render(code, limits=Limits(timeout_s=30, cpu_s=20, memory_mb=768))
    assert not r.ok and r.error_type == "OutputTooLarge", (r.error_type, r.error)
    assert os.listdir(pool._scratch) == [] or all(n.startswith("job-") for n in os.listdir(pool._scratch))
    healthy(pool)


# ---------------------------------------------------------------------------------------------- 3 threads / pids

def test_thread_bomb_with_small_stacks(pool):
    code = ("import threading, time\nthreading.stack_size(65536)\nts = []\nfor i in range(2000):\n"
            "    t = threading.Thread(target=time.sleep, args=(30,), daemon=True); t.start(); ts.append(t)\n"
            "print('threads', len(ts))\nplt.figure()")
    r = pool.render(code, limits=Limits(timeout_s=20, cpu_s=15, memory_mb=768))
    assert not r.ok, ("2000 threads were allowed", r.log[-200:])
    assert r.error_type in ("RuntimeError", "MemoryLimit", "Timeout"), (r.error_type, r.error)
    healthy(pool)


# ---------------------------------------------------------------------------------------------- 4 parent death

def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_job_dies_with_its_worker_host(pool):
    zpid = pool._worker.proc.pid if pool._worker else None
    if zpid is None or not pool._worker.alive():
        healthy(pool)
        zpid = pool._worker.proc.pid
    code = LIBC + "print(libc.prctl(1, 0, 0, 0, 0))\nimport time\ntime.sleep(60)\n"
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", pool.render(code, limits=Limits(timeout_s=60, cpu_s=30))))
    t.start()
    time.sleep(2.0)                       # the job is running (the prepared child got it)
    jobs = _children(zpid)
    assert jobs, "no job child found"
    os.kill(zpid, signal.SIGKILL)         # "the job crashed its worker host": only the host dies
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and any(_alive(j) for j in jobs):
        time.sleep(0.1)
    assert not any(_alive(j) for j in jobs), "the job outlived its worker host (no wall clock any more)"
    t.join(30)
    assert out["r"].error_type == "WorkerCrashed"
    healthy(pool)


def test_pdeathsig_cannot_be_cleared(pool):
    r = pool.render(LIBC + "print('prctl', libc.prctl(1, 0, 0, 0, 0), ctypes.get_errno())\nplt.figure()")
    assert r.ok and "prctl -1 1" in r.log, r.log


# ---------------------------------------------------------------------------------------------- 5 deep trees

DEEP = LIBC + "for i in range({n}):\n    libc.mkdir(b'a', 0o700); libc.chdir(b'a')\nplt.figure()"


def test_deep_tree_in_a_job(pool):
    r = pool.render(DEEP.format(n=5000), limits=Limits(timeout_s=30, cpu_s=20))
    assert r.ok or r.error_type == "OutputTooLarge", (r.error_type, r.error)
    assert all(n.startswith("job-") for n in os.listdir(pool._scratch))   # only the next prepared child
    healthy(pool)


def _dead_pid():
    """A pid no process can have (above the kernel's pid_max): a reaped child's pid could be handed
    to a new process while other pools fork, and the stale dir would then look alive."""
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read()) + 1


def test_deep_stale_scratch_never_blocks_a_new_pool():
    base = tempfile.gettempdir()
    stale = tempfile.mkdtemp(prefix=f"coco-sandbox-{_dead_pid()}-", dir=base)
    subprocess.run([sys.executable, "-c", "import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(5000):\n"
                    "    os.mkdir('a'); os.chdir('a')\nos.mkdir('locked', 0)\n", stale], check=True)
    p = SandboxPool(limits=FAST)
    try:
        assert p.render(HEALTHY).ok
        assert not os.path.exists(stale), "the stale scratch dir was not removed"
    finally:
        p.close()


# ---------------------------------------------------------------------------------------------- 7 SVG <style>

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{}</svg>'


@pytest.mark.parametrize("body", [
    "<style>rect{}<g/>@import url(http://127.0.0.1:9/a.css);</style>",
    "<style><![CDATA[rect{}]]><g/>rect{fill:url(http://127.0.0.1:9/#a)}</style>",
    "<style>@font-face{font-family:x;src:\\75rl(file:///etc/passwd)}</style>",
], ids=["after-child", "cdata-after-child", "css-escape"])
def test_svg_style_checked_in_full(pool, body):
    r = pool.render(SVG.format(body), language="svg")
    assert not r.ok and r.error_type == "UnsafeSVG", (r.error_type, r.error)


# ---------------------------------------------------------------------------------------------- 8 metadata probes

def test_inotify_and_fanotify_are_refused(pool):
    r = pool.render(LIBC + "print('inotify', libc.inotify_init1(0), libc.syscall(253), libc.syscall(300, 0, 0))\n"
                    "plt.figure()")
    assert r.ok and "inotify -1 -1 -1" in r.log, r.log


def test_stat_outside_the_allowed_paths_finds_nothing(pool, tmp_path):
    if "minimal-root" not in pool.isolation().description:
        pytest.xfail("without the minimal root (no user namespaces), Landlock hides contents, not metadata")
    home = tmp_path / "home" / "user"
    home.mkdir(parents=True)
    (home / "wallet.dat").write_text("x")
    for d in (tmp_path, tmp_path / "home", home):
        os.chmod(d, 0o755)
    os.chmod(home / "wallet.dat", 0o644)
    repo_file = os.path.abspath(__file__)
    code = (f"for p in [{str(home / 'wallet.dat')!r}, {str(home)!r}, {repo_file!r}, '/etc/passwd',"
            f" '/proc/1/status', '/home', '/root/.bash_history']:\n"
            f"    try:\n        os.stat(p)\n        print('VISIBLE', p)\n    except OSError as e:\n"
            f"        print('hidden', e.errno)\n"
            f"try:\n    print('LISTED', os.listdir('/'))\nexcept OSError as e:\n    print('no listing', e.errno)\n"
            f"seen = []\nfor d in ['/', '/tmp', '/root', '/home', '/etc', '/proc', '/work']:\n"
            f"    try:\n        seen += os.listdir(d)\n    except OSError:\n        pass\n"
            f"print('seen', seen)\nplt.figure()")
    r = pool.render(code)
    assert r.ok, (r.error_type, r.error)
    assert "VISIBLE" not in r.log and "LISTED" not in r.log, r.log
    assert "seen []" in r.log, r.log
