"""The reader where python-calamine is absent (Pyodide): regex tokens over trusted XML
(`xmltext._Lexer`), shared strings and date styles resolved as Excel does."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from ..port import WorkbookError
from ..raw import CellError, col_index
from .cells import _from_serial
from .limits import Limits
from .ooxml import MAX_COL, MAX_ROW
from .package import _Package, _Sheet
from .scan import _HIDDEN_ROW, _MERGE, _Scan, _too_big, formula_cells
from .styles import _Styles
from .xmltext import (_Lexer, _attrs, _prefix_of, _sheetdata_span, _trusted, _unescape,
                      _xunescape)


class _XmlReader:
    """The reader where calamine is unavailable (Pyodide): regex over trusted XML."""

    def __init__(self, pkg: _Package, styles: _Styles, sst_path: str | None, date1904: bool,
                 limits: Limits):
        self.pkg = pkg
        self.styles = styles
        self.date1904 = date1904
        self.limits = limits
        self.sst: list[str] = self._read_sst(sst_path) if sst_path else []

    def _read_sst(self, path: str) -> list[str]:
        data = _trusted(self.pkg.read(path, self.limits.max_shared_strings_bytes),
                        "shared strings")
        lex = _Lexer(_prefix_of(data, "sst"))
        out = [lex.text_of(m.group(1) or b"") for m in lex.si.finditer(data)]
        if len(out) > self.limits.max_shared_strings_count:
            raise WorkbookError("the workbook has more shared strings than allowed "
                                f"({self.limits.max_shared_strings_count:,})")
        return out

    def read_sheet(self, sheet: _Sheet) -> tuple[dict[int, list[tuple[int, Any]]], _Scan]:
        """Sparse cells {row: [(col, value)]} (non-empty only) and the scan facts."""
        what = f"sheet {sheet.name!r}"
        data = _trusted(self.pkg.read(sheet.path, self.limits.max_part_bytes), what)
        lex = _Lexer(_prefix_of(data, "worksheet"))
        _, a, b, _ = _sheetdata_span(data, lex.P)
        scan = _Scan()
        if b"hidden=" in data[a:b]:
            for m in _HIDDEN_ROW.finditer(data, a, b):
                r = re.search(rb"""\sr=["'](\d+)""", b" " + m.group(1))
                if r:
                    scan.hidden_rows.append(int(r.group(1)))
        scan.merged = sorted(set(x.decode() for x in _MERGE.findall(data, b)))
        scan.formulas = formula_cells(data, a, b)
        rows = self._cells_fast(lex, data, a, b, what)
        if rows is None:  # cells without references: walk row by row
            rows = self._cells_by_row(lex, data, a, b, what, sheet.name)
        return rows, scan

    def _cells_fast(self, lex: _Lexer, data: bytes, a: int, b: int, what: str):
        rows: dict[int, list[tuple[int, Any]]] = {}
        cols: dict[bytes, int] = {}
        sst, date_kind, date1904 = self.sst, self.styles.date_kind, self.date1904
        value = self._value
        for m in lex.any_cell.finditer(data, a, b):
            letters, digits, sidx, t, other, inner = m.groups()
            if letters is None:
                r, c, si, ty = lex.cell_attrs(other)
                if not r:
                    return None
                st, tt = si, ty
            else:
                r = int(digits)
                c = cols.get(letters)
                if c is None:
                    c = cols[letters] = col_index(letters.decode())
                st = int(sidx) if sidx else 0
                tt = t.decode() if t else None
            if not inner:
                continue
            if tt is None and not st and inner[:3] == b"<v>" and inner[-4:] == b"</v>":
                try:  # the common plain number, without a regex
                    x = float(inner[3:-4])
                    v: Any = int(x) if x.is_integer() and -1e15 < x < 1e15 else x
                except ValueError:
                    v = value(lex, inner, tt, st, sst, date_kind, date1904)
            else:
                v = value(lex, inner, tt, st, sst, date_kind, date1904)
            if v is not None:
                line = rows.get(r)
                if line is None:
                    line = rows[r] = []
                line.append((c, v))
        return rows

    def _cells_by_row(self, lex, data, a, b, what, name):
        rows: dict[int, list[tuple[int, Any]]] = {}
        sst, date_kind, date1904 = self.sst, self.styles.date_kind, self.date1904
        r = 0
        for m in lex.row_start.finditer(data, a, b):
            ra = _attrs(m.group(1))
            r = int(ra["r"]) if ra.get("r", "").isdigit() else r + 1
            if m.group(2):
                continue
            end = data.find(lex.row_end, m.end(), b)
            if end < 0:
                raise WorkbookError(f"{what}: a row is not closed")
            c = 0
            line = []
            for cm in lex.cell.finditer(data, m.end(), end):
                cr, cc, sidx, t = lex.cell_attrs(cm.group(1))
                c = cc or c + 1
                if c > MAX_COL or r > MAX_ROW:
                    raise _too_big(name, self.limits)
                inner = cm.group(2)
                if not inner:
                    continue
                v = self._value(lex, inner, t, sidx, sst, date_kind, date1904)
                if v is not None:
                    line.append((c, v))
            if line:
                rows[r] = line
        return rows

    @staticmethod
    def _value(lex: _Lexer, inner: bytes, t: str | None, sidx: int, sst, date_kind,
               date1904) -> Any:
        if t == "inlineStr":
            return lex.text_of(inner) or None
        vm = lex.v.search(inner)
        if vm is None:
            return None
        text = vm.group(1)
        if t == "s":
            try:
                return sst[int(text)] or None
            except (ValueError, IndexError):
                return None
        if t == "str":
            return _xunescape(_unescape(text)) or None
        if t == "b":
            return text.strip() in (b"1", b"true")
        if t == "e":
            return CellError(_unescape(text))
        if t == "d":
            try:
                d = dt.datetime.fromisoformat(_unescape(text))
            except ValueError:
                return _unescape(text) or None
            return d.date() if d.time() == dt.time() else d
        try:
            x = float(text)
        except ValueError:
            return _unescape(text) or None
        kind = date_kind(sidx) if sidx else None
        if kind is not None and math.isfinite(x) and 0 <= x < 2958466:
            if kind == "duration":
                return str(dt.timedelta(days=x))
            if x < 1:
                return str((dt.datetime(2000, 1, 1) + dt.timedelta(days=x)).time())
            return _from_serial(x, date1904)
        if x.is_integer() and -1e15 < x < 1e15:
            return int(x)
        return x


def _grid_from_sparse(rows: dict[int, list[tuple[int, Any]]], name: str,
                      limits: Limits) -> tuple[list[list[Any]], int, int, int]:
    """Dense grid of the used range: (grid, first_row, first_col, last_col)."""
    if not rows:
        return [], 1, 1, 0
    r0, r1 = min(rows), max(rows)
    c0 = min(c for cells in rows.values() for c, _ in cells)
    c1 = max(c for cells in rows.values() for c, _ in cells)
    if (r1 - r0 + 1) * (c1 - c0 + 1) > limits.max_cells:
        raise _too_big(name, limits)
    width = c1 - c0 + 1
    grid = []
    for r in range(r0, r1 + 1):
        line = [None] * width
        for c, v in rows.get(r, ()):
            line[c - c0] = v
        grid.append(line)
    return grid, r0, c0, c1
