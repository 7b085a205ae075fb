"""Fonts inside a job: the CJK-capable fallback chain, CJK name aliases, and missing-glyph checks."""

from __future__ import annotations

import os

_CJK_FAMILIES: list[str] = []
_CJK_FONT_FILE = None
FONT_FILES: list[str] = []

_CMAP_CACHE: dict = {}
PATHS_CACHE: dict = {}   # font properties -> font files (layout capture)


def _resolve_font(path):
    """PIL accepts bare font file names ('DejaVuSans.ttf') that it finds in the system font dirs."""
    if os.path.isabs(path) and os.path.exists(path):
        return path
    import matplotlib
    base = os.path.basename(path)
    for d in (os.path.join(matplotlib.get_data_path(), "fonts", "ttf"),) + FONT_DIRS:
        for root, _dirs, files in os.walk(d):
            if base in files:
                return os.path.join(root, base)
    return path


def _charmap(path):
    cm = _CMAP_CACHE.get(path)
    if cm is None:
        try:
            from matplotlib import ft2font
            cm = set(ft2font.FT2Font(_resolve_font(path)).get_charmap())
        except Exception:
            cm = None     # unknown font: report nothing rather than everything
        _CMAP_CACHE[path] = cm
    return cm


def missing_chars(text, paths):
    maps = [_charmap(p) for p in paths]
    if any(m is None for m in maps):
        return ""
    out = []
    for ch in text:
        if ch.isspace() or ord(ch) < 32 or ch in out:
            continue
        if not any(ord(ch) in m for m in maps):
            out.append(ch)
    return "".join(out)


_CJK_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans SC",
              "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "AR PL SungtiL GB", "AR PL KaitiM GB",
              "IPAexGothic", "IPAGothic", "Noto Serif CJK SC", "Unifont")
_ALIASES = ("SimHei", "Microsoft YaHei", "SimSun", "KaiTi", "FangSong", "STHeiti", "STSong", "Heiti TC",
            "PingFang SC", "Arial Unicode MS", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts",
              os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"))


def setup_fonts():
    """Give every text a fallback for missing CJK glyphs (the first CJK font present, appended after
    the fonts the script chose, so a script's own font choice is never overridden) and alias the CJK
    font names models like to use (SimHei, Microsoft YaHei, ...) to it. Idempotent."""
    global _CJK_FONT_FILE
    from matplotlib import font_manager as fm
    if _CJK_FAMILIES or FONT_FILES:
        pass
    else:
        names = {f.name for f in fm.fontManager.ttflist}
        # fonts installed after matplotlib built its cache are not in it: add the CJK ones
        if not any(n in names for n in _CJK_NAMES):
            for d in FONT_DIRS:
                if not os.path.isdir(d):
                    continue
                for root, _dirs, files in os.walk(d):
                    for fn in files:
                        low = fn.lower()
                        if any(k in low for k in ("cjk", "wqy", "droidsansfallback", "uming", "ukai", "ipaex",
                                                  "sourcehan", "notosanssc")) and low.endswith((".ttf", ".ttc", ".otf")):
                            try:
                                fm.fontManager.addfont(os.path.join(root, fn))
                            except Exception:
                                pass
            names = {f.name for f in fm.fontManager.ttflist}
        for n in _CJK_NAMES:
            if n in names:
                _CJK_FAMILIES.append(n)
        dejavu = fm.findfont("DejaVu Sans", fallback_to_default=True)
        FONT_FILES.append(dejavu)
        if _CJK_FAMILIES:
            entry = next(f for f in fm.fontManager.ttflist if f.name == _CJK_FAMILIES[0])
            _CJK_FONT_FILE = entry.fname
            for alias in _ALIASES:
                if alias not in names:
                    fm.fontManager.ttflist.append(fm.FontEntry(fname=entry.fname, name=alias, style="normal",
                                                               variant="normal", weight=400, stretch="normal",
                                                               size="scalable"))
            fm.fontManager._findfont_cached.cache_clear()
            _append_cjk_fallback(fm)


def _append_cjk_fallback(fm):
    """matplotlib falls back glyph by glyph along the font list ``_find_fonts_by_props`` returns;
    inside a job the CJK font ends that list (glyphs the chosen fonts have are drawn as before)."""
    from . import _context
    orig = fm.FontManager._find_fonts_by_props

    def find_fonts(self, prop, *args, **kwargs):
        paths = orig(self, prop, *args, **kwargs)
        if _context.CTX is not None and _CJK_FONT_FILE and _CJK_FONT_FILE not in paths:
            paths = list(paths) + [_CJK_FONT_FILE]
        return paths
    fm.FontManager._find_fonts_by_props = find_fonts


def cjk_font_file():
    """The CJK fallback font file found by setup_fonts (None if there is none)."""
    return _CJK_FONT_FILE
