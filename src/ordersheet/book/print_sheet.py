"""The Invoice and Packing Slip print sheets: one document at a time, its content model
(`documents.model`) filled into the layout from `workbook_templates/` (values only; the
template carries the styling and the labels).

Owns where each value of a document goes and how it is written: the typed value (a number
or date Excel can work with) when the cell's number format shows exactly the document's
text, else the text itself (a JPY amount under `#,##0.00`, a rate of 8.875 % under
`0.00%`), so the sheet never shows a value other than the PDF's. Lines beyond the sheet's
rows end in a note pointing to the PDF.

The book never grows a sheet per document: showing another invoice rewrites the same
cells. A sheet missing from a user's book is created plain, with labels.
"""

from __future__ import annotations

import datetime as dt
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
    if fmt == "#,##0.00":
        return f"{value:,.2f}"
    if fmt == "#,##0.00####":  # two decimals, and up to four more when the value has them
        exp = value.normalize().as_tuple().exponent
        places = min(6, max(2, -exp if isinstance(exp, int) else 0))
        return f"{value:,.{places}f}"
    if fmt == "0.00%":
        return f"{value * 100:.2f}%"
    if fmt is None and value == value.to_integral_value() and abs(value) < 10 ** 11:
        return f"{value:.0f}"
    return None


def _cell(shown: Shown, fmt: Optional[str]) -> Any:
    """The value to write for `shown` into a cell formatted `fmt`: never shown otherwise."""
    if not shown.text:
        return None
    if shown.value is not None and excel_text(shown.value, fmt) == shown.text:
        return shown.value
    return shown.text


def _table(cells: dict[tuple[int, int], Any], rows: Sequence[Mapping[str, Shown]],
           first_row: int, columns: Mapping[str, str], capacity: int,
           formats: Mapping[str, str], what: str) -> None:
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
            cells[(row, col)] = _cell(line[key], formats.get(key)) if line else None
    if more:
        cells[(first_row + capacity - 1, first_col)] = (
            f"... and {more} more {what}: see the PDF or the lines sheet")


def _fill(layout: PrintLayout, doc: AnyDocument, labels: Mapping[str, str],
          sheet_exists: bool) -> list[p.Op]:
    # A sheet made from the template has its number formats; a plain one has General.
    formats = layout.formats if sheet_exists else {}
    cells: dict[tuple[int, int], Any] = {}
    for key, addr in layout.fields.items():
        cells[split_a1(addr)] = _cell(doc.fields[key], formats.get(key))
    _table(cells, doc.lines, layout.lines_first_row, layout.line_columns, layout.max_lines,
           formats, "lines")
    if layout.title_cell:  # the template's INVOICE, or CREDIT NOTE for a credit note
        cells[split_a1(layout.title_cell)] = doc.title.upper()
    summary = doc.tax_summary if isinstance(doc, InvoiceDocument) else ()
    if layout.summary_columns:
        _table(cells, summary, layout.summary_first_row, layout.summary_columns,
               layout.max_summary, {}, "rates")  # no formats: see PrintLayout
    if sheet_exists:
        return [p.SetCells(layout.sheet, cells)]
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
