"""AR aging (issue 21): buckets by days past due, credit, totals and DSO per currency."""

import datetime as dt
from decimal import Decimal as D

from ordersheet.domain import models as m
from ordersheet.domain.aging import aging, bucket, credits

TODAY = dt.date(2026, 12, 31)


def inv(no, balance, due_days_ago, customer="C1", currency="USD", total=None, days_old=100):
    return m.Invoice(invoice_no=no, invoice_date=TODAY - dt.timedelta(days=days_old),
                     due_date=TODAY - dt.timedelta(days=due_days_ago), customer_id=customer,
                     order_id="O", currency=currency, net=D(total or balance), tax=D(0),
                     total=D(total or balance), balance=D(balance))


def test_buckets_are_days_past_the_due_date():
    assert [bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "current", "d1_30", "d1_30", "d31_60", "d31_60", "d61_90", "d61_90",
        "over_90"]


def test_one_row_per_customer_and_currency_then_the_currency_total_with_its_dso():
    invoices = [inv("I1", "100", -3, days_old=10), inv("I2", "50", 45, days_old=80),
                inv("I3", "20", 120), inv("I4", "0", 10, total="70", days_old=5),
                inv("I5", "9", 15, customer="C2", currency="EUR", days_old=20)]
    customers = [m.Customer(customer_id="C1", name="Acme")]
    rows = aging(invoices, customers, {("C1", "USD"): D("7")}, TODAY)
    assert [(r.customer_id, r.currency) for r in rows] == [
        ("C2", "EUR"), ("Total", "EUR"), ("C1", "USD"), ("Total", "USD")]
    c1 = rows[2]
    assert (c1.customer_name, c1.current, c1.d31_60, c1.over_90, c1.total, c1.credit) == (
        "Acme", D(100), D(50), D(20), D(170), D(7))
    usd = rows[3]
    # invoiced in the last 90 days: I1 100 + I2 50 + I4 70 = 220; DSO = 170 / 220 x 90
    assert usd.dso == D("69.5")
    assert "170.00 / 220.00 x 90" in usd.dso_formula


def test_no_sales_in_the_window_gives_no_dso_and_says_so():
    rows = aging([inv("I1", "10", 200, days_old=230)], [], {}, TODAY)
    assert rows[-1].dso is None and "nothing invoiced" in rows[-1].dso_formula


def test_credit_is_the_unapplied_of_the_reconciliation_rows():
    rows = [m.ReconRow(payment_id="P", date=TODAY, customer_id="C1", rule="unapplied",
                       unapplied=D(10), currency="usd"),
            m.ReconRow(payment_id="P", date=TODAY, customer_id="C1", rule="reversal",
                       unapplied=D(-4), currency="USD")]
    assert credits(rows) == {("C1", "USD"): D(6)}
