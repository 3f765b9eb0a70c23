"""Performance shape of pricing, credit, reservation and validation (issue 9), without
timing anything: the memos, shortcuts and column-wise record building those steps use give
exactly what the plain rule gives. Speed itself is measured in benchmarks/."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from ordersheet.domain import credit, pricing
from ordersheet.domain import models as m
from ordersheet.domain.rates import Rates
from ordersheet.domain.reservation import reserve
from ordersheet.domain.validation import number_lines

from .factories import DAY, NOW, D, book, customer, line, product, stock
from .test_pricing import fx, price_lines, rule


def tax(row: int, country: str, cls: str, rate: str) -> m.TaxRate:
    return m.TaxRate(country=country, tax_class=cls, rate=D(rate), row=row)


# ---- pricing: memos per quote, per LinePrice, per level --------------------------------


def random_book(rng: random.Random) -> tuple[m.OrderBook, list[m.OrderLine]]:
    """A small book whose lines often share SKU, customer, quantity and date (so they share
    memo entries) and whose rules mix levels, Min Qty, validity dates and currencies."""
    skus = ["A", "B", "C"]
    products = tuple(product(s, rng.choice(["12", "9.99", "0.333"]),
                             tax_class=rng.choice(["standard", "reduced"])) for s in skus)
    customers = tuple(customer(c, country=rng.choice(["US", "DE"]),
                               currency=rng.choice(["", "EUR", "JPY", "CHF"]),
                               discount=rng.choice([None, D("0.05")]),
                               tax_exempt=rng.random() < 0.2, row=i + 2)
                      for i, c in enumerate(["C1", "C2", "C3"]))
    rules = [rule(i + 2, sku=rng.choice([None, *skus]), cust=rng.choice([None, "C1", "C2"]),
                  min_qty=rng.choice([1, 1, 5]),
                  price=rng.choice([None, "8", "7.5"]), disc=rng.choice(["0.1", "0.25"]),
                  ccy=rng.choice(["", "EUR", "CHF"]),
                  valid_from=rng.choice([None, DAY]), valid_to=rng.choice([None, DAY]))
             for i in range(rng.randint(0, 6))]
    b = book(products=products, customers=customers, price_rules=tuple(rules),
             fx_rates=(fx(2, "EUR", "0.92"), fx(3, "JPY", "151.5")),
             tax_rates=(tax(2, "US", "standard", "0"), tax(3, "DE", "standard", "0.19")),
             settings=m.Settings(rounding_mode=rng.choice(["half-up", "half-even"])))
    lines = [line(f"O{n}", 1, rng.choice(skus), rng.choice([1, 5, 6]),
                  customer=rng.choice(["C1", "C2", "C3"]),
                  date=DAY + dt.timedelta(days=rng.choice([-1, 0, 1])), row=n + 2)
             for n in range(12)]
    return b, lines


@pytest.mark.parametrize("seed", range(60))
def test_pricing_lines_together_gives_each_line_what_pricing_it_alone_gives(seed):
    b, lines = random_book(random.Random(seed))
    together, _ = price_lines(lines, b)
    for ln in lines:
        alone, _ = price_lines([ln], b)
        assert repr(together.get(ln.key)) == repr(alone.get(ln.key))


def test_equal_lines_share_one_price_record_and_others_get_their_own():
    b = book(products=(product("A", "12"),),
             customers=(customer("C1"), customer("C2"), customer("C3", currency="EUR")),
             fx_rates=(fx(2, "EUR", "0.9"),),
             tax_rates=(tax(2, "US", "standard", "0.1"),))
    lines = [line("O1", 1, "A", 2, customer="C1"), line("O2", 1, "A", 2, customer="C2"),
             line("O3", 1, "A", 3, customer="C1"), line("O4", 1, "A", 2, customer="C3")]
    prices, issues = price_lines(lines, b)
    assert issues == []
    p1, p2, p3, p4 = (prices[ln.key] for ln in lines)
    assert p1 is p2  # same quote, Quantity and rate: one immutable record
    assert (p1.net, p1.tax, p1.total) == (D("24.00"), D("2.40"), D("26.40"))
    assert (p3.net, p3.total) == (D("36.00"), D("39.60"))
    assert (p4.unit_price, p4.net, p4.currency) == (D("10.8"), D("21.60"), "EUR")


def test_a_rule_for_one_sku_and_customer_leaves_the_customers_other_skus_at_list():
    rules = (rule(2, sku="A", cust="C1", price="5"),)
    b = book(products=(product("A", "12"), product("B", "7")), customers=(customer("C1"),),
             price_rules=rules)
    prices, _ = price_lines([line("O1", 1, "A", 1), line("O1", 2, "B", 1)], b)
    assert prices[("O1", 1)].unit_price == D(5)
    assert (prices[("O1", 2)].unit_price, prices[("O1", 2)].explain) == (
        D(7), "List Price 7.00 USD")
    p = pricing.Pricer(b, Rates(b))
    assert p.reaches("A", "C1") and not p.reaches("B", "C1") and not p.reaches("A", "C2")
    assert p._candidates("B", "C1", 1, DAY) == ()


@pytest.mark.parametrize("qty, day, expected", [
    (1, DAY, "9"),                                      # undated group, Min Qty 1
    (10, DAY, "8"),                                     # dated group, in its window
    (10, DAY + dt.timedelta(days=1), "9"),              # dated group out of window: next
    (10, DAY - dt.timedelta(days=1), "9"),
])
def test_an_undated_group_answers_for_every_date_and_a_dated_one_per_date(qty, day,
                                                                        expected):
    rules = (rule(2, sku="A", price="9"),
             rule(3, sku="A", min_qty=10, price="8", valid_from=DAY, valid_to=DAY))
    b = book(products=(product("A", "12"),), customers=(customer("C1"),),
             price_rules=rules)
    # Lines on other dates and quantities in the same run share the level's memos.
    others = [line("X1", 1, "A", 10, date=DAY), line("X2", 1, "A", 10, date=day),
              line("X3", 1, "A", 1, date=day)]
    prices, _ = price_lines(others + [line("O1", 1, "A", qty, date=day)], b)
    assert prices[("O1", 1)].unit_price == D(expected)


def test_half_even_unit_price_is_explained_with_the_half_up_figure():
    # 1 USD x 1.0000025 = 1.0000025 EUR: half-even keeps 1.000002, the text shows 1.000003.
    b = book(products=(product("A", "1"),), customers=(customer("C1", currency="EUR"),),
             fx_rates=(fx(2, "EUR", "1.0000025"),),
             settings=m.Settings(rounding_mode="half-even"))
    prices, _ = price_lines([line("O1", 1, "A", 1)], b)
    p = prices[("O1", 1)]
    assert p.unit_price == D("1.000002")
    assert p.explain == ("List Price 1.00 USD; × 1.0000025 EUR/USD (FX Rates row 2) "
                         "→ 1.000003 EUR")


# ---- credit: only checked customers' orders are grouped --------------------------------


def test_an_orders_customer_is_its_first_lines_even_when_another_is_on_hold():
    lines = [line("O1", 2, "A", 1, customer="C1", row=2),   # C1 is On Hold ...
             line("O1", 1, "A", 1, customer="C2", row=3),   # ... but O1's first line is C2's
             line("O2", 2, "A", 1, customer="C2", row=4),
             line("O2", 1, "A", 1, customer="C1", row=5)]   # O2's first line is C1's
    b = book(products=(product("A", "100"),),
             customers=(customer("C1", on_hold=True), customer("C2")))
    prices, _ = price_lines(lines, b)
    holds, issues = credit.check_credit(lines, prices, b, rates=Rates(b))
    assert holds == {"O2": credit.ON_HOLD}
    assert [(i.code, i.cell, i.order_id) for i in issues] == [
        ("customer_on_hold", "D5", "O2")]


# ---- reservation: records built a column at a time -------------------------------------


def test_reserved_records_are_the_ones_keyword_construction_makes():
    b = book(inventory=(stock("A", 3, "MAIN"), stock("A", 5, "EAST")),
             settings=m.Settings(allocation_policy="fifo", allow_partial=True))
    r = reserve([line("SO-1", 1, "A", 6)], b, {}, DAY, NOW)
    assert list(r.reservations) == [
        m.Reservation(order_id="SO-1", line=1, sku="A", warehouse="MAIN", quantity=3,
                      reserved_on=DAY),
        m.Reservation(order_id="SO-1", line=1, sku="A", warehouse="EAST", quantity=3,
                      reserved_on=DAY)]
    assert list(r.ledger) == [
        m.LedgerEntry(timestamp=NOW, operation="reserve", sku="A", warehouse=wh,
                      field="Reserved", change=3, before=0, after=3, order_id="SO-1", line=1)
        for wh in ("MAIN", "EAST")]
    assert all(x.row == 0 and x.cols is m.NO_COLS for x in r.reservations + r.ledger)


def test_todays_record_grows_in_place_while_new_records_follow_in_turn_order():
    held = (m.Reservation(order_id="SO-1", line=1, sku="A", warehouse="MAIN", quantity=1,
                          reserved_on=DAY),
            m.Reservation(order_id="SO-0", line=1, sku="A", warehouse="MAIN", quantity=1,
                          reserved_on=DAY - dt.timedelta(days=1)))
    b = book(inventory=(stock("A", 4, "MAIN"), stock("A", 5, "EAST")), reservations=held)
    lines = [line("SO-0", 1, "A", 1, date=DAY - dt.timedelta(days=1)),
             line("SO-1", 1, "A", 4), line("SO-2", 1, "A", 2)]
    r = reserve(lines, b, {}, DAY, NOW)
    assert [(x.order_id, x.warehouse, x.quantity, x.reserved_on) for x in r.reservations] == [
        ("SO-1", "MAIN", 3, DAY),                                # grew from 1
        ("SO-0", "MAIN", 1, DAY - dt.timedelta(days=1)),
        ("SO-1", "EAST", 1, DAY),                                # new, SO-1's turn
        ("SO-2", "EAST", 2, DAY)]
    assert [(e.order_id, e.warehouse, e.change, e.before, e.after) for e in r.ledger] == [
        ("SO-1", "MAIN", 2, 2, 4), ("SO-1", "EAST", 1, 0, 1), ("SO-2", "EAST", 2, 1, 3)]


def test_a_line_partly_shipped_or_held_wants_only_what_is_still_missing():
    held = (m.Reservation(order_id="SO-1", line=1, sku="A", warehouse="MAIN", quantity=2,
                          reserved_on=DAY - dt.timedelta(days=1)),)
    b = book(inventory=(stock("A", 10, "MAIN"),), reservations=held)
    lines = [line("SO-1", 1, "A", 5), line("SO-2", 1, "A", 4), line("SO-3", 1, "A", 3)]
    r = reserve(lines, b, {("SO-2", 1): 3}, DAY, NOW)  # 3 of SO-2's 4 units have left
    assert [(x.order_id, x.quantity) for x in r.reservations] == [
        ("SO-1", 2), ("SO-1", 3), ("SO-2", 1), ("SO-3", 3)]


# ---- validation: numbering touches only the orders that need it ------------------------


def test_numbering_fills_the_blank_lines_of_their_orders_and_leaves_others_alone():
    lines = (line("O1", 1, "A", 1, row=2), line("O1", None, "A", 1, row=3),
             line("O2", 4, "A", 1, row=4), line("O1", 3, "A", 1, row=5),
             line("O1", None, "A", 1, row=6), line("O3", None, "A", 1, row=7))
    out, numbered = number_lines(lines, skip_rows={7})
    assert [ln.line for ln in out] == [1, 4, 4, 3, 5, None]
    assert numbered == {3, 6}
    assert all(out[i] is lines[i] for i in (0, 2, 3, 5))
    same, none = number_lines(lines[:1])
    assert same == lines[:1] and none == frozenset()
