"""Dispatch: shipments posted exactly once, reservations consumed oldest first, On Hand
lowered, Stock Ledger rows (CONTRACT §4 "Shipping", "Ledger and audit")."""

from __future__ import annotations

import datetime as dt

from ordersheet.domain import models as m
from ordersheet.domain.dispatch import dispatch
from ordersheet.domain.shipping import plan_shipments

from .factories import DAY, NOW, line, stock
from .test_shipping import _book, _dispatch, _post, res

INV_COLS = {"sku": "A", "warehouse": "B", "on_hand": "C", "bin": "D"}
SHIP_COLS = {"shipment_id": "A", "order_id": "B", "status": "K"}


def _ready_book():
    """Two orders planned from MAIN; inventory rows carry cells for negative_stock."""
    inv = (m.StockLevel(sku="A", warehouse="MAIN", on_hand=10, bin="A-01", row=2, cols=INV_COLS),
           m.StockLevel(sku="B", warehouse="MAIN", on_hand=1, bin="B-01", row=3, cols=INV_COLS))
    b = _book(inventory=inv)
    lines = [line("O1", 1, "A", 3), line("O2", 1, "A", 2), line("O2", 2, "B", 3)]
    reservations = (res("O1", 1, "A", 3), res("O2", 1, "A", 2), res("O2", 2, "B", 3))
    plan = plan_shipments(lines, reservations, b, DAY)
    ships = tuple(s.model_copy(update={"row": n, "cols": SHIP_COLS})
                  for n, s in enumerate(plan.shipments, start=2))
    b = b.model_copy(update={"shipments": ships, "shipment_lines": plan.shipment_lines,
                             "reservations": reservations})
    return b


def test_dispatch_all_posts_consumes_reservations_and_writes_the_ledger():
    b = _ready_book()
    d = _dispatch(b, None)
    assert d.dispatched == ("SHP-00001", "SHP-00002")
    assert [(s.status, s.shipped_on, s.posted_on) for s in d.shipments] == \
        [("Shipped", DAY, DAY)] * 2
    assert d.reservations == ()
    assert [(s.sku, s.on_hand) for s in d.inventory] == [("A", 5), ("B", 0)]
    rows = [(e.operation, e.sku, e.field, e.change, e.before, e.after, e.order_id, e.line,
             e.timestamp) for e in d.ledger]
    assert rows == [
        ("dispatch", "A", "Reserved", -3, 5, 2, "O1", 1, NOW),
        ("dispatch", "A", "On Hand", -3, 10, 7, "O1", 1, NOW),
        ("dispatch", "A", "Reserved", -2, 2, 0, "O2", 1, NOW),
        ("dispatch", "A", "On Hand", -2, 7, 5, "O2", 1, NOW),
        ("dispatch", "B", "Reserved", -3, 3, 0, "O2", 2, NOW),
        ("dispatch", "B", "On Hand", -1, 1, 0, "O2", 2, NOW),   # clamped at 0
    ]
    neg = [(i.code, i.severity.value, i.sheet, i.cell, i.order_id) for i in d.issues]
    assert neg == [("negative_stock", "Warning", "Inventory", "C3", "O2")]


def test_dispatch_is_idempotent():
    b = _ready_book()
    once = _post(b, _dispatch(b, None))
    twice = _dispatch(once, None, DAY + dt.timedelta(days=1))
    assert twice.dispatched == () and twice.ledger == () and twice.issues == ()
    assert twice.shipments == once.shipments and twice.inventory == once.inventory
    assert twice.reservations == once.reservations


def test_user_typed_shipped_is_posted_on_a_no_select_run_and_keeps_their_cells():
    b = _ready_book()
    typed = b.shipments[1].model_copy(update={"status": "shipped ", "tracking_no": "1Z999",
                                              "shipped_on": DAY - dt.timedelta(days=1)})
    b = b.model_copy(update={"shipments": (b.shipments[0], typed)})
    d = _dispatch(b, [])
    assert d.dispatched == ("SHP-00002",)
    s1, s2 = d.shipments
    assert (s1.status, s1.posted_on) == ("Ready", None)
    assert (s2.status, s2.shipped_on, s2.tracking_no, s2.posted_on) == \
        ("Shipped", DAY - dt.timedelta(days=1), "1Z999", DAY)
    assert [(r.order_id, r.quantity) for r in d.reservations] == [("O1", 3)]


def test_dispatch_select_list_and_its_warnings():
    b = _ready_book()
    d = _dispatch(b, ["shp-00002", "SHP-00042"])
    assert d.dispatched == ("SHP-00002",)
    assert [s.status for s in d.shipments] == ["Ready", "Shipped"]
    assert [(i.code, i.sheet, i.cell) for i in d.issues if i.code != "negative_stock"] == \
        [("unknown_shipment", "Shipments", "")]

    again = _dispatch(_post(b, d), ["SHP-00002"])
    assert again.dispatched == ()
    assert [(i.code, i.severity.value, i.sheet, i.cell, i.order_id) for i in again.issues] == \
        [("already_dispatched", "Warning", "Shipments", "A3", "O2")]


def test_dispatch_empty_select_changes_no_status():
    b = _ready_book()
    d = _dispatch(b, [])
    assert d.shipments == b.shipments and d.dispatched == () and d.ledger == ()


def test_dispatch_consumes_the_oldest_reservation_first():
    b = _book(inventory=(stock("A", 10),))
    old = res("O1", 1, "A", 2, on=DAY - dt.timedelta(days=3))
    new = res("O1", 1, "A", 4, on=DAY)
    ship = m.Shipment(shipment_id="SHP-00001", order_id="O1", customer_id="C1",
                      warehouse="MAIN", planned_on=DAY, status="Shipped")
    sl = m.ShipmentLine(shipment_id="SHP-00001", order_id="O1", line=1, sku="A",
                        warehouse="MAIN", quantity=3)
    d = dispatch(b, [new, old], [ship], [sl], [], DAY, NOW)
    assert [(r.reserved_on, r.quantity) for r in d.reservations] == [(DAY, 3)]
    assert [(e.field, e.change, e.before, e.after) for e in d.ledger] == \
        [("Reserved", -3, 6, 3), ("On Hand", -3, 10, 7)]
