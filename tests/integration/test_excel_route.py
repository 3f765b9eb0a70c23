"""The Excel route (xlwings remote engine, as xlwings Lite drives it) of `process_returns`
then `reconcile_payments` on one book writes the book the CLI writes: a return of goods
already paid for, and the payment re-matched after it."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from ordersheet import excel
from tests.excel.test_scripts import (TODAY, assert_same_workbook, cli_run, fixed_clock,  # noqa: F401
                                      lite_run, order_book)

from .helpers import PAYMENTS_HEAD, RETURNS_HEAD

ORDERS = [["SO-1", 1, dt.date(2026, 11, 2), "C1", "A-100", 4, None, None, "Normal", None,
           None, ""],
          ["SO-2", 1, dt.date(2026, 11, 2), "C2", "B-200", 2, None, None, "Normal", None,
           None, ""]]


def test_returns_then_reconcile_in_excel_write_what_the_cli_writes(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS, Returns=[RETURNS_HEAD],
                     Payments=[PAYMENTS_HEAD, ["P1", TODAY, "C1", 200, "USD", "INV-00041"],
                               ["P2", TODAY, None, 30, "USD", "Beta"]])
    cli_run(src, tmp_path / "sent.xlsx", "run", dispatch=True)
    cli_run(tmp_path / "sent.xlsx", tmp_path / "paid.xlsx", "reconcile")
    wb = load_workbook(tmp_path / "paid.xlsx")
    assert [r[14] for r in wb["Invoices"].iter_rows(min_row=2, values_only=True)] == [
        "Paid", "Partially Paid"]
    wb["Returns"].append(["SO-1", 1, None, 1, TODAY, "scratched", "Damaged", None])
    wb["Returns"].append(["SO-1", None, "A-100", 1, TODAY, "wrong colour", "Resellable",
                          "B-200"])
    wb["Returns"].append(["SO-2", 1, None, 5, TODAY, "too many", "Resellable", None])
    wb.save(tmp_path / "typed.xlsx")

    typed = tmp_path / "typed.xlsx"
    cli_run(typed, tmp_path / "cli-returns.xlsx", "returns")
    cli_run(tmp_path / "cli-returns.xlsx", tmp_path / "cli.xlsx", "reconcile")
    got, _ = lite_run(typed, tmp_path / "lite-returns.xlsx", excel.process_returns,
                      as_of=TODAY)
    assert [p.credit_notes for p in got.result.returns.new] == ["CN-00001", "CN-00002"]
    assert_same_workbook(tmp_path / "cli-returns.xlsx", tmp_path / "lite-returns.xlsx")
    got, _ = lite_run(tmp_path / "lite-returns.xlsx", tmp_path / "lite.xlsx",
                      excel.reconcile_payments, as_of=TODAY)
    assert [r.rule for r in got.result.reconciliation.new_rows][:1] == ["reversal"]
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")
