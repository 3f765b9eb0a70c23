"""A write plan: everything one run changes in a workbook, as plain data.

The pipeline's results are rendered into a `WritePlan` once (`book.render`); each engine
(.xlsx file, live xlwings book) applies the same plan, so the CLI and Excel produce the
same sheets. Each operation is one block, so an engine can write it with one call.

Cell values in a plan: None, str (always written as text, never as a formula), bool, int,
`Decimal`, `datetime.date`, `datetime.datetime`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

Fmt = Literal["text", "int", "money", "price", "pct", "date", "datetime", None]

NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    "money": "#,##0.00",
    "price": "#,##0.00####",
    "pct": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "text": "@",
}


@dataclass
class ReplaceSheet:
    """Replace a sheet ordersheet owns (Issues, Reservations, Shipments, ...) with this
    table, creating it (after `after`, or at the end) when absent."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    formats: list[Fmt] = field(default_factory=list)
    """one per column"""
    after: str | None = None
    table_name: str | None = None
    widths: list[float] = field(default_factory=list)
    hidden: bool = False


@dataclass
class AppendRows:
    """Append rows under the existing data of a log sheet (Stock Ledger, Audit Log),
    creating the sheet with `header` when absent. Nothing already there is rewritten."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    formats: list[Fmt] = field(default_factory=list)
    existing_rows: int = 0
    """data rows the sheet has now (as read), so the engine knows where to append"""
    table_name: str | None = None
    widths: list[float] = field(default_factory=list)
    """column widths of the sheet when the engine creates it (one per column)"""


@dataclass
class UpdateColumns:
    """Write whole columns of a user sheet (tool-managed columns, or a user column such as
    Orders Line). `columns[i]` = (1-based column, header, values for rows header_row+1 ...,
    fmt). A column whose header cell is empty gets the header written."""

    sheet: str
    header_row: int
    columns: list[tuple[int, str, list[Any], Fmt]]
    table: str | None = None
    """Excel Table of the sheet; new columns to its right become part of it."""
    widths: dict[int, float] = field(default_factory=dict)
    """1-based column -> width, for the columns this operation adds to the sheet; a
    column that was there keeps the width its user gave it."""


@dataclass
class SetCells:
    """Single cells of an existing sheet (Settings Next Invoice Number, the print sheets)."""

    sheet: str
    cells: dict[tuple[int, int], Any]
    table_bottom: int = 0
    """When not 0: rows written under the sheet's Excel Table join it, down to this row (an
    exchange's order line appended to Orders), so every engine reads them as the table's."""


@dataclass
class MarkCells:
    """ordersheet's own highlights and notes on user cells. `marks` maps (row, col) to
    (severity, note). `clear` are cells ordersheet marked on an earlier run: the engine
    removes its highlight and note there unless re-marked, and never touches other cells."""

    sheet: str
    marks: dict[tuple[int, int], tuple[str, str]]
    clear: set[tuple[int, int]] = field(default_factory=set)
    restore: dict[tuple[int, int], str] = field(default_factory=dict)
    """The user's own fill of a cell in `clear`, as the engine noted it when it marked the
    cell (`FILL_NONE`, `#RRGGBB`, or an engine's own description): put back."""


FILL_NONE = ""
"""A cell without a fill of its own."""


Op = Union[ReplaceSheet, AppendRows, UpdateColumns, SetCells, MarkCells]


@dataclass
class WritePlan:
    ops: list[Op] = field(default_factory=list)
    activate: str | None = None
    """sheet to show when done (Issues when there are errors)."""

    def add(self, op: Op) -> None:
        self.ops.append(op)


MARK_COLORS = {"Error": "FFC7CE", "Warning": "FFEB9C"}
"""Fill colours of ordersheet's highlights (Excel's 'bad' and 'neutral' styles)."""
NOTE_PREFIX = "ordersheet: "
"""Every note ordersheet writes starts with this: a note that does not is the user's, and
no engine changes or removes it."""
TABLE_STYLE = "TableStyleMedium2"
"""Style of every Excel Table ordersheet creates (its own sheets, the template's)."""
STATE_SHEET = "_ordersheet"
"""Hidden sheet where ordersheet remembers which user cells it marked."""
RECORDS_SHEET = "_ordersheet_records"
"""Hidden sheet where ordersheet keeps every record it wrote on its own sheets and which
sheets and columns it created (`book.state`)."""
