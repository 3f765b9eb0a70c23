"""The live-book engine: the workbook port on an `xlwings.Book` that is open in Excel.

One class, `XlwingsBook`, serves both ways ordersheet reaches a running Excel:
xlwings Lite (the remote engine inside Excel's Pyodide: every write is queued as an
*action* and replayed by Office.js when the script returns) and classic xlwings (desktop
Excel over COM / AppleScript). It talks to the book only through xlwings' public API, so it
imports no workbook library itself, and never `xlwings.pro`.

What it owns, and why it is built the way it is:
- **Reading**: each sheet's used range is converted once (`options(ndim=2,
  err_to_str=True)`); a sheet's Excel Table is cut out of that grid, never read again.
  Cells become raw-sheet values: fractional numbers stay floats, whole ones become ints
  (as the .xlsx engine reads them), blanks become None, error cells
  (`#N/A`) become `CellError`, date cells arrive as datetimes (the remote engine parses
  Office.js' ISO `...Z` strings; ISO text that is left over is accepted by `schema`).
- **Writing**: every plan op is one block write per contiguous run of cells plus a fixed
  number of formatting actions, so a 20-row and a 20,000-row run issue the same number of
  actions (one Excel round trip per cell would take minutes in Excel on the web).
- **Text stays text**: Excel parses what it is given (`=A1` becomes a formula, `00123` a
  number, `2026-11-03` a date). A string that Excel could read as anything but text is
  written with a leading apostrophe, Excel's own "this is text" prefix, which it does not
  keep in the value.
- **Highlights and notes**: fills go out in one `set_colors` call per block of up to
  10,000 cells. Notes are per cell in Excel, so at most `NOTE_LIMIT` notes are written per
  run (the Issues sheet always lists everything). On the remote engine a note's text cannot
  be read synchronously, so whether a note on a cell is ordersheet's own is remembered in
  an extra "Note" column of the hidden state sheet (`ours` / `user` / blank).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Iterable, Optional

from . import plan as p
from .port import WorkbookError, WorkbookPort
from .raw import CellError, RawSheet, a1, block_from_grid, keep_whole_grid, split_a1

engine_name = "xlwings"

NOTE_LIMIT = 250
"""Notes written (or rewritten) per run at most: each is one Excel action."""
COLOR_CELLS = 10_000
"""Cells per `Range.set_colors` call (xlwings' limit)."""
ERROR_TEXTS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
                         "#SPILL!", "#CALC!", "#DATA!", "#GETTING_DATA", "#FIELD!",
                         "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
STATE_NOTE_HEADER = "Note"
OURS, USERS = "ours", "user"

Cell = tuple[int, int]


# ---- values in and out -----------------------------------------------------------------


def cell_in(v: Any) -> Any:
    """One xlwings cell value -> a raw-sheet value."""
    if isinstance(v, str):
        if v.strip() in ERROR_TEXTS:
            return CellError(v.strip())
        return v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        # Excel hands every number over as a double; a whole one is exactly that int, and
        # the .xlsx engine reads it as one, so both engines give schema the same value
        # (and the same Issue text: "found -1", not "found -1.0").
        return int(v)
    return v


_RISKY_TEXT = re.compile(r"\d|^[=+\-@'#\s]|^\s*(?:true|false)\s*$", re.IGNORECASE)


def needs_text_prefix(s: str) -> bool:
    """True when Excel could read `s` as something other than this text: a formula
    (`=`, `+`, `-`, `@`), a number, date, time or percentage (any digit), TRUE/FALSE or an
    error value (`#`), or text whose leading apostrophe or space Excel would eat."""
    return bool(s) and _RISKY_TEXT.search(s) is not None


def text_out(s: str) -> str:
    return "'" + s if needs_text_prefix(s) else s


def cell_out(v: Any) -> Any:
    """A plan value -> what xlwings is given to write (it turns dates into what the
    engine needs and None into an empty cell)."""
    if v is None or isinstance(v, (bool, int, float, dt.date)):
        return v
    if isinstance(v, Decimal):
        # Excel stores doubles: this is where a money value becomes binary, on its way out.
        return float(v)
    return text_out(str(v))


def _rows_out(rows: Iterable[list[Any]], width: int) -> list[list[Any]]:
    out = []
    for r in rows:
        vals = [cell_out(v) for v in r[:width]]
        if len(vals) < width:
            vals += [None] * (width - len(vals))
        out.append(vals)
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def runs(cells: dict[Cell, Any]) -> list[tuple[Cell, list[list[Any]]]]:
    """Group single cells into blocks that can each be written with one call: runs of
    consecutive rows in a column, or of consecutive columns in a row, whichever needs
    fewer writes. Cells in between are never rewritten (they may hold formulas)."""

    def group(keyed: list[tuple[int, int, Any]]) -> list[tuple[int, int, list[Any]]]:
        out: list[tuple[int, int, list[Any]]] = []
        for line, pos, v in sorted(keyed, key=lambda t: (t[0], t[1])):
            if out and out[-1][0] == line and out[-1][1] + len(out[-1][2]) == pos:
                out[-1][2].append(v)
            else:
                out.append((line, pos, [v]))
        return out

    vertical = group([(c, r, v) for (r, c), v in cells.items()])
    horizontal = group([(r, c, v) for (r, c), v in cells.items()])
    if len(vertical) < len(horizontal):
        return [((r, c), [[v] for v in vals]) for c, r, vals in vertical]
    return [((r, c), [vals]) for r, c, vals in horizontal]


RUN_LIMIT = 8
"""More separate runs than this in one SetCells and the engine writes whole column spans."""
FORMAT_RUN_LIMIT = 500
"""Number-format actions per operation at most for rows formatted apart from their column
(a JPY line among USD lines): each run of such rows is one Excel action."""
MAX_ROW = 1_048_576


def contiguous(cols: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9, 10] -> [[3, 4, 5], [9, 10]]."""
    out: list[list[int]] = []
    for c in sorted(cols):
        if out and out[-1][-1] + 1 == c:
            out[-1].append(c)
        else:
            out.append([c])
    return out


# ---- the engine ----------------------------------------------------------------------------


class XlwingsBook(WorkbookPort):
    """The workbook port on a live `xlwings.Book` (remote/Lite or classic desktop)."""

    def __init__(self, book: Any):
        self.book = book
        self._raws: dict[str, RawSheet] = {}
        self._note_flags: dict[tuple[str, str], str] = {}
        """(sheet, A1) -> 'ours'/'user'/'' as remembered in the state sheet."""
        self._flags_known = False
        self._written_flags: dict[tuple[str, str], str] = {}
        self._noted_fills: dict[tuple[str, str], str] = {}
        """(sheet, A1) -> the cell's own fill before this run marked it (desktop Excel)."""
        self._notes_left = NOTE_LIMIT
        self._notes_ok = True
        self._added_sheet = False
        self.remote = _is_remote(book)

    # ---- reading --------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        out: dict[str, RawSheet] = {}
        for sheet in self.book.sheets:
            if names is not None and sheet.name not in names:
                continue
            raw = self._read_sheet(sheet)
            out[sheet.name] = raw
            self._raws[sheet.name] = raw
            if sheet.name == p.STATE_SHEET:
                self._remember_note_flags(raw)
        return out

    def _read_sheet(self, sheet: Any) -> RawSheet:
        used = sheet.used_range
        values = used.options(ndim=2, err_to_str=True).value or [[]]
        grid = [[cell_in(v) for v in row] for row in values]
        r0, c0 = used.row, used.column
        used_last_col = c0 + max((len(r) for r in grid), default=1) - 1
        table = next(iter(sheet.tables), None)
        if table is not None and table.range is not None:
            rng = table.range
            tr, tc = rng.row, rng.column
            nr, nc = rng.shape
            sub = []
            for i in range(tr - r0, tr - r0 + nr):
                row = grid[i] if 0 <= i < len(grid) else []
                sub.append([row[j] if 0 <= j < len(row) else None
                            for j in range(tc - c0, tc - c0 + nc)])
            raw = block_from_grid(sheet.name, sub, tr, tc, table.name)
        else:
            raw = keep_whole_grid(block_from_grid(sheet.name, grid, r0, c0), grid)
        raw.last_col = max(raw.last_col, used_last_col)
        formulas = self._formulas(used, r0, c0)
        if formulas:
            raw.extra["formulas"] = formulas
        return raw

    @staticmethod
    def _formulas(used: Any, r0: int, c0: int) -> set[tuple[int, int]]:
        """Cells holding a formula, where the engine can tell (desktop Excel; xlwings
        Lite's engine cannot read formulas, so there none are known)."""
        try:
            grid = used.formula
        except Exception:  # the remote engine: NotImplementedError
            return set()
        if isinstance(grid, str):  # a one-cell range
            grid = ((grid,),)
        out = set()
        for i, row in enumerate(grid or ()):
            for j, f in enumerate(row or ()):
                if isinstance(f, str) and f.startswith("="):
                    out.add((r0 + i, c0 + j))
        return out

    def _remember_note_flags(self, raw: RawSheet) -> None:
        header = [str(h or "").strip().lower() for h in raw.header]
        if STATE_NOTE_HEADER.lower() not in header[2:]:
            return
        k = header.index(STATE_NOTE_HEADER.lower())
        self._flags_known = True
        for r in raw.rows:
            if len(r) >= 2 and isinstance(r[0], str) and isinstance(r[1], str):
                flag = r[k] if len(r) > k and isinstance(r[k], str) else ""
                self._note_flags[(r[0], r[1].upper())] = flag.strip().lower()

    # ---- writing --------------------------------------------------------------------

    def apply(self, plan: p.WritePlan) -> None:
        active_before = _safe_name(lambda: self.book.sheets.active.name)
        self._notes_left = NOTE_LIMIT
        self._added_sheet = False
        for op in plan.ops:
            getattr(self, "_op_" + type(op).__name__)(op)
        # Adding a sheet makes it active in desktop Excel: put the user back where they
        # were unless the plan says where to look.
        target = plan.activate or (active_before if self._added_sheet else None)
        if target:
            sheet = self._find(target)
            if sheet is not None:
                sheet.activate()

    def _find(self, name: str | None) -> Any:
        if not name:
            return None
        sheets = list(self.book.sheets)
        for s in sheets:
            if s.name == name:
                return s
        for s in sheets:
            if s.name.casefold() == name.casefold():
                return s
        return None

    def _add_sheet(self, name: str, after: str | None) -> Any:
        anchor = self._find(after)
        if anchor is None:
            anchor = list(self.book.sheets)[-1]
        self._added_sheet = True
        return self.book.sheets.add(name=name, after=anchor)

    def _formats(self, sheet: Any, first_row: int, last_row: int, first_col: int,
                 fmts: list[p.Fmt]) -> None:
        """One number-format action per run of adjacent columns sharing a format."""
        if last_row < first_row:
            return
        j = 0
        while j < len(fmts):
            fmt = fmts[j]
            k = j
            while k + 1 < len(fmts) and fmts[k + 1] == fmt:
                k += 1
            if fmt and fmt in p.NUMBER_FORMATS:
                sheet.range((first_row, first_col + j), (last_row, first_col + k)).number_format = \
                    p.NUMBER_FORMATS[fmt]
            j = k + 1

    def _row_formats(self, sheet: Any, first_row: int, row_formats: dict[int, list[p.Run]]
                     ) -> None:
        """The rows whose format differs from their column's (written after the column's
        own): one action per run of rows, for adjacent columns with the same runs at once
        (Orders' Net, Tax and Total of the JPY lines). More than `FORMAT_RUN_LIMIT` actions
        and the rows keep their column's format (README: xlwings Lite)."""
        groups = []
        for col in sorted(row_formats):
            if groups and groups[-1][1] == col - 1 and groups[-1][2] == row_formats[col]:
                groups[-1][1] = col
            else:
                groups.append([col, col, row_formats[col]])
        if sum(len(g[2]) for g in groups) > FORMAT_RUN_LIMIT:
            return
        for c1, c2, col_runs in groups:
            for start, stop, fmt in col_runs:
                if fmt in p.NUMBER_FORMATS:
                    sheet.range((first_row + start, c1), (first_row + stop - 1, c2)
                                ).number_format = p.NUMBER_FORMATS[fmt]

    def _table_on(self, sheet: Any, name: str | None = None) -> Any:
        tables = list(sheet.tables)
        if name:
            for t in tables:
                if t.name.casefold() == name.casefold():
                    return t
        return tables[0] if tables and not name else None

    def _fit_table(self, sheet: Any, table_name: str, last_row: int, last_col: int) -> None:
        """The sheet's table spans A1:(last_row, last_col): resize it or add it."""
        rng = sheet.range((1, 1), (last_row, last_col))
        table = self._table_on(sheet, table_name) or self._table_on(sheet)
        if table is None:
            sheet.tables.add(source=rng, name=table_name, table_style_name=p.TABLE_STYLE,
                             has_headers=True)
        elif table.range is None or table.range.address != rng.address:
            table.resize(rng)

    def _op_ReplaceSheet(self, op: p.ReplaceSheet) -> None:
        header, rows = list(op.header), op.rows
        if op.name == p.STATE_SHEET and header[:3] == ["Sheet", "Cell", "Fill"]:
            header, rows = self._state_with_flags(header, rows)
        width = len(header)
        sheet = self._find(op.name)
        created = sheet is None
        if created:
            sheet = self._add_sheet(op.name, op.after)
        else:
            sheet.used_range.clear_contents()
        block = [[cell_out(h) for h in header]] + _rows_out(rows, width)
        sheet.range((1, 1)).value = block
        self._formats(sheet, 2, len(rows) + 1, 1, list(op.formats))
        self._row_formats(sheet, 2, {j + 1: r for j, r in op.row_formats.items()})
        if op.table_name:
            self._fit_table(sheet, op.table_name, max(len(rows) + 1, 2), width)
        elif created:
            sheet.range((1, 1), (1, width)).font.bold = True
        if created:
            self._widths(sheet, op.widths)
            try:
                sheet.freeze_panes.freeze_at("1:1")
            except (NotImplementedError, AttributeError):
                pass  # desktop engines without freeze panes: cosmetic only
        visible = sheet.visible
        if op.hidden and visible:
            sheet.visible = False
        elif not op.hidden and not visible:
            sheet.visible = True

    def _widths(self, sheet: Any, widths: list[float], first: int = 1) -> None:
        """Column widths from column `first` on, one action per run of equal widths."""
        j = 0
        while j < len(widths):
            k = j
            while k + 1 < len(widths) and widths[k + 1] == widths[j]:
                k += 1
            w = widths[j]
            # The remote engine takes points, the desktop engines characters.
            sheet.range((1, first + j), (1, first + k)).column_width = \
                round(w * 5.25 + 3.75, 2) if self.remote else w
            j = k + 1

    def _op_AppendRows(self, op: p.AppendRows) -> None:
        sheet = self._find(op.name)
        if sheet is None:
            self._op_ReplaceSheet(p.ReplaceSheet(op.name, op.header, op.rows, op.formats,
                                                 None, op.table_name, op.widths))
            return
        if not op.rows:
            return
        width = max(len(op.header), max(len(r) for r in op.rows))
        start = 2 + op.existing_rows
        last_row = start + len(op.rows) - 1
        sheet.range((start, 1)).value = _rows_out(op.rows, width)
        self._formats(sheet, start, last_row, 1, list(op.formats))
        table = self._table_on(sheet)
        if table is not None and table.range is not None:
            rng = table.range
            bottom = rng.row + rng.shape[0] - 1
            if last_row > bottom:
                table.resize(sheet.range((rng.row, rng.column),
                                         (last_row, rng.column + rng.shape[1] - 1)))

    def _header_cell(self, sheet: Any, row: int, col: int) -> Any:
        raw = self._raws.get(sheet.name)
        if raw is not None and raw.header_row == row:
            j = col - raw.first_col
            return raw.header[j] if 0 <= j < len(raw.header) else None
        return sheet.range((row, col)).value

    def _op_UpdateColumns(self, op: p.UpdateColumns) -> None:
        sheet = self._find(op.sheet)
        if sheet is None:
            raise WorkbookError(f"the workbook has no sheet '{op.sheet}'")
        by_col = {col: (header, values, fmt) for col, header, values, fmt in op.columns}
        n = max((len(values) for _, _, values, _ in op.columns), default=0)
        first = op.header_row + 1
        for run in contiguous(list(by_col)):
            existing = [self._header_cell(sheet, op.header_row, c) for c in run]
            columns = [by_col[c][1] for c in run]
            rows = [[cell_out(col[i]) if i < len(col) else None for col in columns]
                    for i in range(n)]
            if any(_blank(h) for h in existing):
                head = [cell_out(by_col[c][0]) if _blank(h) else cell_out(h)
                        for c, h in zip(run, existing)]
                sheet.range((op.header_row, run[0])).value = [head] + rows
            elif rows:
                sheet.range((first, run[0])).value = rows
            self._formats(sheet, first, first + n - 1, run[0], [by_col[c][2] for c in run])
        self._row_formats(sheet, first, op.row_formats)
        for run in contiguous(sorted(op.widths)):  # the columns this run adds
            self._widths(sheet, [op.widths[c] for c in run], run[0])
        if op.table:
            table = self._table_on(sheet, op.table)
            if table is not None and table.range is not None:
                rng = table.range
                right = max(by_col)
                if right > rng.column + rng.shape[1] - 1:
                    table.resize(sheet.range((rng.row, rng.column),
                                             (rng.row + rng.shape[0] - 1, right)))

    def _op_SetCells(self, op: p.SetCells) -> None:
        sheet = self._find(op.sheet)
        if sheet is None:
            sheet = self._add_sheet(op.sheet, None)  # print sheets a book lacks
        blocks = runs(op.cells)
        if len(blocks) > RUN_LIMIT:
            blocks = self._column_blocks(op.sheet, op.cells)
        for (r, c), block in blocks:
            sheet.range((r, c)).value = [[cell_out(v) for v in row] for row in block]
        by_fmt: dict[str, dict[Cell, Any]] = {}
        for rc, fmt in op.formats.items():
            if fmt in p.NUMBER_FORMATS and op.cells.get(rc) is not None:
                by_fmt.setdefault(p.NUMBER_FORMATS[fmt], {})[rc] = None
        for code, cells in sorted(by_fmt.items()):
            for (r, c), block in runs(cells):
                sheet.range((r, c), (r + len(block) - 1, c + len(block[0]) - 1)
                            ).number_format = code

        table = self._table_on(sheet) if op.table_bottom else None
        if table is not None and table.range is not None:
            rng = table.range
            if op.table_bottom > rng.row + rng.shape[0] - 1:
                table.resize(sheet.range((rng.row, rng.column),
                                         (op.table_bottom, rng.column + rng.shape[1] - 1)))

    def _op_ListValidation(self, op: p.ListValidation) -> None:
        """The dropdown, where the engine can set one: xlwings Lite (the remote engine with
        the Office.js client) and desktop Excel; an engine or xlwings version without data
        validations leaves the column as it is (ordersheet still reports a word off the
        list). Excel's own alert (stop) warns of a word off the list."""
        sheet = self._find(op.sheet)
        if sheet is None:
            return
        try:
            column = sheet.range((op.first_row, op.col), (MAX_ROW, op.col))
            column.data_validation.delete()  # the dropdown of an earlier, longer run
            sheet.range((op.first_row, op.col), (op.last_row, op.col)).data_validation \
                .set_list(list(op.choices), in_cell_dropdown=True)
        except (NotImplementedError, AttributeError):
            pass

    CHART_PREFIX = "ordersheet: "
    """Name of every chart ordersheet adds (the ones a refresh replaces)."""

    def _op_AddCharts(self, op: p.AddCharts) -> None:
        """Native Excel charts through xlwings' `sheet.charts.add` (classic and xlwings
        Lite alike), each drawn from its block of the sheet (header row: series names;
        first column: categories). The charts ordersheet named before go first; an engine
        that cannot draw charts leaves the figures without them."""
        sheet = self._find(op.sheet)
        if sheet is None:
            return
        try:
            for chart in list(sheet.charts):
                if str(chart.name).startswith(self.CHART_PREFIX):
                    chart.delete()
            for c in op.charts:
                source = sheet.range((c.first_row, c.cat_col),
                                     (c.last_row, max(c.series_cols)))
                chart = sheet.charts.add(
                    chart_type="line_markers" if c.kind == "line" else "column_clustered",
                    source=source, anchor=sheet.range(c.anchor), width=450, height=212,
                    name=(self.CHART_PREFIX + c.title)[:250])
                try:
                    chart.title = c.title
                except (AttributeError, NotImplementedError):
                    pass  # the chart's name says what it is
        except (AttributeError, NotImplementedError, KeyError):
            return  # an engine (or a client's payload) without charts: the figures stand alone

    def _column_blocks(self, sheet_name: str, cells: dict[Cell, Any]
                       ) -> list[tuple[Cell, list[list[Any]]]]:
        """Scattered cells (On Hand of the SKUs a dispatch touched) as one block per column,
        so the number of Excel actions does not grow with the rows. The cells in between
        are written back with the values read at the start of the run; a column whose gaps
        lie outside what was read keeps its one-run-per-write form."""
        raw = self._raws.get(sheet_name)
        by_col: dict[int, dict[int, Any]] = {}
        for (r, c), v in cells.items():
            by_col.setdefault(c, {})[r] = v
        out: list[tuple[Cell, list[list[Any]]]] = []
        for c, col in sorted(by_col.items()):
            top, bottom = min(col), max(col)
            known = raw is not None and raw.header_row < top and \
                bottom <= raw.header_row + len(raw.rows) and \
                raw.first_col <= c < raw.first_col + len(raw.header)
            if not known:
                out += runs({(r, c): v for r, v in col.items()})
                continue
            j = c - raw.first_col
            values = []
            for r in range(top, bottom + 1):
                if r in col:
                    values.append([col[r]])
                else:
                    row = raw.rows[r - raw.header_row - 1]
                    values.append([row[j] if j < len(row) else None])
            out.append(((top, c), values))
        return out

    # ---- highlights and notes ---------------------------------------------------------

    def _op_MarkCells(self, op: p.MarkCells) -> None:
        sheet = self._find(op.sheet)
        if sheet is None:
            return
        # A cleared cell gets back the fill noted when it was marked, where that is a
        # colour; a cell marked now has its own fill noted first (desktop Excel: xlwings
        # Lite's engine cannot read fills, and a cleared cell there is left without one).
        colors: dict[Cell, Optional[str]] = {
            rc: _color_of(op.restore.get(rc)) for rc in op.clear - set(op.marks)}
        if not self.remote:
            self._note_fills(sheet, [rc for rc in op.marks if rc not in op.clear])
        for rc, (severity, _) in op.marks.items():
            colors[rc] = "#" + p.MARK_COLORS.get(severity, p.MARK_COLORS["Warning"])
        self._paint(sheet, colors)
        self._notes(sheet, op)

    def _note_fills(self, sheet: Any, cells: list[Cell]) -> None:
        for rc in cells:
            try:
                color = sheet.range(rc).color
            except Exception:  # an engine that cannot tell: nothing noted
                return
            token = p.FILL_NONE if color is None else \
                "#" + "".join(f"{int(x):02X}" for x in color[:3]) \
                if isinstance(color, (tuple, list)) else str(color).upper()
            self._noted_fills[(sheet.name, a1(*rc))] = token

    def _paint(self, sheet: Any, colors: dict[Cell, Optional[str]]) -> None:
        """Fill (or unfill) the given cells with as few `set_colors` calls as fit."""
        if not colors:
            return
        if not hasattr(sheet.range((1, 1)), "set_colors"):  # xlwings before 0.37.5
            for (r, c), color in colors.items():
                sheet.range((r, c)).color = color
            return
        by_row: dict[int, list[int]] = {}
        for r, c in colors:
            by_row.setdefault(r, []).append(c)
        bands: list[list[int]] = []  # [first row, last row, first col, last col]
        for r in sorted(by_row):
            lo, hi = min(by_row[r]), max(by_row[r])
            if hi - lo + 1 > COLOR_CELLS:  # a pathologically wide row: cell by cell
                for c in by_row[r]:
                    sheet.range((r, c)).color = colors[(r, c)]
                continue
            if bands:
                b = bands[-1]
                c1, c2 = min(b[2], lo), max(b[3], hi)
                if (r - b[0] + 1) * (c2 - c1 + 1) <= COLOR_CELLS:
                    bands[-1] = [b[0], r, c1, c2]
                    continue
            bands.append([r, r, lo, hi])
        for r1, r2, c1, c2 in bands:
            matrix = [[colors.get((r, c), ...) for c in range(c1, c2 + 1)]
                      for r in range(r1, r2 + 1)]
            sheet.range((r1, c1), (r2, c2)).set_colors(matrix)

    def _note_cells(self, sheet: Any) -> Optional[set[Cell]]:
        """Cells with a note, from the remote engine's payload; None where unknown."""
        api = getattr(sheet.impl, "api", None)
        if not isinstance(api, dict):
            return None
        out = set()
        for entry in api.get("notes") or []:
            try:
                out.add(split_a1(str(entry.get("address", "")).split("!")[-1]))
            except ValueError:
                continue
        return out

    def _is_ours(self, sheet: Any, rc: Cell, earlier: set[Cell]) -> bool:
        try:
            return sheet.range(rc).note.text.startswith(p.NOTE_PREFIX)
        except NotImplementedError:
            pass  # the remote engine cannot read note text synchronously
        flag = self._note_flags.get((sheet.name, a1(*rc)))
        if flag is None:
            # Not remembered (the state was written by another engine): a note on a cell
            # ordersheet marked before is taken to be its own.
            return not self._flags_known and rc in earlier
        return flag == OURS

    def _notes(self, sheet: Any, op: p.MarkCells) -> None:
        noted = self._note_cells(sheet)

        def has_note(rc: Cell) -> bool:
            return rc in noted if noted is not None else sheet.range(rc).note is not None

        for rc in sorted(op.clear - set(op.marks)):
            if has_note(rc) and self._is_ours(sheet, rc, op.clear):
                sheet.range(rc).note.delete()
        for rc, (_, text) in sorted(op.marks.items()):
            key = (sheet.name, a1(*rc))
            body = p.NOTE_PREFIX + text
            if has_note(rc):
                if not self._is_ours(sheet, rc, op.clear):
                    self._written_flags[key] = USERS  # the user's note stays as it is
                    continue
                if self._notes_left <= 0:
                    self._written_flags[key] = OURS  # over the limit: left as it was
                    continue
                sheet.range(rc).note.text = body
            else:
                if self._notes_left <= 0 or not self._notes_ok:
                    self._written_flags[key] = ""
                    continue
                try:
                    sheet.range(rc).add_note(body)
                except NotImplementedError:  # a client without notes (ExcelApi < 1.18)
                    self._notes_ok = False
                    self._written_flags[key] = ""
                    continue
            self._notes_left -= 1
            self._written_flags[key] = OURS

    def _state_with_flags(self, header: list[str], rows: list[list[Any]]
                          ) -> tuple[list[str], list[list[Any]]]:
        out = []
        for r in rows:
            key = (str(r[0]), str(r[1]).upper())
            flag = self._written_flags.get(key, self._note_flags.get(key, ""))
            fill = r[2] if r[2] is not None else self._noted_fills.get(key)
            out.append([r[0], r[1], fill, flag])
        return header[:3] + [STATE_NOTE_HEADER], out


def _color_of(token: Optional[str]) -> Optional[str]:
    """A noted fill as a colour xlwings can set (None: no fill, or not a plain colour)."""
    return token if token and token.startswith("#") and len(token) == 7 else None


def _is_remote(book: Any) -> bool:
    try:
        return book.app.engine.name == "remote"
    except Exception:  # an engine without app/engine introspection: treat as desktop
        return False


def _safe_name(get) -> Optional[str]:
    try:
        return get()
    except Exception:  # no active sheet (e.g. a chart sheet): nothing to restore
        return None


__all__ = ["XlwingsBook", "NOTE_LIMIT", "cell_in", "cell_out", "runs",
           "needs_text_prefix"]
