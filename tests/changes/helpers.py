"""Shared steps of the order-changes tests: run an operation on a book, edit it between
runs, read a sheet back."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from openpyxl import load_workbook

from ordersheet import cli
from ordersheet.domain.changes import CancelRequest

from ..book.test_posted_records import column, put, rows  # noqa: F401 (the tests' helpers)

TODAY = "2026-11-20"


def run(book: Path, op: str = "run", dispatch: bool = True, today: str = TODAY):
    return cli.run_operation(book, op, today, None, as_json=False, dispatch=dispatch,
                             quiet=True)


def cancel(book: Path, order_id: str, line: int | None = None, reason: str = "",
           today: str = TODAY):
    return cli.run_operation(book, "cancel", today, None, as_json=False, quiet=True,
                             cancel=CancelRequest(order_id, line, reason))


def edit(book: Path, change) -> None:
    wb = load_workbook(book)
    change(wb)
    wb.save(book)


def records(book: Path, sheet: str) -> list[dict]:
    got = rows(book, sheet)
    return [dict(zip(got[0], r)) for r in got[1:]]


def ledger_rows(book: Path) -> list[dict]:
    return records(book, "Stock Ledger")


def codes(result) -> Counter:
    return Counter(i.code for i in result.issues)


def sheet_bytes(book: Path) -> dict[str, bytes]:
    """Every part of the saved package (a run that writes nothing leaves them all)."""
    with zipfile.ZipFile(book) as z:
        return {n: z.read(n) for n in z.namelist()}
