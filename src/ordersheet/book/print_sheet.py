"""The Invoice and Packing Slip print sheets: one document at a time, its content model
(`documents.model`) filled into the layout from `workbook_templates/` (values only; the
template carries the styling and the labels).

Owns where each value of a document goes and how it is written: the typed value (a number
or date Excel can work with) when the cell's number format shows exactly the document's
text, else the text itself (a rate of 8.875 % under `0.00%`), so the sheet never shows a
value other than the PDF's. An amount or unit price on the template's sheet gets the number
format that shows the document's text (`#,##0` for a JPY total, `#,##0.000` for KWD), as
the PDF shows it at the currency's minor unit. Lines beyond the sheet's rows end in a note
pointing to the PDF.

The book never grows a sheet per document: showing another invoice rewrites the same
cells. A sheet missing from a user's book is created plain, with labels.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Mapping, Optional, Sequence

from ..documents.model import (INVOICE_LABELS, SLIP_LABELS, AnyDocument, DocumentNotFound,
                               InvoiceDocument, Shown, document)
from ..domain.models import OrderBook
from . import plan as p
from .layouts import INVOICE_LAYOUT, PACKING_SLIP_LAYOUT, PrintLayout
from .raw import split_a1

__all__ = ["DocumentNotFound", "document_ops", "excel_text"]


def excel_text(value: Any, fmt: Optional[str]) -> Optional[str]:
    """What Excel shows for `value` under number format `fmt` (None: General), for the
    formats the print layouts use; None when this cannot tell."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value.isoformat() if fmt == "yyyy-mm-dd" else None
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        return None
    if fmt == "0":
        return f"{value:.0f}"
    if fmt == "0.00":
        return f"{value:.2f}"
    grouped = _GROUPED.fullmatch(fmt or "")
    if grouped:  # `#,##0.00####`: two decimals, and up to four more when the value has them
        least = len(grouped.group(1) or "")
        most = least + len(grouped.group(2) or "")
        exp = value.normalize().as_tuple().exponent
        places = min(most, max(least, -exp if isinstance(exp, int) else 0))
        return f"{value:,.{places}f}"
    if fmt == "0.00%":
        return f"{value * 100:.2f}%"
    if fmt is None and value == value.to_integral_value() and abs(value) < 10 ** 11:
        return f"{value:.0f}"
    return None


_GROUPED = re.compile(r"#,##0(?:\.(0*)(#*))?")
"""The number formats of amounts and unit prices (`plan.NUMBER_FORMATS`: `#,##0.00`,
`#,##0`, `#,##0.0#` ...): decimals shown at least (0s) and at most (0s and #s)."""
_AMOUNT_FORMATS = ("money", "price", "money0", "price0", "money3", "price3", "money1",
                   "price1", "money4", "price4")
"""Formats an amount or a unit price on a print sheet may get (`_amount_cell`)."""


def _amount_cell(shown: Shown, fmt: Optional[str]) -> tuple[Any, Optional[p.Fmt]]:
    """A template's amount or unit-price cell (`fmt`: its `#,##0.00` or `#,##0.00####`):
    the number with the format that shows the document's text (`#,##0` for a JPY total,
    as the PDF has it); the text where none does. The format goes with every number, so
    a cell an earlier JPY invoice made `#,##0` shows the next USD one's cents."""
    if not shown.text:
        return None, None
    if shown.value is not None:
        fmts = sorted(_AMOUNT_FORMATS, key=lambda f: p.NUMBER_FORMATS[f] != fmt)
        for f in fmts:
            if excel_text(shown.value, p.NUMBER_FORMATS[f]) == shown.text:
                return shown.value, f
    return shown.text, None


def _cell(shown: Shown, fmt: Optional[str]) -> Any:
    """The value to write for `shown` into a cell formatted `fmt`: never shown otherwise."""
    if not shown.text:
        return None
    if shown.value is not None and excel_text(shown.value, fmt) == shown.text:
        return shown.value
    return shown.text


def _put(cells: dict[tuple[int, int], Any], fmts: dict[tuple[int, int], p.Fmt],
         at: tuple[int, int], shown: Shown, fmt: Optional[str]) -> None:
    """`shown` into cell `at` formatted `fmt`: an amount with its own format (`fmts`)."""
    if fmt in _AMOUNT_CODES:
        cells[at], f = _amount_cell(shown, fmt)
        if f is not None:
            fmts[at] = f
    else:
        cells[at] = _cell(shown, fmt)


_AMOUNT_CODES = frozenset({p.NUMBER_FORMATS["money"], p.NUMBER_FORMATS["price"]})


def _table(cells: dict[tuple[int, int], Any], rows: Sequence[Mapping[str, Shown]],
           first_row: int, columns: Mapping[str, str], capacity: int,
           formats: Mapping[str, str], what: str,
           fmts: Optional[dict[tuple[int, int], p.Fmt]] = None) -> None:
    """`rows` into `capacity` sheet rows from `first_row`; when they do not fit, the last
    sheet row says how many more there are. Unused rows are cleared."""
    shown: list[Optional[Mapping[str, Shown]]] = list(rows)
    more = len(rows) - capacity + 1 if len(rows) > capacity else 0
    if more:
        shown = shown[:capacity - 1]
    first_col = min(split_a1(f"{c}1")[1] for c in columns.values())
    for i in range(capacity):
        row = first_row + i
        line = shown[i] if i < len(shown) else None
        for key, letter in columns.items():
            col = split_a1(f"{letter}1")[1]
            if line is None:
                cells[(row, col)] = None
            else:
                _put(cells, fmts if fmts is not None else {}, (row, col), line[key],
                     formats.get(key))
    if more:
        cells[(first_row + capacity - 1, first_col)] = (
            f"... and {more} more {what}: see the PDF or the lines sheet")


def _fill(layout: PrintLayout, doc: AnyDocument, labels: Mapping[str, str],
          sheet_exists: bool) -> list[p.Op]:
    # A sheet made from the template has its number formats; a plain one has General.
    formats = layout.formats if sheet_exists else {}
    cells: dict[tuple[int, int], Any] = {}
    fmts: dict[tuple[int, int], p.Fmt] = {}
    for key, addr in layout.fields.items():
        _put(cells, fmts, split_a1(addr), doc.fields[key], formats.get(key))
    _table(cells, doc.lines, layout.lines_first_row, layout.line_columns, layout.max_lines,
           formats, "lines", fmts)
    if layout.title_cell:  # the template's INVOICE, or CREDIT NOTE for a credit note
        cells[split_a1(layout.title_cell)] = doc.title.upper()
    summary = doc.tax_summary if isinstance(doc, InvoiceDocument) else ()
    if layout.summary_columns:
        _table(cells, summary, layout.summary_first_row, layout.summary_columns,
               layout.max_summary, {}, "rates")  # no formats: see PrintLayout
    if sheet_exists:
        return [p.SetCells(layout.sheet, cells, fmts)]
    # A book not made from the template: a plain sheet with labels (beside the fields that
    # have a value, as the PDF has them), one block write.
    for key, addr in layout.fields.items():
        r, c = split_a1(addr)
        if c > 1 and (r, c - 1) not in cells and doc.fields[key].text:
            cells[(r, c - 1)] = labels[key]
    for columns, first in ((layout.line_columns, layout.lines_first_row),
                           (layout.summary_columns, layout.summary_first_row)):
        for key, letter in columns.items():
            cells[(first - 1, split_a1(f"{letter}1")[1])] = labels[key]
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    grid: list[list[Any]] = [[None] * width for _ in range(height)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    return [p.ReplaceSheet(layout.sheet, grid[0], grid[1:], [], None, None,
                           [14.0, 36.0] + [14.0] * (width - 2))]


def document_ops(state: OrderBook, doc_id: str, existing_sheets: set[str]) -> list[p.Op]:
    """Ops that show invoice or shipment `doc_id` on its print sheet.
    Raises `DocumentNotFound` when the book has neither."""
    doc = document(state, doc_id)
    if isinstance(doc, InvoiceDocument):
        return _fill(INVOICE_LAYOUT, doc, INVOICE_LABELS, INVOICE_LAYOUT.sheet in existing_sheets)
    return _fill(PACKING_SLIP_LAYOUT, doc, SLIP_LABELS,
                 PACKING_SLIP_LAYOUT.sheet in existing_sheets)
