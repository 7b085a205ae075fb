"""Linux kernel layers for the sandbox child: capabilities, no_new_privs, Landlock, seccomp, rlimits.

Everything here is stdlib + ctypes (no libseccomp, no pyseccomp): the seccomp filter is a small
classic-BPF program written below, so it also carries the "syscall number above the highest one
we know => ENOSYS" guard that a libseccomp denylist cannot express.

Only called in a forked sandbox child (or a probe child), never in the caller's process.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import struct

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

MACHINE = platform.machine().lower()

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2


class LayerError(RuntimeError):
    """A layer the chosen tier needs could not be installed: the job must not run."""


def _prctl(option, a2=0, a3=0, a4=0, a5=0, what="prctl"):
    if _libc.prctl(option, a2, a3, a4, a5) != 0:
        e = ctypes.get_errno()
        raise LayerError(f"{what} failed: {os.strerror(e)}")


# ----------------------------------------------------------------------------------------------
# process basics

def set_pdeathsig():
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, what="PR_SET_PDEATHSIG")


def set_no_new_privs():
    _prctl(PR_SET_NO_NEW_PRIVS, 1, what="PR_SET_NO_NEW_PRIVS")
    _prctl(PR_SET_DUMPABLE, 0, what="PR_SET_DUMPABLE")


_SYS_CAPSET = {"x86_64": 126, "amd64": 126, "aarch64": 91, "arm64": 91}


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities():
    """Empty the bounding, ambient, effective, permitted and inheritable sets (root keeps uid 0
    but loses CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, CAP_KILL, ... and RLIMIT_NPROC starts to apply)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            e = ctypes.get_errno()
            if e == errno.EINVAL:      # past CAP_LAST_CAP
                break
            if e == errno.EPERM:       # not privileged: the bounding set is not ours to drop
                break
            raise LayerError(f"PR_CAPBSET_DROP({cap}) failed: {os.strerror(e)}")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    nr = _SYS_CAPSET.get(MACHINE)
    if nr is None:
        raise LayerError(f"capset: unsupported machine {MACHINE}")
    hdr = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    if _libc.syscall(nr, ctypes.byref(hdr), data) != 0:
        raise LayerError(f"capset failed: {os.strerror(ctypes.get_errno())}")
    if cap_effective() != 0:
        raise LayerError("capabilities still effective after capset")


_SYS_CAPGET = {"x86_64": 125, "amd64": 125, "aarch64": 90, "arm64": 90}


def cap_effective() -> int:
    """The effective capability set, by capget(2) (no /proc: it also works inside the minimal root)."""
    nr = _SYS_CAPGET.get(MACHINE)
    if nr is None:
        raise LayerError(f"capget: unsupported machine {MACHINE}")
    hdr = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    if _libc.syscall(nr, ctypes.byref(hdr), data) != 0:
        raise LayerError(f"capget failed: {os.strerror(ctypes.get_errno())}")
    return data[0].effective | (data[1].effective << 32)


# ----------------------------------------------------------------------------------------------
# Landlock (raw syscalls; numbers are the same on x86_64 and aarch64)

_LL_CREATE, _LL_ADD, _LL_RESTRICT = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13       # ABI 2
FS_TRUNCATE = 1 << 14    # ABI 3
FS_IOCTL_DEV = 1 << 15   # ABI 5
NET_BIND_TCP = 1 << 0    # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


def landlock_abi() -> int:
    r = _libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return int(r) if r > 0 else 0


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


def _fs_all(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def apply_landlock(read_paths, write_paths, rw_files=()) -> int:
    """Restrict this process: read-only under ``read_paths``, read-write under ``write_paths``,
    read-write for the files ``rw_files`` (e.g. /dev/null), nothing else; no TCP bind/connect
    (ABI >= 4); signals and abstract unix sockets scoped to the domain (ABI >= 6).
    Returns the ABI used. Raises LayerError on any failure (fail closed)."""
    abi = landlock_abi()
    if abi < 1:
        raise LayerError("Landlock is not available (kernel < 5.13 or disabled)")
    handled = _fs_all(abi)
    attr = _RulesetAttr(handled, (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
                        (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    rfd = _libc.syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if rfd < 0:
        raise LayerError(f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}")
    try:
        read = FS_READ_FILE | FS_READ_DIR
        write = (read | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG
                 | (FS_TRUNCATE if abi >= 3 else 0))
        rules = [(p, read) for p in read_paths] + [(p, write) for p in write_paths]
        rules += [(p, FS_READ_FILE | FS_WRITE_FILE) for p in rw_files]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a path that does not exist grants nothing
            try:
                if not os.path.isdir(path):
                    access &= _FILE_RIGHTS
                access &= handled
                buf = struct.pack("=Qi", access, fd)  # struct landlock_path_beneath_attr is packed
                cbuf = ctypes.create_string_buffer(buf, len(buf))
                if _libc.syscall(_LL_ADD, ctypes.c_int(rfd), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                                 cbuf, ctypes.c_uint32(0)) != 0:
                    raise LayerError(f"landlock_add_rule({path}) failed: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(fd)
        if _libc.syscall(_LL_RESTRICT, ctypes.c_int(rfd), ctypes.c_uint32(0)) != 0:
            raise LayerError(f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(rfd)
    return abi


# ----------------------------------------------------------------------------------------------
# seccomp: classic BPF denylist + argument filters + unknown-syscall guard

AUDIT_ARCH = {"x86_64": 0xC000003E, "amd64": 0xC000003E, "aarch64": 0xC00000B7, "arm64": 0xC00000B7}

# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). Other arches: resolved through
# libseccomp if it is installed, else seccomp is reported unavailable (fail closed / lower tier).
X86_64 = {
    "socket": 41, "connect": 42, "accept": 43, "sendto": 44, "recvfrom": 45, "sendmsg": 46,
    "recvmsg": 47, "shutdown": 48, "bind": 49, "listen": 50, "socketpair": 53, "clone": 56,
    "fork": 57, "vfork": 58, "execve": 59, "kill": 62, "truncate": 76, "chmod": 90, "fchmod": 91,
    "chown": 92, "fchown": 93, "lchown": 94, "ptrace": 101, "syslog": 103, "setuid": 105,
    "setgid": 106, "setpgid": 109, "setreuid": 113, "setregid": 114, "setgroups": 116,
    "setresuid": 117, "setresgid": 119, "setfsuid": 122, "setfsgid": 123, "capset": 126,
    "rt_sigqueueinfo": 129, "utime": 132, "mknod": 133, "uselib": 134, "personality": 135,
    "ustat": 136, "sysfs": 139, "setpriority": 141, "sched_setparam": 142,
    "sched_setscheduler": 144, "vhangup": 153, "modify_ldt": 154, "pivot_root": 155,
    "_sysctl": 156, "adjtimex": 159, "setrlimit": 160, "chroot": 161, "acct": 163,
    "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168,
    "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
    "create_module": 174, "init_module": 175, "delete_module": 176, "get_kernel_syms": 177,
    "query_module": 178, "quotactl": 179, "nfsservctl": 180, "setxattr": 188, "lsetxattr": 189,
    "fsetxattr": 190, "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199, "tkill": 200,
    "sched_setaffinity": 203, "lookup_dcookie": 212, "clock_settime": 227, "tgkill": 234,
    "utimes": 235, "vserver": 236, "mbind": 237, "set_mempolicy": 238, "kexec_load": 246,
    "add_key": 248, "request_key": 249, "keyctl": 250, "ioprio_set": 251, "migrate_pages": 256,
    "mknodat": 259, "fchownat": 260, "futimesat": 261, "fchmodat": 268, "unshare": 272,
    "move_pages": 279, "utimensat": 280, "accept4": 288, "rt_tgsigqueueinfo": 297,
    "perf_event_open": 298, "recvmmsg": 299, "fanotify_init": 300, "prlimit64": 302,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "clock_adjtime": 305, "sendmmsg": 307,
    "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "finit_module": 313, "sched_setattr": 314, "kexec_file_load": 320, "bpf": 321,
    "execveat": 322, "userfaultfd": 323, "pkey_mprotect": 329, "ioctl": 16,
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
    "pidfd_getfd": 438, "process_madvise": 440, "mount_setattr": 442, "quotactl_fd": 443,
    "memfd_secret": 447, "process_mrelease": 448, "fchmodat2": 452, "statmount": 457,
    "listmount": 458, "lsm_set_self_attr": 460, "setxattrat": 463, "removexattrat": 466,
    "open_tree_attr": 467, "file_setattr": 469,
    # SysV IPC and POSIX message queues, memfd, inotify/fanotify marks, sessions, prctl, fallocate
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "memfd_create": 319, "inotify_init": 253, "inotify_add_watch": 254,
    "inotify_rm_watch": 255, "inotify_init1": 294, "fanotify_mark": 301, "setsid": 112,
    "prctl": 157, "fallocate": 285,
}
X86_64_MAX_KNOWN = 469  # kernel 6.17/6.18: file_setattr; anything above => ENOSYS

DENY = [
    # network
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
    "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "shutdown",
    # processes / exec / debugging
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "kcmp", "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "tkill", "process_madvise",
    "process_mrelease", "setpgid",
    # filesystem metadata that Landlock does not cover
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr",
    "removexattr", "lremovexattr", "fremovexattr", "setxattrat", "removexattrat",
    "file_setattr", "truncate", "mknod", "mknodat", "name_to_handle_at", "open_by_handle_at",
    # namespaces / mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_tree_attr", "statmount",
    "listmount",
    # identity / privileges
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
    "setfsuid", "setfsgid", "capset", "personality", "lsm_set_self_attr",
    # kernel surface
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
    "nfsservctl", "syslog", "settimeofday", "clock_settime", "adjtimex", "clock_adjtime",
    "sethostname", "setdomainname", "iopl", "ioperm", "modify_ldt", "vhangup", "uselib",
    "ustat", "sysfs", "_sysctl", "lookup_dcookie", "vserver", "fanotify_init", "memfd_secret",
    # SysV IPC / POSIX mqueues: shared with other processes and outliving the job (issue 11, class 1)
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget",
    "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
    # memory no rlimit sees as the job's own (class 2); watches that reveal file names (class 8)
    "memfd_create", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
    "fanotify_mark",
    # leaving the worker's process group (class 4: the caller kills the group)
    "setsid",
    # scheduling / memory policy of other processes
    "setpriority", "sched_setparam", "sched_setscheduler", "sched_setaffinity", "sched_setattr",
    "ioprio_set", "migrate_pages", "move_pages", "mbind", "set_mempolicy", "pkey_mprotect",
]
# handled with argument checks below, not plainly denied
SPECIAL = ["clone", "clone3", "kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
           "prlimit64", "ioctl", "prctl", "fallocate"]

CLONE_THREAD = 0x00010000
TIOCSTI, TIOCLINUX, TIOCSETD = 0x5412, 0x541C, 0x5423

_LD_W_ABS, _JEQ, _JGE, _JGT, _JSET, _RET = 0x20, 0x15, 0x35, 0x25, 0x45, 0x06
RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000


def _ins(code, jt, jf, k):
    return (code, jt, jf, k & 0xFFFFFFFF)


def _syscall_numbers():
    if MACHINE in ("x86_64", "amd64"):
        return dict(X86_64), X86_64_MAX_KNOWN
    # other architectures: ask libseccomp for the numbers (names are stable)
    import ctypes.util
    name = ctypes.util.find_library("seccomp")
    if not name:
        raise LayerError(f"seccomp: no syscall table for {MACHINE} and libseccomp not found")
    lib = ctypes.CDLL(name)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    table = {}
    for n in DENY + SPECIAL:
        nr = lib.seccomp_syscall_resolve_name(n.encode())
        if nr >= 0:
            table[n] = nr
    return table, max(max(table.values()), 469)


def build_filter(self_pid: int) -> list:
    arch = AUDIT_ARCH.get(MACHINE)
    if arch is None:
        raise LayerError(f"seccomp: unsupported machine {MACHINE}")
    nrs, max_known = _syscall_numbers()
    eperm = RET_ERRNO | errno.EPERM
    enosys = RET_ERRNO | errno.ENOSYS
    prog = [_ins(_LD_W_ABS, 0, 0, 4), _ins(_JEQ, 1, 0, arch), _ins(_RET, 0, 0, RET_KILL_PROCESS),
            _ins(_LD_W_ABS, 0, 0, 0)]
    if MACHINE in ("x86_64", "amd64"):
        prog += [_ins(_JGE, 0, 1, 0x40000000), _ins(_RET, 0, 0, eperm)]   # x32 ABI
    prog += [_ins(_JGT, 0, 1, max_known), _ins(_RET, 0, 0, enosys)]
    for name in DENY:
        if name in nrs:
            prog += [_ins(_JEQ, 0, 1, nrs[name]), _ins(_RET, 0, 0, eperm)]

    def block(name, body):
        if name not in nrs:
            return
        body = body + [_ins(_LD_W_ABS, 0, 0, 0)]
        prog.append(_ins(_JEQ, 0, len(body), nrs[name]))
        prog.extend(body)

    arg = lambda i: 16 + 8 * i  # low 32 bits (little endian)
    # clone: threads only
    block("clone", [_ins(_LD_W_ABS, 0, 0, arg(0)), _ins(_JSET, 1, 0, CLONE_THREAD),
                    _ins(_RET, 0, 0, eperm), _ins(_RET, 0, 0, RET_ALLOW)])
    # clone3: glibc falls back to clone on ENOSYS (flags live in a struct we cannot inspect)
    block("clone3", [_ins(_RET, 0, 0, enosys)])
    # signals: only to ourselves
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        block(name, [_ins(_LD_W_ABS, 0, 0, arg(0)), _ins(_JEQ, 1, 0, self_pid),
                     _ins(_RET, 0, 0, eperm), _ins(_RET, 0, 0, RET_ALLOW)])
    # prlimit64: only on ourselves (pid 0); lowering/raising within our hard limits
    block("prlimit64", [_ins(_LD_W_ABS, 0, 0, arg(0)), _ins(_JEQ, 1, 0, 0),
                        _ins(_RET, 0, 0, eperm), _ins(_RET, 0, 0, RET_ALLOW)])
    # ioctl: no terminal injection
    block("ioctl", [_ins(_LD_W_ABS, 0, 0, arg(1)), _ins(_JEQ, 2, 0, TIOCSTI),
                    _ins(_JEQ, 1, 0, TIOCLINUX), _ins(_JEQ, 0, 1, TIOCSETD),
                    _ins(_RET, 0, 0, eperm), _ins(_LD_W_ABS, 0, 0, 0)])
    # prctl: the parent-death signal stays (class 4), and so do dumpable/no_new_privs/seccomp state
    block("prctl", [_ins(_LD_W_ABS, 0, 0, arg(0)), _ins(_JEQ, 2, 0, PR_SET_PDEATHSIG),
                    _ins(_JEQ, 1, 0, PR_SET_DUMPABLE), _ins(_JEQ, 0, 1, PR_SET_SECCOMP),
                    _ins(_RET, 0, 0, eperm), _ins(_LD_W_ABS, 0, 0, 0)])
    # fallocate: blocks no file size shows (KEEP_SIZE, class 2); EOPNOTSUPP makes callers fall back
    block("fallocate", [_ins(_RET, 0, 0, RET_ERRNO | errno.EOPNOTSUPP)])
    prog.append(_ins(_RET, 0, 0, RET_ALLOW))
    if len(prog) > 4096:
        raise LayerError("seccomp filter too long")
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp(self_pid: int | None = None) -> int:
    """Install the filter (needs no_new_privs set first). Returns its length in instructions."""
    prog = build_filter(self_pid if self_pid is not None else os.getpid())
    raw = b"".join(struct.pack("=HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), what="PR_SET_SECCOMP")
    return len(prog)


# ----------------------------------------------------------------------------------------------
# rlimits

def vm_size_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def apply_rlimits(limits, vm_base: int, nproc: int | None):
    def setl(which, soft, hard=None):
        resource.setrlimit(which, (soft, soft if hard is None else hard))
    setl(resource.RLIMIT_CPU, int(limits.cpu_s), int(limits.cpu_s) + 1)
    setl(resource.RLIMIT_AS, vm_base + int(limits.memory_mb) * 1024 * 1024)
    setl(resource.RLIMIT_FSIZE, 64 * 1024 * 1024)
    setl(resource.RLIMIT_NOFILE, 64)
    setl(resource.RLIMIT_CORE, 0)
    setl(resource.RLIMIT_MEMLOCK, 0)
    if nproc:
        setl(resource.RLIMIT_NPROC, nproc)


def count_uid_processes(uid: int) -> int:
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/" + entry).st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n
