"""Fonts for the PDF digest: which families fontconfig has (asked through ctypes), whether
HarfBuzz can subset them, and the advice that says what to install when one is missing.

It owns the families the print stylesheet names; installing one changes the PDFs, which is why the
digest fingerprint includes `font_state()`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

from ..errors import Problem

# The families digest.css names, by what they are for, and the Debian packages that bring them.
TEXT_FONTS = ("Noto Serif", "Noto Sans")
CJK_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")
TEXT_PACKAGE = "fonts-noto-core"
CJK_PACKAGE = "fonts-wqy-microhei"
SUBSET_PACKAGE = "libharfbuzz-subset0"


@functools.cache
def installed_families() -> frozenset[str] | None:
    """Every font family fontconfig knows, or None when fontconfig cannot be asked."""

    class FontSet(ctypes.Structure):
        _fields_ = [
            ("nfont", ctypes.c_int),
            ("sfont", ctypes.c_int),
            ("fonts", ctypes.POINTER(ctypes.c_void_p)),
        ]

    try:
        lib = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    except OSError:
        return None
    lib.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    lib.FcConfigGetFonts.restype = ctypes.POINTER(FontSet)
    lib.FcConfigGetFonts.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.FcPatternGetString.restype = ctypes.c_int
    lib.FcPatternGetString.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_char_p),
    ]
    lib.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    config = lib.FcInitLoadConfigAndFonts()
    if not config:
        return None
    families: set[str] = set()
    try:
        fonts = lib.FcConfigGetFonts(config, 0)  # FcSetSystem
        if fonts:
            value = ctypes.c_char_p()
            for i in range(fonts.contents.nfont):
                n = 0
                while lib.FcPatternGetString(fonts.contents.fonts[i], b"family", n, ctypes.byref(value)) == 0:
                    families.add((value.value or b"").decode("utf-8", "replace"))
                    n += 1
    finally:
        lib.FcConfigDestroy(config)
    return frozenset(families)


@functools.cache
def has_harfbuzz_subset() -> bool:
    """Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools: CJK PDFs ~20x slower."""
    for name in (ctypes.util.find_library("harfbuzz-subset"), "libharfbuzz-subset.so.0"):
        if name:
            try:
                ctypes.CDLL(name)
                return True
            except OSError:
                continue
    return False


def font_advice(families: frozenset[str] | None, subset: bool) -> str | None:
    """One message saying what the digest lacks and the command that installs it; None if nothing."""
    if families is None:
        return None
    gaps: list[str] = []
    packages: list[str] = []
    if not any(f in families for f in TEXT_FONTS):
        gaps.append(f"the text fonts {' and '.join(TEXT_FONTS)} (DejaVu is used instead)")
        packages.append(TEXT_PACKAGE)
    if not any(f in families for f in CJK_FONTS):
        gaps.append("a font for Chinese, Japanese and Korean names (秦刚 would print as empty boxes)")
        packages.append(CJK_PACKAGE)
    if not subset:
        gaps.append(f"{SUBSET_PACKAGE} (fonts are subset with fontTools, about 20x slower for CJK)")
        packages.append(SUBSET_PACKAGE)
    if not gaps:
        return None
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    return (
        f"PDF digests are missing {'; '.join(gaps)}. Install with: "
        f"{sudo}apt-get install --no-install-recommends {' '.join(packages)} "
        "(or run scripts/ensure-fonts.sh)"
    )


_fonts_checked = False


def check_fonts(warn: Callable[[Problem], None]) -> None:
    """Warn once per process if a font the digest names is missing."""
    global _fonts_checked
    if _fonts_checked:
        return
    _fonts_checked = True
    advice = font_advice(installed_families(), has_harfbuzz_subset())
    if advice:
        warn(Problem(None, None, advice))


def font_state() -> tuple[str, ...]:
    """The families the stylesheet names that are installed: installing a font changes the PDFs."""
    families = installed_families() or frozenset()
    return tuple(f for f in (*TEXT_FONTS, *CJK_FONTS) if f in families)
