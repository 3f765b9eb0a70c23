"""A small book the features of issues 20-23 meet on: two orders dispatched and invoiced,
then payments, returns, cancellations, notify and report on the same book, run as the
command line runs them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from ordersheet import cli

from ..bookfiles import D1, basic_book
from ..changes.helpers import column, edit, records, run

RETURNS_HEAD = ["Order ID", "Line", "SKU", "Quantity", "Date", "Reason", "Condition",
                "Exchange SKU"]
PAYMENTS_HEAD = ["Payment ID", "Date", "Customer ID", "Amount", "Currency", "Reference"]
TAX = [["Country", "Tax Class", "Rate %"], ["US", "standard", 10], ["US", "shipping", 0]]
RETURN_DAY = dt.date(2026, 11, 25)


def shipped_book(tmp_path: Path, **extra) -> Path:
    """SO-1: 4 x A-100 at 10.00 + 10 % tax, dispatched and invoiced as INV-00001 (44.00,
    C1); SO-2: 5 x B-200 for C2, 3 in stock: 3 dispatched (INV-00002, 84.15), 2
    backordered. Invoiced on 2026-11-20, due 30 days later."""
    sheets = {"Tax Rates": TAX, "Returns": [RETURNS_HEAD], "Payments": [PAYMENTS_HEAD],
              "Settings": [["Key", "Value"], ["Company Name", "Acme"],
                           ["Company Address", "1 Road"]]}
    sheets.update(extra)
    book = basic_book(tmp_path / "book.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 4, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "B-200", 5, None, None, "Normal", None, None, ""],
    ], **sheets)
    code, _ = run(book)
    assert code == 0
    assert column(book, "Invoices", "Invoice No") == ["INV-00001", "INV-00002"]
    return book


def append(book: Path, sheet: str, *rows) -> None:
    def change(wb):
        for r in rows:
            wb[sheet].append(list(r))
    edit(book, change)


def operate(book: Path, op: str, today: str, **kw):
    """`ordersheet OP BOOK --today TODAY` (returns: exit code, RunResult)."""
    return cli.run_operation(book, op, today, None, False, quiet=True, **kw)


def notify(book: Path, drafts: Path, today: str) -> str:
    got = CliRunner().invoke(cli.cli, ["notify", str(book), "--drafts", str(drafts),
                                       "--today", today])
    assert got.exit_code == 0, got.output
    return got.output


def told(book: Path) -> list[tuple]:
    """(Customer, Event, Order, Document) of each Communication Log row."""
    return [(r["Customer ID"], r["Event"], r["Order ID"], r["Document"] or "")
            for r in records(book, "Communication Log")]


def invoices(book: Path) -> dict[str, dict]:
    return {r["Invoice No"]: r for r in records(book, "Invoices")}


def statuses(book: Path) -> dict[tuple, str]:
    return {(r["Order ID"], r["Line"]): r["Status"] for r in records(book, "Orders")}
