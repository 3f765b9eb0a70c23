"""The Dashboard (issue 22) on a book with credit notes and returns (issue 20): revenue
counts a credit note negative, and the returns rate counts the returns that were
accepted, never a row that was rejected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..changes.helpers import records
from .helpers import PAYMENTS_HEAD, RETURN_DAY, append, operate, shipped_book


def figures(book) -> dict[tuple[str, str], object]:
    return {(r["Section"], r["Figure"]): r["Value"] for r in records(book, "Dashboard")
            if r["Section"]}


def test_revenue_nets_credit_notes_and_the_returns_rate_counts_accepted_returns(tmp_path):
    book = shipped_book(tmp_path, Settings=[["Key", "Value"], ["Company Name", "Acme"],
                                            ["Company Address", "1 Road"],
                                            ["Restocking Fee %", 10]])
    append(book, "Returns",
           ["SO-1", 1, None, 1, RETURN_DAY, "broken", "Damaged"],     # accepted
           ["SO-2", 1, None, 9, RETURN_DAY, "too big", "Resellable"],  # more than left
           ["SO-9", 1, None, 1, RETURN_DAY, "what?", "Resellable"])    # no such order
    code, result = operate(book, "returns", "2026-11-26")
    assert code == 1 and {i.code for i in result.errors} == {
        "return_exceeds_shipped", "return_unknown_line"}
    assert operate(book, "report", "2026-11-26")[0] == 0
    got = figures(book)
    # INV-00001 40.00 + INV-00002 76.50 net, CN-00001 -10.00 + 1.00 restocking fee kept
    assert got[("Revenue by month", "2026-11")] == float(Decimal("107.50"))
    assert got[("Top SKUs", "A-100")] == 3  # 4 invoiced, 1 credited
    assert ("Top SKUs", "RESTOCKING") not in got  # a fee, not a product
    # 1 of 4 A-100 came back; the rejected rows returned nothing
    assert got[("Returns rate by SKU", "A-100")] == 25
    assert ("Returns rate by SKU", "B-200") not in got
    assert got[("Returns by reason", "broken")] == 100
    assert not [k for k in got if k[1] in ("too big", "what?", "(unknown SKU)")]


def test_receivables_on_the_dashboard_are_the_ar_aging_totals_even_with_credit_owed_back(
        tmp_path):
    # INV-00001 (44.00) paid in full, then half of it returned: its Balance is -22.00, which
    # is credit owed back to C1, not a negative receivable; Dashboard and AR Aging agree
    book = shipped_book(tmp_path, Payments=[
        PAYMENTS_HEAD, ["P1", dt.date(2026, 11, 21), "C1", 44, "USD", "INV-00001"]])
    assert operate(book, "reconcile", "2026-11-22")[0] == 0
    append(book, "Returns", ["SO-1", 1, None, 2, RETURN_DAY, "wrong size", "Resellable"])
    assert operate(book, "returns", "2026-11-26")[0] == 0
    assert operate(book, "report", "2026-11-26")[0] == 0
    aging_total = next(r for r in records(book, "AR Aging")
                       if r["Customer ID"] == "Total" and r["Currency"] == "USD")
    got = figures(book)
    assert got[("Receivables", "Open balance USD")] == aging_total["Total"]
    assert aging_total["Unapplied Credit"] == 22
    # what is still owed is the other invoice, C2's 76.50 + tax
    owed = sum(r["Balance"] for r in records(book, "Invoices") if r["Balance"] > 0)
    assert aging_total["Total"] == owed
