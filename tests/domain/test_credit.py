"""Credit control (CONTRACT §4 "Credit"): On Hold customers and credit limits."""

from __future__ import annotations

import datetime as dt

from ordersheet.domain import credit, pricing
from ordersheet.domain import models as m
from ordersheet.domain.issues import Severity
from ordersheet.domain.rates import Rates

from .factories import DAY, D, book, customer, line, product

CUST_COLS = {"customer_id": "A"}


def day(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def run(lines, customers, products=(product("A", "100"),), **kw):
    """Price `lines` (List Price 100, no tax) and check credit."""
    b = book(products=products, customers=customers, **kw)
    rates = Rates(b)
    prices, issues = pricing.price_lines(lines, b, rates)
    assert not issues
    return credit.check_credit(lines, prices, b, rates=rates)


def invoice(no: str, cid: str, balance: str, status: str = "Open",
            currency: str = "USD") -> m.Invoice:
    return m.Invoice(invoice_no=no, invoice_date=DAY, due_date=DAY, customer_id=cid,
                     order_id="OLD", shipment_id="SHP-0", currency=currency, net=D(balance),
                     tax=D(0), total=D(balance), balance=D(balance), status=status)


def test_on_hold_customer_orders_are_held_with_a_warning_on_the_first_line():
    lines = [line("O1", 2, "A", 1, customer="C1", row=3),
             line("O1", 1, "A", 1, customer="C1", row=5),
             line("O2", 1, "A", 1, customer="C2", row=4)]
    holds, issues = run(lines, (customer("C1", on_hold=True, row=7), customer("C2")))
    assert holds == {"O1": credit.ON_HOLD}
    [i] = issues
    assert (i.code, i.severity, i.sheet, i.cell, i.order_id) == (
        "customer_on_hold", Severity.WARNING, "Orders", "D5", "O1")


def test_on_hold_does_not_hold_an_order_that_has_left_in_full():
    lines = [line("O1", 1, "A", 2, customer="C1", row=2),
             line("O2", 1, "A", 2, customer="C1", row=3)]
    shipments = (m.Shipment(shipment_id="SHP-1", order_id="O1", customer_id="C1",
                            warehouse="MAIN", planned_on=DAY, status="Shipped",
                            shipped_on=DAY, posted_on=DAY),)
    sl = (m.ShipmentLine(shipment_id="SHP-1", order_id="O1", line=1, sku="A",
                         warehouse="MAIN", quantity=2),)
    holds, _ = run(lines, (customer("C1", on_hold=True),), shipments=shipments,
                   shipment_lines=sl)
    assert holds == {"O2": credit.ON_HOLD}


def test_no_credit_limit_means_no_credit_hold():
    lines = [line(f"O{i}", 1, "A", 1000, row=i + 2) for i in range(3)]
    assert run(lines, (customer("C1"),)) == ({}, [])


def test_open_invoices_count_and_paid_or_credited_do_not():
    # limit 1,000; open balances 500 + 100; O1 (300) fits at 900, O2 (200) would be 1,100.
    lines = [line("O1", 1, "A", 3, row=2, date=day(0)),
             line("O2", 1, "A", 2, row=3, date=day(1)),
             line("O3", 1, "A", 1, row=4, date=day(2))]   # later orders stay held
    invoices = (invoice("INV-1", "C1", "500"), invoice("INV-2", "C1", "100", "Partially Paid"),
                invoice("INV-3", "C1", "999", "Paid"), invoice("INV-4", "C1", "999", "Credited"),
                invoice("INV-5", "C2", "999"))
    holds, issues = run(lines, (customer("C1", credit_limit=D(1000)),), invoices=invoices)
    assert holds == {"O2": credit.CREDIT_HOLD, "O3": credit.CREDIT_HOLD}
    assert [(i.code, i.severity, i.cell, i.order_id) for i in issues] == [
        ("credit_limit_exceeded", Severity.WARNING, "D3", "O2"),
        ("credit_limit_exceeded", Severity.WARNING, "D4", "O3")]
    msg = issues[0].message
    assert "1,000.00 USD" in msg and "1,100.00 USD" in msg and "(200.00 USD)" in msg


def test_exposure_exactly_at_the_limit_is_allowed():
    lines = [line("O1", 1, "A", 10, row=2)]
    assert run(lines, (customer("C1", credit_limit=D(1000)),)) == ({}, [])
    holds, _ = run(lines, (customer("C1", credit_limit=D("999.99")),))
    assert holds == {"O1": credit.CREDIT_HOLD}


def test_oldest_order_first_whatever_the_sheet_order():
    # limit 500: O-NEW (dated later) sits first on the sheet but the older order is served.
    lines = [line("O-NEW", 1, "A", 3, row=2, date=day(5)),
             line("O-OLD", 1, "A", 3, row=3, date=day(1)),
             line("O-B", 1, "A", 1, row=4, date=day(1)),   # same date: Order ID breaks tie
             line("O-A", 1, "A", 1, row=5, date=day(1))]
    holds, _ = run(lines, (customer("C1", credit_limit=D(500)),))
    # O-A 100, O-B 200, O-OLD 500 (at the limit), then O-NEW 800 -> held.
    assert holds == {"O-NEW": credit.CREDIT_HOLD}
    holds, _ = run(lines[::-1], (customer("C1", credit_limit=D(450)),))
    assert holds == {"O-OLD": credit.CREDIT_HOLD, "O-NEW": credit.CREDIT_HOLD}


def test_already_reserved_or_shipped_orders_count_first_and_are_never_held():
    lines = [line("O1", 1, "A", 3, row=2, date=day(0)),    # oldest, nothing reserved yet
             line("O2", 1, "A", 3, row=3, date=day(1)),    # reserved earlier
             line("O3", 1, "A", 3, row=4, date=day(2))]    # planned for shipment earlier
    reservations = (m.Reservation(order_id="O2", line=1, sku="A", warehouse="MAIN",
                                  quantity=1, reserved_on=DAY),)
    sl = (m.ShipmentLine(shipment_id="SHP-1", order_id="O3", line=1, sku="A",
                         warehouse="MAIN", quantity=3),)
    holds, issues = run(lines, (customer("C1", credit_limit=D(700)),),
                        reservations=reservations, shipment_lines=sl)
    assert holds == {"O1": credit.CREDIT_HOLD}
    assert [i.order_id for i in issues] == ["O1"]


def test_invoiced_quantity_no_longer_counts_as_order_exposure():
    # O1: 10 × 100 = 1,000, 6 units invoiced (their open invoice counts instead): 400 left.
    lines = [line("O1", 1, "A", 10, row=2, date=day(0)),
             line("O2", 1, "A", 1, row=3, date=day(1))]
    il = (m.InvoiceLine(invoice_no="INV-1", order_id="O1", line=1, sku="A", quantity=6,
                        unit_price=D(100), net=D(600), tax_rate=D(0), tax=D(0), total=D(600)),)
    invoices = (invoice("INV-1", "C1", "600", "Paid"),)
    holds, _ = run(lines, (customer("C1", credit_limit=D(500)),), invoice_lines=il,
                   invoices=invoices)
    assert holds == {}  # 400 + 100 = 500
    holds, _ = run(lines, (customer("C1", credit_limit=D(499)),), invoice_lines=il,
                   invoices=invoices)
    assert holds == {"O2": credit.CREDIT_HOLD}


def test_limit_is_in_the_customer_currency_including_tax():
    # EUR customer, rate 2: 1 × 100 USD = 200 EUR + 20 % tax = 240 EUR; invoice in USD 10.
    lines = [line("O1", 1, "A", 1, row=2)]
    c = customer("C1", currency="EUR", country="DE", credit_limit=D(260))
    b = dict(fx_rates=(m.FxRate(currency="EUR", rate=D(2)),),
             tax_rates=(m.TaxRate(country="DE", tax_class="standard", rate=D("0.2")),))
    assert run(lines, (c,), invoices=(invoice("INV-1", "C1", "10"),), **b)[0] == {}
    holds, issues = run(lines, (c,), invoices=(invoice("INV-1", "C1", "11"),), **b)
    assert holds == {"O1": credit.CREDIT_HOLD}
    assert "262.00 EUR" in issues[0].message


def test_on_hold_wins_over_credit_limit_and_holds_are_warnings_only():
    lines = [line("O1", 1, "A", 100, row=2)]
    holds, issues = run(lines, (customer("C1", on_hold=True, credit_limit=D(1)),))
    assert holds == {"O1": credit.ON_HOLD}
    assert [i.code for i in issues] == ["customer_on_hold"]
    assert not any(i.is_error for i in issues)
    assert all(i.order_id == "O1" for i in issues)
