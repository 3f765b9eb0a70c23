"""The sample business: believable counts, exact types, every deliberate problem present,
and a sample book whose tables cover their data."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ordersheet.book import schema as s
from ordersheet.book import templates as t
from ordersheet.book.load import load
from ordersheet.book.raw import block_from_grid
from ordersheet.book.sample import (CREDIT_CUSTOMER, DELIBERATE, INACTIVE_SKU, ON_HOLD_CUSTOMER,
                                    UNKNOWN_CUSTOMER, UNKNOWN_SKU, sample_data)
from ordersheet.domain import pipeline

TODAY = dt.date(2026, 11, 3)


@pytest.fixture(scope="module")
def data():
    return sample_data(TODAY)


def records(data, spec: s.SheetSpec) -> list[dict]:
    return [dict(zip([c.field for c in spec.cols], row)) for row in data[spec.name]]


def test_every_row_has_one_value_per_header(data):
    for spec in t.DATA_SHEETS:
        assert all(len(r) == len(spec.headers) for r in data[spec.name]), spec.name
    assert all(len(r) == 2 for r in data["Settings"])


def test_no_floats_money_is_decimal_dates_are_dates(data):
    for name, rows in data.items():
        for r in rows:
            assert not any(isinstance(v, float) for v in r), (name, r)
    for o in records(data, s.ORDERS):
        assert type(o["order_date"]) is dt.date
        assert o["unit_price"] is None or isinstance(o["unit_price"], Decimal)
    assert all(isinstance(p["list_price"], Decimal) for p in records(data, s.PRODUCTS))
    assert all(isinstance(p["amount"], Decimal) for p in records(data, s.PAYMENTS))


def test_orders_counts_and_window(data):
    orders = records(data, s.ORDERS)
    per_order = Counter(o["order_id"] for o in orders)
    assert 55 <= len(per_order) <= 65
    assert 110 <= len(orders) <= 150
    assert set(per_order.values()) <= {1, 2, 3, 4}
    assert all(TODAY - dt.timedelta(days=30) <= o["order_date"] < TODAY for o in orders)
    by_order = defaultdict(set)
    for o in orders:
        by_order[o["order_id"]].add((o["order_date"], o["customer_id"]))
    assert all(len(v) == 1 for v in by_order.values()), "an order's rows agree on date and customer"
    assert {o["priority"] for o in orders} == {"High", "Normal", "Low"}
    assert any(o["line"] is None for o in orders), "some lines are left for ordersheet to number"


def test_master_data_counts(data):
    products = records(data, s.PRODUCTS)
    assert len(products) == len({p["sku"] for p in products}) == 25
    inventory = records(data, s.INVENTORY)
    assert {i["warehouse"] for i in inventory} == {"MAIN", "EAST"}
    assert {i["sku"] for i in inventory} <= {p["sku"] for p in products}
    assert len({(i["sku"], i["warehouse"]) for i in inventory}) == len(inventory)
    assert all(re.fullmatch(r"[A-Z]-\d\d-\d\d", i["bin"]) for i in inventory)
    customers = records(data, s.CUSTOMERS)
    assert len(customers) == 12
    assert {c["country"] for c in customers} == {"US", "DE", "GB", "JP"}
    assert {c["currency"] for c in customers} == {"USD", "EUR", "JPY"}
    assert any(c["country"] == "GB" and c["currency"] == "USD" for c in customers)


def test_rates_cover_every_customer(data):
    customers = records(data, s.CUSTOMERS)
    classes = {p["tax_class"] for p in records(data, s.PRODUCTS)}
    taxes = {(r["country"], r["tax_class"]) for r in records(data, s.TAX_RATES)}
    for c in customers:
        assert {(c["country"], k) for k in classes} <= taxes, c["customer_id"]
    assert {("DE", "shipping"), ("GB", "shipping")} <= taxes
    fx = {r["currency"] for r in records(data, s.FX_RATES)}
    assert {c["currency"] for c in customers} - {"USD"} <= fx
    ship = records(data, s.SHIPPING_RATES)
    assert len({r["carrier"] for r in ship}) == 2
    assert len({r["service"] for r in ship}) >= 3
    assert any(r["country"] == "*" and r["max_weight"] is None for r in ship)
    assert any(r["max_weight"] is not None for r in ship)
    services = {r["service"] for r in ship}
    assert {o["ship_method"] for o in records(data, s.ORDERS)} - {None} <= services


def test_price_rules_show_each_kind(data):
    rules = records(data, s.PRICE_RULES)
    assert any(r["sku"] and r["customer_id"] for r in rules)
    assert any(r["sku"] and not r["customer_id"] and (r["min_qty"] or 1) > 1 for r in rules)
    assert any(r["customer_id"] and not r["sku"] and r["discount"] for r in rules)
    assert any(r["valid_to"] and r["valid_to"] < TODAY for r in rules), "one expired rule"
    assert all((r["unit_price"] is None) != (r["discount"] is None) for r in rules)


def test_settings_and_payments(data):
    settings = dict(data["Settings"])
    assert settings["Company Name"] == "Northwind Outdoor Supply"
    assert settings["Company Address"]
    assert settings["Base Currency"] == "USD"
    assert {s.norm(k) for k in settings} == set(s.SETTINGS_KEYS)
    payments = records(data, s.PAYMENTS)
    assert 2 <= len(payments) <= 8
    assert len({p["payment_id"] for p in payments}) == len(payments)


def test_deliberate_problems_are_in_the_data(data):
    orders = records(data, s.ORDERS)
    skus = {p["sku"]: p for p in records(data, s.PRODUCTS)}
    customers = {c["customer_id"]: c for c in records(data, s.CUSTOMERS)}
    assert any(o["sku"] == UNKNOWN_SKU for o in orders) and UNKNOWN_SKU not in skus
    assert skus[INACTIVE_SKU]["active"] == "No" and any(o["sku"] == INACTIVE_SKU for o in orders)
    assert [o["quantity"] for o in orders if not isinstance(o["quantity"], int)] == ["two"]
    assert sum(1 for o in orders if o["requested_date"] and o["requested_date"] < o["order_date"]) == 1
    assert any(o["customer_id"] == UNKNOWN_CUSTOMER for o in orders)
    assert UNKNOWN_CUSTOMER not in customers
    assert customers[ON_HOLD_CUSTOMER]["on_hold"] == "Yes"
    assert any(o["customer_id"] == ON_HOLD_CUSTOMER for o in orders)
    assert any(o["unit_price"] is not None for o in orders)
    # Credit: the customer's orders at list price already pass its limit.
    limit = customers[CREDIT_CUSTOMER]["credit_limit"]
    at_list = sum(skus[o["sku"]]["list_price"] * o["quantity"] for o in orders
                  if o["customer_id"] == CREDIT_CUSTOMER)
    assert at_list > limit
    # Backorders: demand of orders that get served exceeds the stock of some SKUs.
    held = {ON_HOLD_CUSTOMER, CREDIT_CUSTOMER, UNKNOWN_CUSTOMER}
    demand: Counter = Counter()
    for o in orders:
        if o["customer_id"] not in held and isinstance(o["quantity"], int) and o["sku"] in skus:
            demand[o["sku"]] += o["quantity"]
    stock: Counter = Counter()
    for i in records(data, s.INVENTORY):
        stock[i["sku"]] += i["on_hand"]
    short = {sku for sku in demand if demand[sku] > stock[sku] and skus[sku]["active"] == "Yes"}
    assert len(short) >= 2


def test_deterministic_and_relative_to_today():
    a, b = sample_data(TODAY), sample_data(TODAY)
    assert a == b
    later = sample_data(TODAY + dt.timedelta(days=10))
    shift = [o[2] + dt.timedelta(days=10) for o in a["Orders"]]
    assert [o[2] for o in later["Orders"]] == shift


@settings(max_examples=20, deadline=None)
@given(st.dates(min_value=dt.date(2000, 3, 1), max_value=dt.date(2090, 12, 31)))
def test_any_today_gives_a_consistent_window(today):
    d = sample_data(today)
    dates = [r[2] for r in d["Orders"]]
    assert all(today - dt.timedelta(days=30) <= x < today for x in dates)
    assert dates == sorted(dates)


# ---- the sample book ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    t.build_order_book(path, sample=True, today=TODAY)
    return path


def test_sample_book_tables_cover_their_data(sample_book, data):
    wb = load_workbook(sample_book)
    for spec in t.DATA_SHEETS:
        ws = wb[spec.name]
        (table,) = ws.tables.values()
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        n = len(data[spec.name])
        assert (min_col, min_row, max_col) == (1, 1, len(spec.headers)), spec.name
        assert max_row == max(2, n + 1) == max(2, ws.max_row), spec.name
    settings = wb["Settings"]
    (table,) = settings.tables.values()
    assert range_boundaries(table.ref)[3] == settings.max_row == len(data["Settings"]) + 1


def test_sample_book_round_trips_values(sample_book, data):
    ws = load_workbook(sample_book)["Orders"]
    first = [c.value for c in ws[2]]
    expected = data["Orders"][0]
    assert first[0] == expected[0] and first[2].date() == expected[2]
    products = load_workbook(sample_book)["Products"]
    assert Decimal(str(products["C2"].value)) == data["Products"][0][2]


def test_sample_book_run_shows_every_deliberate_problem(sample_book):
    """End to end through the loader and the pipeline: each promised issue code appears,
    and nothing the sample did not intend (missing rates, unreadable columns)."""
    wb = load_workbook(sample_book)
    raws = {ws.title: block_from_grid(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb}
    loaded = load(raws)
    result = pipeline.run(loaded.book, operation="run", today=TODAY,
                          now=dt.datetime.combine(TODAY, dt.time(9)),
                          bad_rows=loaded.bad_order_rows, prior_issues=loaded.issues)
    codes = Counter(i.code for i in result.issues)
    assert set(DELIBERATE) <= set(codes), codes
    unintended = {"missing_column", "missing_tax_rate", "missing_fx_rate", "no_shipping_rate",
                  "duplicate_key", "missing_value", "bad_date", "bad_number",
                  "unknown_ship_method", "unknown_warehouse", "conflicting_order"}
    assert not unintended & set(codes), codes
