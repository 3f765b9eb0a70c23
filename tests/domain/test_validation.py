"""Validation of order lines against master data: codes land on the right cells."""

import datetime as dt

from ordersheet.domain import validation
from ordersheet.domain.models import ShippingRate
from tests.domain.factories import DAY, book, customer, line, product, stock


def _book(*lines, **kw):
    kw.setdefault("products", (product("A"), product("B"), product("OLD", active=False)))
    kw.setdefault("customers", (customer("C1"), customer("C2")))
    kw.setdefault("inventory", (stock("A", 5), stock("B", 5, "EAST")))
    return book(orders=tuple(lines), **kw)


def codes(v):
    return sorted((i.code, i.cell, i.order_id) for i in v.issues)


def test_a_good_order_has_no_issue():
    v = validation.validate(_book(line("SO1", 1, "A", 2, row=2)))
    assert v.issues == () and v.invalid_orders == frozenset()


def test_each_master_data_check_points_at_its_cell():
    v = validation.validate(_book(
        line("SO1", 1, "ZZZ", 1, row=2),
        line("SO2", 1, "A", 1, customer="C9", row=3),
        line("SO3", 1, "OLD", 1, row=4),
        line("SO4", 1, "A", 1, warehouse="WEST", row=5),
        line("SO5", 1, "A", 1, requested_date=DAY - dt.timedelta(days=1), row=6),
    ))
    assert codes(v) == [
        ("inactive_sku", "E4", "SO3"), ("requested_before_order", "H6", "SO5"),
        ("unknown_customer", "D3", "SO2"), ("unknown_sku", "E2", "SO1"),
        ("unknown_warehouse", "J5", "SO4")]
    assert v.invalid_orders == {"SO1", "SO2", "SO3", "SO4", "SO5"}


def test_one_bad_line_makes_its_whole_order_invalid_and_others_go_on():
    b = _book(line("SO1", 1, "A", 1, row=2), line("SO1", 2, "ZZZ", 1, row=3),
              line("SO2", 1, "B", 1, row=4))
    v = validation.validate(b)
    assert [v.is_valid(ln) for ln in v.lines] == [False, False, True]


def test_lines_sharing_an_order_id_must_agree_on_date_and_customer():
    v = validation.validate(_book(
        line("SO1", 1, "A", 1, row=2),
        line("SO1", 2, "B", 1, customer="C2", date=DAY + dt.timedelta(days=1), row=3)))
    assert codes(v) == [("conflicting_order", "C3", "SO1"), ("conflicting_order", "D3", "SO1")]


def test_duplicate_order_line_key():
    v = validation.validate(_book(line("SO1", 1, "A", 1, row=2), line("SO1", 1, "B", 1, row=3)))
    assert codes(v) == [("duplicate_key", "B3", "SO1")]


def test_unknown_ship_method_only_when_there_is_a_shipping_rates_sheet():
    ln = line("SO1", 1, "A", 1, ship_method="Teleport", row=2)
    assert validation.validate(_book(ln)).issues == ()
    rates = (ShippingRate(carrier="UPS", service="Ground", cost=5),)
    v = validation.validate(_book(ln, shipping_rates=rates))
    assert codes(v) == [("unknown_ship_method", "K2", "SO1")]
    ok = line("SO1", 1, "A", 1, ship_method="ground", row=2)
    assert validation.validate(_book(ok, shipping_rates=rates)).issues == ()


def test_blank_line_numbers_are_filled_per_order_in_sheet_order():
    lines = (line("SO1", None, "A", 1, row=2), line("SO1", 3, "B", 1, row=3),
             line("SO2", None, "A", 1, row=4), line("SO1", None, "B", 1, row=5))
    v = validation.validate(_book(*lines))
    assert [(ln.order_id, ln.line) for ln in v.lines] == [
        ("SO1", 4), ("SO1", 3), ("SO2", 1), ("SO1", 5)]
    assert v.numbered == {2, 4, 5}


def test_cancelled_lines_are_not_checked():
    v = validation.validate(_book(line("SO1", 1, "ZZZ", 1, row=2, status_in="Cancelled")))
    assert v.issues == () and not v.is_valid(v.lines[0])


def test_master_data_duplicates_keep_the_first_row():
    b = _book(line("SO1", 1, "A", 1, row=2),
              products=(product("A", "10", row=2, cols={"sku": "A"}),
                        product("A", "99", row=3, cols={"sku": "A"})))
    deduped, issues = validation.dedupe(b)
    assert [(i.code, i.sheet, i.cell) for i in issues] == [("duplicate_key", "Products", "A3")]
    assert [str(p.list_price) for p in deduped.products] == ["10"]
