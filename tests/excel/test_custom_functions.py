"""The custom functions, called as Excel calls them: master data as 2-D ranges with their
header row (numbers as floats, blanks as None), scalars as cell values. A bad argument is a
readable message in the cell, never a traceback."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from ordersheet import excel

PRODUCTS = [["SKU", "Description", "List Price", "Weight", "Tax Class", "Active"],
            ["A-100", "Widget", 10.0, 1.5, "standard", "Yes"],
            ["B-200", "Gadget", 25.5, 2.0, "standard", "Yes"],
            ["Z-999", "Old thing", 5.0, 1.0, "standard", "No"]]
CUSTOMERS = [["Customer ID", "Name", "Country", "Currency", "Discount %"],
             ["C1", "Acme", "US", "USD", None],
             ["C2", "Euro GmbH", "DE", "EUR", 10.0],
             ["C3", "Yen KK", "JP", "JPY", None]]
RULES = [["SKU", "Customer ID", "Min Qty", "Unit Price", "Discount %", "Valid From", "Valid To"],
         ["A-100", "C1", 10.0, 8.5, None, None, None],
         ["B-200", None, 1.0, None, 20.0, 46327.0, 46357.0]]   # Nov 2026, as Excel serials
FX = [["Currency", "Rate"], ["EUR", 0.9]]
INVENTORY = [["SKU", "Warehouse", "On Hand", "Bin", "Reserved", "Available"],
             ["A-100", "MAIN", 10.0, "A-01", 3.0, 7.0],
             ["A-100", "EAST", 5.0, "E-01", None, None],
             ["B-200", "MAIN", 2.0, "B-02", 0.0, 2.0]]
NOV_10 = dt.date(2026, 11, 10)


# ---- ORDER_PRICE ---------------------------------------------------------------------------


@pytest.mark.parametrize("sku, qty, customer, expected", [
    ("A-100", 2.0, None, 10.0),        # no customer: the list price in the base currency
    ("A-100", 2.0, "C1", 10.0),        # below the rule's Min Qty
    ("A-100", 12.0, "C1", 8.5),        # customer + SKU rule
    ("A-100", 1.0, "C2", 8.1),         # 10.00 USD -> 9.00 EUR, less the 10 % customer discount
    ("B-200", 1.0, "C1", 20.4),        # SKU rule: 20 % off in November
    (" A-100 ", 1, "C1", 10.0),        # as typed, with spaces
])
def test_order_price_follows_the_price_rules(sku, qty, customer, expected):
    got = excel.order_price(sku, qty, customer, PRODUCTS, RULES, CUSTOMERS, FX,
                            order_date=NOV_10)
    assert got == pytest.approx(expected)


def test_order_price_uses_the_order_date_for_rule_windows():
    december = excel.order_price("B-200", 1, "C1", PRODUCTS, RULES, CUSTOMERS, FX,
                                 order_date=dt.datetime(2026, 12, 15))
    assert december == 25.5
    assert excel.order_price("B-200", 1, "C1", PRODUCTS, RULES, CUSTOMERS, FX,
                             order_date=46336.0) == pytest.approx(20.4)   # 2026-11-10
    assert excel.order_price("B-200", 1, "C1", PRODUCTS, RULES, CUSTOMERS, FX,
                             order_date="2026-11-10") == pytest.approx(20.4)


def test_order_price_reads_numeric_skus_and_ids_like_the_sheets_do():
    products = [["SKU", "List Price"], [12345.0, 7.0]]
    customers = [["Customer ID", "Country"], [1001.0, "US"]]
    assert excel.order_price(12345.0, 1.0, 1001.0, products, None, customers) == 7.0


@pytest.mark.parametrize("args, message", [
    (("B-1", 1, "C1", PRODUCTS, None, CUSTOMERS),
     "ORDER_PRICE: SKU 'B-1' is not on the Products sheet"),
    (("Z-999", 1, None, PRODUCTS), "ORDER_PRICE: SKU 'Z-999' is not active"),
    (("A-100", 0, None, PRODUCTS), "ORDER_PRICE: quantity must be a whole number above 0"),
    (("A-100", "lots", None, PRODUCTS), "ORDER_PRICE: quantity must be a whole number above 0"),
    (("A-100", 2.5, None, PRODUCTS), "ORDER_PRICE: quantity must be a whole number above 0"),
    (("A-100", 1, "C1", PRODUCTS), "ORDER_PRICE: pass the Customers table"),
    (("A-100", 1, "C9", PRODUCTS, None, CUSTOMERS), "ORDER_PRICE: customer 'C9' is not on"),
    (("A-100", 1, "C3", PRODUCTS, None, CUSTOMERS, FX), "ORDER_PRICE: no FX rate for JPY"),
    (("A-100", 1, None, None), "ORDER_PRICE: pass the Products table"),
    (("A-100", 1, None, [["SKU", "Cost"], ["A-100", 3.0]]),
     "ORDER_PRICE: products: missing column List Price; did you mean 'Cost'?"),
    (("A-100", 1, None, PRODUCTS, None, [["Name"], ["Acme"]]),
     "ORDER_PRICE: customers: missing column Customer ID"),
])
def test_order_price_explains_what_is_wrong(args, message):
    got = excel.order_price(*args, order_date=NOV_10)
    assert isinstance(got, str) and got.startswith(message), got


def test_a_bad_order_date_names_the_argument():
    got = excel.order_price("A-100", 1, None, PRODUCTS, order_date="next week")
    assert got.startswith("ORDER_PRICE: order_date: 'next week' is not a date")


def test_order_price_parses_the_same_ranges_once(monkeypatch):
    from ordersheet.book import load

    calls = []
    real = load.load
    monkeypatch.setattr(load, "load", lambda raws: calls.append(1) or real(raws))
    products = [row[:] for row in PRODUCTS] + [["N-1", "New", 1.0, 0.1, "standard", "Yes"]]
    for qty in range(1, 6):
        assert excel.order_price("N-1", qty, None, products, order_date=NOV_10) == 1.0
    assert len(calls) == 1


# ---- STOCK_AVAILABLE -------------------------------------------------------------------------


@pytest.mark.parametrize("sku, warehouse, expected", [
    ("A-100", None, 12),       # (10 - 3) + 5 across warehouses
    ("A-100", "MAIN", 7),
    ("A-100", "east", 5),      # warehouse names match case-insensitively
    ("B-200", "", 2),
])
def test_stock_available_is_on_hand_minus_reserved(sku, warehouse, expected):
    assert excel.stock_available(sku, INVENTORY, warehouse) == expected


def test_stock_available_without_warehouse_or_reserved_columns():
    assert excel.stock_available("A-100", [["SKU", "On Hand"], ["A-100", 4.0]]) == 4
    assert excel.stock_available("A-100", [["SKU", "On Hand"], ["A-100", 4.0]], "MAIN") == 4


@pytest.mark.parametrize("args, message", [
    (("X-1", INVENTORY), "STOCK_AVAILABLE: SKU 'X-1' is not in the inventory range"),
    (("A-100", INVENTORY, "WEST"), "STOCK_AVAILABLE: SKU 'A-100' is not in the inventory range "
                                   "in warehouse 'WEST'"),
    (("A-100", [["SKU", "Counted"], ["A-100", 4.0]]),
     "STOCK_AVAILABLE: inventory: missing column On Hand; did you mean 'Counted'?"),
    (("A-100", None), "STOCK_AVAILABLE: pass the Inventory table"),
    (("A-100", [["SKU", "On Hand", "Reserved"], ["A-100", 4.0, "some"]]),
     "STOCK_AVAILABLE: inventory Reserved: 'some' is not a number"),
])
def test_stock_available_explains_what_is_wrong(args, message):
    got = excel.stock_available(*args)
    assert isinstance(got, str) and got.startswith(message), got


# ---- LINE_TOTAL ------------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    ((3, 9.99), 29.97),
    ((3, 9.99, 20), 35.96),          # net 29.97 + tax 5.994 -> 5.99
    ((3, 9.99, "20%"), 35.96),
    ((3, 9.99, 0.2), 35.96),
    ((3.0, 100.5, 0.1, "JPY"), 332.0),  # JPY has no minor unit: 302 + 30
    ((2, 1.005, None, None), 2.01),
    ((1, 0.125, 0, "KWD"), 0.125),
])
def test_line_total_rounds_like_ordersheet(args, expected):
    assert excel.line_total(*args) == pytest.approx(expected)


@pytest.mark.parametrize("mode", ["half-up", "half-even"])
def test_line_total_is_the_runs_total_on_orders_in_either_rounding_mode(tmp_path, mode):
    """Lines whose Net or Tax ends on a half cent: LINE_TOTAL, given the Settings range,
    gives exactly the Total a run writes on Orders (its Price, Currency, the line's tax
    rate)."""
    from openpyxl import load_workbook

    from ordersheet.cli import run_operation
    from tests.bookfiles import D1, basic_book

    settings = [["Key", "Value"], ["Base Currency", "USD"], ["Rounding Mode", mode]]
    orders = [["SO-1", 1, D1, "C1", "H-1", 1, None, None, "Normal", None, None, ""],
              ["SO-1", 2, D1, "C1", "H-2", 1, None, None, "Normal", None, None, ""],
              ["SO-1", 3, D1, "C1", "H-3", 3, None, None, "Normal", None, None, ""],
              ["SO-2", 1, D1, "C2", "H-3", 10, None, None, "Normal", None, None, ""]]
    path = basic_book(
        tmp_path / "book.xlsx", orders,
        Products=[["H-1", "Half a cent net", 0.125, 1, "standard", "Yes"],
                  ["H-2", "Half a cent tax", 0.25, 1, "standard", "Yes"],
                  ["H-3", "Converted", 1.005, 1, "standard", "Yes"]],
        Customers=[["C1", "Acme", "", "US", "USD", None, 30, None, "No", "No", "", ""],
                   ["C2", "Euro", "", "DE", "EUR", None, 30, None, "No", "No", "", ""]],
        Inventory=[["H-1", "MAIN", 10, "A"]],
        **{"Tax Rates": [["Country", "Tax Class", "Rate"], ["US", "standard", 0.1],
                         ["DE", "standard", 0.19]],
           "FX Rates": [["Currency", "Rate"], ["EUR", 0.9]],
           "Settings": settings})
    code, _ = run_operation(path, "price", "2026-11-03", None, False, quiet=True)
    assert code == 0
    ws = load_workbook(path)["Orders"]
    rows = list(ws.iter_rows(values_only=True))
    col = {h: j for j, h in enumerate(rows[0])}
    tax_rate = {"C1": 0.1, "C2": 0.19}
    totals = []
    for r in rows[1:]:
        total = excel.line_total(r[col["Quantity"]], r[col["Price"]],
                                 tax_rate[r[col["Customer ID"]]], r[col["Currency"]], settings)
        assert total == r[col["Total"]], (r, total)
        totals.append(total)
    # Net 0.125 / Tax 0.025 / Net 1.005 x 0.9 x 10 = 9.045 EUR end on a half; 3.015 rounds
    # up in both modes.
    assert totals == {"half-up": [0.14, 0.28, 3.32, 10.77],
                      "half-even": [0.13, 0.27, 3.32, 10.76]}[mode]


@pytest.mark.parametrize("args, message", [
    ((0, 1), "LINE_TOTAL: quantity: must be a whole number above 0"),
    ((1.5, 1), "LINE_TOTAL: quantity: must be a whole number above 0"),
    ((1, -1), "LINE_TOTAL: unit_price: amount -1 is negative"),
    ((1, "ten"), "LINE_TOTAL: unit_price: 'ten' is not a number"),
    ((1, 1, 250), "LINE_TOTAL: tax_rate: 250 is not a percentage"),
    ((1, 1, 0, "XYZ"), "LINE_TOTAL: 'XYZ' is not an ISO currency code"),
    ((1, 1, 0, "USD", [["Key", "Value"], ["Rounding Mode", "bankers"]]),
     "LINE_TOTAL: settings: Rounding Mode: must be one of half-up, half-even"),
])
def test_line_total_explains_what_is_wrong(args, message):
    got = excel.line_total(*args)
    assert isinstance(got, str) and got.startswith(message), got


# ---- never a traceback -------------------------------------------------------------------------

cell = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=8),
                 st.datetimes(min_value=dt.datetime(1900, 1, 1)))
grid = st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=4)


@given(st.one_of(cell, grid), st.one_of(cell, grid), st.one_of(cell, grid), st.one_of(cell, grid))
@settings(max_examples=100, deadline=None)
def test_any_arguments_give_a_value_or_a_message(a, b, c, d):
    for name, result in (("ORDER_PRICE", excel.order_price(a, b, c, d)),
                         ("STOCK_AVAILABLE", excel.stock_available(a, b, c)),
                         ("LINE_TOTAL", excel.line_total(a, b, c, d))):
        assert isinstance(result, (int, float)) or (
            isinstance(result, str) and result.startswith(name + ": ")), result
        assert "Traceback" not in str(result)


def test_the_decorators_are_no_ops_outside_xlwings_lite():
    """On Linux without xlwings Lite/Server, xw.script and xw.func change nothing: the
    functions stay plain functions that tests (and the classic RunPython route) call."""
    assert not hasattr(excel.process_orders, "__xlscript__")
    assert excel.process_orders.__name__ == "process_orders"
    assert not hasattr(excel.order_price, "__xlfunc__")
