"""The Dashboard's KPIs on a small book computed by hand (issue 22): every figure checked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from ordersheet.domain import analytics as a
from ordersheet.domain import models as m
from ordersheet.domain.issues import error, warning
from ordersheet.domain.status import LineOutcome
from tests.domain.factories import book, line

TODAY = dt.date(2026, 11, 30)
OCT1, NOV1 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
T1, T2, T3, T4 = (dt.datetime(2026, 10, 1, 9), dt.datetime(2026, 10, 2, 9),
                  dt.datetime(2026, 11, 1, 9), dt.datetime(2026, 11, 10, 9))

LINES = [
    line("SO-1", 1, "A", 10, date=OCT1, row=2, requested_date=dt.date(2026, 10, 5)),
    line("SO-1", 2, "B", 5, date=OCT1, row=3, requested_date=dt.date(2026, 10, 5)),
    line("SO-2", 1, "A", 4, date=NOV1, row=4, requested_date=dt.date(2026, 11, 3)),
    line("SO-3", 1, "B", 6, date=dt.date(2026, 11, 10), row=5),
    line("SO-4", 1, "C", 3, date=dt.date(2026, 11, 20), row=6),
    line("SO-5", 1, "A", 2, date=dt.date(2026, 11, 25), row=7),
]
OUTCOMES = {
    2: LineOutcome("Invoiced", shipped=10), 3: LineOutcome("Invoiced", shipped=5),
    4: LineOutcome("Shipped", shipped=4), 5: LineOutcome("Partially Reserved", reserved=2,
                                                         backordered=4),
    6: LineOutcome("Invalid"), 7: LineOutcome("Cancelled"),
}


def reserved(t, order_id, ln, sku, n):
    return m.LedgerEntry(timestamp=t, operation="reserve", sku=sku, warehouse="MAIN",
                         field="Reserved", change=n, before=0, after=n, order_id=order_id,
                         line=ln)


LEDGER = [reserved(T1, "SO-1", 1, "A", 10), reserved(T1, "SO-1", 2, "B", 3),
          reserved(T2, "SO-1", 2, "B", 2), reserved(T3, "SO-2", 1, "A", 4),
          reserved(T4, "SO-3", 1, "B", 2),
          m.LedgerEntry(timestamp=T2, operation="dispatch", sku="A", warehouse="MAIN",
                        field="Reserved", change=-10, before=10, after=0, order_id="SO-1",
                        line=1)]


def shipment(sid, oid, shipped_on):
    return m.Shipment(shipment_id=sid, order_id=oid, customer_id="C1", warehouse="MAIN",
                      planned_on=shipped_on, status="Shipped", shipped_on=shipped_on,
                      posted_on=shipped_on)


def invoice(no, date, net, total, balance, credits=""):
    return m.Invoice(invoice_no=no, invoice_date=date, due_date=date + dt.timedelta(days=30),
                     customer_id="C1", order_id="SO-1", currency="USD", net=D(net),
                     tax=D(total) - D(net), total=D(total), balance=D(balance),
                     credits_invoice=credits)


def inv_line(no, sku, qty, net):
    return m.InvoiceLine(invoice_no=no, order_id="SO-1", line=1, sku=sku, quantity=qty,
                         unit_price=D(10), net=D(net), tax_rate=D("0.2"), tax=D(0), total=D(net))


STATE = book(
    orders=LINES,
    shipments=[shipment("SHP-1", "SO-1", dt.date(2026, 10, 4)),
               shipment("SHP-2", "SO-2", dt.date(2026, 11, 5))],
    shipment_lines=[m.ShipmentLine(shipment_id="SHP-1", order_id="SO-1", line=1, sku="A",
                                   warehouse="MAIN", quantity=10),
                    m.ShipmentLine(shipment_id="SHP-1", order_id="SO-1", line=2, sku="B",
                                   warehouse="MAIN", quantity=5),
                    m.ShipmentLine(shipment_id="SHP-2", order_id="SO-2", line=1, sku="A",
                                   warehouse="MAIN", quantity=4)],
    invoices=[invoice("INV-1", dt.date(2026, 10, 4), "150.00", "180.00", "144.00"),
              invoice("CN-1", dt.date(2026, 11, 15), "-30.00", "-36.00", "0", "INV-1")],
    invoice_lines=[inv_line("INV-1", "A", 10, "100"), inv_line("INV-1", "B", 5, "50"),
                   inv_line("INV-1", "SHIPPING", 1, "0"), inv_line("CN-1", "B", -1, "-30")],
    returns=[m.ReturnLine(order_id="SO-1", line=2, quantity=1, date=dt.date(2026, 10, 20),
                          reason="Damaged in transit"),
             # rejected by `returns` (more than was dispatched): brought nothing back
             m.ReturnLine(order_id="SO-1", line=2, quantity=9, date=dt.date(2026, 10, 21),
                          reason="Too many")],
    processed_returns=[m.ProcessedReturn(
        return_id="SO-1|2||1|2026-10-20|resellable|", order_id="SO-1", line=2, sku="B",
        quantity=1, condition="Resellable", warehouse="MAIN", date=dt.date(2026, 10, 20),
        credit_notes="CN-1", processed_on=dt.date(2026, 10, 20))],
)
ISSUES = [error("unknown_sku", "Orders", "E6", "no such SKU", "SO-4"),
          warning("backordered", "Orders", "F5", "short", "SO-3"),
          warning("backordered", "Orders", "F9", "short", "SO-9")]


def dash(state=STATE, lines=LINES, outcomes=OUTCOMES, issues=ISSUES, ledger=LEDGER):
    return a.dashboard(state, lines, outcomes, issues, ledger, TODAY)


def test_orders_and_lines_by_status():
    d = dash()
    orders = {f.label: f.value for f in d.figures if f.section == "Orders by status"}
    assert orders == {"Invoiced": 1, "Shipped": 1, "Partially Reserved": 1, "Invalid": 1,
                      "Cancelled": 1}
    lines = {f.label: f.value for f in d.figures if f.section == "Lines by status"}
    assert lines == {"Invoiced": 2, "Shipped": 1, "Partially Reserved": 1, "Invalid": 1,
                     "Cancelled": 1}


def test_an_order_takes_its_least_advanced_line_status():
    outcomes = dict(OUTCOMES)
    outcomes[3] = LineOutcome("Reserved", reserved=5)
    orders = {f.label: f.value for f in dash(outcomes=outcomes).figures
              if f.section == "Orders by status"}
    assert orders["Reserved"] == 1 and "Invoiced" not in orders


def test_fill_rate_counts_what_the_first_reserving_run_reserved():
    d = dash()
    # 4 lines reached reservation; SO-1/1 (10 of 10) and SO-2/1 (4 of 4) were filled by
    # their first run, SO-1/2 (3 of 5) and SO-3/1 (2 of 6) were not.
    assert d.value("Fill rate", "Lines filled at first attempt") == D("50.0")
    assert d.value("Fill rate", "Units filled at first attempt") == D("76.0")  # 19 / 25
    chart = next(c for c in d.charts if c.key == "fill_rate")
    assert chart.categories == ("2026-10", "2026-11")
    assert chart.series == (("Fill rate %", (D("50.0"), D("50.0"))),)


def test_on_time_dispatch_and_cycle_time():
    d = dash()
    # SHP-1 left on 10-04 for lines requested 10-05 (on time, twice); SHP-2 on 11-05 for 11-03
    assert d.value("Dispatch", "On-time dispatch rate") == D("66.7")
    # SO-1: 10-01 -> 10-04 = 3 days; SO-2: 11-01 -> 11-05 = 4 days
    assert d.value("Dispatch", "Order cycle time, median") == D("3.5")
    assert d.value("Dispatch", "Order cycle time, 90th percentile") == D("4.0")
    chart = next(c for c in d.charts if c.key == "on_time")
    assert chart.series == (("On time %", (D("100.0"), D("0.0"))),)


def test_backorder_units_and_their_age():
    d = dash()
    assert d.value("Backorders", "Units backordered") == 4
    assert d.value("Backorders", "Oldest backorder") == 20  # 11-10 -> 11-30
    assert d.value("Backorders", "Units 15-30 days old") == 4
    assert d.value("Backorders", "Units 0-7 days old") == 0
    chart = next(c for c in d.charts if c.key == "backorder_age")
    assert chart.series[0][1] == (0, 0, 4, 0, 0)


def test_revenue_by_month_counts_credit_notes_negative():
    d = dash()
    assert d.value("Revenue by month", "2026-10") == D("150.00")
    assert d.value("Revenue by month", "2026-11") == D("-30.00")
    chart = d.charts[0]
    assert chart.key == "revenue" and chart.categories == ("2026-10", "2026-11")
    assert chart.series == (("USD", (D("150.00"), D("-30.00"))),)


def test_top_skus_and_customers():
    d = dash()
    skus = [(f.label, f.value) for f in d.figures if f.section == "Top SKUs"]
    assert skus == [("A", 10), ("B", 4)]  # SHIPPING is not a SKU; the credit note takes 1 B
    assert d.value("Top customers", "C1") == D("120.00")


def test_receivables_without_payments_say_so():
    d = dash()
    assert d.value("Receivables", "Open balance USD") == D("144.00")
    assert d.value("Receivables", "Overdue USD") == D("144.00")  # due 11-03
    assert d.value("Receivables", "DSO USD") == "n/a: no payments yet"


def test_dso_with_payments():
    pay = m.Payment(payment_id="P1", date=dt.date(2026, 11, 1), amount=D(36))
    state = STATE.model_copy(update={"payments": (pay,)})
    # open 144 / (180 - 36 invoiced in the last 90 days) x 90 = 90.0
    assert dash(state=state).value("Receivables", "DSO USD") == D("90.0")


def test_issues_by_code_and_returns():
    d = dash()
    issues = [(f.label, f.value, f.unit) for f in d.figures if f.section == "Issues by code"]
    assert issues == [("backordered", 2, "Warning"), ("unknown_sku", 1, "Error")]
    assert d.value("Returns rate by SKU", "B") == D("20.0")  # 1 of 5 dispatched
    assert d.value("Returns by reason", "Damaged in transit") == D("100.0")


def test_a_book_without_payments_returns_or_orders_still_has_a_dashboard():
    d = a.dashboard(book(), [], {}, [], [], TODAY)
    assert d.value("Returns", "Returns rate") == "n/a: no returns yet"
    assert d.value("Receivables", "Overdue") == "n/a: no invoices yet"
    assert d.value("Revenue", "Revenue") == "n/a: no invoices yet"
    assert d.value("Fill rate", "Lines filled at first attempt").startswith("n/a")
    assert d.value("Dispatch", "On-time dispatch rate").startswith("n/a")
    assert d.value("Dispatch", "Order cycle time, median").startswith("n/a")
    assert [c.key for c in d.charts] == ["revenue", "fill_rate", "on_time", "backorder_age"]


def test_every_figure_with_a_value_has_a_definition_in_its_section():
    d = dash()
    sections = {}
    for f in d.figures:
        sections.setdefault(f.section, []).append(f)
    for name, figs in sections.items():
        assert figs[0].definition, name


def test_shipped_on_the_requested_date_is_on_time():
    lines = [line("SO-2", 1, "A", 4, date=NOV1, row=4, requested_date=dt.date(2026, 11, 5))]
    d = a.dashboard(STATE, lines, {4: LineOutcome("Shipped", shipped=4)}, [], [], TODAY)
    assert d.value("Dispatch", "On-time dispatch rate") == D("100.0")
    late = [line("SO-2", 1, "A", 4, date=NOV1, row=4, requested_date=dt.date(2026, 11, 4))]
    d = a.dashboard(STATE, late, {4: LineOutcome("Shipped", shipped=4)}, [], [], TODAY)
    assert d.value("Dispatch", "On-time dispatch rate") == D("0.0")

