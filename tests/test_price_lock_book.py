"""The price lock on a real workbook (CONTRACT §4 "Price lock"): the locked price lives
in ordersheet's own records, so it survives the book being saved and read back, an FX
rate edited on its sheet, and the Orders Price cell being retyped; clearing that cell is
what re-prices a reserved line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from ordersheet.cli import run_operation

from .bookfiles import D1, basic_book

DAY1, DAY2 = "2026-11-03", "2026-11-05"


def book(path: Path) -> Path:
    """Widget (List Price 10 USD) for a customer paying in EUR at 0.9: 9.00 EUR."""
    orders = [["SO-1", 1, D1, "C3", "A-100", 2, None, None, "Normal", None, None, ""],
              ["SO-2", 1, D1, "C3", "A-100", 1, None, None, "Normal", None, None, ""]]
    return basic_book(path, orders,
                      Customers=[["C3", "Euro", "", "DE", "EUR", None, 30, None, "No", "No",
                                  "", ""]],
                      **{"FX Rates": [["Currency", "Rate"], ["EUR", 0.9]]})


def edit(path: Path, sheet: str, cells: dict[tuple[int, str], object]) -> None:
    """Type into the book as a user would: (row, header) -> value."""
    wb = load_workbook(path)
    ws = wb[sheet]
    header = {c.value: c.column for c in ws[1]}
    for (row, name), value in cells.items():
        ws.cell(row, header[name]).value = value
    wb.save(path)


def column(path: Path, sheet: str, name: str) -> list:
    ws = load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    j = rows[0].index(name)
    return [r[j] for r in rows[1:]]


def test_the_invoice_uses_the_price_locked_at_reservation(tmp_path):
    path = book(tmp_path / "book.xlsx")
    assert run_operation(path, "reserve", DAY1, None, False, quiet=True)[0] == 0
    assert column(path, "Orders", "Price") == [9, 9]

    # The FX rate moves, and someone retypes the first line's Price: neither is the lock.
    edit(path, "FX Rates", {(2, "Rate"): 0.8})
    edit(path, "Orders", {(2, "Price"): 7.5})
    code, result = run_operation(path, "run", DAY2, None, False, dispatch=True, quiet=True)

    assert code == 0, result.errors
    assert column(path, "Invoice Lines", "Unit Price") == [9, 9]
    assert column(path, "Invoices", "Total") == [18, 9]
    assert column(path, "Orders", "Price") == [9, 9]
    assert all(text.startswith("Price locked when first reserved (2026-11-03): 9.00 EUR")
               for text in column(path, "Orders", "Price Explained"))


def test_clearing_the_price_cell_reprices_a_reserved_line(tmp_path):
    path = book(tmp_path / "book.xlsx")
    run_operation(path, "reserve", DAY1, None, False, quiet=True)
    edit(path, "FX Rates", {(2, "Rate"): 0.8})
    edit(path, "Orders", {(3, "Price"): None})  # SO-2: re-price it
    code, result = run_operation(path, "run", DAY2, None, False, dispatch=True, quiet=True)

    assert code == 0, result.errors
    assert column(path, "Orders", "Price") == [9, 8]
    assert column(path, "Invoice Lines", "Unit Price") == [9, 8]
    # ... and SO-2's new price is its lock from now on
    edit(path, "FX Rates", {(2, "Rate"): 0.7})
    run_operation(path, "price", "2026-11-06", None, False, quiet=True)
    assert column(path, "Orders", "Price") == [9, 8]


def test_a_line_not_reserved_is_repriced_from_the_sheets_each_run(tmp_path):
    path = book(tmp_path / "book.xlsx")
    edit(path, "Inventory", {(2, "On Hand"): 0})
    run_operation(path, "reserve", DAY1, None, False, quiet=True)
    assert column(path, "Orders", "Status") == ["Backordered", "Backordered"]
    edit(path, "FX Rates", {(2, "Rate"): 0.8})
    run_operation(path, "reserve", DAY2, None, False, quiet=True)
    assert column(path, "Orders", "Price") == [8, 8]


def test_a_typed_unit_price_is_the_agreed_price_and_stays_locked(tmp_path):
    """Issue 18: a Unit Price typed on Orders is the price agreed with the customer (as in
    ERPNext and Odoo): it is used, Price Explained says what the rules give, and the
    price_mismatch warning stays, run after run, also once the line is locked."""
    path = book(tmp_path / "b.xlsx")
    edit(path, "Orders", {(2, "Unit Price"): 8.5})
    code, result = run_operation(path, "run", DAY1, None, False, dispatch=True, quiet=True)
    assert column(path, "Orders", "Price")[:2] == [8.5, 9]
    assert column(path, "Orders", "Net")[:2] == [17, 9]
    explained = column(path, "Orders", "Price Explained")[0]
    assert explained.startswith("Typed on Orders: 8.50 EUR; price rules give 9.00 EUR (")
    (warn,) = [i for i in result.issues if i.code == "price_mismatch"]
    assert warn.cell == "G2" and warn.message.endswith("the typed price is used")
    assert column(path, "Invoice Lines", "Unit Price")[0] == 8.5
    code, again = run_operation(path, "run", DAY2, None, False, quiet=True)
    assert column(path, "Orders", "Price Explained")[0] == explained
    assert [i.message for i in again.issues if i.code == "price_mismatch"] == [warn.message]
