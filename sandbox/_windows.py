"""Windows: confine a spawned single-use worker with a Job Object (ctypes).  UNTESTED HERE.

What this enforces: no child processes (ActiveProcessLimit=1), a memory cap, kill-on-close, no
crash dialogs. What it does NOT enforce: file reads/writes and network (that needs AppContainer,
not implemented) — the pool therefore reports tier "none" on Windows.
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes


class _Basic(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD), ("SchedulingClass", wintypes.DWORD)]


class _IO(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("r", "w", "o", "rb", "wb", "ob")]


class _Extended(ctypes.Structure):
    _fields_ = [("Basic", _Basic), ("IoInfo", _IO), ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t), ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


LIMIT_PROCESS_TIME = 0x2
LIMIT_ACTIVE_PROCESS = 0x8
LIMIT_PROCESS_MEMORY = 0x100
LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x400
LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JobObjectExtendedLimitInformation = 9


def confine(proc, limits):
    """Create a Job Object with limits and put the worker in it. Returns the job handle (keep it
    alive: closing it kills the worker). Raises OSError on failure (the caller refuses to run)."""
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    job = k32.CreateJobObjectW(None, None)
    if not job:
        raise ctypes.WinError(ctypes.get_last_error())
    info = _Extended()
    info.Basic.LimitFlags = (LIMIT_ACTIVE_PROCESS | LIMIT_PROCESS_MEMORY | LIMIT_DIE_ON_UNHANDLED_EXCEPTION
                             | LIMIT_KILL_ON_JOB_CLOSE | LIMIT_PROCESS_TIME)
    info.Basic.ActiveProcessLimit = 1
    info.Basic.PerProcessUserTimeLimit = int(limits.cpu_s + 30) * 10_000_000  # 100 ns units; imports included
    info.ProcessMemoryLimit = (int(limits.memory_mb) + 1024) * 1024 * 1024
    if not k32.SetInformationJobObject(job, JobObjectExtendedLimitInformation, ctypes.byref(info),
                                       ctypes.sizeof(info)):
        raise ctypes.WinError(ctypes.get_last_error())
    handle = k32.OpenProcess(0x1F0FFF, False, proc.pid)
    if not handle or not k32.AssignProcessToJobObject(job, handle):
        raise ctypes.WinError(ctypes.get_last_error())
    k32.CloseHandle(handle)
    return job
