"""Rules pinned before the domain is moved (issue 17).

A mutation run over the domain found these rules guarded by nothing, or only by the golden
whole-run file. Each test below sets up the smallest literal sheet that makes one rule
decide, runs the real rule, and asserts the outcome together with the detail that tells
the rule from a near miss (the cheaper rule in either row; the boundary day; the case of
the Ship Method; the newest shipment line; ...).

The helpers are those of the module tests of each rule, so the tables here read the same.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ordersheet.domain import models as m
from ordersheet.domain import money, pipeline, validation
from ordersheet.domain.dispatch import dispatch
from ordersheet.domain.shipping import plan_shipments

from .factories import DAY, NOW, D, book, customer, line, product, stock
from .test_invoicing import PRODUCTS, price, shipment, sline
from .test_invoicing import run as invoice
from .test_pricing import price_one, rule, tax
from .test_pricing import cust as priced_customer
from .test_reservation import codes as reserve_codes
from .test_reservation import inventory, orders, per_line
from .test_reservation import run as reserve
from .test_shipping import ids, qtys, rate, res

OCT30, NOV1, NOV3 = dt.date(2026, 10, 30), dt.date(2026, 11, 1), dt.date(2026, 11, 3)


# ---- pricing: among tied rules the lowest price wins ----------------------------------

# Price Rules for SKU A (List Price 12), all at the SKU level with Min Qty 1: they tie on
# specificity and Min Qty and differ only in Unit Price. No discount rule to hide the
# choice; the cheaper rule sits last, first, and in the middle.
@pytest.mark.parametrize("prices, winner_row", [
    # Unit Price in rows 5, 6 (, 7)    winning row
    (("9.50", "8.75"), 6),
    (("8.75", "9.50"), 5),
    (("9.50", "8.75", "9.25"), 6),
], ids=["cheaper-last", "cheaper-first", "cheaper-in-the-middle"])
def test_among_tied_price_rules_the_lowest_price_wins(prices, winner_row):
    rules = [rule(row, sku="A", price=p) for row, p in enumerate(prices, start=5)]
    p, issues = price_one(rules=rules)
    assert issues == []
    assert p.unit_price == D("8.75")
    assert p.explain == f"Price Rules row {winner_row}: 8.75 USD"


# ---- reservation: Allow Partial = No and an exact fit ---------------------------------

def test_without_allow_partial_a_line_that_fits_the_free_stock_exactly_is_reserved():
    #              Order   Line Date   SKU      Qty
    lines = orders(("SO-1", 1, OCT30, "A-100", 6),   # 6 > 5 free: nothing, backordered
                   ("SO-2", 1, NOV1, "A-100", 5))    # 5 = 5 free: reserved whole
    r = reserve(lines, inventory(("A-100", "MAIN", 5)), partial=False)
    assert per_line(r) == {("SO-2", 1, "MAIN"): 5}
    assert reserve_codes(r) == [("backordered", "Orders", "F2", "SO-1")]  # not SO-2


# ---- validation: Requested Date on the Order Date -------------------------------------

@pytest.mark.parametrize("requested, found", [
    (DAY - dt.timedelta(days=1), [("requested_before_order", "H2", "SO1")]),
    (DAY, []),                                          # the same day: valid
    (DAY + dt.timedelta(days=1), []),
], ids=["day-before", "same-day", "day-after"])
def test_requested_date_equal_to_the_order_date_is_valid(requested, found):
    b = book(orders=(line("SO1", 1, "A", 1, date=DAY, requested_date=requested, row=2),),
             products=(product("A"),), customers=(customer("C1"),), inventory=(stock("A", 5),))
    v = validation.validate(b)
    assert [(i.code, i.cell, i.order_id) for i in v.issues] == found
    assert v.is_valid(v.lines[0]) == (not found)


# ---- invoicing: Next Invoice Number on a run of used numbers --------------------------

def _invoice_on_sheet(no: str) -> m.Invoice:
    return m.Invoice(invoice_no=no, invoice_date=DAY, due_date=DAY, customer_id="C1",
                     order_id="OLD", shipment_id="SHP-OLD", currency="USD", net=D(1),
                     tax=D(0), total=D(1), balance=D(1))


def test_next_invoice_number_on_a_run_of_used_numbers_skips_them_all():
    # The Invoices sheet holds INV-00001 .. INV-00005; a user set Next Invoice Number back
    # to 3, into the middle of them. Two shipments to invoice.
    used = tuple(_invoice_on_sheet(f"INV-{n:05d}") for n in range(1, 6))
    bk = book(products=PRODUCTS, customers=(customer("C1"),), invoices=used,
              settings=m.Settings(next_invoice_number=3, charge_shipping=False,
                                  cells={"next_invoice_number": "B5"}))
    ships = [shipment("SHP-00001", "O1"), shipment("SHP-00002", "O2")]
    slines = [sline("SHP-00001", "O1", 1, "A-1", 1), sline("SHP-00002", "O2", 1, "A-1", 1)]
    order_lines = [line("O1", 1, "A-1", 1), line("O2", 1, "A-1", 1)]
    prices = {("O1", 1): price("10"), ("O2", 1): price("10")}

    r = invoice(ships, slines, order_lines, prices, bk)

    assert [(i.shipment_id, i.invoice_no) for i in r.invoices] == [
        ("SHP-00001", "INV-00006"), ("SHP-00002", "INV-00007")]
    assert r.next_number == 8
    assert not {i.invoice_no for i in r.invoices} & {i.invoice_no for i in used}
    assert [(i.code, i.sheet, i.cell) for i in r.issues] == [
        ("invoice_number_taken", "Settings", "B5")]


# ---- shipping: numbering by order date, shrinking, dispatch, ship method ---------------

def test_new_shipments_are_numbered_in_order_date_order_not_order_id_order():
    # Order IDs sort one way, Order Dates another (and neither reversed nor sheet order
    # gives the date order).
    #                Order  Line SKU Qty  Order Date
    lines = [line("SO-1", 1, "A", 1, date=NOV3),
             line("SO-2", 1, "A", 1, date=NOV1),
             line("SO-3", 1, "A", 1, date=DAY)]
    reservations = [res("SO-1", 1, "A", 1), res("SO-2", 1, "A", 1), res("SO-3", 1, "A", 1)]
    plan = plan_shipments(lines, reservations, book(products=(product("A"),),
                                                    customers=(customer("C1"),)), DAY)
    assert ids(plan.shipments) == [("SHP-00001", "SO-2", "MAIN", "Ready"),
                                   ("SHP-00002", "SO-3", "MAIN", "Ready"),
                                   ("SHP-00003", "SO-1", "MAIN", "Ready")]


def _ready(sid: str, planned_on: dt.date) -> m.Shipment:
    return m.Shipment(shipment_id=sid, order_id="O1", customer_id="C1", warehouse="MAIN",
                      planned_on=planned_on, status="Ready")


# Two Ready shipments hold units of the same order line: SHP-00001 (planned first, first on
# the Shipment Lines sheet) and SHP-00002 (the newest). Its reservation is then cut.
@pytest.mark.parametrize("reserved, shipments, shipment_lines", [
    (3, [("SHP-00001", "Ready"), ("SHP-00002", "Ready")],
        [("SHP-00001", "O1", 1, 2), ("SHP-00002", "O1", 1, 1)]),
    (2, [("SHP-00001", "Ready"), ("SHP-00002", "Cancelled")],
        [("SHP-00001", "O1", 1, 2)]),
    (1, [("SHP-00001", "Ready"), ("SHP-00002", "Cancelled")],
        [("SHP-00001", "O1", 1, 1)]),
], ids=["reserved-3", "reserved-2", "reserved-1"])
def test_a_shrinking_ready_shipment_gives_back_its_newest_lines_first(
        reserved, shipments, shipment_lines):
    b = book(products=(product("A"),), customers=(customer("C1"),),
             shipments=(_ready("SHP-00001", OCT30), _ready("SHP-00002", NOV1)),
             #                    Shipment     Order Line SKU Qty
             shipment_lines=(sline("SHP-00001", "O1", 1, "A", 2),
                             sline("SHP-00002", "O1", 1, "A", 2)))
    plan = plan_shipments([line("O1", 1, "A", 4)], [res("O1", 1, "A", reserved)], b, DAY)
    assert [(s.shipment_id, s.status) for s in plan.shipments] == shipments
    assert qtys(plan.shipment_lines) == shipment_lines
    assert plan.new_ids == ()


def test_on_hand_reaching_exactly_zero_at_dispatch_is_no_negative_stock():
    inv = (m.StockLevel(sku="A", warehouse="MAIN", on_hand=3, row=2,
                        cols={"sku": "A", "warehouse": "B", "on_hand": "C"}),)
    ready = m.Shipment(shipment_id="SHP-00001", order_id="O1", customer_id="C1",
                       warehouse="MAIN", planned_on=DAY, status="Ready")
    box = sline("SHP-00001", "O1", 1, "A", 3)
    b = book(products=(product("A"),), customers=(customer("C1"),), inventory=inv)
    d = dispatch(b, [res("O1", 1, "A", 3)], [ready], [box], None, DAY, NOW)
    assert d.dispatched == ("SHP-00001",)
    assert [(s.sku, s.warehouse, s.on_hand) for s in d.inventory] == [("A", "MAIN", 0)]
    assert d.reservations == ()
    assert [(e.field, e.change, e.before, e.after) for e in d.ledger] == [
        ("Reserved", -3, 3, 0), ("On Hand", -3, 3, 0)]
    assert d.issues == ()  # 3 - 3 = 0 is not below zero: no negative_stock


# ---- tax from the rounded Net ---------------------------------------------------------

# 2 x 1.013 = 2.026 -> Net 2.03; 2.03 x 19 % = 0.3857 -> Tax 0.39. From the unrounded
# 2.026 the tax would be 0.38494 -> 0.38.
@pytest.mark.parametrize("tax_rounding", ["line", "invoice"])
def test_invoice_line_tax_is_taken_from_the_rounded_net(tax_rounding):
    bk = book(products=PRODUCTS, customers=(customer("C1"),),
              settings=m.Settings(tax_rounding=tax_rounding, charge_shipping=False))
    r = invoice([shipment("SHP-00001", "O1")], [sline("SHP-00001", "O1", 1, "A-1", 2)],
                [line("O1", 1, "A-1", 2)], {("O1", 1): price("1.013", "0.19")}, bk)
    assert [(il.quantity, il.unit_price, il.net, il.tax_rate, il.tax, il.total)
            for il in r.lines] == [(2, D("1.013"), D("2.03"), D("0.19"), D("0.39"), D("2.42"))]
    (inv,) = r.invoices
    assert (inv.net, inv.tax, inv.total) == (D("2.03"), D("0.39"), D("2.42"))


def test_order_line_tax_is_taken_from_the_rounded_net():
    p, issues = price_one(2, products=(product("A", "1.013"),),
                          customers=(priced_customer(country="DE"),),
                          tax_rates=(tax(2, "DE", "standard", "0.19"),))
    assert issues == []
    assert (p.net, p.tax, p.total) == (D("2.03"), D("0.39"), D("2.42"))


@pytest.mark.parametrize("args, mode, amounts", [
    (("1.013", 2, "0.19", "EUR"), "half-up", ("2.03", "0.39", "2.42")),  # tax from 2.03
    (("0.125", 1, "0.1", "USD"), "half-up", ("0.13", "0.01", "0.14")),
    (("0.125", 1, "0.1", "USD"), "half-even", ("0.12", "0.01", "0.13")),
    (("0.25", 1, "0.1", "USD"), "half-even", ("0.25", "0.02", "0.27")),   # tax 0.025
    (("100.5", 3, "0.1", "JPY"), "half-up", ("302", "30", "332")),        # no minor unit
])
def test_line_amounts_is_the_one_rule_both_callers_share(args, mode, amounts):
    unit, qty, rate, ccy = args
    got = money.line_amounts(D(unit), qty, D(rate), ccy, mode)
    assert tuple(map(str, got)) == amounts


# ---- Ship Method matched case-insensitively -------------------------------------------

#               carrier service    cost days
SHIP_RATES = (rate("UPS", "Ground", "8", 5),      # cheapest: what a blank method gets
              rate("UPS", "Express", "25", 1))

# Typed in a case matching neither the sheet's "Express" nor its lower case, so folding
# only one side does not match.
TYPED = "EXPRESS"


def test_ship_method_in_another_case_is_no_unknown_ship_method():
    b = book(orders=(line("SO1", 1, "A", 1, ship_method=TYPED, row=2),),
             products=(product("A"),), customers=(customer("C1"),), inventory=(stock("A", 5),),
             shipping_rates=SHIP_RATES)
    v = validation.validate(b)
    assert v.issues == () and v.is_valid(v.lines[0])


def test_ship_method_in_another_case_picks_that_service():
    b = book(products=(product("A"),), customers=(customer("C1"),), shipping_rates=SHIP_RATES)
    plan = plan_shipments([line("O1", 1, "A", 1, ship_method=TYPED)], [res("O1", 1, "A", 1)],
                          b, DAY)
    assert plan.issues == ()
    assert [(s.carrier, s.service, s.cost) for s in plan.shipments] == [
        ("UPS", "Express", D("25"))]


def test_ship_method_in_another_case_runs_through_to_a_planned_shipment():
    b = book(orders=(line("SO1", 1, "A", 1, ship_method=TYPED, row=2),),
             products=(product("A"),), customers=(customer("C1"),), inventory=(stock("A", 5),),
             shipping_rates=SHIP_RATES)
    r = pipeline.run(b, operation="ship", today=DAY, now=NOW)
    assert r.issues == []
    assert [(s.order_id, s.service, s.cost) for s in r.book.shipments] == [
        ("SO1", "Express", D("25"))]
    assert r.outcomes[2].status == "Reserved"
