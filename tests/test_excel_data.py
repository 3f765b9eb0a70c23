"""Excel data as Excel writes it (#18): each test is a small order book as a user (or
another program) leaves it, run through the command line.

- formula results and pasted numbers carry binary float noise (`=1/1.0857`,
  8.030000000000001): they are read as Excel shows them, 15 significant digits;
- a master row whose value is really refused does not make its order lines report a
  different problem (no FX rate, SKU not on Products): they name the refused cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from openpyxl import load_workbook

from ordersheet.cli import run_operation
from tests.bookfiles import D1, basic_book, with_cached_values

TODAY = dt.date(2026, 11, 3)


def run(path, operation="price"):
    code, result = run_operation(path, operation, TODAY.isoformat(), None, False, quiet=True)
    return code, result


def sheet_rows(path, name):
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def issues_of(result, code=None):
    return [i for i in result.issues if code is None or i.code == code]


# ---- float noise -------------------------------------------------------------------------

def noisy_book(tmp_path, fx_formula="=1/1.0857", fx_cached="0.92106475085198483"):
    """A List Price typed as =7.03+1 (8.030000000000001 as Excel stores it) and an EUR rate
    that is the formula =1/1.0857 (0.92106475085198483 as Excel saves its value)."""
    path = basic_book(
        tmp_path / "book.xlsx",
        [["SO-1", 1, D1, "C1", "N-1", 2, None, None, "Normal", None, None, ""],
         ["SO-2", 1, D1, "C3", "N-1", 1, None, None, "Normal", None, None, ""]],
        Products=[["N-1", "Noisy", "=7.03+1", 1, "standard", "Yes"]],
        Inventory=[["N-1", "MAIN", 10, "A-01"]],
        Customers=[["C1", "Acme", "", "US", "USD", None, 30, None, "No", "No", "", ""],
                   ["C3", "Euro GmbH", "", "DE", "EUR", None, 30, None, "No", "No", "", ""]],
        **{"FX Rates": [["Currency", "Rate"], ["EUR", fx_formula]]})
    with_cached_values(path, {"7.03+1": "8.0300000000000011", fx_formula[1:]: fx_cached})
    return path


def test_formula_results_with_float_noise_are_read_as_excel_shows_them(tmp_path):
    path = noisy_book(tmp_path)
    code, result = run(path)
    assert [(i.code, i.sheet, i.cell) for i in result.issues] == []
    assert code == 0
    rows = sheet_rows(path, "Orders")
    assert [r["Status"] for r in rows] == ["Priced", "Priced"]
    assert rows[0]["Price"] == 8.03 and rows[0]["Net"] == 16.06
    # 8.03 x 0.921064750851985 EUR/USD = 7.396149949341440 -> 7.40
    assert rows[1]["Currency"] == "EUR" and rows[1]["Net"] == 7.40
    assert "0.921064750851985" in rows[1]["Price Explained"]


def test_a_rate_too_fine_to_believe_is_still_refused(tmp_path):
    """The rule of the column still holds after the float is read: a rate with more
    decimals than a Decimal computes with (typed as text) is refused at its cell."""
    path = noisy_book(tmp_path, fx_formula="0." + "0" * 28 + "1")
    code, result = run(path)
    assert ("bad_number", "FX Rates", "B2") in [(i.code, i.sheet, i.cell) for i in result.issues]
    assert code == 1


# ---- a refused value is named on the lines that depend on it -------------------------------

def test_lines_name_the_refused_master_cell_instead_of_a_misleading_problem(tmp_path):
    """Each master row here has one cell that is really refused: the order lines that need
    the row say which cell, not that the SKU, customer or rate does not exist."""
    path = basic_book(
        tmp_path / "book.xlsx",
        [["SO-1", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""],
         ["SO-2", 1, D1, "C3", "B-200", 1, None, None, "Normal", None, None, ""],
         ["SO-3", 1, D1, "C4", "B-200", 1, None, None, "Normal", None, None, ""],
         ["SO-4", 1, D1, "C5", "B-200", 1, None, None, "Normal", None, None, ""],
         ["SO-5", 1, D1, "C1", "C-300", 2, None, None, "Normal", None, None, ""]],
        Products=[["A-100", "Widget", "ten", 1, "standard", "Yes"],
                  ["B-200", "Gadget", 25.5, 2, "standard", "Yes"],
                  ["C-300", "Gizmo", 4, 1, "standard", "Yes"]],
        Inventory=[["A-100", "MAIN", 10, "A-01"], ["B-200", "MAIN", 10, "B-02"],
                   ["C-300", "MAIN", "a few", "C-03"]],
        Customers=[["C1", "Acme", "", "US", "USD", None, 30, None, "No", "No", "", ""],
                   ["C3", "Euro GmbH", "", "DE", "EUR", None, 30, None, "No", "No", "", ""],
                   ["C4", "Oui SA", "", "FR", "USD", None, 30, None, "No", "No", "", ""],
                   ["C5", "Late Ltd", "", "US", "USD", "lots", 30, None, "No", "No", "", ""]],
        **{"FX Rates": [["Currency", "Rate"], ["EUR", "n/a"]],
           "Tax Rates": [["Country", "Tax Class", "Rate %"], ["US", "standard", 0],
                         ["DE", "standard", 19], ["FR", "standard", "twenty"]]})
    code, result = run(path, "reserve")
    assert code == 1
    by_order = {i.order_id: i for i in result.issues if i.sheet == "Orders"}
    assert (by_order["SO-1"].code, by_order["SO-1"].message) == (
        "unknown_sku", "SKU 'A-100': its Products row was refused (Products!C2); fix that cell")
    assert (by_order["SO-2"].code, by_order["SO-2"].message) == (
        "missing_fx_rate", "FX Rates!B2 was refused, so EUR has no rate to price SKU B-200 "
                           "for customer C3")
    assert (by_order["SO-3"].code, by_order["SO-3"].message) == (
        "missing_tax_rate", "the Tax Rates row for country 'FR' and tax class 'standard' was "
                            "refused (Tax Rates!C4) (SKU B-200, customer C4)")
    assert (by_order["SO-4"].code, by_order["SO-4"].message) == (
        "unknown_customer",
        "customer 'C5': its Customers row was refused (Customers!F5); fix that cell")
    assert (by_order["SO-5"].code, by_order["SO-5"].message) == (
        "backordered", "2 of 2 units backordered (an Inventory row of SKU C-300 was refused "
                       "(Inventory!C4); SKU C-300: 0 available)")
    # ... and the refused cells themselves are reported where they are
    assert {(i.sheet, i.cell) for i in result.issues if i.code == "bad_number"} >= {
        ("Products", "C2"), ("FX Rates", "B2"), ("Customers", "F5"), ("Inventory", "C4"),
        ("Tax Rates", "C4")}


def test_a_key_that_is_simply_absent_is_still_unknown(tmp_path):
    path = basic_book(tmp_path / "book.xlsx",
                      [["SO-1", 1, D1, "C9", "Q-1", 1, None, None, "Normal", None, None, ""]])
    _, result = run(path, "validate")
    assert sorted((i.code, i.message) for i in result.issues) == [
        ("unknown_customer", "customer 'C9' is not on the Customers sheet"),
        ("unknown_sku", "SKU 'Q-1' is not on the Products sheet")]


# ---- headers exported by other systems ------------------------------------------------------

def orders_book(tmp_path, header, rows, settings=None):
    """The basic book with an Orders sheet under `header` (as exported elsewhere)."""
    extra = {"Settings": [["Key", "Value"], *settings]} if settings else {}
    path = basic_book(tmp_path / "book.xlsx", [], **extra)
    wb = load_workbook(path)
    ws = wb["Orders"]
    ws.delete_rows(1, ws.max_row)
    for r in [header, *rows]:
        ws.append(r)
    wb.save(path)
    return path


def test_an_erpnext_sales_order_export_is_read_as_orders(tmp_path):
    """ERPNext's Data Export of Sales Order with its Items table: parent fields under their
    labels (ID, Customer, Date, Delivery Date), child fields as `Label (Items)`."""
    header = ["ID", "Customer", "Date", "Delivery Date", "ID (Items)", "Item Code (Items)",
              "Quantity (Items)", "Rate (Items)", "Amount (Items)",
              "Delivery Warehouse (Items)"]
    rows = [["SAL-ORD-2026-00001", "C1", D1, dt.date(2026, 11, 9), "a1b2", "A-100", 2, 10, 20,
             "MAIN"],
            ["SAL-ORD-2026-00001", "C1", D1, dt.date(2026, 11, 9), "c3d4", "B-200", 1, 25.5,
             25.5, "MAIN"]]
    path = orders_book(tmp_path, header, rows)
    code, result = run(path, "reserve")
    assert [(i.code, i.cell) for i in result.issues] == []
    assert code == 0
    got = sheet_rows(path, "Orders")
    assert [(r["ID"], r["Line"], r["Status"], r["Reserved"]) for r in got] == [
        ("SAL-ORD-2026-00001", 1, "Reserved", 2), ("SAL-ORD-2026-00001", 2, "Reserved", 1)]
    assert got[0]["Amount (Items)"] == 20  # the export's own columns stay as they were


def test_an_odoo_sale_order_line_export_is_read_as_orders(tmp_path):
    """Odoo's export of sale.order.line with its field labels, the order date as the
    related field `Order Reference/Order Date`."""
    header = ["Order Reference", "Order Reference/Order Date", "Customer", "Product",
              "Description", "Quantity", "Unit Price", "Discount (%)", "Subtotal"]
    rows = [["S00042", D1, "C2", "A-100", "Widget", 3, 9.5, 0, 28.5]]
    path = orders_book(tmp_path, header, rows)
    code, result = run(path, "reserve")
    assert [(i.code, i.cell) for i in result.issues] == [("price_mismatch", "G2")]
    assert code == 0
    got = sheet_rows(path, "Orders")
    assert [(r["Order Reference"], r["Status"], r["Reserved"]) for r in got] == [
        ("S00042", "Reserved", 3)]


def test_settings_column_map_reads_any_header_as_a_column(tmp_path):
    header = ["Auftrag", "Datum", "Kunde", "Artikel", "Menge", "Bemerkung"]
    rows = [["A-1", D1, "C1", "A-100", 4, "bitte schnell"]]
    maps = [["Column Map", f"Orders.{de} = {en}"] for de, en in (
        ("Auftrag", "Order ID"), ("Datum", "Order Date"), ("Kunde", "Customer ID"),
        ("Artikel", "SKU"), ("Menge", "Quantity"), ("Bemerkung", "Notes"))]
    path = orders_book(tmp_path, header, rows, maps + [["Column Map", "Orders.Stk Quantity"],
                                                       ["Column Map", "Orders.Preis = Prise"]])
    code, result = run(path, "reserve")
    assert [(i.code, i.sheet, i.cell) for i in result.issues] == [
        ("bad_value", "Settings", "B8"), ("bad_value", "Settings", "B9")]
    assert result.issues[0].message == (
        "Column Map: 'Orders.Stk Quantity' is not Sheet.Header = Column "
        "(e.g. Orders.Menge = Quantity)")
    assert result.issues[1].message.startswith("Column Map: Orders has no column 'Prise'")
    assert code == 1
    assert [(r["Auftrag"], r["Status"], r["Reserved"]) for r in sheet_rows(path, "Orders")] == [
        ("A-1", "Reserved", 4)]


def test_a_missing_column_names_the_header_it_probably_is(tmp_path):
    from ordersheet.app import run_summary

    header = ["Order ID", "Order Date", "Customer ID", "SKU", "Stk"]
    path = orders_book(tmp_path, header, [["SO-1", D1, "C1", "A-100", 2]])
    code, result = run(path, "validate")
    assert [(i.code, i.cell, i.message) for i in result.issues] == [
        ("missing_column", "F1", "missing column Quantity; did you mean 'Stk'?")]
    assert code == 1
    text = run_summary(result).text()
    assert "No order lines" not in text
    assert "The Orders sheet was not read: missing column Quantity; did you mean 'Stk'?" in text
    assert "Column Map" in text
