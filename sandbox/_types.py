"""Public data types of the sandbox (stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR_TYPES = ("SyntaxError", "RuntimeError", "Timeout", "MemoryLimit", "CanvasTooLarge", "Forbidden",
               "WorkerCrashed", "NoOutput", "OutputTooLarge", "UnsafeSVG")


@dataclass
class Limits:
    timeout_s: float = 20.0       # wall clock, enforced by the zygote (SIGKILL) and again by the caller
    cpu_s: int = 15               # RLIMIT_CPU of the job process
    memory_mb: int = 2048         # RLIMIT_AS budget on top of the preloaded interpreter
    max_megapixels: float = 4.0   # per image, checked before any canvas is allocated
    max_side: int = 4096          # per image side, same
    max_log_bytes: int = 16384    # stdout + stderr + warnings kept

    def clamped(self) -> "Limits":
        """A copy with every field inside sane bounds (values come from UI widgets)."""
        c = lambda v, lo, hi: max(lo, min(hi, v))
        return Limits(timeout_s=c(float(self.timeout_s), 0.1, 600.0), cpu_s=int(c(int(self.cpu_s), 1, 600)),
                      memory_mb=int(c(int(self.memory_mb), 64, 65536)),
                      max_megapixels=c(float(self.max_megapixels), 0.001, 64.0),
                      max_side=int(c(int(self.max_side), 1, 16384)),
                      max_log_bytes=int(c(int(self.max_log_bytes), 256, 1 << 20)))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict) -> "Limits":
        lim = cls()
        for k in cls.__dataclass_fields__:
            if k in d:
                setattr(lim, k, type(getattr(lim, k))(d[k]))
        return lim


@dataclass
class RenderedImage:
    width: int
    height: int
    rgba: bytes      # RGBA8 row-major, len == width * height * 4
    source: str      # "output_dir/chart.png", "figure 1", "svg", or the path the code saved to
                     # when that lay outside scratch ("../figures/x.pdf")

    def to_pil(self):
        from PIL import Image
        return Image.frombytes("RGBA", (self.width, self.height), self.rgba)


@dataclass
class RenderResult:
    ok: bool
    images: list = field(default_factory=list)
    text_mask: bytes | None = None
    layout: dict = field(default_factory=dict)      # the draft's (images[0]) layout
    log: str = ""
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None
    error_line: int | None = None
    tier: str = ""
    duration_s: float = 0.0
    layouts: list = field(default_factory=list)     # one layout per image, same order as images


@dataclass
class IsolationInfo:
    tier: str                      # "strong" | "partial" | "none"
    layers: list = field(default_factory=list)
    enforces_files_network: bool = False
    description: str = ""
