"""What one save changes on one sheet (`_Edit`), gathered from the write plan's operations:
the cell values of each operation (`_Src`: columns, appended rows, single cells, headers),
highlights and notes to set or clear, and the growth of the sheet's tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .. import plan as p
from .cells import _rows_width
from .ooxml import MAX_ROW


@dataclass
class _Src:
    """One plan operation's cell values on one sheet; later sources win."""

    kind: str
    """'cols' (UpdateColumns), 'block' (AppendRows), 'cells' (SetCells), 'header' (write
    only where the cell is empty)"""
    first: int = 0
    n: int = 0
    cols: list[tuple[int, list[Any], p.Fmt]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    fmts: list[p.Fmt] = field(default_factory=list)
    cells: dict[int, dict[int, tuple[Any, p.Fmt]]] = field(default_factory=dict)
    runs: dict[int, list[p.Run]] = field(default_factory=dict)
    """'cols': column -> rows (0-based, into its values) with a format of their own
    (`UpdateColumns.row_formats`)"""

    def pieces(self, c: int, fmt: p.Fmt, lo: int, hi: int) -> list[p.Run]:
        """Rows lo ... hi-1 of column c (0-based) by format: one piece when none differs."""
        return p.segments(self.runs.get(c, []), fmt, lo, hi)

    def row_span(self) -> Iterable[int]:
        if self.kind in ("cols", "block"):
            return range(self.first, self.first + self.n)
        return self.cells.keys()

    def extent(self) -> tuple[int, int, int, int] | None:
        """(min row, min col, max row, max col) of the cells it writes."""
        if self.kind == "cols":
            if not self.cols or not self.n:
                return None
            cs = [c for c, _, _ in self.cols]
            return self.first, min(cs), self.first + self.n - 1, max(cs)
        if self.kind == "block":
            width = _rows_width(self.rows)
            if not self.n or not width:
                return None
            return self.first, 1, self.first + self.n - 1, width
        if not self.cells:
            return None
        cs = [c for row in self.cells.values() for c in row]
        return min(self.cells), min(cs), max(self.cells), max(cs)


@dataclass
class _Edit:
    """Everything one save changes on one sheet."""

    sources: list[_Src] = field(default_factory=list)
    marks: dict[int, dict[int, tuple[str, str]]] = field(default_factory=dict)
    clears: dict[int, set[int]] = field(default_factory=dict)
    restore: dict[tuple[int, int], str] = field(default_factory=dict)
    """A cleared cell's own fill, noted when it was marked (see `styles.fill_token`)."""
    replace: p.ReplaceSheet | None = None
    table_right: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    """table display name -> (new right column, names of the added columns)"""
    table_bottom: int = 0
    created: bool = False
    widths: dict[int, float] = field(default_factory=dict)
    """1-based column -> width of a column ordersheet adds (`UpdateColumns.widths`)."""
    validations: list[p.ListValidation] = field(default_factory=list)
    """Dropdowns to write into the sheet's <dataValidations> (`validations.py`)."""

    def touched_rows(self) -> list[int]:
        rows: set[int] = set()
        for s in self.sources:
            rows.update(s.row_span())
        rows.update(self.marks)
        rows.update(self.clears)
        return sorted(r for r in rows if 1 <= r <= MAX_ROW)

    def row_values(self, r: int, skip: int = -1) -> dict[int, tuple]:
        """col -> (value, fmt, only_if_empty, where) for row r (leaving out source `skip`);
        `where` is (source index, column index, row index) for values of an UpdateColumns
        column."""
        d: dict[int, tuple] = {}
        for si, s in enumerate(self.sources):
            if si == skip:
                continue
            k = s.kind
            if k == "cols":
                i = r - s.first
                if 0 <= i < s.n:
                    for ci, (c, values, fmt) in enumerate(s.cols):
                        if i < len(values):
                            if c in s.runs:
                                fmt = p.fmt_at(s.runs[c], fmt, i)
                            d[c] = (values[i], fmt, False, (si, ci, i))
            elif k == "block":
                i = r - s.first
                if 0 <= i < s.n:
                    fmts = s.fmts
                    for j, v in enumerate(s.rows[i]):
                        d[j + 1] = (v, fmts[j] if j < len(fmts) else None, False, None)
            else:
                got = s.cells.get(r)
                if got:
                    only = k == "header"
                    for c, (v, fmt) in got.items():
                        d[c] = (v, fmt, only, None)
        return d

    def covered(self, r: int, c: int) -> bool:
        got = self.row_values(r).get(c)
        return got is not None and not got[2]

    def extent(self) -> tuple[int, int, int, int] | None:
        boxes = [e for e in (s.extent() for s in self.sources) if e]
        for rows in (self.marks, self.clears):
            for r, cols in rows.items():
                for c in cols:
                    boxes.append((r, c, r, c))
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))
