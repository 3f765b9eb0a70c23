"""Credit notes against the money already on an invoice (issue 20 C), on the domain: the
credited invoice's Balance and Status come from `receivables.settle` after the return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ordersheet.domain import models as m
from ordersheet.domain import pipeline

from ..domain.factories import DAY, NOW, book, customer, line, product, stock

RCOLS = {"order_id": "A", "line": "B", "sku": "C", "quantity": "D", "date": "E",
         "reason": "F", "condition": "G", "exchange_sku": "H"}
TODAY = DAY + dt.timedelta(days=3)


def _sent() -> m.OrderBook:
    b = book(orders=[line("SO-1", 1, "A", 4, row=2)], products=[product("A", "10")],
             inventory=[stock("A", 10)], customers=[customer("C1")],
             tax_rates=[m.TaxRate(country="US", tax_class="standard", rate=Decimal("0.1"))],
             settings=m.Settings(charge_shipping=False, restocking_fee=Decimal("0.05")))
    r = pipeline.run(b, operation="run", today=DAY, now=NOW, dispatch=True)
    assert [i.invoice_no for i in r.book.invoices] == ["INV-00001"]
    return r.book


def _return(state: m.OrderBook, qty: int, paid: str) -> m.OrderBook:
    # the payment is matched by `reconcile` (Paid comes from its posted rows), then returned
    state = state.model_copy(update={"payments": (m.Payment(
        payment_id="P1", date=DAY, customer_id="C1", amount=Decimal(paid), currency="USD",
        reference="INV-00001"),)})
    state = pipeline.run(state, operation="reconcile", today=TODAY, now=NOW).book
    assert state.invoices[0].paid == Decimal(paid)
    state = state.model_copy(update={
        "returns": (m.ReturnLine(order_id="SO-1", line=1, quantity=qty, date=TODAY,
                                 condition="Resellable", row=2, cols=RCOLS),)})
    r = pipeline.run(state, operation="returns", today=TODAY, now=NOW)
    assert not r.errors, r.errors
    return r.book


def test_return_after_a_partial_payment_lowers_what_is_still_owed():
    # 4 x 10.00 + 10 % = 44.00; 20.00 paid; 1 returned: 11.00 less the 5 % fee on 10.00
    # (0.50 + 0.05 tax) = 10.45 credited; 44.00 - 20.00 - 10.45 = 13.55 still owed
    state = _return(_sent(), 1, "20")
    inv, cn = state.invoices
    assert cn.invoice_no == "CN-00001" and cn.credits_invoice == "INV-00001"
    assert (cn.net, cn.tax, cn.total) == (Decimal("-9.50"), Decimal("-0.95"), Decimal("-10.45"))
    assert (inv.paid, inv.balance, inv.status) == (Decimal(20), Decimal("13.55"),
                                                   "Partially Paid")
    assert (cn.paid, cn.balance, cn.status) == (0, 0, "Applied")


def test_return_of_everything_after_a_partial_payment_leaves_a_credit_balance():
    state = _return(_sent(), 4, "20")
    inv, cn = state.invoices
    assert cn.total == Decimal("-41.80")  # 44.00 less the fee 2.00 + 0.20 tax
    assert inv.balance == Decimal(44) - 20 - Decimal("41.80")
    assert inv.status == "Paid"  # nothing left to pay (receivables: credits first)
