"""What each invoice still owes (CONTRACT §5 Invoices: Paid, Balance, Status).

Owns: an invoice's Balance and Status from the payments applied to it and the credit
notes that credit it. A credit note is a row of Invoices with negative amounts whose
`credits_invoice` names the invoice; it is applied to that invoice first, so the invoice's
Balance goes down by the credit and the credit note's own Balance is 0. Per customer and
currency: Σ Balance = Σ invoice totals − Σ credits − Σ applied payments.

Status, the first that applies: `Credited` (credits cover the total), `Paid` (nothing
left to pay, something was paid), `Overdue` (something left, past its Due Date as of the
run's date), `Partially Paid`, `Open`. A credit note's Status is `Applied`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Mapping, Sequence

from .models import Invoice

ZERO = Decimal(0)


def credited(invoices: Sequence[Invoice]) -> dict[str, Decimal]:
    """Invoice No (upper case) -> the amount its credit notes credit (positive)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for inv in invoices:
        if inv.credits_invoice:
            out[inv.credits_invoice.strip().upper()] -= inv.total
    return dict(out)


def status_of(inv: Invoice, credit: Decimal, today: dt.date) -> str:
    if inv.credits_invoice:
        return "Applied"
    if credit > ZERO and credit >= inv.total:
        return "Credited"
    if inv.balance <= ZERO:
        return "Paid" if inv.paid > ZERO else ("Credited" if credit > ZERO else "Open")
    if today > inv.due_date:
        return "Overdue"
    return "Partially Paid" if inv.paid > ZERO else "Open"


def settle(invoices: Sequence[Invoice], paid: Mapping[str, Decimal], today: dt.date
           ) -> tuple[Invoice, ...]:
    """Each invoice with Paid = `paid[invoice_no]` (0 when absent), Balance = Total − Paid
    − credits, and its Status as of `today`. Unchanged invoices are returned as they were
    (same object), so a run that changes nothing writes nothing new."""
    credits = credited(invoices)
    out = []
    for inv in invoices:
        if inv.credits_invoice:
            amount, balance = ZERO, ZERO
        else:
            amount = paid.get(inv.invoice_no, ZERO)
            balance = inv.total - amount - credits.get(inv.invoice_no.upper(), ZERO)
        new = inv if (inv.paid, inv.balance) == (amount, balance) else inv.model_copy(
            update={"paid": amount, "balance": balance})
        st = status_of(new, credits.get(inv.invoice_no.upper(), ZERO), today)
        out.append(new if new.status == st else new.model_copy(update={"status": st}))
    return tuple(out)
