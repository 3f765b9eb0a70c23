"""The fonts the PDFs are drawn in, and which font draws each character.

DejaVu Sans (regular and bold, shipped in `fonts/` with its licence) draws Latin in every
European language and Vietnamese, Greek, Cyrillic, Armenian, Georgian and Hebrew. For a
character it lacks (Chinese, Japanese, Korean, Thai ...) a font installed on this computer
is looked for: first the files named in the environment variable `ORDERSHEET_FONTS`
(font files or folders, separated like PATH), then fontconfig (`fc-list`), then the
usual places of Windows, macOS and Linux. A character no font draws is reported by
`FontPlan.missing` (the PDF shows U+FFFD there and the caller raises an issue): it never
becomes a silent `?`.

Why the care about speed: a PDF embeds a subset of each font it uses, and fpdf2 makes that
subset by loading the whole font anew for every document (tens of milliseconds for
DejaVu's 6,000 glyphs, seconds for a CJK font). So each font file is parsed once per
process and cut down to the characters documents need (`Face`: the common European
scripts up front, more as documents bring them); every document then gets a copy of the
parsed font (`Face.attach`) whose own subset is quick to make. The lean copy keeps the
original's glyph outlines, widths, names and bounding box, so a document's PDF is the same
bytes whatever else was drawn before it in the process (a test checks this).
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from fontTools import subset as ft_subset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "dejavu"
"""The family name documents set (`pdf.set_font(FAMILY, "B", 9)`)."""
SHIPPED = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}
REPLACEMENT = "\ufffd"
"""Drawn where no font has the character (DejaVu has it)."""

# What a lean DejaVu holds from the start: ASCII, Latin-1 and the signs every document may
# use. It grows with the characters documents bring (`Face.prepare`); kept this small
# because every document pays for each glyph the lean font holds (see the module's
# docstring).
_BASE_RANGES = (
    (0x20, 0x7E), (0xA0, 0xFF),
    (0x2013, 0x2014), (0x2018, 0x201E), (0x2022, 0x2022), (0x2026, 0x2026),
    (0x20AC, 0x20AC), (0x2122, 0x2122), (0xFFFD, 0xFFFD),
)
BASE = frozenset(c for lo, hi in _BASE_RANGES for c in range(lo, hi + 1))

_DROP_TABLES = ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "FFTM", "MATH", "VDMX", "LTSH",
                "DSIG", "morx", "feat", "BASE", "JSTF", "gasp"]
"""Tables no PDF of ours uses (fpdf2 drops the layout tables from each subset anyway)."""
_LOADABLE = (".ttf", ".otf", ".ttc", ".otc")


class Face:
    """One font file (one face of a collection), parsed once per process and kept lean:
    cut down to `covered`, which grows when a document needs a character it lacks."""

    def __init__(self, path: Path, number: int = 0, base: Iterable[int] = ()) -> None:
        self.path = Path(path)
        self.number = number
        self._base = frozenset(base)
        self._codepoints: Optional[frozenset[int]] = None
        self.covered: frozenset[int] = frozenset()
        self._data = b""
        self._template: Optional[TTFFont] = None

    @property
    def codepoints(self) -> frozenset[int]:
        """Every character the file has a glyph for."""
        if self._codepoints is None:
            font = ttLib.TTFont(self.path, fontNumber=self.number, lazy=True)
            try:
                self._codepoints = frozenset(font.getBestCmap() or ())
            finally:
                font.close()
        return self._codepoints

    def prepare(self, chars: Iterable[int]) -> None:
        """Make the lean font cover every character of `chars` the file has."""
        want = (frozenset(chars) | self._base) & self.codepoints
        if self._template is not None and want <= self.covered:
            return
        self.covered = self.covered | want
        self._data = _lean(self.path, self.number, self.covered)
        self._template = None

    def attach(self, pdf: FPDF, family: str, style: str = "") -> None:
        """Add this face to `pdf` as `family` + `style`: a copy of the parsed lean font,
        with a subset of its own (what fpdf2's `add_font` would add, without parsing)."""
        if self._template is None:
            if not self._data:
                self.prepare(())
            holder = FPDF()
            self._template = TTFFont(holder, io.BytesIO(self._data), f"{family}{style}", style)
        font = copy.copy(self._template)
        font.fontkey = f"{family}{style}"
        font.i = len(pdf.fonts) + 1
        # fpdf2 cuts the subset out of `ttfont` in place when the PDF is written: each
        # document needs its own, and loading one lazily from bytes is cheap.
        font.ttfont = ttLib.TTFont(io.BytesIO(self._data), recalcTimestamp=False,
                                   recalcBBoxes=False, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        pdf.fonts[font.fontkey] = font


def _lean(path: Path, number: int, codepoints: Iterable[int]) -> bytes:
    """The font at `path` cut down to `codepoints`, keeping its glyph names and bounding
    box (so PDFs drawn from it do not depend on which characters it holds)."""
    font = ttLib.TTFont(path, fontNumber=number, recalcTimestamp=False, recalcBBoxes=False,
                        lazy=True)
    options = ft_subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.glyph_names = True
    # the names a PDF reader shows (family, style, full name, version; English), no more:
    # every document's subset reads them again
    options.drop_tables += _DROP_TABLES
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    # One Unicode cmap is all fpdf2 reads (`getBestCmap`); every other one costs each
    # document its decoding.
    cmap = font["cmap"]
    best = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 10)] or \
        [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
    if best:
        cmap.tables = best[:1]
    out = io.BytesIO()
    font.save(out)
    font.close()
    return out.getvalue()


# ---- which font draws what -------------------------------------------------------------


@dataclass(frozen=True)
class FontPlan:
    """The fonts one document needs: DejaVu, plus `fallbacks` for what it lacks, and the
    characters no font found here can draw."""

    fallbacks: tuple[Face, ...] = ()
    missing: frozenset[str] = frozenset()

    def attach(self, pdf: FPDF) -> None:
        for style, face in shipped().items():
            face.attach(pdf, FAMILY, style)
        names = []
        for i, face in enumerate(self.fallbacks, 1):
            names.append(f"fallback{i}")
            face.attach(pdf, names[-1])
        if names:
            # the fallbacks have no bold: a bold heading in Japanese is drawn regular
            pdf.set_fallback_fonts(names, exact_match=False)


@lru_cache(maxsize=None)
def shipped() -> dict[str, Face]:
    """DejaVu Sans regular ("") and bold ("B"), one `Face` each per process."""
    return {style: Face(path, base=BASE) for style, path in SHIPPED.items()}


def plan(chars: Iterable[str]) -> FontPlan:
    """The fonts that draw `chars` (the characters of one document, or of many to be drawn
    together: their fonts are then prepared once)."""
    codes = {ord(c) for c in chars if c.isprintable()}
    regular = shipped()[""]
    lacking = codes - regular.codepoints
    for face in shipped().values():
        face.prepare(codes - lacking)
    fallbacks: list[Face] = []
    missing: set[str] = set()
    for c in sorted(lacking):
        face = next((f for f in fallbacks if c in f.codepoints), None) or _system_face(c)
        if face is None:
            missing.add(chr(c))
        elif face not in fallbacks:
            fallbacks.append(face)
    for face in fallbacks:
        face.prepare(c for c in lacking if c in face.codepoints)
    return FontPlan(tuple(fallbacks), frozenset(missing))


# ---- fonts installed on this computer --------------------------------------------------


@lru_cache(maxsize=None)
def _system_face(codepoint: int) -> Optional[Face]:
    """An installed font with a glyph for `codepoint`, or None."""
    for path, number in _candidates(codepoint):
        face = _face(path, number)
        try:
            if codepoint in face.codepoints:
                return face
        except Exception:  # an unreadable or unsupported font file: try the next one
            continue
    return None


@lru_cache(maxsize=None)
def _face(path: Path, number: int) -> Face:
    return Face(path, number)


def _candidates(codepoint: int) -> Iterable[tuple[Path, int]]:
    """Font files that may have `codepoint`: the user's first, then fontconfig's answer,
    then the usual places; each (path, face number in a collection)."""
    for entry in os.environ.get("ORDERSHEET_FONTS", "").split(os.pathsep):
        if entry:
            yield from _font_files(Path(entry))
    yield from _fontconfig(codepoint)
    for path in _USUAL_PLACES:
        if path.is_file():
            yield path, 0


def _font_files(entry: Path) -> Iterable[tuple[Path, int]]:
    files = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
    for f in files:
        if f.suffix.lower() in _LOADABLE and f.is_file():
            yield f, 0


@lru_cache(maxsize=None)
def _fc_list() -> Optional[str]:
    return shutil.which("fc-list")


def _fontconfig(codepoint: int) -> list[tuple[Path, int]]:
    """Fonts fontconfig knows with a glyph for `codepoint`, regular styles first."""
    fc = _fc_list()
    if fc is None:
        return []
    try:
        done = subprocess.run([fc, "--format", "%{file}\t%{index}\t%{style}\n",
                               f":charset={codepoint:x}"], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or Path(parts[0]).suffix.lower() not in _LOADABLE:
            continue
        style = parts[2].lower()
        plain = not any(w in style for w in ("bold", "italic", "oblique", "light", "thin"))
        found.append((0 if plain else 1, parts[0], int(parts[1] or 0)))
    return [(Path(file), number) for _, file, number in sorted(found)]


def _usual_places() -> tuple[Path, ...]:
    if sys.platform == "win32":
        root = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        names = ("YuGothR.ttc", "meiryo.ttc", "msgothic.ttc", "msyh.ttc", "simsun.ttc",
                 "malgun.ttf", "Nirmala.ttf", "tahoma.ttf", "seguisym.ttf", "arialuni.ttf")
        return tuple(root / n for n in names)
    if sys.platform == "darwin":
        return tuple(Path(p) for p in (
            "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
            "/System/Library/Fonts/Hiragino Sans GB.ttc",
            "/System/Library/Fonts/AppleSDGothicNeo.ttc",
            "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
            "/Library/Fonts/Arial Unicode.ttf",
            "/System/Library/Fonts/Thonburi.ttc"))
    return tuple(Path(p) for p in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"))


_USUAL_PLACES = _usual_places()


def forget_system_fonts() -> None:
    """Look for installed fonts afresh (after `ORDERSHEET_FONTS` changed; for tests)."""
    _system_face.cache_clear()
    _face.cache_clear()
    _fc_list.cache_clear()
