"""Linux namespaces, a size-capped tmpfs scratch and the pids cgroup for sandbox children, plus
starting the worker host as another uid. Stdlib + ctypes; only called in a forked sandbox child,
the worker host, or (run_as) the caller when it asks for an unprivileged worker.
"""

from __future__ import annotations

import ctypes
import os

from ._linux import LayerError, _libc


CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
_libc.unshare.argtypes = [ctypes.c_int]
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _mount(src, target, fstype, flags, data=None):
    enc = lambda v: None if v is None else v.encode()  # noqa: E731
    if _libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)) != 0:
        raise LayerError(f"mount({fstype or src} on {target}) failed: {os.strerror(ctypes.get_errno())}")


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def enter_namespaces(scratch: str, quota_bytes: int) -> list:
    """Private mount + SysV IPC namespaces for this process (root: directly; other users: inside a
    new user namespace that maps only their own uid/gid), then a size-capped tmpfs on ``scratch``:
    files the job deletes while open, fallocate'd blocks and sparse tricks all count against the
    tmpfs size, and everything vanishes with the namespace. Returns the layers installed."""
    uid, gid = os.getuid(), os.getgid()
    layers = []
    flags = CLONE_NEWNS | CLONE_NEWIPC
    if os.geteuid() != 0:
        flags |= CLONE_NEWUSER
    if _libc.unshare(flags) != 0:
        raise LayerError(f"unshare(mount/ipc namespaces) failed: {os.strerror(ctypes.get_errno())}")
    if flags & CLONE_NEWUSER:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        layers.append("user-ns")
    layers += ["mount-ns", "ipc-ns"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           f"size={quota_bytes},nr_inodes=65536,mode=0700,uid={uid},gid={gid}")
    layers.append(f"tmpfs-scratch({quota_bytes >> 20}M)")
    return layers


def pids_cgroup_dir() -> str | None:
    """A writable pids controller: cgroup v2 (unified, with +pids) or the v1 pids hierarchy."""
    for base, v2 in (("/sys/fs/cgroup", True), ("/sys/fs/cgroup/unified", True), ("/sys/fs/cgroup/pids", False)):
        try:
            if v2:
                with open(os.path.join(base, "cgroup.controllers")) as f:
                    if "pids" not in f.read().split():
                        continue
                with open(os.path.join(base, "cgroup.subtree_control")) as f:
                    if "pids" not in f.read().split():
                        continue
            elif not os.path.exists(os.path.join(base, "pids.current")) and \
                    not os.path.exists(os.path.join(base, "tasks")):
                continue
            if os.access(base, os.W_OK):
                return base
        except OSError:
            continue
    return None


def make_pids_cgroup(base: str, name: str, max_tasks: int) -> str:
    path = os.path.join(base, name)
    os.mkdir(path, 0o700)
    try:
        with open(os.path.join(path, "pids.max"), "w") as f:
            f.write(str(max_tasks))
    except OSError:
        os.rmdir(path)
        raise
    return path


def enter_cgroup(path: str):
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def remove_cgroup(path: str):
    try:
        os.rmdir(path)
    except OSError:
        pass


def count_threads(pid: int) -> int:
    """Tasks of ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2:].split()[17])
    except (OSError, ValueError, IndexError):
        return 0


def run_as(uid: int, own_dirs) -> tuple:
    """argv prefix (util-linux ``setpriv``) that starts the worker host as ``uid`` (the caller is
    root), and a fresh matplotlib config dir for it; ``own_dirs`` are handed to that uid. If the
    Python installation is not readable by other users (e.g. under /root), the worker host keeps
    CAP_DAC_READ_SEARCH to load it; its job children drop it with every other capability."""
    import shutil
    import sys
    import tempfile
    if os.geteuid() != 0:
        raise PermissionError("worker_uid needs a root caller")
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise FileNotFoundError("worker_uid needs util-linux setpriv")
    mpl = tempfile.mkdtemp(prefix=f"coco-sandbox-mpl-{uid}-")
    for d in list(own_dirs) + [mpl]:
        os.chown(d, uid, uid)
    argv = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    if not _world_readable(os.path.realpath(sys.executable)) or not _world_readable(sys.base_prefix):
        argv += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    return argv + ["--"], mpl


def _world_readable(path: str) -> bool:
    p = path
    while True:
        try:
            if not os.stat(p).st_mode & 0o005:
                return False
        except OSError:
            return False
        parent = os.path.dirname(p)
        if parent == p:
            return True
        p = parent


_SYS_PIVOT_ROOT = {"x86_64": 155, "amd64": 155, "aarch64": 41, "arm64": 41}


def pivot_to_minimal_root(newroot: str, paths, scratch: str) -> int:
    """Make this process's root a fresh tmpfs that holds only ``paths`` (bind-mounted at their own
    absolute paths: the Python prefix, site-packages, fonts, /dev/null, ...) and ``scratch``.
    Everything else (home folders, ComfyUI, /proc, /tmp) does not exist any more, so neither
    `stat` nor directory listings can probe it (Landlock alone cannot hide metadata). Needs the
    private mount namespace of enter_namespaces(). Returns the number of bind mounts."""
    import platform
    nr = _SYS_PIVOT_ROOT.get(platform.machine().lower())
    if nr is None:
        raise LayerError("pivot_root: unsupported machine")
    _mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    bound = []
    for p in sorted({os.path.normpath(x) for x in paths if x and os.path.isabs(x)} | {scratch}):
        if not os.path.exists(p):
            continue
        real = os.path.realpath(p)
        anc = [q for q in bound if p.startswith(q + "/")]
        if anc:
            q = anc[-1]
            if os.path.realpath(q) + p[len(q):] == real:
                continue            # already visible through the ancestor's bind mount
            continue                # a symlink inside a bound tree: never create mount points there
        target = newroot + p
        if os.path.isdir(real):
            os.makedirs(target, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            if not os.path.exists(target):
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
        _mount(real, target, None, MS_BIND | MS_REC)
        bound.append(p)
    os.chdir(newroot)
    if _libc.syscall(nr, b".", b".") != 0:
        raise LayerError(f"pivot_root failed: {os.strerror(ctypes.get_errno())}")
    if _libc.umount2(b".", MNT_DETACH) != 0:
        raise LayerError(f"detaching the old root failed: {os.strerror(ctypes.get_errno())}")
    os.chdir("/")
    return len(bound)


def remove_stale_cgroups(base: str):
    """rmdir the job cgroups of worker hosts that are gone (a host killed with its last pre-forked
    child leaves that child's empty cgroup behind). Cgroups that still hold tasks are kept."""
    import re
    try:
        names = os.listdir(base)
    except OSError:
        return
    for n in names:
        m = re.fullmatch(r"coco-job-(\d+)-\d+", n)
        if not m:
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue                            # that worker host is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue
        remove_cgroup(os.path.join(base, n))
