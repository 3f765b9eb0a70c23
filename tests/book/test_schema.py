"""Cell coercion, as CONTRACT §2 states it: one row per rule."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from ordersheet.book import schema as s
from ordersheet.book.raw import CellError, RawSheet, block_from_grid, col_letter, split_a1


@pytest.mark.parametrize("header,expected", [
    ("Order ID", "orderid"), ("order_id", "orderid"), ("OrderId", "orderid"),
    ("order-id", "orderid"), ("Order #", "order"), (" Unit.Price ", "unitprice"),
    ("Discount %", "discount%"),
])
def test_headers_match_ignoring_case_spaces_and_punctuation(header, expected):
    assert s.norm(header) == expected


@pytest.mark.parametrize("cell,expected", [
    (12, D(12)), (12.5, D("12.5")), (0.1, D("0.1")), ("12", D(12)), ("1,234.50", D("1234.50")),
    (" 7 ", D(7)), ("$9.99", D("9.99")), ("(5)", D(-5)), (48.0, D("48.0")),
])
def test_numbers_and_numbers_as_text(cell, expected):
    assert s.to_decimal(cell) == expected


@pytest.mark.parametrize("cell", ["abc", "1.2.3", "12,34", True, CellError("#N/A"), "",
                                  float("nan"), dt.date(2026, 1, 1)])
def test_not_numbers(cell):
    with pytest.raises(s.Bad) as e:
        s.to_decimal(cell)
    assert e.value.code == "bad_number"


@pytest.mark.parametrize("cell,expected", [(48.0, 48), ("3", 3), (1, 1), ("1,000", 1000)])
def test_quantities_whole_numbers_that_arrive_as_floats(cell, expected):
    assert s.to_quantity(cell) == expected


@pytest.mark.parametrize("cell", [0, -1, 2.5, "two", "0.5", CellError("#REF!")])
def test_bad_quantities(cell):
    with pytest.raises(s.Bad) as e:
        s.to_quantity(cell)
    assert e.value.code == "bad_quantity"


@pytest.mark.parametrize("cell,expected", [
    (dt.datetime(2026, 11, 3, 0, 0), dt.date(2026, 11, 3)),
    (dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
    ("2026-11-03", dt.date(2026, 11, 3)),
    ("2026-11-03T00:00:00.000Z", dt.date(2026, 11, 3)),  # Office.js date cells
    (46329.0, dt.date(2026, 11, 3)),  # serial from a cell without a date format
])
def test_dates(cell, expected):
    assert s.to_date(cell) == expected


@pytest.mark.parametrize("cell", ["03/11/2026", "2026-13-01", "tomorrow", 12, True])
def test_bad_dates(cell):
    with pytest.raises(s.Bad) as e:
        s.to_date(cell)
    assert e.value.code == "bad_date"


@pytest.mark.parametrize("cell,expected", [
    (0.1, D("0.1")), (10, D("0.1")), (1, D("0.01")), ("10%", D("0.1")), ("7.5 %", D("0.075")),
    ("0.2", D("0.2")), (0, D(0)),
])
def test_percent_rule(cell, expected):
    assert s.to_percent(cell) == expected


@pytest.mark.parametrize("cell,expected", [
    ("Yes", True), ("y", True), ("TRUE", True), (1, True), (True, True),
    ("No", False), ("N", False), ("false", False), (0, False), (0.0, False),
])
def test_yes_no_words(cell, expected):
    assert s.to_bool(cell) is expected


def test_yes_no_rejects_other_words():
    with pytest.raises(s.Bad):
        s.to_bool("maybe")


def test_priority_accepts_case_and_prefix():
    assert s.to_priority("high") == "High"
    assert s.to_priority("LOW") == "Low"
    with pytest.raises(s.Bad):
        s.to_priority("Urgent")


def test_text_keeps_formulas_as_text_and_whole_floats_as_ids():
    assert s.to_text("=1+1") == "=1+1"
    assert s.to_text(1001.0) == "1001"


def test_a1_helpers():
    assert col_letter(1) == "A" and col_letter(27) == "AA" and col_letter(16384) == "XFD"
    assert split_a1("$E$7") == (7, 5)


def test_block_under_first_non_empty_row_with_offset():
    grid = [[None, None, None], [None, "SKU", "On Hand"], [None, "A", 3], [None, None, None]]
    raw = block_from_grid("Inventory", grid)
    assert (raw.header_row, raw.first_col) == (2, 2)
    assert raw.header == ["SKU", "On Hand"] and raw.rows == [["A", 3]]


def test_parse_sheet_reports_every_problem_with_its_cell():
    raw = RawSheet("Products", 1, 1, ["sku", "List-Price", "ACTIVE"],
                   [["A", "12", "yes"], ["", "x", "maybe"], ["C", "3.5", None]])
    parsed = s.parse_sheet(raw, s.PRODUCTS)
    codes = sorted((i.code, i.cell) for i in parsed.issues)
    assert codes == [("bad_number", "B3"), ("bad_value", "C3"), ("missing_value", "A3")]
    good = [r for r in parsed.records if r["_i"] not in parsed.bad_rows]
    assert [(r["sku"], r["list_price"], r["active"]) for r in good] == [
        ("A", D(12), True), ("C", D("3.5"), True)]


def test_missing_required_column_makes_the_sheet_unusable():
    raw = RawSheet("Products", 1, 1, ["SKU", "Description"], [["A", "x"]])
    parsed = s.parse_sheet(raw, s.PRODUCTS)
    assert not parsed.usable
    assert [(i.code, i.cell) for i in parsed.issues] == [("missing_column", "C1")]


def test_settings_key_value():
    raw = RawSheet("Settings", 1, 1, ["Key", "Value"], [
        ["Base Currency", "eur"], ["Next Invoice Number", 41.0], ["Allow Partial", "No"],
        ["Allocation Policy", "lifo"], ["Restocking Fee %", 15]])
    settings, issues, where = s.parse_settings(raw)
    assert settings.base_currency == "EUR" and settings.next_invoice_number == 41
    assert settings.allow_partial is False and settings.restocking_fee == D("0.15")
    assert settings.allocation_policy == "fifo"  # the bad value falls back to the default
    assert [(i.code, i.cell) for i in issues] == [("bad_value", "B5")]
    assert where["next_invoice_number"] == (3, 2)


cell_values = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(), st.datetimes(), st.sampled_from([CellError("#N/A"), CellError("#REF!")]),
    st.sampled_from(["1,234.5", "10%", "2026-11-03", "=SUM(A1)", "yes", "High", "  "]))


@given(st.lists(st.lists(cell_values, min_size=12, max_size=12), max_size=8))
def test_any_orders_cells_never_raise_and_each_row_is_a_record_or_an_issue(rows):
    raw = RawSheet("Orders", 1, 1, s.ORDERS.headers, rows)
    parsed = s.parse_sheet(raw, s.ORDERS)
    nonblank = [i for i, r in enumerate(rows) if not all(s.is_blank(v) for v in r)]
    assert [r["_i"] for r in parsed.records] == nonblank
    for i in parsed.bad_rows:
        row = raw.header_row + 1 + i
        assert any(iss.cell.endswith(str(row)) for iss in parsed.issues)
    for r in parsed.records:
        if r["_i"] in parsed.bad_rows:
            continue
        assert isinstance(r["quantity"], int) and r["quantity"] > 0
        assert isinstance(r["order_date"], dt.date)
        assert r["unit_price"] is None or isinstance(r["unit_price"], D)
