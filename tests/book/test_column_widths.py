"""Column widths fit ordersheet's columns (#18): one rule (`schema.column_width`, by field
and number format) for the template, ordersheet's own sheets and the columns it adds to
Orders and Inventory; a width the user gave a column stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ordersheet.book import schema as s
from ordersheet.book.xlsx.sheet_parts import _set_col_widths
from ordersheet.cli import run_operation

from ..bookfiles import basic_book

ENGINES = ["xlsx", "openpyxl"]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    if request.param == "openpyxl":
        monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    return request.param


def widths(book: Path, sheet: str) -> dict[str, float]:
    """header -> column width (None: Excel's default, 8.43, which shows `###` for a date
    and time or an amount of seven digits)."""
    ws = load_workbook(book)[sheet]
    by_col: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.customWidth or dim.width:
            for c in range(dim.min or 0, (dim.max or 0) + 1):
                by_col[c] = dim.width
    header = [c.value for c in ws[1]]
    return {h: by_col.get(j) for j, h in enumerate(header, start=1) if h}


def run(book: Path, op: str = "run"):
    return run_operation(book, op, "2026-11-03", None, False, dispatch=True, quiet=True)


def test_a_run_gives_its_columns_the_width_their_content_needs(tmp_path, engine):
    book = basic_book(tmp_path / "book.xlsx")
    run(book)
    orders = widths(book, "Orders")
    assert {h: orders[h] for h in ("Status", "Price", "Net", "Total", "Shipment", "Invoice",
                                   "Price Explained")} == {
        "Status": 20, "Price": 14, "Net": 14, "Total": 14, "Shipment": 22, "Invoice": 22,
        "Price Explained": 50}
    assert widths(book, "Inventory")["Available"] == 13
    assert widths(book, "Audit Log")["Timestamp"] == 20  # yyyy-mm-dd hh:mm:ss, not ###
    assert widths(book, "Audit Log")["Business Date"] == 17
    assert widths(book, "Stock Ledger")["Timestamp"] == 20
    assert widths(book, "Issues")["Code"] == 26
    assert widths(book, "Invoices")["Total"] == 14


def test_widths_the_user_gave_stay(tmp_path, engine):
    book = basic_book(tmp_path / "book.xlsx")
    wb = load_workbook(book)
    ws = wb["Orders"]
    ws.column_dimensions["B"].width = 33  # Line, the user's own column
    wb.save(book)
    run(book, "validate")
    assert widths(book, "Orders")["Line"] == 33 and widths(book, "Orders")["Status"] == 20
    wb = load_workbook(book)
    status = [c.column for c in wb["Orders"][1] if c.value == "Status"][0]
    wb["Orders"].column_dimensions[get_column_letter(status)].width = 31
    wb.save(book)
    run(book)  # adds the price columns, and keeps the Status width the user chose
    got = widths(book, "Orders")
    assert (got["Line"], got["Status"], got["Price Explained"]) == (33, 31, 50)


def test_a_column_that_gets_a_width_is_cut_out_of_a_users_range():
    head = (b'<worksheet><sheetFormatPr defaultRowHeight="15"/><cols>'
            b'<col min="1" max="1" width="20" customWidth="1"/>'
            b'<col min="3" max="6" width="9" style="2" customWidth="1"/></cols>')
    got = _set_col_widths(head, b"", {4: 14.0, 8: 50.0})
    assert got == (b'<worksheet><sheetFormatPr defaultRowHeight="15"/><cols>'
                   b'<col min="1" max="1" width="20" customWidth="1"/>'
                   b'<col min="3" max="3" width="9" style="2" customWidth="1"/>'
                   b'<col min="4" max="4" width="14" customWidth="1"/>'
                   b'<col min="5" max="6" width="9" style="2" customWidth="1"/>'
                   b'<col min="8" max="8" width="50" customWidth="1"/></cols>')
    bare = b'<worksheet><sheetFormatPr defaultRowHeight="15"/>'
    assert _set_col_widths(bare, b"", {2: 20.0}) == bare + (
        b'<cols><col min="2" max="2" width="20" customWidth="1"/></cols>')


@pytest.mark.parametrize("field,fmt,header,width", [
    ("status", None, "Status", 20), ("timestamp", "datetime", "Timestamp", 20),
    ("net", "money", "Net", 14), ("code", None, "Code", 26),
    ("x", None, "A header much longer than twelve", 36), ("line", "int", "Line", 10),
])
def test_one_rule_by_field_then_format_never_narrower_than_the_header(field, fmt, header,
                                                                      width):
    assert s.column_width(s.Col(field, header, fmt=fmt)) == width
