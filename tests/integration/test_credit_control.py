"""Credit control (credit.py) sees what finance posts (issue 21) and what returns credit
(issue 20): an order on Credit Hold is released by the payment that brings its customer
back under the limit, on the very reconcile that matches it, and by a credit note."""

from __future__ import annotations

import datetime as dt

from ..bookfiles import D1
from ..changes.helpers import edit, records
from .helpers import PAYMENTS_HEAD, RETURN_DAY, append, operate, shipped_book, statuses


def held_book(tmp_path):
    """C1 (limit 50.00) owes INV-00001 (44.00) and orders SO-3: 2 x A-100 (22.00)."""
    book = shipped_book(tmp_path)

    def limit_and_order(wb):
        wb["Customers"].cell(2, 6).value = 50
        wb["Orders"].append(["SO-3", 1, D1 + dt.timedelta(days=5), "C1", "A-100", 2, None,
                             None, "Normal", None, None, ""])
    edit(book, limit_and_order)
    code, result = operate(book, "run", "2026-11-21")
    assert statuses(book)[("SO-3", 1)] == "Credit Hold"
    assert "credit_limit_exceeded" in {i.code for i in result.issues}
    return book


def test_a_reconciled_payment_releases_the_credit_hold_on_that_run(tmp_path):
    book = held_book(tmp_path)
    append(book, "Payments", ["P1", dt.date(2026, 11, 21), "C1", 44, "USD", ""])
    code, result = operate(book, "reconcile", "2026-11-22")
    assert code == 0
    assert {r["Invoice No"]: r["Status"] for r in records(book, "Invoices")}["INV-00001"] \
        == "Paid"
    # the same run that says INV-00001 is paid does not hold C1's order for it
    assert "credit_limit_exceeded" not in {i.code for i in result.issues}
    assert statuses(book)[("SO-3", 1)] == "Reserved"


def test_a_credit_note_releases_the_credit_hold(tmp_path):
    book = held_book(tmp_path)
    append(book, "Returns", ["SO-1", 1, None, 2, RETURN_DAY, "too many", "Resellable"])
    assert operate(book, "returns", "2026-11-25")[0] == 0
    assert operate(book, "run", "2026-11-25")[0] == 0  # 22.00 open + 22.00 ordered <= 50
    assert statuses(book)[("SO-3", 1)] == "Reserved"
