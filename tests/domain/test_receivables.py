"""Balance and Status of invoices from payments applied and credit notes (the one home)."""

import datetime as dt
from decimal import Decimal as D

from ordersheet.domain import models as m
from ordersheet.domain.receivables import settle

DAY = dt.date(2026, 11, 1)
DUE = dt.date(2026, 12, 1)


def inv(no, total, credits=""):
    return m.Invoice(invoice_no=no, invoice_date=DAY, due_date=DUE, customer_id="C1",
                     order_id="O1", currency="USD", net=D(total), tax=D(0), total=D(total),
                     balance=D(total), credits_invoice=credits)


def test_payments_and_credit_notes_lower_the_balance_and_name_the_status():
    books = [inv("INV-00001", "100"), inv("INV-00002", "50"), inv("INV-00003", "80"),
             inv("CN-00001", "-30", credits="inv-00003"), inv("INV-00004", "10"),
             inv("CN-00002", "-10", credits="INV-00004")]
    out = {i.invoice_no: i for i in settle(books, {"INV-00001": D("40"), "INV-00002": D("50"),
                                                   "INV-00003": D("50")}, DAY)}
    assert (out["INV-00001"].balance, out["INV-00001"].status) == (D("60"), "Partially Paid")
    assert (out["INV-00002"].balance, out["INV-00002"].status) == (D("0"), "Paid")
    assert (out["INV-00003"].balance, out["INV-00003"].status) == (D("0"), "Paid")
    assert (out["CN-00001"].balance, out["CN-00001"].status) == (D("0"), "Applied")
    assert (out["INV-00004"].balance, out["INV-00004"].status) == (D("0"), "Credited")
    # Σ balances = Σ invoices − Σ credits − Σ applied
    assert sum(i.balance for i in out.values()) == D(240) - D(40) - D(140)


def test_past_due_with_something_left_is_overdue_and_unchanged_invoices_are_kept():
    a = inv("INV-00001", "100")
    later = dt.date(2026, 12, 2)
    assert settle([a], {}, later)[0].status == "Overdue"
    assert settle([a], {}, DUE)[0] is a
