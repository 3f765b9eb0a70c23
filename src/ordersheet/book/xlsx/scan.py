"""The bounded pass over a sheet part before a native parser reads it (`_scan_sheet`):
refuses a DTD or an absurd used range (a cell at XFD1048576 makes a dense reader allocate
17 billion cells) from the raw bytes, and collects what calamine does not report: error
cells, hidden rows, merged ranges, formula cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..port import WorkbookError
from ..raw import col_index, split_a1
from .limits import Limits, forbid_dtd_prolog
from .ooxml import MAX_COL
from .package import _Package, _Sheet


_ERROR_CELL = re.compile(rb"""<(?:[\w.\-]+:)?c(?=\s)([^>]*?\st=["']e["'][^>]*?)>(.{0,40000}?)"""
                         rb"""</(?:[\w.\-]+:)?c>""", re.S)
_ERROR_V = re.compile(rb"<(?:[\w.\-]+:)?v>([^<]*)</")
_REF_ATTR = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d+)["']""")
_HIDDEN_ROW = re.compile(rb"""<(?:[\w.\-]+:)?row(?=\s)([^>]*\shidden=["'](?:1|true)["'][^>]*)>""")
_DIMENSION = re.compile(rb"""<(?:[\w.\-]+:)?dimension\s+ref=["']([^"']+)["']""")
_MERGE = re.compile(rb"""<(?:[\w.\-]+:)?mergeCell\s+ref=["']([^"']+)["']""")
_FORMULA = re.compile(rb"<(?:[\w.\-]+:)?f[\s>/]")
_CELL_START = re.compile(rb"<(?:[\w.\-]+:)?c\s")


def formula_cells(buf: bytes, start: int = 0, end: int | None = None) -> set[tuple[int, int]]:
    """(row, column) of every cell in `buf[start:end]` that holds a formula (`<f>` inside
    the cell; a formula of an extension, such as a sparkline's `<xm:f>`, is outside any
    open cell and not counted)."""
    out: set[tuple[int, int]] = set()
    end = len(buf) if end is None else end
    for m in _FORMULA.finditer(buf, start, end):
        pos = m.start()
        lo = max(start, pos - 4096)
        cells = list(_CELL_START.finditer(buf, lo, pos))
        if not cells:
            continue
        seg = buf[cells[-1].start():pos]
        if b"</" in seg or b"/>" in seg:  # that cell closed before the formula
            continue
        ref = _REF_ATTR.search(seg)
        if ref:
            out.add((int(ref.group(2)), col_index(ref.group(1).decode())))
    return out


def _area(ref: str) -> int:
    try:
        if ":" in ref:
            a, b = ref.split(":", 1)
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b)
        else:
            r1, c1 = r2, c2 = split_a1(ref)
    except ValueError:
        return 0
    return (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)


@dataclass
class _Scan:
    """What a bounded pass over a sheet part learned before a native parser reads it."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)


def _big_refs(digits: int) -> tuple[re.Pattern, re.Pattern]:
    """Cell/row references whose row has at least `digits` digits (literal prefix: fast)."""
    return (re.compile(rb' r="[A-Z]{0,4}(\d{%d,})"' % digits),
            re.compile(rb" r='[A-Z]{0,4}(\d{%d,})'" % digits))


_MULTI_COL = (re.compile(rb' r="([A-Z]{2,})\d'), re.compile(rb" r='([A-Z]{2,})\d"))


def _check_head(head: bytes, sheet: _Sheet, limits: Limits, what: str) -> None:
    """Refuse a sheet part whose first bytes hold a DTD or declare a used range beyond
    the cell limit (checked before anything is parsed)."""
    forbid_dtd_prolog(head, what)
    m = _DIMENSION.search(head[:65536])
    if m and _area(m.group(1).decode("ascii", "replace")) > limits.max_cells:
        raise WorkbookError(
            f"sheet {sheet.name!r} declares the used range {m.group(1).decode()} "
            f"({_area(m.group(1).decode()):,} cells, limit {limits.max_cells:,}): "
            "refused; delete the stray rows and columns in Excel and save again")


def _scan_sheet(pkg: _Package, sheet: _Sheet, limits: Limits) -> _Scan:
    """Inflate a sheet part under its caps and refuse absurd used ranges (a cell at
    XFD1048576 makes a dense reader allocate 17 billion cells), collecting the error
    cells, hidden rows and merged ranges calamine does not report.

    The used range is bounded without parsing: columns beyond Z and rows with as many
    digits as the row limit are found by literal-prefix regexes, so an ordinary book
    costs one inflate and two quick searches."""
    scan = _Scan()
    what = f"sheet {sheet.name!r}"
    tail = b""
    first = True
    multi: set[bytes] = set()
    d1 = len(str(max(1, limits.max_cells // 26)))
    big1 = _big_refs(d1)
    max_big = 0
    comments = _Comments(what)
    for block in pkg.iter(sheet.path):
        buf = tail + block
        if first:
            _check_head(buf, sheet, limits, what)
            first = False
        comments.feed(block)
        quotes = b"'" in buf  # single-quoted attributes are rare: skip their searches
        single = quotes and b" r='" in buf
        for i, pat in enumerate(_MULTI_COL):
            if i == 0 or single:
                multi.update(pat.findall(buf))
        for i, pat in enumerate(big1):
            if i == 0 or single:
                found = pat.findall(buf)
                if found:
                    max_big = max(max_big, max(map(int, found)))
        if max_big * 26 > limits.max_cells:
            raise _too_big(sheet.name, limits)
        if b't="e"' in buf or (quotes and b"t='e'" in buf):
            for m in _ERROR_CELL.finditer(buf):
                ref = _REF_ATTR.search(b" " + m.group(1))
                v = _ERROR_V.search(m.group(2))
                if ref and v:
                    rc = (int(ref.group(2)), col_index(ref.group(1).decode()))
                    scan.errors[rc] = v.group(1).decode("ascii", "replace")
        if b"hidden=" in buf:
            for m in _HIDDEN_ROW.finditer(buf):
                r = re.search(rb"""\sr=["'](\d+)""", b" " + m.group(1))
                if r:
                    scan.hidden_rows.append(int(r.group(1)))
        if b"<f" in buf or b":f" in buf:
            scan.formulas |= formula_cells(buf)
        if b"mergeCell " in buf:
            scan.merged.extend(x.decode() for x in _MERGE.findall(buf))
        tail = block[-65536:]
    if multi:
        maxcol = max(col_index(x.decode()) for x in multi)
        if maxcol > MAX_COL:
            raise _too_big(sheet.name, limits)
        d2 = len(str(max(1, limits.max_cells // maxcol)))
        if d2 < d1:  # wide sheet: look again with the row threshold its width allows
            big2 = _big_refs(d2)
            tail = b""
            for block in pkg.iter(sheet.path):
                buf = tail + block
                for pat in big2:
                    found = pat.findall(buf)
                    if found:
                        max_big = max(max_big, max(map(int, found)))
                tail = block[-64:]
        if max_big * maxcol > limits.max_cells:
            raise _too_big(sheet.name, limits)
    scan.hidden_rows = sorted(set(scan.hidden_rows))
    scan.merged = sorted(set(scan.merged))
    return scan


def _too_big(name: str, limits: Limits) -> WorkbookError:
    return WorkbookError(
        f"sheet {name!r} is larger than ordersheet reads: its cells span more than "
        f"{limits.max_cells:,} (rows x columns, e.g. {limits.max_cells // 25:,} rows of 25 "
        "columns). If that is stray content far below or right of the data, delete those "
        "rows and columns in Excel and save; if it is all data, split it across books")


MAX_COMMENT = 1024 * 1024
"""XML comments in a sheet part: Excel writes none; a big one is padding, refused."""


class _Comments:
    """Counts the bytes inside XML comments as the blocks of a part stream past."""

    def __init__(self, what: str):
        self.what, self.open_for, self.carry = what, -1, b""

    def feed(self, block: bytes) -> None:
        if self.open_for < 0 and b"<!--" not in block and b"<!--" not in self.carry + block[:3]:
            self.carry = block[-3:]  # the usual block: no comment, nothing copied
            return
        buf, pos = self.carry + block, 0
        while True:
            if self.open_for < 0:
                at = buf.find(b"<!--", pos)
                if at < 0:
                    break
                self.open_for, pos = 0, at + 4
            end = buf.find(b"-->", pos)
            if end < 0:
                self.open_for += len(buf) - pos
                break
            self.open_for += end - pos
            self._check()
            self.open_for, pos = -1, end + 3
        self._check()
        self.carry = buf[-3:]
        if self.open_for >= 0:
            self.open_for -= 3  # the carried bytes are counted again with the next block

    def _check(self) -> None:
        if self.open_for > MAX_COMMENT:
            raise WorkbookError(
                f"{self.what} holds an XML comment over {MAX_COMMENT // 1024 // 1024} MB, "
                "which no spreadsheet program writes: refused (open the book in Excel and "
                "save it again)")
