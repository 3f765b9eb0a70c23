"""Shipment planning and numbering (CONTRACT §4 "Shipping", §5 Shipments): planned
shipments follow their reservations, and across planning and dispatch numbers stay
gapless and nothing ships twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from ordersheet.domain import models as m
from ordersheet.domain.dispatch import dispatch
from ordersheet.domain.shipping import plan_shipments, shipment_number

from .factories import DAY, NOW, D, book, customer, line, product, stock
from .test_carriers import RATES, rate


def res(order_id: str, ln: int, sku: str, qty: int, wh: str = "MAIN",
        on: dt.date = DAY) -> m.Reservation:
    return m.Reservation(order_id=order_id, line=ln, sku=sku, warehouse=wh, quantity=qty,
                         reserved_on=on)


def ids(shipments) -> list[tuple[str, str, str, str]]:
    """(Shipment ID, Order ID, Warehouse, Status) as the Shipments sheet shows them."""
    return [(s.shipment_id, s.order_id, s.warehouse, s.status) for s in shipments]


def qtys(shipment_lines) -> list[tuple[str, str, int, int]]:
    return [(sl.shipment_id, sl.order_id, sl.line, sl.quantity) for sl in shipment_lines]


def after(b: m.OrderBook, plan) -> m.OrderBook:
    return b.model_copy(update={"shipments": plan.shipments,
                                "shipment_lines": plan.shipment_lines})


def _book(**kw) -> m.OrderBook:
    kw.setdefault("products", (product("A", weight="1.5"), product("B", weight="0.25")))
    kw.setdefault("customers", (customer("C1", country="US"), customer("C2", country="DE")))
    return book(**kw)


def _dispatch(b, select, today=DAY):
    """Dispatch of the book's own records, as the pipeline calls it (also test_dispatch.py)."""
    return dispatch(b, b.reservations, b.shipments, b.shipment_lines, select, today, NOW)


def _post(b, d):
    return b.model_copy(update={"shipments": d.shipments, "reservations": d.reservations,
                                "inventory": d.inventory})


# ---- planning -------------------------------------------------------------------------


def test_plan_groups_per_order_and_warehouse_and_numbers_by_order_date():
    lines = [line("O2", 1, "A", 5, date=DAY),
             line("O1", 1, "A", 2, date=DAY - dt.timedelta(days=1), customer="C2"),
             line("O1", 2, "B", 4, date=DAY - dt.timedelta(days=1), customer="C2")]
    reservations = [res("O2", 1, "A", 3, "MAIN"), res("O2", 1, "A", 2, "EAST"),
                    res("O1", 1, "A", 2), res("O1", 2, "B", 4)]
    plan = plan_shipments(lines, reservations, _book(), DAY)
    assert ids(plan.shipments) == [("SHP-00001", "O1", "MAIN", "Ready"),
                                   ("SHP-00002", "O2", "EAST", "Ready"),
                                   ("SHP-00003", "O2", "MAIN", "Ready")]
    assert plan.new_ids == ("SHP-00001", "SHP-00002", "SHP-00003")
    assert qtys(plan.shipment_lines) == [("SHP-00001", "O1", 1, 2), ("SHP-00001", "O1", 2, 4),
                                         ("SHP-00002", "O2", 1, 2), ("SHP-00003", "O2", 1, 3)]
    s1, s2, s3 = plan.shipments
    assert (s1.weight, s1.country, s1.customer_id, s1.planned_on) == (D("4"), "DE", "C2", DAY)
    assert (s3.weight, s3.country) == (D("4.5"), "US")
    # No Shipping Rates sheet: no carrier, no cost, no error.
    assert {(s.carrier, s.service, s.cost) for s in plan.shipments} == {("", "", D(0))}
    assert plan.issues == ()


def test_plan_ships_only_reserved_quantity_of_servable_lines():
    lines = [line("O1", 1, "A", 10)]
    reservations = [res("O1", 1, "A", 4), res("HELD", 1, "A", 2)]
    plan = plan_shipments(lines, reservations, _book(), DAY)
    assert qtys(plan.shipment_lines) == [("SHP-00001", "O1", 1, 4)]


def test_plan_picks_the_carrier_and_the_first_ship_method_of_the_order():
    due = DAY + dt.timedelta(days=3)
    lines = [line("O1", 1, "A", 1, requested_date=DAY + dt.timedelta(days=20)),
             line("O1", 2, "B", 1, requested_date=due),
             line("O2", 1, "A", 1), line("O2", 2, "A", 1, ship_method="express")]
    reservations = [res("O1", 1, "A", 1), res("O1", 2, "B", 1), res("O2", 1, "A", 1),
                    res("O2", 2, "A", 1)]
    plan = plan_shipments(lines, reservations, _book(shipping_rates=tuple(RATES)), DAY)
    got = [(s.order_id, s.carrier, s.service, s.cost) for s in plan.shipments]
    # O1: earliest requested date is in 3 days -> Parcel; O2: the line's ship method.
    assert got == [("O1", "DHL", "Parcel", D("12")), ("O2", "UPS", "Express", D("25"))]


def test_no_shipping_rate_ships_nothing_of_that_order_and_keeps_numbers_gapless():
    rates = (rate("UPS", "Ground", "8", 5, "US"),)
    lines = [line("O1", 1, "A", 1, customer="C2", row=2), line("O1", 2, "B", 1, customer="C2",
                                                               row=3),
             line("O2", 1, "A", 1, row=4),
             line("O3", 1, "A", 1, row=5), line("O3", 2, "A", 1, row=6, ship_method="Express")]
    reservations = [res("O1", 1, "A", 1), res("O1", 2, "B", 1, "EAST"), res("O2", 1, "A", 1),
                    res("O3", 1, "A", 1), res("O3", 2, "A", 1)]
    plan = plan_shipments(lines, reservations, _book(shipping_rates=rates), DAY)
    assert ids(plan.shipments) == [("SHP-00001", "O2", "MAIN", "Ready")]
    assert {sl.order_id for sl in plan.shipment_lines} == {"O2"}
    found = [(i.code, i.severity.value, i.sheet, i.cell, i.order_id) for i in plan.issues]
    assert found == [("no_shipping_rate", "Error", "Orders", "D2", "O1"),   # Customer ID cell
                     ("no_shipping_rate", "Error", "Orders", "K6", "O3")]   # Ship Method cell


def test_numbering_continues_after_the_highest_existing_number():
    old = (m.Shipment(shipment_id="SHP-00007", order_id="OLD", customer_id="C1",
                      warehouse="MAIN", planned_on=DAY, status="Cancelled"),
           m.Shipment(shipment_id="MY-99", order_id="OLD", customer_id="C1",
                      warehouse="MAIN", planned_on=DAY, status="Shipped", posted_on=DAY))
    plan = plan_shipments([line("O1", 1, "A", 1)], [res("O1", 1, "A", 1)],
                          _book(shipments=old), DAY)
    assert ids(plan.shipments)[:2] == ids(old)
    assert plan.new_ids == ("SHP-00008",)


def test_second_plan_adds_nothing_and_more_reserved_grows_the_ready_shipment():
    rates = (rate("UPS", "Light", "5", 2, "*", "4"), rate("UPS", "Heavy", "9", 2))
    b = _book(shipping_rates=rates)
    lines = [line("O1", 1, "A", 4), line("O1", 2, "B", 4)]
    first = plan_shipments(lines, [res("O1", 1, "A", 2)], b, DAY)
    assert first.new_ids == ("SHP-00001",)
    assert (first.shipments[0].weight, first.shipments[0].service) == (D("3"), "Light")

    again = plan_shipments(lines, [res("O1", 1, "A", 2)], after(b, first), DAY)
    assert again.new_ids == () and again.shipments == first.shipments
    assert again.shipment_lines == first.shipment_lines

    later = DAY + dt.timedelta(days=1)
    more = [res("O1", 1, "A", 2), res("O1", 1, "A", 1, on=later), res("O1", 2, "B", 4, on=later)]
    grown = plan_shipments(lines, more, after(b, again), later)
    assert grown.new_ids == ()
    assert qtys(grown.shipment_lines) == [("SHP-00001", "O1", 1, 3), ("SHP-00001", "O1", 2, 4)]
    s = grown.shipments[0]
    assert (s.shipment_id, s.weight, s.service, s.cost, s.planned_on) == \
        ("SHP-00001", D("5.5"), "Heavy", D("9"), DAY)


def test_released_reservation_shrinks_then_cancels_the_ready_shipment():
    b = _book()
    lines = [line("O1", 1, "A", 4), line("O1", 2, "B", 4)]
    first = plan_shipments(lines, [res("O1", 1, "A", 4), res("O1", 2, "B", 4)], b, DAY)

    shrunk = plan_shipments(lines, [res("O1", 1, "A", 1)], after(b, first), DAY)
    assert qtys(shrunk.shipment_lines) == [("SHP-00001", "O1", 1, 1)]
    assert (shrunk.shipments[0].status, shrunk.shipments[0].weight) == ("Ready", D("1.5"))

    gone = plan_shipments(lines, [], after(b, shrunk), DAY)
    assert ids(gone.shipments) == [("SHP-00001", "O1", "MAIN", "Cancelled")]
    assert gone.shipment_lines == ()

    # The cancelled number is never reused.
    again = plan_shipments(lines, [res("O1", 1, "A", 2)], after(b, gone), DAY)
    assert again.new_ids == ("SHP-00002",)


def test_posted_shipments_no_longer_hold_stock():
    b = _book(inventory=(stock("A", 10),))
    lines = [line("O1", 1, "A", 5)]
    first = plan_shipments(lines, [res("O1", 1, "A", 2)], b, DAY)
    d = dispatch(after(b, first), [res("O1", 1, "A", 2)], first.shipments,
                 first.shipment_lines, None, DAY, NOW)
    assert d.reservations == ()
    b2 = after(b, first).model_copy(update={"shipments": d.shipments})
    nxt = plan_shipments(lines, [res("O1", 1, "A", 3)], b2, DAY)
    assert nxt.new_ids == ("SHP-00002",)
    assert qtys(nxt.shipment_lines) == [("SHP-00001", "O1", 1, 2), ("SHP-00002", "O1", 1, 3)]


# ---- invariants -----------------------------------------------------------------------

_step = st.one_of(
    st.tuples(st.just("reserve"), st.lists(st.integers(0, 3), min_size=4, max_size=4)),
    st.tuples(st.just("release"), st.lists(st.integers(0, 2), min_size=4, max_size=4)),
    st.tuples(st.just("plan"), st.just(None)),
    st.tuples(st.just("dispatch"), st.one_of(st.none(), st.lists(st.integers(1, 8),
                                                                   max_size=3))),
    st.tuples(st.just("typed"), st.integers(0, 7)),
)


@settings(max_examples=60, deadline=None)
@given(quantities=st.lists(st.integers(1, 6), min_size=4, max_size=4),
       warehouses=st.lists(st.sampled_from(["MAIN", "EAST"]), min_size=4, max_size=4),
       steps=st.lists(_step, min_size=1, max_size=12))
def test_numbers_stay_gapless_and_nothing_ships_twice(quantities, warehouses, steps):
    # Four lines over three orders; reservations never exceed what is still missing.
    keys = [("O1", 1), ("O1", 2), ("O2", 1), ("O3", 1)]
    lines = [line(o, n, "A", q, date=DAY + dt.timedelta(days=i))
             for i, ((o, n), q) in enumerate(zip(keys, quantities))]
    qty = {ln.key: ln.quantity for ln in lines}
    b = _book(inventory=(stock("A", 1000), stock("A", 1000, "EAST")))
    for step, arg in steps:
        shipped = defaultdict(int)
        posted = {s.shipment_id for s in b.shipments if s.posted_on is not None}
        for sl in b.shipment_lines:
            if sl.shipment_id in posted:
                shipped[(sl.order_id, sl.line)] += sl.quantity
        reserved = defaultdict(int)
        for r in b.reservations:
            reserved[(r.order_id, r.line)] += r.quantity
        if step == "reserve":
            new = [res(k[0], k[1], "A", min(a, qty[k] - reserved[k] - shipped[k]), wh)
                   for k, a, wh in zip(keys, arg, warehouses)
                   if min(a, qty[k] - reserved[k] - shipped[k]) > 0]
            b = b.model_copy(update={"reservations": b.reservations + tuple(new)})
        elif step == "release":
            cut = dict(zip(keys, arg))
            kept = []
            for r in b.reservations:
                c = min(cut.get((r.order_id, r.line), 0), r.quantity)
                cut[(r.order_id, r.line)] = cut.get((r.order_id, r.line), 0) - c
                if r.quantity - c:
                    kept.append(r.model_copy(update={"quantity": r.quantity - c}))
            b = b.model_copy(update={"reservations": tuple(kept)})
        elif step == "plan":
            # As the pipeline does: shipments a user typed Shipped are posted first.
            b = _post(b, _dispatch(b, []))
            plan = plan_shipments(lines, b.reservations, b, DAY)
            b = after(b, plan)
            again = plan_shipments(lines, b.reservations, b, DAY)
            assert again.new_ids == () and again.shipments == b.shipments
            assert again.shipment_lines == b.shipment_lines
        elif step == "typed" and arg < len(b.shipments):
            s = b.shipments[arg]
            if s.status == "Ready":
                s = s.model_copy(update={"status": "SHIPPED"})
                b = b.model_copy(update={"shipments": b.shipments[:arg] + (s,)
                                         + b.shipments[arg + 1:]})
        elif step == "dispatch":
            select = None if arg is None else [f"SHP-{n:05d}" for n in arg]
            b = _post(b, _dispatch(b, select))
            assert _dispatch(b, None if select is None else []).dispatched == ()

        numbers = sorted(shipment_number(s.shipment_id) for s in b.shipments)
        assert numbers == list(range(1, len(numbers) + 1))
        shipped, reserved, in_ship = defaultdict(int), defaultdict(int), defaultdict(int)
        by_id = {s.shipment_id: s for s in b.shipments}
        for sl in b.shipment_lines:
            s = by_id[sl.shipment_id]
            if s.posted_on is not None:
                shipped[(sl.order_id, sl.line)] += sl.quantity
            else:
                assert s.status != "Cancelled"
                in_ship[(sl.order_id, sl.line, sl.warehouse)] += sl.quantity
        per_wh = defaultdict(int)
        for r in b.reservations:
            reserved[(r.order_id, r.line)] += r.quantity
            per_wh[(r.order_id, r.line, r.warehouse)] += r.quantity
        for k in keys:
            assert shipped[k] + reserved[k] <= qty[k]
        if step == "plan":
            # Planned shipments hold exactly what is reserved, never more.
            assert dict(in_ship) == {k: v for k, v in per_wh.items() if v}
