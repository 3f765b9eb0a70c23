"""The customer statement (issue 21): a customer's open items as of a date, as a document
(`statement_document`, the content, once) and as a PDF (`statement_pdf`, drawn with the
invoice's page, fonts and table from `documents.pdf`).

Open items are the customer's invoices with a Balance left (as `receivables.settle` leaves
it, from the Reconciliation rows and credit notes), oldest Due Date first, with the days
past due, each followed by the credit notes that credit it (issue 20); then the unapplied
credit the customer has; then what is owed per currency.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from ..domain.aging import credits
from ..domain.models import OrderBook
from . import fonts
from .model import (Document, LABELS, Shown, _address, _amount, _company, _date, _text,
                    money_text)
from .pdf import _facts, _output, _party, _start, characters

COLUMNS = ("invoice_no", "invoice_date", "due_date", "days", "total", "paid", "balance")
HEADINGS = {**LABELS, "days": "Days past due", "paid": "Paid", "balance": "Balance",
            "total": "Total", "as_of": "As of"}
FACTS = ("customer_id", "as_of")


@dataclass(frozen=True)
class StatementDocument(Document):
    owed: tuple[str, ...] = ()
    """One sentence per currency: what the customer owes after their credit."""


class CustomerNotFound(LookupError):
    """No such Customer ID on Customers or on any invoice."""


def statement_document(book: OrderBook, customer_id: str, today: dt.date
                       ) -> StatementDocument:
    """The open items of `customer_id` (matched case-insensitively) as of `today`;
    `book.invoices` are taken as settled."""
    want = customer_id.strip().upper()
    customer = next((c for c in book.customers if c.customer_id.upper() == want), None)
    invoices = [i for i in book.invoices if i.customer_id.upper() == want]
    if customer is None and not invoices:
        raise CustomerNotFound(customer_id)
    cid = customer.customer_id if customer else invoices[0].customer_id
    name = (customer.name if customer else "") or (
        invoices[0].customer_name if invoices else "") or cid
    # An invoice a credit note left overpaid (paid, then goods came back) is owed to the
    # customer until `reconcile` matches its payment again: listed, negative, as on AR Aging.
    open_items = sorted((i for i in invoices if not i.credits_invoice and i.balance != 0),
                        key=lambda i: (i.due_date, i.invoice_no))
    notes: dict[str, list] = defaultdict(list)
    for i in invoices:
        if i.credits_invoice:
            notes[i.credits_invoice.strip().upper()].append(i)
    rows = []
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for i in open_items:
        late = max((today - i.due_date).days, 0) if i.balance > 0 else 0
        rows.append({"invoice_no": _text(i.invoice_no), "invoice_date": _date(i.invoice_date),
                     "due_date": _date(i.due_date), "days": Shown(str(late) if late else "",
                                                                  late),
                     "total": _amount(i.total, i.currency), "paid": _amount(i.paid, i.currency),
                     "balance": _amount(i.balance, i.currency)})
        owed[i.currency] += i.balance
        for cn in notes.get(i.invoice_no.strip().upper(), ()):  # why Total - Paid differs
            rows.append({"invoice_no": _text(cn.invoice_no),
                         "invoice_date": _date(cn.invoice_date), "due_date": _text(""),
                         "days": _text(""), "total": _amount(cn.total, cn.currency),
                         "paid": _text(""), "balance": _text("")})
    for (c, ccy), amount in sorted(credits(book.reconciliation).items()):
        if c.upper() == want and amount:
            rows.append({"invoice_no": _text("Unapplied credit"),
                         "invoice_date": _text(""), "due_date": _text(""), "days": _text(""),
                         "total": _text(""), "paid": _text(""),
                         "balance": _amount(-amount, ccy)})
            owed[ccy] -= amount
    sentences = tuple(f"Balance due: {money_text(amount, ccy)}"
                      for ccy, amount in sorted(owed.items()))
    fields = {**_company(book.settings), "customer_id": _text(cid),
              "customer_name": _text(name),
              "bill_to": _address((customer.bill_to or customer.ship_to) if customer else ""),
              "as_of": _date(today)}
    return StatementDocument("Statement", f"{cid} {today:%Y-%m-%d}", today, fields,
                             tuple(rows), sentences or ("Nothing is open.",))


def statement_pdf(doc: StatementDocument, plan: Optional[fonts.FontPlan] = None) -> bytes:
    chars = characters(doc) | set("".join(doc.owed))
    pdf = _start(doc, plan or fonts.plan(chars))
    pdf.columns([(HEADINGS["bill_to"], _party(doc, "bill_to"))], _facts(doc, FACTS, HEADINGS))
    pdf.grid([HEADINGS[c] for c in COLUMNS], [[ln[c].text for c in COLUMNS] for ln in doc.lines],
             (30, 24, 24, 20, 24, 24, 26),
             ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))
    for sentence in doc.owed:
        pdf.text_line(sentence, size=10.5, style="B")
    return _output(pdf)


__all__ = ["StatementDocument", "CustomerNotFound", "statement_document", "statement_pdf"]
