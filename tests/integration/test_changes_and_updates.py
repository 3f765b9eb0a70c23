"""Order changes (issue 20) meet customer updates (issue 23): what the customer is told
after a cancellation, a credit note and an exchange."""

from __future__ import annotations

import datetime as dt

from ..bookfiles import D1, basic_book
from ..changes.helpers import cancel, run
from .helpers import (RETURN_DAY, RETURNS_HEAD, append, notify, operate, shipped_book,
                      statuses, told)


def test_a_cancelled_order_gets_no_notice_but_of_its_cancellation(tmp_path):
    book = basic_book(tmp_path / "book.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "A-100", 1, None, None, "Normal", None, None, ""],
        ["SO-3", 1, D1, "C2", "B-200", 1, None, None, "Normal", None, None, ""],
    ], Returns=[RETURNS_HEAD])
    assert run(book, dispatch=False, today="2026-11-20")[0] == 0
    assert cancel(book, "SO-1", reason="changed mind", today="2026-11-21")[0] == 0
    notify(book, tmp_path / "drafts", "2026-11-21")
    # SO-1 was cancelled before anyone was told: no confirmation
    assert told(book) == [("C2", "Confirmed", "SO-2", ""), ("C2", "Confirmed", "SO-3", "")]
    # SO-3 is cancelled after its confirmation; a dispatch run then ships SO-2 only
    assert cancel(book, "SO-3", today="2026-11-22")[0] == 0
    assert run(book, today="2026-11-22")[0] == 0
    notify(book, tmp_path / "drafts", "2026-11-23")
    # SO-3 was confirmed, so its cancellation is told; nothing else about SO-1 or SO-3
    assert [t for t in told(book) if t[2] in ("SO-1", "SO-3")] == [
        ("C2", "Confirmed", "SO-3", ""), ("C2", "Cancelled", "SO-3", "lines 1")]
    assert ("C2", "Dispatched", "SO-2", "SHP-00002") in told(book)


def test_a_credit_note_is_not_an_invoice_to_announce_nor_overdue(tmp_path):
    book = shipped_book(tmp_path)
    notify(book, tmp_path / "drafts", "2026-11-21")
    before = told(book)
    append(book, "Returns", ["SO-1", 1, None, 4, RETURN_DAY, "broken", "Damaged"])
    assert operate(book, "returns", "2026-11-26")[0] == 0
    notify(book, tmp_path / "drafts", "2026-11-26")
    notify(book, tmp_path / "drafts", "2027-01-30")  # INV-00001 is credited: not overdue
    assert [t for t in told(book)[len(before):] if t[2] == "SO-1"] == []
    assert not [t for t in told(book) if t[3].startswith("CN-")]


def test_an_exchange_line_is_served_and_the_customer_told(tmp_path):
    """SO-1 was confirmed, dispatched and invoiced; 1 x A-100 comes back and is exchanged
    for B-200 (none in stock: backordered), then stock arrives and it ships."""
    book = shipped_book(tmp_path)
    drafts = tmp_path / "drafts"
    notify(book, drafts, "2026-11-21")
    append(book, "Returns", ["SO-1", 1, None, 1, RETURN_DAY, "wrong colour", "Resellable",
                             "B-200"])
    assert operate(book, "returns", "2026-11-25")[0] == 0
    assert run(book, today="2026-11-25")[0] == 0
    assert statuses(book)[("SO-1", 2)] == "Backordered"
    notify(book, drafts, "2026-11-25")
    assert ("C1", "Backordered", "SO-1", "") in told(book)  # the exchange line waits

    def restock(wb):
        ws = wb["Inventory"]
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value == "B-200":
                ws.cell(r, 3).value = 10
    from ..changes.helpers import edit
    edit(book, restock)
    assert run(book, today="2026-11-27")[0] == 0
    assert statuses(book)[("SO-1", 2)] == "Invoiced"
    notify(book, drafts, "2026-11-27")
    new = told(book)
    assert ("C1", "Dispatched", "SO-1", "SHP-00003") in new
    assert ("C1", "Invoiced", "SO-1", "INV-00003") in new


def test_a_confirmed_order_that_is_cancelled_gets_one_cancellation_notice(tmp_path):
    book = basic_book(tmp_path / "book.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-1", 2, D1, "C1", "B-200", 1, None, None, "Normal", None, None, ""],
    ], Returns=[RETURNS_HEAD])
    drafts = tmp_path / "drafts"
    assert run(book, dispatch=False, today="2026-11-20")[0] == 0
    notify(book, drafts, "2026-11-20")
    assert told(book) == [("C1", "Confirmed", "SO-1", "")]
    assert cancel(book, "SO-1", line=2, today="2026-11-21")[0] == 0
    notify(book, drafts, "2026-11-21")
    notify(book, drafts, "2026-11-22")  # told once
    assert told(book) == [("C1", "Confirmed", "SO-1", ""), ("C1", "Cancelled", "SO-1", "lines 2")]
    notice = [p for p in drafts.iterdir() if "cancelled" in p.name.lower()]
    assert len(notice) == 1
    text = notice[0].read_text()
    assert "B-200" in text and "A-100" not in text.split("\n\n", 1)[1]
    # the other line cancelled later: a notice of its own
    assert cancel(book, "SO-1", today="2026-11-23")[0] == 0
    notify(book, drafts, "2026-11-23")
    assert told(book)[-1] == ("C1", "Cancelled", "SO-1", "lines 1, 2")
