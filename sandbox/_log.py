"""Job log text: capped capture of stdout/stderr/warnings, escape stripping (stdlib only)."""

from __future__ import annotations

import io
import re

_ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x80-\x9f]"
                   r"|[\x00-\x08\x0b-\x1f\x7f]")


def strip_escapes(s: str) -> str:
    """Remove ANSI CSI/OSC escape sequences and control characters (keeps \\n and \\t)."""
    return _ANSI.sub("", s.replace("\r\n", "\n").replace("\r", "\n"))


def cap_text(s: str, max_bytes: int) -> str:
    b = s.encode("utf-8", "replace")
    if len(b) <= max_bytes:
        return s
    return b[:max_bytes].decode("utf-8", "ignore") + f"\n[log truncated: {len(b) - max_bytes} more bytes]"



class CappedLog:
    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        n = len(s)
        if self.size < self.cap * 2:
            room = self.cap * 2 - self.size
            self.parts.append(s[:room])
            self.size += min(n, room)
            self.dropped += max(0, n - room)
        else:
            self.dropped += n
        return n

    def text(self) -> str:
        s = strip_escapes("".join(self.parts))
        s = cap_text(s, self.cap)
        if self.dropped:
            s += f"\n[log truncated: {self.dropped} more characters]"
        return s


class LogStream(io.TextIOBase):
    def __init__(self, log: CappedLog):
        self._log = log

    def write(self, s):
        return self._log.write(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"

