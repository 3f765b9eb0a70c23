"""Reference workbook engine on openpyxl: simple and obviously right, used by tests as an
oracle, and by the CLI only when ORDERSHEET_ENGINE=openpyxl asks for it (to compare). It
re-saves the whole file, so it may drop parts openpyxl does not understand (charts,
extensions): the CLI uses `book.xlsx` for in-place edits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from . import plan as p
from .files import atomic_write
from .port import WorkbookError, WorkbookPort
from .raw import CellError, RawSheet, block_from_grid, keep_whole_grid, split_a1

engine_name = "openpyxl"


def _cell_value(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("#") and v.rstrip("!?0/") in (
            "#N/A", "#REF", "#VALUE", "#DIV", "#NAME", "#NUM", "#NULL", "#SPILL", "#CALC"):
        return CellError(v)
    if isinstance(v, dt.time):
        return str(v)
    return v


def _out(v: Any) -> Any:
    # openpyxl writes Decimal exactly as its text; Excel stores doubles, so this is the
    # one place a money value becomes binary, on its way out of the program.
    return v


class OpenpyxlBook(WorkbookPort):
    def __init__(self, path: str | Path | None = None, wb: Workbook | None = None):
        self.path = Path(path) if path else None
        self._fills: dict[tuple[str, str], str] = {}
        """(sheet, A1) -> the fill a cell had when a mark covered it"""
        if wb is not None:
            self.wb = wb
            self.values_wb = wb
            return
        try:
            self.wb = load_workbook(self.path, keep_vba=str(self.path).endswith(".xlsm"))
            self.values_wb = load_workbook(self.path, data_only=True)
        except FileNotFoundError:
            raise WorkbookError(f"{self.path}: no such file")
        except Exception as e:  # any unreadable file is a clear refusal, not a traceback
            raise WorkbookError(f"{self.path}: cannot read this workbook ({type(e).__name__})")

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        out = {}
        for ws in self.values_wb.worksheets:
            if names is not None and ws.title not in names:
                continue
            tables = list(self.wb[ws.title].tables.values())
            if tables:
                t = tables[0]
                (r1, c1), (r2, c2) = (split_a1(x) for x in t.ref.split(":"))
                # ws._cells, not ws.cell(): reading must not create the cells it looks at
                cells = ws._cells
                end = r2
                while not t.totalsRowCount and end < ws.max_row and any(
                        getattr(cells.get((end + 1, c)), "value", None) not in (None, "")
                        for c in range(c1, c2 + 1)):
                    end += 1
                grown = (t.displayName, r2 + 1, end) if end > r2 else None
                if grown:  # rows typed under the table join it; a save writes the new ref
                    t.ref = f"{t.ref.split(':')[0]}:{get_column_letter(c2)}{end}"
                    r2 = end
                grid = [[_cell_value(getattr(cells.get((r, c)), "value", None))
                         for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
                raw = block_from_grid(ws.title, grid, r1, c1, t.displayName)
                raw.last_col = max(raw.last_col, ws.max_column)
                if grown:
                    raw.extra["table_grown"] = grown
            else:
                grid = [[_cell_value(c.value) for c in row]
                        for row in ws.iter_rows(min_row=1, max_row=ws.max_row,
                                                max_col=ws.max_column)]
                raw = keep_whole_grid(block_from_grid(ws.title, grid), grid)
                raw.last_col = max(raw.last_col, ws.max_column)
            merged = self.wb[ws.title].merged_cells.ranges
            if merged:  # new columns go right of a merged note, never into it
                raw.last_col = max(raw.last_col, max(r.max_col for r in merged))
            formulas = {(c.row, c.column) for c in self.wb[ws.title]._cells.values()
                        if c.data_type == "f"}
            if formulas:
                raw.extra["formulas"] = formulas
            out[ws.title] = raw
        return out

    # ---- writing ------------------------------------------------------------------------

    def _put(self, ws, row: int, col: int, value: Any, fmt: p.Fmt = None) -> None:
        c = ws.cell(row=row, column=col)
        v = _out(value)
        if isinstance(v, str):
            c.value = ILLEGAL_CHARACTERS_RE.sub("", v)
            c.data_type = "s"  # text, never a formula
        else:
            c.value = v
        if fmt and value is not None and fmt in p.NUMBER_FORMATS:
            c.number_format = p.NUMBER_FORMATS[fmt]

    def _sheet(self, name: str, after: str | None = None):
        if name in self.wb.sheetnames:
            return self.wb[name]
        idx = None
        if after and after in self.wb.sheetnames:
            idx = self.wb.sheetnames.index(after) + 1
        return self.wb.create_sheet(name, idx)

    def apply(self, plan: p.WritePlan) -> None:
        for op in plan.ops:
            getattr(self, "_op_" + type(op).__name__)(op)
        if plan.activate and plan.activate in self.wb.sheetnames:
            self.wb.active = self.wb.sheetnames.index(plan.activate)
            for ws in self.wb.worksheets:
                ws.sheet_view.tabSelected = ws.title == plan.activate

    def _op_ReplaceSheet(self, op: p.ReplaceSheet) -> None:
        if op.name == p.STATE_SHEET and op.header[2:3] == ["Fill"]:
            for row in op.rows:
                if row[2] is None:
                    row[2] = self._fills.get((row[0], row[1]))
        if op.name in self.wb.sheetnames:
            ws = self.wb[op.name]
            for t in list(ws.tables):
                del ws.tables[t]
            ws.delete_rows(1, ws.max_row)
        else:
            ws = self._sheet(op.name, op.after)
        self._table(ws, op.header, op.rows, op.formats, op.table_name, 0, op.row_formats)
        self._widths(ws, dict(enumerate(op.widths, start=1)))
        ws.sheet_state = "hidden" if op.hidden else "visible"

    def _op_AddCharts(self, op: p.AddCharts) -> None:
        """openpyxl's own charts (the model the xlsx engine serialises), replacing the
        ones ordersheet put on this view sheet before."""
        from .xlsx.charts import chart_model

        ws = self.wb[op.sheet]
        ws._charts = [chart_model(c, op.sheet) for c in op.charts]

    def _widths(self, ws, widths: dict[int, float]) -> None:
        for j, w in widths.items():
            ws.column_dimensions[get_column_letter(j)].width = w

    def _table(self, ws, header, rows, formats, table_name, start_row_offset,
               row_formats: dict[int, list[p.Run]] | None = None):
        bold = Font(bold=True)
        for j, h in enumerate(header, start=1):
            self._put(ws, 1, j, h)
            ws.cell(1, j).font = bold
        row_formats = row_formats or {}
        for k, r in enumerate(rows):
            i = 2 + start_row_offset + k
            for j, v in enumerate(r, start=1):
                fmt = formats[j - 1] if j - 1 < len(formats) else None
                if j - 1 in row_formats:
                    fmt = p.fmt_at(row_formats[j - 1], fmt, k)
                self._put(ws, i, j, v, fmt)
        n = 1 + start_row_offset + len(rows)
        if table_name:
            ref = f"A1:{get_column_letter(len(header))}{max(n, 2)}"
            t = Table(displayName=table_name, ref=ref)
            t.tableStyleInfo = TableStyleInfo(name=p.TABLE_STYLE, showRowStripes=True)
            for existing in list(ws.tables):
                del ws.tables[existing]
            ws.add_table(t)
        ws.freeze_panes = "A2"

    def _op_AppendRows(self, op: p.AppendRows) -> None:
        new = op.name not in self.wb.sheetnames
        ws = self._sheet(op.name)
        if new:
            self._table(ws, op.header, op.rows, op.formats, op.table_name, 0)
            self._widths(ws, dict(enumerate(op.widths, start=1)))
            return
        start = 2 + op.existing_rows
        for i, r in enumerate(op.rows, start=start):
            for j, v in enumerate(r, start=1):
                self._put(ws, i, j, v, op.formats[j - 1] if j - 1 < len(op.formats) else None)
        for t in ws.tables.values():
            a, b = t.ref.split(":")
            last_row = start + len(op.rows) - 1
            br, bc = split_a1(b)
            t.ref = f"{a}:{get_column_letter(bc)}{max(br, last_row)}"

    def _op_UpdateColumns(self, op: p.UpdateColumns) -> None:
        ws = self.wb[op.sheet]
        for col, header, values, fmt in op.columns:
            if ws.cell(op.header_row, col).value in (None, ""):
                self._put(ws, op.header_row, col, header)
            runs = op.row_formats.get(col, [])
            for k, v in enumerate(values):
                self._put(ws, op.header_row + 1 + k, col, v, p.fmt_at(runs, fmt, k))
        self._widths(ws, op.widths)
        if op.table and op.table in ws.tables:
            t = ws.tables[op.table]
            a, b = t.ref.split(":")
            br, bc = split_a1(b)
            _, ac = split_a1(a)
            right = max([bc] + [c for c, *_ in op.columns])
            if right > bc and all(c <= right for c, *_ in op.columns):
                t.ref = f"{a}:{get_column_letter(right)}{br}"
                t.tableColumns = []
                t._initialise_columns()
                for j, tc in enumerate(t.tableColumns):
                    tc.name = str(ws.cell(op.header_row, ac + j).value or f"Column{j + 1}")

    def _op_SetCells(self, op: p.SetCells) -> None:
        ws = self._sheet(op.sheet)  # print sheets are created when a book lacks them
        for (r, c), v in op.cells.items():
            self._put(ws, r, c, v)
        for (r, c), fmt in op.formats.items():
            if fmt in p.NUMBER_FORMATS and op.cells.get((r, c)) is not None:
                ws.cell(r, c).number_format = p.NUMBER_FORMATS[fmt]

        for t in ws.tables.values() if op.table_bottom else ():
            a, b = t.ref.split(":")
            br, bc = split_a1(b)
            t.ref = f"{a}:{get_column_letter(bc)}{max(br, op.table_bottom)}"

    def _op_ListValidation(self, op: p.ListValidation) -> None:
        if op.sheet not in self.wb.sheetnames:
            return
        ws = self.wb[op.sheet]
        dvs = ws.data_validations
        # One in ordersheet's column (its own from an earlier run) gives way; any other is
        # the user's and stays.
        dvs.dataValidation = [
            dv for dv in dvs.dataValidation
            if not all(r.min_col == r.max_col == op.col and r.min_row >= op.first_row
                       for r in dv.sqref.ranges)]
        letter = get_column_letter(op.col)
        dv = DataValidation(type="list", formula1='"' + ",".join(op.choices) + '"',
                            allow_blank=True, errorStyle="stop", errorTitle=op.title or None,
                            error=f"Choose one of: {', '.join(op.choices)}")
        dv.add(f"{letter}{op.first_row}:{letter}{op.last_row}")
        dvs.append(dv)

    def _op_MarkCells(self, op: p.MarkCells) -> None:
        if op.sheet not in self.wb.sheetnames:
            return
        ws = self.wb[op.sheet]
        ours = {k.upper() for k in p.MARK_COLORS.values()}
        for rc in op.clear - set(op.marks):
            c = ws.cell(*rc)
            rgb = (c.fill.fgColor.rgb or "") if c.fill and c.fill.fill_type else ""
            if isinstance(rgb, str) and rgb[-6:].upper() in ours:
                token = op.restore.get(rc) or ""
                c.fill = PatternFill(fill_type="solid", fgColor="FF" + token[1:],
                                     bgColor="FF" + token[1:]) \
                    if token.startswith("#") and len(token) == 7 else PatternFill(fill_type=None)
            if c.comment is not None and c.comment.text.startswith(p.NOTE_PREFIX):
                c.comment = None
        for (r, col), (severity, note) in op.marks.items():
            c = ws.cell(r, col)
            if (r, col) not in op.clear:  # marked for the first time: note its own fill
                rgb = c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None
                self._fills[(op.sheet, c.coordinate)] = \
                    "#" + rgb[-6:].upper() if isinstance(rgb, str) else p.FILL_NONE
            color = p.MARK_COLORS.get(severity, p.MARK_COLORS["Warning"])
            c.fill = PatternFill(fill_type="solid", fgColor="FF" + color, bgColor="FF" + color)
            if c.comment is None or c.comment.text.startswith(p.NOTE_PREFIX):
                c.comment = Comment(p.NOTE_PREFIX + note, "ordersheet", width=300, height=120)

    def save(self, dest: str | Path | None = None) -> None:
        target = Path(dest) if dest else self.path
        if target is None:
            raise WorkbookError("no file to save to")
        atomic_write(target, self.wb.save, backup=dest is None)

