"""`returns` with no new row and a second `cancel` change nothing (issue 20), yet they
read the book like every run and report an edited record as restored (issue 16): then
they must write it back, or the report would not be true."""

from __future__ import annotations

from ..bookfiles import D1
from ..changes.helpers import cancel, codes, edit, rows, run
from .helpers import append, operate, shipped_book


def test_returns_with_nothing_new_still_puts_an_edited_record_back(tmp_path):
    book = shipped_book(tmp_path)
    posted = rows(book, "Invoices")
    edit(book, lambda wb: setattr(wb["Invoices"].cell(2, 12), "value", 1))  # Total typed over
    code, result = operate(book, "returns", "2026-11-26")
    assert codes(result)["posted_record_edited"] == 1
    assert rows(book, "Invoices") == posted
    # and a returns run on the clean book writes nothing
    before = book.read_bytes()
    operate(book, "returns", "2026-11-27")
    assert book.read_bytes() == before


def test_a_second_cancel_puts_a_renamed_header_back(tmp_path):
    book = shipped_book(tmp_path)
    append(book, "Orders", ["SO-3", 1, D1, "C1", "A-100", 1, None, None, "Normal", None,
                            None, ""])
    assert run(book, dispatch=False)[0] == 0
    assert cancel(book, "SO-3")[0] == 0
    header = rows(book, "Stock Ledger")[0]
    edit(book, lambda wb: setattr(wb["Stock Ledger"].cell(1, 3), "value", "Op"))
    code, result = cancel(book, "SO-3")
    assert "posted_record_edited" in codes(result) or "record_edited" in codes(result)
    assert rows(book, "Stock Ledger")[0] == header
