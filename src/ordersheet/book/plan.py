"""A write plan: everything one run changes in a workbook, as plain data.

The pipeline's results are rendered into a `WritePlan` once (`book.render`); each engine
(.xlsx file, live xlwings book) applies the same plan, so the CLI and Excel produce the
same sheets. Each operation is one block, so an engine can write it with one call.

Cell values in a plan: None, str (always written as text, never as a formula), bool, int,
`Decimal`, `datetime.date`, `datetime.datetime`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal, Union

Fmt = Literal["text", "int", "money", "price", "pct", "date", "datetime",
              "money0", "money1", "money3", "money4", "price0", "price1", "price3", "price4",
              None]

NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    "money": "#,##0.00",
    "price": "#,##0.00####",
    "pct": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "text": "@",
    # money and unit prices of currencies whose minor unit is not 2 (`book.number_formats`)
    "money0": "#,##0", "money1": "#,##0.0", "money3": "#,##0.000", "money4": "#,##0.0000",
    "price0": "#,##0.0#", "price1": "#,##0.0##", "price3": "#,##0.000##",
    "price4": "#,##0.0000##",
}

Run = tuple[int, int, Fmt]
"""Rows `start` ... `stop` - 1 of an operation (0-based, into its rows or a column's values)
and the number format they get instead of their column's own."""


def segments(runs: "list[Run]", default: Fmt, lo: int, hi: int) -> list[Run]:
    """Rows lo ... hi-1 cut where their format changes: (start, stop, format) covering them
    in order, `default` between the `runs` (sorted, not overlapping). One segment when no
    run meets them: the cost of a column without runs is this one check."""
    if not runs or runs[-1][1] <= lo or runs[0][0] >= hi:
        return [(lo, hi, default)]
    out: list[Run] = []
    at = lo
    for start, stop, fmt in runs:
        if stop <= at:
            continue
        if start >= hi:
            break
        if start > at:
            out.append((at, start, default))
            at = start
        end = min(stop, hi)
        out.append((at, end, fmt))
        at = end
    if at < hi:
        out.append((at, hi, default))
    return out


def fmt_at(runs: "list[Run]", default: Fmt, i: int) -> Fmt:
    """The format of row i (0-based) of a column with `runs`."""
    k = bisect_right(runs, i, key=itemgetter(0)) - 1
    return runs[k][2] if k >= 0 and i < runs[k][1] else default


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
    row_formats: dict[int, list[Run]] = field(default_factory=dict)
    """0-based column -> runs of rows whose number format differs from the column's (the
    JPY invoices' amounts); empty for a column whose every row has its column's format."""


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
    row_formats: dict[int, list[Run]] = field(default_factory=dict)
    """1-based column -> runs of its values (0-based) whose number format differs from the
    column's (a JPY line's Price, Net, Tax and Total on Orders)."""


@dataclass
class SetCells:
    """Single cells of an existing sheet (Settings Next Invoice Number, the print sheets)."""

    sheet: str
    cells: dict[tuple[int, int], Any]
    formats: dict[tuple[int, int], Fmt] = field(default_factory=dict)
    """Cells that get a number format with their value (an amount on a print sheet);
    every other cell keeps the format it has."""
    table_bottom: int = 0
    """When not 0: rows written under the sheet's Excel Table join it, down to this row (an
    exchange's order line appended to Orders), so every engine reads them as the table's."""


@dataclass
class ListValidation:
    """A dropdown (a list data validation) on rows `first_row` ... `last_row` of column
    `col` (1-based) of a sheet ordersheet writes, replacing any validation there before;
    validations elsewhere in the book are the user's and stay as they are."""

    sheet: str
    col: int
    first_row: int
    last_row: int
    choices: tuple[str, ...]
    title: str = ""
    """The column's header: the title of the warning a value off the list gets."""


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


@dataclass
class Chart:
    """One native chart drawn from a block of cells of the sheet it sits on: the block's
    first row names the series (one column each), its first column holds the categories."""

    kind: Literal["bar", "line"]
    title: str
    first_row: int
    """The block's header row (series names); data rows follow down to `last_row`."""
    last_row: int
    cat_col: int
    series_cols: list[int]
    anchor: str
    """Top-left cell of the chart (`G2`)."""
    y_title: str = ""


@dataclass
class AddCharts:
    """ordersheet's charts on one of its own view sheets (the Dashboard), each pointing at
    that sheet's cells; they replace the charts ordersheet put there before, and no other
    sheet's drawings are touched."""

    sheet: str
    charts: list[Chart]


FILL_NONE = ""
"""A cell without a fill of its own."""


Op = Union[ReplaceSheet, AppendRows, UpdateColumns, SetCells, MarkCells, AddCharts,
           ListValidation]


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
