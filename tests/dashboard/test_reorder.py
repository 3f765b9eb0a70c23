"""Reorder suggestions and bottlenecks (issue 22), computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from ordersheet.domain import bottlenecks as b
from ordersheet.domain import models as m
from ordersheet.domain import reorder as r
from ordersheet.domain.issues import error
from ordersheet.domain.status import LineOutcome
from tests.domain.factories import book, line, product, stock

TODAY = dt.date(2026, 11, 30)
INV_COLS = {"sku": "A", "warehouse": "B", "on_hand": "C"}

LINES = [line("SO-1", 1, "A", 30, date=dt.date(2026, 11, 10), row=2),
         line("SO-2", 1, "B", 10, date=dt.date(2026, 11, 20), row=3),
         line("SO-3", 1, "B", 99, date=dt.date(2026, 11, 21), row=4),   # invalid: no demand
         line("SO-0", 1, "A", 50, date=dt.date(2026, 10, 1), row=5)]    # before the window
OUTCOMES = {2: LineOutcome("Partially Reserved", reserved=6, backordered=24),
            3: LineOutcome("Shipped", shipped=10), 4: LineOutcome("Invalid"),
            5: LineOutcome("Shipped", shipped=50)}
STATE = book(
    settings=m.Settings(demand_window_days=30),
    products=[product("A", lead_time_days=10, supplier="Acme"), product("B"),
              product("C", supplier="Bolt")],
    inventory=[stock("A", 6, row=2, cols=INV_COLS),
               stock("B", 100, reorder_point=20, lead_time_days=5, row=3, cols=INV_COLS),
               stock("C", 10, reorder_point=20, reorder_qty=50, row=4, cols=INV_COLS)],
    reservations=[m.Reservation(order_id="SO-1", line=1, sku="A", warehouse="MAIN",
                                quantity=6, reserved_on=dt.date(2026, 11, 10))],
    shipments=[m.Shipment(shipment_id="SHP-1", order_id="SO-2", customer_id="C1",
                          warehouse="MAIN", planned_on=dt.date(2026, 11, 20),
                          status="Shipped", shipped_on=dt.date(2026, 11, 21),
                          posted_on=dt.date(2026, 11, 21))],
    shipment_lines=[m.ShipmentLine(shipment_id="SHP-1", order_id="SO-2", line=1, sku="B",
                                   warehouse="MAIN", quantity=10)],
)


def test_a_sku_below_its_reorder_point_is_suggested_and_one_above_is_not():
    rows = {x.sku: x for x in r.plan(STATE, LINES, OUTCOMES, TODAY)}
    a = rows["A"]
    # 30 units ordered on one day of 30: d = 1/day, sigma = sqrt((29^2 + 29 x 1^2) / 30)
    # = sqrt(29); SS = ceil(1.65 x sqrt(29) x sqrt(10)) = ceil(28.10) = 29;
    # ROP = ceil(1 x 10 + 29) = 39; available 6 - 6 = 0, backlog 24, position -24.
    assert (a.daily_demand, a.lead_time_days, a.safety_stock, a.reorder_point) == \
        (D("1.00"), 10, 29, 39)
    assert (a.available, a.backlog, a.days_of_cover, a.reorder) == (0, 24, D("0.0"), True)
    # max(backlog 24 + 30 days x 1 - 0, ROP 39 - position -24, 0) = 63
    assert a.suggested_qty == 63 and a.supplier == "Acme" and a.cell == "C2"
    bee = rows["B"]
    # Lead time from Inventory (Products has none); Reorder Point from Inventory.
    assert (bee.lead_time_days, bee.reorder_point, bee.available) == (5, 20, 100)
    assert (bee.reorder, bee.suggested_qty, bee.days_of_cover) == (False, 0, D("300.0"))
    assert bee.daily_demand == D("0.33")


def test_a_reorder_qty_of_the_users_is_the_suggestion_and_rows_sort_by_urgency():
    rows = r.plan(STATE, LINES, OUTCOMES, TODAY)
    c = next(x for x in rows if x.sku == "C")
    assert (c.reorder, c.suggested_qty, c.days_of_cover) == (True, 50, None)
    assert "no Lead Time Days" in c.why
    assert [x.sku for x in rows] == ["A", "C", "B"]
    lists = r.purchase_lists(rows)
    assert {k: [x.sku for x in v] for k, v in lists.items()} == {"Acme": ["A"], "Bolt": ["C"]}


def test_the_demand_window_setting_counts():
    state = STATE.model_copy(update={"settings": m.Settings(demand_window_days=60)})
    a = next(x for x in r.plan(state, LINES, OUTCOMES, TODAY) if x.sku == "A")
    assert a.daily_demand == D("0.50")  # 30 units over 60 days; SO-0 is 60 days back


def test_bottlenecks_name_the_stage_and_the_cell():
    state = STATE.model_copy(update={
        "shipments": STATE.shipments + (m.Shipment(
            shipment_id="SHP-2", order_id="SO-9", customer_id="C2", warehouse="MAIN",
            planned_on=dt.date(2026, 11, 25)),),
        "invoices": (m.Invoice(invoice_no="INV-1", invoice_date=dt.date(2026, 10, 1),
                               due_date=dt.date(2026, 10, 31), customer_id="C1",
                               order_id="SO-0", currency="USD", net=D(10), tax=D(0),
                               total=D(10), balance=D(10), row=2,
                               cols={"balance": "N"}),)})
    issues = [error("unknown_sku", "Orders", "E4", "no such SKU", "SO-3")]
    rows = b.bottlenecks(state, LINES, OUTCOMES, issues, TODAY)
    got = [(w.stage, w.order_id, w.days, w.sheet, w.cell) for w in rows]
    assert got == [
        ("Invalid", "SO-3", 9, "Orders", "E4"),
        ("Backordered", "SO-1", 20, "Inventory", "C2"),
        ("Ready, not dispatched", "SO-9", 5, "Shipments", ""),
        ("Dispatched, not invoiced", "SO-2", 9, "Shipments", ""),
        ("Unpaid past due", "SO-0", 30, "Invoices", "N2"),
    ]
    ready = rows[2]
    assert (ready.field, ready.index) == ("status", 1)


def test_demand_window_days_is_a_setting_of_whole_days_from_one():
    from ordersheet.book import schema as s
    from ordersheet.book.raw import block_from_grid

    settings, issues, _ = s.parse_settings(block_from_grid(
        "Settings", [["Key", "Value"], ["Demand Window Days", 30]]))
    assert settings.demand_window_days == 30 and not issues
    settings, issues, _ = s.parse_settings(block_from_grid(
        "Settings", [["Key", "Value"], ["Demand Window Days", 0]]))
    assert settings.demand_window_days == 90
    assert [(i.code, i.cell) for i in issues] == [("bad_value", "B2")]


def test_an_invalid_line_whose_order_date_was_refused_waits_from_no_date():
    bad = line("SO-7", 1, "A", 1, row=9)
    object.__setattr__(bad, "order_date", None)  # as load leaves a refused date
    issues = [error("bad_date", "Orders", "C9", "not a date", "SO-7")]
    rows = b.bottlenecks(STATE, [bad], {9: LineOutcome("Invalid")}, issues, TODAY)
    assert [(w.stage, w.since, w.days, w.cell) for w in rows
            if w.stage == "Invalid"] == [("Invalid", None, 0, "C9")]
    assert r.plan(STATE, [bad], {9: LineOutcome("Invalid")}, TODAY)  # no failure
