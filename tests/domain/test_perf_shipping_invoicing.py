"""Performance shape of planning, dispatch and invoicing (issue 9), without timing anything:
the faster forms (records built a column at a time, the rate index's bisection and
in-time rows, the invoice-line amounts memo, the sort key without a regex, orders found
without sorting) give exactly what the plain forms give. Speed is measured in
benchmarks/, never asserted here."""

from __future__ import annotations

import datetime as dt
import re

from ordersheet.domain import carriers, invoicing, shipping
from ordersheet.domain import dispatch as dispatching
from ordersheet.domain import models as m
from ordersheet.domain.carriers import choose_rate
from ordersheet.domain.dispatch import dispatch
from ordersheet.domain.invoicing import issue_invoices
from ordersheet.domain.models import LinePrice
from ordersheet.domain.money import quantize
from ordersheet.domain.carriers import choose_rate
from ordersheet.domain.dispatch import dispatch
from ordersheet.domain.rates import Rates
from ordersheet.domain.records import build_tuples

from .factories import DAY, NOW, D, book, customer, line, product, stock
from .test_performance_shape import choose_rate_as_written

SHIP_COLS = {"shipment_id": "A", "order_id": "B", "status": "K", "tracking_no": "M"}


# ---- records built a column at a time -----------------------------------------------


def test_built_records_are_the_keyword_built_ones():
    rows = [("SHP-1", "O1", 1, "A", "MAIN", 3), ("SHP-1", "O1", 2, "B", "EAST", 1)]
    built = build_tuples(m.ShipmentLine, shipping._NEW_LINE, rows)
    assert built == [m.ShipmentLine(**dict(zip(shipping._NEW_LINE, r))) for r in rows]
    ledger = build_tuples(m.LedgerEntry, dispatching._LEDGER,
                          [("A", "MAIN", "Reserved", -3, 5, 2, "O1", 1)],
                          timestamp=NOW, operation="dispatch")
    assert ledger == [m.LedgerEntry(timestamp=NOW, operation="dispatch", sku="A",
                                    warehouse="MAIN", field="Reserved", change=-3, before=5,
                                    after=2, order_id="O1", line=1)]
    assert build_tuples(m.ShipmentLine, shipping._NEW_LINE, []) == []
    inv = build_tuples(m.InvoiceLine, invoicing._LINE,
                       [("O1", None, "SHIPPING", "Shipping", 1, D("9.50"), D("0"),
                         D("9.50"), D("0.00"), D("9.50"))], {"invoice_no": ["INV-00001"]})
    assert [(i.invoice_no, i.line, str(i.total)) for i in inv] == [("INV-00001", None, "9.50")]


def test_dispatch_posts_a_shipment_read_from_the_sheet_with_every_cell_kept():
    typed_on = DAY - dt.timedelta(days=2)
    ships = (m.Shipment(shipment_id="SHP-00001", order_id="O1", customer_id="C1",
                        warehouse="MAIN", carrier="UPS", service="Ground", country="US",
                        weight=D("2.50"), cost=D("9.5"), planned_on=DAY - dt.timedelta(5),
                        status="Ready", row=2, cols=SHIP_COLS),
             m.Shipment(shipment_id="SHP-00002", order_id="O2", customer_id="C1",
                        warehouse="MAIN", planned_on=DAY, status="Shipped", shipped_on=typed_on,
                        tracking_no="1Z9", row=3, cols=SHIP_COLS))
    slines = (m.ShipmentLine(shipment_id="SHP-00001", order_id="O1", line=1, sku="A",
                             warehouse="MAIN", quantity=1),
              m.ShipmentLine(shipment_id="SHP-00002", order_id="O2", line=1, sku="A",
                             warehouse="MAIN", quantity=2))
    res = (m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN", quantity=1,
                         reserved_on=DAY),
           m.Reservation(order_id="O2", line=1, sku="A", warehouse="MAIN", quantity=2,
                         reserved_on=DAY))
    inv_cols = {"sku": "A", "on_hand": "C"}
    bk = book(products=(product("A"),), customers=(customer("C1"),),
              inventory=(stock("A", 10, row=2, cols=inv_cols, bin="A-1"),))

    d = dispatch(bk, res, ships, slines, None, DAY, NOW)

    expected = [s.model_copy(update={"status": "Shipped", "shipped_on": s.shipped_on or DAY,
                                     "posted_on": DAY}) for s in ships]
    assert list(d.shipments) == expected
    assert [(s.row, s.cols) for s in d.shipments] == [(2, SHIP_COLS), (3, SHIP_COLS)]
    assert [s.shipped_on for s in d.shipments] == [DAY, typed_on]
    (st,) = d.inventory
    assert (st.on_hand, st.bin, st.row, st.cols, st.cell("on_hand")) == (7, "A-1", 2,
                                                                          inv_cols, "C2")


def test_dispatch_one_and_several_reservation_records_per_line_write_the_same_rows():
    """The usual one record per (order, line, warehouse) takes a shortcut; several records
    are consumed oldest first. Both write what the general walk writes."""
    def run(quantities):
        res = tuple(m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN",
                                  quantity=q, reserved_on=DAY - dt.timedelta(days=n))
                    for n, q in enumerate(quantities))
        ships = (m.Shipment(shipment_id="SHP-00001", order_id="O1", customer_id="C1",
                            warehouse="MAIN", planned_on=DAY),)
        slines = (m.ShipmentLine(shipment_id="SHP-00001", order_id="O1", line=1, sku="A",
                                 warehouse="MAIN", quantity=4),)
        bk = book(products=(product("A"),), inventory=(stock("A", 10),))
        d = dispatch(bk, res, ships, slines, None, DAY, NOW)
        return ([(e.field, e.change, e.before, e.after) for e in d.ledger],
                [(r.quantity, r.reserved_on) for r in d.reservations])

    assert run([5]) == ([("Reserved", -4, 5, 1), ("On Hand", -4, 10, 6)], [(1, DAY)])
    # Oldest (the second record) first: 3 of it, then 1 of the newer one.
    assert run([2, 3]) == ([("Reserved", -4, 5, 1), ("On Hand", -4, 10, 6)], [(1, DAY)])
    # A reservation cut meanwhile: the line consumes what is left, On Hand drops in full.
    assert run([1]) == ([("Reserved", -1, 1, 0), ("On Hand", -4, 10, 6)], [])


# ---- planning ----------------------------------------------------------------------


def _orders_by_sorting(lines):
    """`shipping._orders` as first written: a walk over the lines sorted by (order, line)."""
    out = {}
    for ln in sorted(lines, key=lambda ln: (ln.order_id, ln.line)):
        o = out.get(ln.order_id)
        if o is None:
            o = out[ln.order_id] = shipping._Order(ln.order_id, ln.order_date, ln.customer_id,
                                                   ln)
        if o.method_line is None and (ln.ship_method or "").strip():
            o.method_line = ln
        if ln.requested_date and (o.requested is None or ln.requested_date < o.requested):
            o.requested = ln.requested_date
    return out


def test_orders_found_without_sorting_are_the_ones_the_sorted_walk_finds():
    d1, d2 = DAY, DAY + dt.timedelta(days=1)
    lines = [line("O2", 3, "A", 1, date=d2, ship_method="Express"),
             line("O1", 2, "A", 1, requested_date=d2, ship_method="  "),
             line("O2", 1, "B", 1, date=d1, customer="C2"),
             line("O1", 1, "B", 1, ship_method="Ground", requested_date=d2 + dt.timedelta(3)),
             line("O2", 2, "A", 1, ship_method="ground ", requested_date=d1),
             line("O3", 4, "A", 1, ship_method=None),
             line("O3", 4, "B", 1, ship_method="Parcel", customer="C9")]  # same number twice
    got, keys = shipping._orders(lines)
    expected = _orders_by_sorting(lines)
    assert got.keys() == expected.keys()
    for oid, o in expected.items():
        g = got[oid]
        assert (g.order_date, g.customer_id, g.requested, g.ship_method) == \
            (o.order_date, o.customer_id, o.requested, o.ship_method), oid
        assert g.first is o.first and g.method_line is o.method_line, oid
    assert keys == {ln.key for ln in lines}


def test_in_time_rows_are_kept_per_number_of_days_and_pick_what_the_rule_picks():
    rates = (m.ShippingRate(carrier="UPS", service="Ground", cost=D("5"), transit_days=5,
                            max_weight=D("10")),
             m.ShippingRate(carrier="UPS", service="Express", cost=D("12"), transit_days=1),
             m.ShippingRate(carrier="DHL", service="Parcel", cost=D("7"), transit_days=3,
                            max_weight=D("2")),
             m.ShippingRate(carrier="DHL", service="Freight", cost=D("9"), transit_days=4,
                            country="US"))
    index = carriers.RateIndex(rates)
    for planned in (DAY, DAY + dt.timedelta(days=30)):  # same day counts, other dates
        for days in range(-1, 7):
            for kg in (D("0.5"), D("2"), D("2.00"), D("9.99"), D("10"), D("40")):
                due = planned + dt.timedelta(days=days)
                expected = choose_rate_as_written(rates, "US", kg, planned, due, None)
                assert index.choose("US", kg, planned, due, None) is expected
                assert choose_rate(rates, " us", kg, planned, due, "") is expected
    assert set(index._in_time) == {("US", n) for n in range(-1, 7)}


def test_a_row_whose_transit_days_run_past_the_calendar_never_arrives_in_time():
    # Transit Days of a billion used to overflow the date arithmetic and crash the run.
    rates = (m.ShippingRate(carrier="Slow", service="Boat", cost=D("1"),
                            transit_days=10 ** 9),
             m.ShippingRate(carrier="UPS", service="Ground", cost=D("5"), transit_days=5))
    due = DAY + dt.timedelta(days=6)
    assert carriers.RateIndex(rates).choose("US", D("1"), DAY, due, None) is rates[1]
    assert choose_rate(rates, "US", D("1"), DAY, due, "") is rates[1]


def test_shipment_numbers_are_the_five_digit_format():
    for n in (0, 1, 42, 99999, 100000, 1234567, -3):
        assert shipping.format_shipment_id(n) == f"SHP-{n:05d}"


# ---- invoicing ---------------------------------------------------------------------


def test_invoice_numbers_are_prefix_and_five_digits_the_plain_way():
    for prefix in ("INV-", "", "%d-", "F{0}"):
        for n in (0, 1, 99999, 100000, -3):
            assert invoicing.invoice_number(prefix, n) == f"{prefix}{n:05d}"


_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def test_shipment_order_key_is_the_regex_key():
    for sid in ("SHP-00001", "SHP-100000", "shp-7", "A-1-2", "-5", "SHP-", "SHP-3a", "SHP3",
                "X-12\n", "a\nb-3", "Q-\u0661\u0662", "Q-\u00b2", "", "SHP-00001 ", "--9"):
        shp = m.Shipment(shipment_id=sid, order_id="O", customer_id="C", warehouse="W",
                         planned_on=DAY)
        mt = _TRAILING_NUMBER.match(sid)
        expected = (mt.group(1), int(mt.group(2)), "") if mt else (sid, -1, sid)
        assert invoicing._shipment_order(shp) == expected, repr(sid)


def _plain_amounts(unit, qty, rate, ccy, mode="half-up"):
    net = quantize(unit * qty, ccy, mode)
    tax = quantize(net * rate, ccy, mode)
    return str(net), str(tax), str(net + tax)


def test_line_amounts_remembered_per_key_are_the_amounts_worked_out_afresh():
    """Lines sharing (unit price, quantity, rate, currency) share the memo, also when the
    price or rate is typed with other zeros; signed zeros never share an answer."""
    cases = [  # (unit, qty, rate, currency)
        ("10.5", 3, "0.2", "USD"), ("10.50", 3, "0.20", "USD"), ("10.500000", 3, "0.2", "USD"),
        ("10.5", 3, "0.2", "JPY"), ("10.5", 3, "0.2", "KWD"), ("10.5", 2, "0.2", "USD"),
        ("0.004", 1, "0.2", "USD"), ("-0.004", 1, "0.2", "USD"),
        ("7", 1, "0", "USD"), ("7", 1, "-0", "USD"), ("7", 1, "0.00", "USD"),
        ("0", 5, "0.2", "USD"), ("-0", 5, "0.2", "USD"), ("0.00", 5, "0.2", "USD"),
        ("-2.5", 1, "-0", "USD"), ("-2.5", 1, "0", "USD"),
    ]
    ships, slines, orders, prices = [], [], [], {}
    for n, (unit, qty, rate, ccy) in enumerate(cases, start=1):
        oid, sid = f"O{n}", f"SHP-{n:05d}"
        ships.append(m.Shipment(shipment_id=sid, order_id=oid, customer_id="C1",
                                warehouse="MAIN", planned_on=DAY, status="Shipped",
                                shipped_on=DAY, posted_on=DAY))
        slines.append(m.ShipmentLine(shipment_id=sid, order_id=oid, line=1, sku="A",
                                     warehouse="MAIN", quantity=qty))
        orders.append(line(oid, 1, "A", qty))
        prices[(oid, 1)] = LinePrice(D(unit), D(0), D(rate), D(0), D(0), ccy)
    bk = book(products=(product("A"),), customers=(customer("C1"),))

    r = issue_invoices(ships, slines, {ln.key: ln for ln in orders}, prices, bk, DAY,
                       rates=Rates(bk))

    got = [(str(il.unit_price), str(il.tax_rate), str(il.net), str(il.tax), str(il.total))
           for il in r.lines]
    expected = [(unit, rate) + _plain_amounts(D(unit), qty, D(rate), ccy)
                for unit, qty, rate, ccy in cases]
    assert got == expected
    # Headers sum their lines from zero (0 + -0.00 is 0.00), as they always have.
    zero = D(0)
    assert [str(i.total) for i in r.invoices] == \
        [str((zero + D(e[2])) + (zero + D(e[3]))) for e in expected]


def test_shipping_lines_remembered_per_cost_and_rate_are_worked_out_afresh():
    rates = (m.TaxRate(country="US", tax_class="shipping", rate=D("0.1")),
             m.TaxRate(country="DE", tax_class="shipping", rate=D("-0")))
    bk = book(products=(product("A"),),
              customers=(customer("C1"), customer("C2", country="DE"),
                         customer("C3", tax_exempt=True)),
              tax_rates=rates, settings=m.Settings(charge_shipping=True))
    ships, slines, orders, prices = [], [], [], {}
    cases = [("C1", "9.5"), ("C1", "9.50"), ("C2", "9.5"), ("C3", "9.5"), ("C1", "0.04")]
    for n, (cust, cost) in enumerate(cases, start=1):
        oid, sid = f"O{n}", f"SHP-{n:05d}"
        ships.append(m.Shipment(shipment_id=sid, order_id=oid, customer_id=cust,
                                warehouse="MAIN", carrier="UPS", service="Ground",
                                cost=D(cost), planned_on=DAY, status="Shipped",
                                shipped_on=DAY, posted_on=DAY))
        slines.append(m.ShipmentLine(shipment_id=sid, order_id=oid, line=1, sku="A",
                                     warehouse="MAIN", quantity=1))
        orders.append(line(oid, 1, "A", 1, customer=cust))
        prices[(oid, 1)] = LinePrice(D("10"), D(0), D("0"), D(0), D(0), "USD")

    r = issue_invoices(ships, slines, {ln.key: ln for ln in orders}, prices, bk, DAY,
                       rates=Rates(bk))

    shipping_lines = [(str(il.net), str(il.tax_rate), str(il.tax), str(il.total))
                      for il in r.lines if il.sku == "SHIPPING"]
    assert shipping_lines == [("9.50", "0.1", "0.95", "10.45"), ("9.50", "0.1", "0.95", "10.45"),
                              ("9.50", "-0", "-0.00", "9.50"), ("9.50", "0", "0.00", "9.50"),
                              ("0.04", "0.1", "0.00", "0.04")]
    assert [str(i.shipping) for i in r.invoices] == ["9.50", "9.50", "9.50", "9.50", "0.04"]
