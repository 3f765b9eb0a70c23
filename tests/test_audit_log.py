"""The Audit Log records when a run happened by the clock (Timestamp) and the business
date it worked as of (`--today`, Business Date) (#18); a book written before Business Date
existed still reads, and gains the column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from ordersheet.book import state as st
from ordersheet.cli import run_operation
from ordersheet.domain import models as m
from tests.bookfiles import basic_book

BUSINESS_DAY = "2026-11-03"


def run(book: Path, op: str = "validate"):
    return run_operation(book, op, BUSINESS_DAY, None, False, quiet=True)


def audit_rows(book: Path) -> list[dict]:
    rows = list(load_workbook(book)["Audit Log"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_the_timestamp_is_the_clock_and_the_business_date_is_today(tmp_path):
    book = basic_book(tmp_path / "book.xlsx")
    before = dt.datetime.now().replace(microsecond=0)
    code, result = run(book, "reserve")
    after = dt.datetime.now()
    assert code == 0
    [row] = audit_rows(book)
    assert before <= row["Timestamp"] <= after  # not 2026-11-03 at the clock's time
    assert row["Business Date"] == dt.datetime(2026, 11, 3)
    assert list(row)[-1] == "Business Date"  # added at the right: older columns stay put
    # the Stock Ledger's timestamps are the clock too; Reserved On is the business date
    assert all(before <= x.timestamp <= after for x in result.ledger)
    assert {r.reserved_on for r in result.book.reservations} == {dt.date(2026, 11, 3)}


def _as_before_business_date(book: Path) -> None:
    """Make `book` what an ordersheet without Business Date wrote: the Audit Log sheet
    without the column, and its records kept without the field."""
    wb = load_workbook(book)
    ws = wb["Audit Log"]
    ws.delete_cols(5)
    for t in list(ws.tables):
        ws.tables[t].ref = ws.tables[t].ref.replace("E", "D")
        del ws.tables[t].tableColumns[4:]
    fields = ["timestamp", "user", "operation", "details"]
    for row in wb[st.RECORDS_SHEET].iter_rows(min_row=2):
        kind, name, part, data, check = row[:5]
        if kind.value == "records" and name.value == "Audit Log":
            assert part.value.endswith("/1/1")
            records = st.decode(m.AuditEntry, data.value)
            data.value = st.encode(m.AuditEntry, fields, records)
            check.value = st._crc(data.value)
    wb.save(book)


def test_a_book_from_before_business_date_still_reads_and_gains_the_column(tmp_path):
    book = basic_book(tmp_path / "book.xlsx")
    assert run(book)[0] == 0
    _as_before_business_date(book)
    assert list(audit_rows(book)[0]) == ["Timestamp", "User", "Operation", "Details"]
    code, result = run(book)
    assert [(i.code, i.sheet, i.cell) for i in result.issues] == []
    assert code == 0
    first, second = audit_rows(book)
    assert first["Business Date"] is None and first["Operation"] == "validate"
    assert second["Business Date"] == dt.datetime(2026, 11, 3)
    code, result = run(book)  # and from then on it is an ordinary column of the log
    assert (code, result.issues) == (0, [])
    assert len(audit_rows(book)) == 3


def test_a_book_from_before_ordersheet_kept_records_gets_its_new_row_in_the_right_columns(
        tmp_path):
    """No records sheet at all (a book from before posted records): the log is read as it
    is, and the new row goes under the right headers, not by position under older ones."""
    book = basic_book(tmp_path / "book.xlsx")
    assert run(book)[0] == 0
    _as_before_business_date(book)
    wb = load_workbook(book)
    del wb[st.RECORDS_SHEET]
    wb.save(book)
    code, result = run(book)
    assert code == 0, result.issues
    first, second = audit_rows(book)
    assert (first["Operation"], first["Business Date"]) == ("validate", None)
    assert (second["Operation"], second["Business Date"]) == (
        "validate", dt.datetime(2026, 11, 3))
    assert isinstance(second["User"], str) and isinstance(second["Timestamp"], dt.datetime)
