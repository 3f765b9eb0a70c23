"""Both ends of an xlwings Lite round trip, without Excel.

`payload(path)` builds from a real .xlsx file the JSON that Office.js (xlwings Lite) sends
to the remote engine: every sheet's values anchored at A1 (`""` empty, numbers as floats,
date-formatted cells as ISO strings ending in `Z`, error cells as their text), its
tables, notes and visibility, plus the defined names.

`replay(wb, actions)` plays the actions a script queued (`book.json()["actions"]`) onto an
openpyxl workbook the way Excel would, including how Excel reads strings handed to
`setValues` (a leading `'` makes text, `=` a formula, `2026-11-03` a date, `12` a number,
`TRUE` a boolean), so a test sees what a user would see. An action this replayer does not
know raises: a new kind of write must be taught here before a test can pass.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.datavalidation import DataValidation

import xlwings as xw

ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
          "#CALC!"}


# ---- payload ------------------------------------------------------------------------------


def _json_value(cell) -> Any:
    v = cell.value
    if v is None:
        return ""
    if cell.data_type == "e" or (isinstance(v, str) and v in ERRORS):
        return str(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}T00:00:00.000Z"
    if isinstance(v, dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second) / 86400
    return str(v)


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    a = f"{get_column_letter(c1)}{r1}"
    return a if (r1, c1) == (r2, c2) else f"{a}:{get_column_letter(c2)}{r2}"


def sheet_payload(ws) -> dict[str, Any]:
    rows = [[_json_value(c) for c in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)]
    filled = [(c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None]
    used = (_address(min(r for r, _ in filled), min(c for _, c in filled),
                     max(r for r, _ in filled), max(c for _, c in filled)) if filled else None)
    tables = []
    for t in ws.tables.values():
        c1, r1, c2, r2 = range_boundaries(t.ref)
        header = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
        tables.append({
            "name": t.displayName, "range_address": _address(r1, c1, r2, c2),
            "header_row_range_address": _address(r1, c1, r1, c2),
            "data_body_range_address": _address(r1 + 1, c1, r2, c2) if r2 > r1 else None,
            "total_row_range_address": None, "show_headers": True, "show_totals": False,
            "table_style": t.tableStyleInfo.name if t.tableStyleInfo else "",
            "show_autofilter": True, "columns": [str(h) for h in header],
            "row_count": r2 - r1, "column_count": c2 - c1 + 1,
        })
    notes = [{"address": c.coordinate} for row in ws.iter_rows() for c in row
             if c.comment is not None]
    return {"name": ws.title, "values": rows or [[]], "used_range_address": used,
            "tables": tables, "pictures": [], "shapes": [], "charts": [], "notes": notes,
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden"}


def payload(path: str | Path) -> dict[str, Any]:
    """The remote-engine payload Office.js would send for the workbook at `path`."""
    wb = load_workbook(path, data_only=True)
    names = []
    for name, dn in wb.defined_names.items():
        for sheet_name, ref in dn.destinations:
            names.append({"name": name, "sheet_index": wb.sheetnames.index(sheet_name),
                          "address": ref.replace("$", ""), "refers_to": "=" + dn.attr_text,
                          "book_scope": True, "scope_sheet_name": None,
                          "scope_sheet_index": None})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": Path(path).name, "active_sheet_index": wb.index(wb.active),
                     "selection": "A1"},
            "names": names, "sheets": [sheet_payload(ws) for ws in wb.worksheets]}


# ---- Excel's side: applying the actions ------------------------------------------------------

_NUMBER = re.compile(r"^\s*[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?\s*%?\s*$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")


class Formula(str):
    """A string Excel took as a formula (tests assert none appear)."""


def excel_reads(v: Any) -> Any:
    """What Excel stores when given `v` through `range.values`."""
    if v is None or v == "":
        return None
    if isinstance(v, (bool, int, float)):
        return v
    s = str(v)
    if s.startswith("'"):
        return s[1:]
    if s.startswith("=") and len(s) > 1:
        return Formula(s)
    m = _DATE.match(s.strip())
    if m:
        parts = [int(x) for x in m.groups() if x is not None]
        return dt.datetime(*parts)
    if _NUMBER.match(s) and any(ch.isdigit() for ch in s):
        t = s.strip().replace(",", "")
        if t.endswith("%"):
            return float(t[:-1]) / 100
        return float(t)
    if s.strip().upper() in ("TRUE", "FALSE"):
        return s.strip().upper() == "TRUE"
    if s.strip() in ERRORS:
        return Formula("=" + s.strip())  # an error value, not text
    if s[0] in "+-@" and len(s) > 1:
        return Formula("=" + s[1:])
    return s


class Replayer:
    """Applies xlwings remote-engine actions to an openpyxl workbook, in order."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.formulas: list[str] = []

    def run(self, actions: list[dict[str, Any]]) -> None:
        for a in actions:
            handler = getattr(self, "_" + a["func"], None)
            if handler is None:
                raise NotImplementedError(f"replay does not know the action {a['func']}")
            handler(a)

    def _ws(self, a):
        return self.wb.worksheets[a["sheet_position"]]

    def _addChart(self, a):
        """Noted, not drawn: (name, chart type, sheet, source address)."""
        self.charts = getattr(self, "charts", []) + [tuple(a["args"][:4])]

    def _setChartTitle(self, a):
        pass  # charts are noted, not drawn

    def _deleteChart(self, a):
        self.deleted_charts = getattr(self, "deleted_charts", []) + [a["args"][0]]

    def _cells(self, a):
        ws = self._ws(a)
        for i in range(a["row_count"]):
            for j in range(a["column_count"]):
                yield ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j)

    def _setValues(self, a):
        values = a["values"]
        assert len(values) == a["row_count"], "setValues: rows do not match the range"
        ws = self._ws(a)
        for i, row in enumerate(values):
            assert len(row) == a["column_count"], "setValues: columns do not match the range"
            for j, v in enumerate(row):
                c = ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                stored = excel_reads(v)
                if isinstance(stored, Formula):
                    self.formulas.append(f"{ws.title}!{c.coordinate}: {stored}")
                    c.value = str(stored)
                else:
                    c.value = stored
                    if isinstance(stored, str):
                        c.data_type = "s"

    def _rangeClearContents(self, a):
        for c in self._cells(a):
            c.value = None

    def _addSheet(self, a):
        position, name = a["args"]
        if name in self.wb.sheetnames:
            raise ValueError(f"Excel: a sheet named {name} already exists")
        self.wb.create_sheet(name, position)

    def _fill(self, cell, color):
        if color is None:
            cell.fill = PatternFill(fill_type=None)
        else:
            rgb = "FF" + color.lstrip("#").upper()
            cell.fill = PatternFill(fill_type="solid", fgColor=rgb, bgColor=rgb)

    def _setRangeColors(self, a):
        matrix = a["args"][0]
        ws = self._ws(a)
        for i, row in enumerate(matrix):
            for j, color in enumerate(row):
                if color != "keep":
                    self._fill(ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j), color)

    def _setRangeColor(self, a):
        for c in self._cells(a):
            self._fill(c, a["args"][0])

    def _note_cell(self, a):
        return self._ws(a)[a["args"][0].replace("$", "")]

    def _addNote(self, a):
        c = self._note_cell(a)
        if c.comment is not None:
            raise ValueError(f"Excel: {c.coordinate} already has a note")
        c.comment = Comment(a["args"][1], "xlwings")

    def _setNoteText(self, a):
        c = self._note_cell(a)
        if c.comment is None:
            raise ValueError(f"Excel: {c.coordinate} has no note")
        c.comment = Comment(a["args"][1], "xlwings")

    def _deleteNote(self, a):
        c = self._note_cell(a)
        if c.comment is None:
            raise ValueError(f"Excel: {c.coordinate} has no note")
        c.comment = None

    def _addTable(self, a):
        address, has_headers, style, name = a["args"]
        ws = self._ws(a)
        taken = {t for s in self.wb.worksheets for t in s.tables}
        if name in taken:
            raise ValueError(f"Excel: a table named {name} already exists")
        t = Table(displayName=name or f"Table{len(taken) + 1}", ref=address.replace("$", ""))
        t.tableStyleInfo = TableStyleInfo(name=style or "TableStyleMedium2", showRowStripes=True)
        ws.add_table(t)

    def _resizeTable(self, a):
        index, address = a["args"]
        t = list(self._ws(a).tables.values())[index]
        t.ref = address.replace("$", "")
        t.tableColumns = []  # openpyxl names them from the header cells when saving
        t.autoFilter = None

    def _setNumberFormat(self, a):
        for c in self._cells(a):
            c.number_format = a["args"][0]

    def _box(self, a) -> tuple[int, int, int, int]:
        r1, c1 = a["start_row"] + 1, a["start_column"] + 1
        return r1, c1, r1 + a["row_count"] - 1, c1 + a["column_count"] - 1

    def _deleteDataValidation(self, a):
        """Excel drops the range's cells from every validation; in these tests a validation
        is either inside the range or apart from it."""
        r1, c1, r2, c2 = self._box(a)
        dvs = self._ws(a).data_validations
        kept = []
        for dv in dvs.dataValidation:
            inside = [r1 <= r.min_row and r.max_row <= r2 and c1 <= r.min_col and
                      r.max_col <= c2 for r in dv.sqref.ranges]
            apart = [r.max_row < r1 or r.min_row > r2 or r.max_col < c1 or r.min_col > c2
                     for r in dv.sqref.ranges]
            assert all(i or o for i, o in zip(inside, apart)), "replay: a partial overlap"
            if not all(inside):
                kept.append(dv)
        dvs.dataValidation = kept

    def _setDataValidationList(self, a):
        source, dropdown = a["args"]
        assert source["type"] == "literal", source
        self._deleteDataValidation(a)
        r1, c1, r2, c2 = self._box(a)
        dv = DataValidation(type="list", formula1='"' + ",".join(source["values"]) + '"',
                            allow_blank=True, showDropDown=not dropdown)
        dv.add(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
        self._ws(a).add_data_validation(dv)

    def _setColumnWidth(self, a):
        ws = self._ws(a)
        for j in range(a["column_count"]):
            letter = get_column_letter(a["start_column"] + 1 + j)
            ws.column_dimensions[letter].width = a["args"][0] / 5.25  # points -> characters

    def _setSheetVisibility(self, a):
        self._ws(a).sheet_state = "hidden" if a["args"][0] == "Hidden" else "visible"

    def _freezePaneAtRange(self, a):
        ref = a["args"][0]
        assert ref == "1:1", f"replay only knows freezing the header row, not {ref}"
        self._ws(a).freeze_panes = "A2"

    def _activateSheet(self, a):
        index = a["args"][0]
        self.wb.active = index
        for i, ws in enumerate(self.wb.worksheets):
            ws.sheet_view.tabSelected = i == index

    def _addHyperlink(self, a):
        address, text, _tip = a["args"]
        for c in self._cells(a):
            c.hyperlink = address
            c.value = text if text is not None else address

    def _setFontProperty(self, a):
        prop, value = a["args"]
        assert prop == "bold", f"replay only knows bold, not {prop}"
        for c in self._cells(a):
            c.font = Font(bold=bool(value))


def replay(wb: Workbook, actions: list[dict[str, Any]]) -> Replayer:
    r = Replayer(wb)
    r.run(actions)
    return r


# ---- reading results back ------------------------------------------------------------------


def sheet_values(ws) -> list[list[Any]]:
    """A sheet's values, trailing empty rows and columns cut."""
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, v in enumerate(r) if v is not None), default=0)
                 for r in rows), default=0)
    return [r[:width] + [None] * (width - len(r[:width])) for r in rows]


def marks(ws) -> dict[str, tuple[str, str]]:
    """Cells carrying ordersheet's fills or notes: A1 -> (fill colour or '', note or '')."""
    out = {}
    for row in ws.iter_rows():
        for c in row:
            color = ""
            if c.fill is not None and c.fill.fill_type == "solid":
                color = str(c.fill.fgColor.rgb)[-6:].upper()
            note = c.comment.text if c.comment is not None else ""
            if color in ("FFC7CE", "FFEB9C") or note.startswith("ordersheet: "):
                out[c.coordinate] = (color, note)
    return out


# ---- one script run, end to end ------------------------------------------------------------


def live_book(path: str | Path) -> "xw.Book":
    """The workbook at `path` as xlwings Lite hands it to a script."""
    return xw.Book(json=payload(path))


def replay_to_file(path: str | Path, book: "xw.Book", out: str | Path) -> Replayer:
    """Apply the actions `book` queued to a copy of the file at `path`, saved as `out`."""
    wb = load_workbook(path)
    r = replay(wb, book.json()["actions"])
    wb.save(out)
    return r
