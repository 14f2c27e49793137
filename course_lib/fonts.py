"""Chinese in plots: the Chinese edition's titles, axis labels and legends in Noto Sans CJK SC.

The font comes from PyPI (`noto-cjk-sans-otc`: Noto Sans CJK, SIL Open Font License 1.1), so a learner on macOS
or Windows needs no system font. It ships as a collection of ten faces, and matplotlib 3.10 reads only a
collection's first face (Japanese), so the Simplified Chinese face is taken out once into its own file beside the
environment (`make` does it; else the first `use_cjk_font()` where that folder is writable). Where it cannot be
written (a read-only environment), the collection's first face is used: it holds the same characters, a few
drawn in their Japanese form. Latin text stays in DejaVu Sans; matplotlib falls back to the CJK face glyph by
glyph (the family list that matplotlib's documentation gives for CJK text).

    python -m course_lib.fonts        take the Simplified Chinese face out (what `make` runs)
"""
import os
import sys
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
FACE = 2  # the collection's faces: JP, KR, SC, TC, HK, then the Mono ones
_used = None  # the family registered with matplotlib, once


def collection() -> Path:
    """The installed Noto Sans CJK collection."""
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def face_path() -> Path:
    """Where the Simplified Chinese face is kept: inside this Python environment, never in the home folder."""
    return Path(sys.prefix) / "share" / "transformers-course" / "fonts" / "NotoSansCJKsc-Regular.otf"


def extract(dest: Path | None = None) -> Path:
    """Write the collection's Simplified Chinese face to `dest` (default `face_path()`); about a second."""
    from fontTools.ttLib import TTCollection

    dest = dest or face_path()
    fonts = TTCollection(str(collection()), lazy=True).fonts
    if fonts[FACE]["name"].getDebugName(1) != FAMILY:
        raise RuntimeError(f"face {FACE} of {collection()} is not {FAMILY}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}")
    fonts[FACE].save(str(partial))
    os.replace(partial, dest)  # whole or absent: a reader never sees half a font
    return dest


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and put it after DejaVu Sans in `font.family`; the family used."""
    global _used
    if _used:
        return _used
    from matplotlib import font_manager, rcParams

    path = face_path()
    if not path.exists():
        try:
            extract(path)
        except (OSError, RuntimeError, ImportError):
            path = None
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        family = FAMILY
    else:
        font_manager.fontManager.addfont(str(collection()))
        family = font_manager.FontProperties(fname=str(collection())).get_name()
    rcParams["font.family"] = ["DejaVu Sans", family]
    _used = family
    return family


if __name__ == "__main__":
    print(f"wrote {extract()}")
