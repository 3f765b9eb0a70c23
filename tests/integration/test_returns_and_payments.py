"""Returns and credit notes (issue 20) meet payments (issue 21): a return after the
invoice was paid and reconciled, as a finance clerk follows it on Invoices,
Reconciliation, AR Aging and the customer statement."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from ordersheet import app, cli
from ordersheet.documents.statement import statement_pdf

from ..changes.helpers import records, rows
from .helpers import PAYMENTS_HEAD, RETURN_DAY, append, invoices, operate, shipped_book


def aging(book) -> dict[str, tuple]:
    """Customer -> (Current, Total, Unapplied Credit) on AR Aging."""
    return {r["Customer ID"]: (r["Current"], r["Total"], r["Unapplied Credit"])
            for r in records(book, "AR Aging")}


def statement(book, customer: str, today: str):
    doc = app.customer_statement(cli.open_book(book), customer, dt.date.fromisoformat(today))
    lines = [(r["invoice_no"].text, r["total"].text, r["balance"].text) for r in doc.lines]
    return lines, doc.owed, doc


def test_a_return_after_the_payment_was_reconciled(tmp_path):
    book = shipped_book(tmp_path, Payments=[
        PAYMENTS_HEAD, ["P1", dt.date(2026, 11, 21), "C1", 44, "USD", "INV-00001"]])
    assert operate(book, "reconcile", "2026-11-22")[0] == 0
    inv = invoices(book)["INV-00001"]
    assert (inv["Paid"], inv["Balance"], inv["Status"]) == (44, 0, "Paid")

    # half of SO-1 comes back: CN-00001 credits 22.00 of the paid invoice
    append(book, "Returns", ["SO-1", 1, None, 2, RETURN_DAY, "wrong size", "Resellable"])
    assert operate(book, "returns", "2026-11-26")[0] == 0
    got = invoices(book)
    cn = got["CN-00001"]
    assert (cn["Total"], cn["Credits Invoice"], cn["Status"]) == (-22, "INV-00001", "Applied")
    inv = got["INV-00001"]
    # paid 44 of what is now 22: the customer is owed 22 until the payment is re-matched
    assert (inv["Paid"], inv["Balance"], inv["Status"]) == (44, -22, "Paid")
    # on AR Aging that is the customer's credit, not a negative receivable: the same
    # figures as after the re-match below
    assert aging(book)["C1"] == (0, 0, 22)
    lines, owed, _ = statement(book, "C1", "2026-11-26")
    assert lines == [("INV-00001", "44.00", "-22.00"), ("CN-00001", "-22.00", "")]
    assert owed == ("Balance due: USD -22.00",)

    # the next reconcile reverses the 44 and applies 22; the other 22 is credit on C1
    n = len(records(book, "Reconciliation"))
    assert operate(book, "reconcile", "2026-11-27")[0] == 0
    new = [(r["Invoice No"], r["Applied"], r["Rule"], r["Unapplied"])
           for r in records(book, "Reconciliation")[n:]]
    assert new == [("INV-00001", -44, "reversal", 0), ("INV-00001", 22, "reference", 0),
                   (None, 0, "unapplied", 22)]
    inv = invoices(book)["INV-00001"]
    assert (inv["Paid"], inv["Balance"], inv["Status"]) == (22, 0, "Paid")
    assert aging(book)["C1"] == (0, 0, 22)
    lines, owed, doc = statement(book, "C1", "2026-11-27")
    assert lines == [("Unapplied credit", "", "-22.00")]
    assert owed == ("Balance due: USD -22.00",)
    assert statement_pdf(doc).startswith(b"%PDF")

    # a third reconcile posts nothing and changes no figure
    before = rows(book, "Reconciliation"), rows(book, "Invoices"), rows(book, "AR Aging")
    code, result = operate(book, "reconcile", "2026-11-28")
    assert code == 0 and result.reconciliation.new_rows == []
    after = rows(book, "Reconciliation"), rows(book, "Invoices"), rows(book, "AR Aging")
    assert after[:2] == before[:2]


def test_a_credit_on_an_unpaid_invoice_shows_on_the_statement(tmp_path):
    """Total 44.00, nothing paid, 22.00 credited: the statement shows why 22.00 is owed."""
    book = shipped_book(tmp_path)
    append(book, "Returns", ["SO-1", 1, None, 2, RETURN_DAY, "wrong size", "Resellable"])
    assert operate(book, "returns", "2026-11-26")[0] == 0
    lines, owed, doc = statement(book, "C1", "2026-11-26")
    assert lines == [("INV-00001", "44.00", "22.00"), ("CN-00001", "-22.00", "")]
    assert owed == ("Balance due: USD 22.00",)
    text = PdfReader(io.BytesIO(statement_pdf(doc))).pages[0].extract_text()
    assert "CN-00001" in text and "-22.00" in text and "Balance due: USD 22.00" in text
    # all of it comes back: nothing is owed, and nothing is listed
    append(book, "Returns", ["SO-1", 1, None, 2, RETURN_DAY, "wrong size", "Resellable"])
    assert operate(book, "returns", "2026-11-26")[0] == 0
    assert invoices(book)["INV-00001"]["Status"] == "Credited"
    assert statement(book, "C1", "2026-11-26")[:2] == ([], ("Nothing is open.",))
