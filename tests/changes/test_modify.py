"""Changing an order line between runs (issue 20 B): edits to a line that has not left are
picked up; edits that contradict what was dispatched are refused at the cell and the run
goes on with the dispatched values."""

from __future__ import annotations

from pathlib import Path

from ..bookfiles import D1, basic_book
from .helpers import codes, column, edit, ledger_rows, put, records, run

ORDERS_HEAD = ["Order ID", "Line", "Order Date", "Customer ID", "SKU", "Quantity"]
SKU, QTY, WH = 5, 6, 10  # Orders columns (1-based)


def book_of(tmp_path: Path) -> Path:
    return basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 6, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "A-100", 8, None, None, "Normal", None, None, ""],
    ])


def reserved(book: Path) -> dict:
    out: dict = {}
    for r in records(book, "Reservations"):
        k = (r["Order ID"], r["Line"], r["SKU"])
        out[k] = out.get(k, 0) + r["Quantity"]
    return out


def test_lower_quantity_releases_the_surplus_and_the_next_line_gets_it(tmp_path):
    book = book_of(tmp_path)
    run(book, "ship", dispatch=False)  # SO-1 6, SO-2 4 of 8 (10 on hand)
    assert reserved(book) == {("SO-1", 1, "A-100"): 6, ("SO-2", 1, "A-100"): 4}
    edit(book, lambda wb: put(wb["Orders"], 2, QTY, 2))
    code, _ = run(book, "ship", dispatch=False)
    assert code == 0
    assert reserved(book) == {("SO-1", 1, "A-100"): 2, ("SO-2", 1, "A-100"): 8}
    releases = [r for r in ledger_rows(book) if r["Operation"] == "release"]
    assert [(r["Order ID"], r["Change"]) for r in releases] == [("SO-1", -4)]
    # the Ready shipment shrank with it
    lines = {(r["Order ID"], r["Line"]): r["Quantity"] for r in records(book, "Shipment Lines")}
    assert lines[("SO-1", 1)] == 2


def test_changed_sku_releases_the_old_reservation(tmp_path):
    book = book_of(tmp_path)
    run(book, "reserve", dispatch=False)
    edit(book, lambda wb: put(wb["Orders"], 2, SKU, "B-200"))
    run(book, "reserve", dispatch=False)
    got = reserved(book)
    assert ("SO-1", 1, "A-100") not in got and got[("SO-1", 1, "B-200")] == 3
    assert got[("SO-2", 1, "A-100")] == 8


def test_changed_warehouse_to_one_without_stock_releases(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""]],
        Inventory=[["SKU", "Warehouse", "On Hand", "Bin"], ["A-100", "MAIN", 10, "A"],
                   ["A-100", "EAST", 1, "E"]])
    run(book, "reserve", dispatch=False)
    edit(book, lambda wb: put(wb["Orders"], 2, WH, "EAST"))
    code, result = run(book, "reserve", dispatch=False)
    assert reserved(book) == {("SO-1", 1, "A-100"): 1}
    assert [r["Warehouse"] for r in records(book, "Reservations")] == ["EAST"]
    assert codes(result)["backordered"] == 1


def test_sku_change_on_a_dispatched_line_is_refused_and_the_run_uses_the_dispatched_sku(
        tmp_path):
    book = book_of(tmp_path)
    run(book)  # both dispatched and invoiced (SO-2 partly: 4 of 8)
    edit(book, lambda wb: put(wb["Orders"], 2, SKU, "B-200"))
    code, result = run(book)
    assert code == 1
    issue = next(i for i in result.issues if i.code == "line_already_shipped")
    assert issue.cell == "E2" and "A-100" in issue.message and "SHP-00001" in issue.message
    # nothing of B-200 reserved or shipped for SO-1; the line stays Invoiced
    assert all(r["SKU"] != "B-200" for r in records(book, "Reservations"))
    assert column(book, "Orders", "Status")[0] == "Invoiced"
    assert len(column(book, "Invoices", "Invoice No")) == 2


def test_quantity_below_dispatched_is_refused(tmp_path):
    book = book_of(tmp_path)
    run(book)
    edit(book, lambda wb: put(wb["Orders"], 3, QTY, 1))  # SO-2: 4 left already
    code, result = run(book)
    assert code == 1
    issue = next(i for i in result.issues if i.code == "line_already_shipped")
    assert issue.cell == "F3" and "4 units were dispatched" in issue.message
    # the line goes on as 4 ordered, 4 shipped: nothing more reserved for it
    assert ("SO-2", 1, "A-100") not in reserved(book)
    assert column(book, "Orders", "Status")[1] == "Invoiced"


def test_warehouse_of_a_line_that_left_whole_cannot_change(tmp_path):
    book = book_of(tmp_path)
    run(book)  # SO-1 line 1 left whole from MAIN
    edit(book, lambda wb: put(wb["Orders"], 2, WH, "EAST"))
    code, result = run(book)
    assert code == 1
    issue = next(i for i in result.issues if i.code == "line_already_shipped")
    assert issue.cell == "J2" and "dispatched from MAIN" in issue.message
    assert column(book, "Orders", "Status")[0] == "Invoiced"
    assert len(column(book, "Invoices", "Invoice No")) == 2
    edit(book, lambda wb: put(wb["Orders"], 2, WH, "main"))  # typed back (any case): fine
    code, result = run(book)
    assert "line_already_shipped" not in codes(result)


def test_quantity_raised_on_a_partly_shipped_line_is_served(tmp_path):
    book = book_of(tmp_path)
    run(book)  # SO-2: 4 of 8 shipped, nothing left in stock
    edit(book, lambda wb: put(wb["Inventory"], 2, 3, 20))
    code, result = run(book, "reserve", dispatch=False)
    assert code == 0 and "line_already_shipped" not in codes(result)
    assert reserved(book)[("SO-2", 1, "A-100")] == 4
