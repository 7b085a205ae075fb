"""macOS: run the spawned single-use worker under a Seatbelt profile (sandbox-exec).  UNTESTED HERE.

sandbox-exec is deprecated but still shipped. The profile denies everything, then allows reads of
the Python installation, system libraries and fonts, writes only to the pool's scratch dir, and no
network. macOS ignores RLIMIT_AS: memory is bounded only by the caller's wall-clock kill.
The pool reports this as tier "partial" because it is not tested here.
"""

from __future__ import annotations

import os
import shutil
import sys

_PROFILE = """(version 1)
(deny default)
(allow process-exec (literal "{exe}"))
(allow process-fork)
(allow signal (target self))
(allow sysctl-read)
(allow file-read-metadata)
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))
(allow file-read* {reads})
(allow file-read* file-write* (subpath "{scratch}"))
(deny network*)
"""


def available() -> bool:
    return sys.platform == "darwin" and shutil.which("sandbox-exec") is not None


def _q(p):
    return '"' + os.path.realpath(p).replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrap(argv, scratch, mplconfig):
    reads = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.abspath(__file__)),
             "/System/Library", "/usr/lib", "/usr/share", "/Library/Fonts", "/private/var/db/dyld",
             "/dev/null", "/dev/urandom", mplconfig}
    reads.update(p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p)
    profile = _PROFILE.format(exe=os.path.realpath(sys.executable),
                              reads=" ".join(f"(subpath {_q(p)})" for p in sorted(reads)),
                              scratch=os.path.realpath(scratch))
    return ["sandbox-exec", "-p", profile] + list(argv)
