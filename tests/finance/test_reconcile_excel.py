"""`reconcile_payments` in xlwings Lite writes what `ordersheet reconcile` writes: the Bank
Statement sheet imported into Payments, Reconciliation, Invoices, AR Aging (issue 21)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from ordersheet import excel
from tests.excel.test_scripts import (TODAY, assert_same_workbook, cli_run, fixed_clock,  # noqa: F401
                                      lite_run, order_book)

STATEMENT = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "uk_bank_preamble.csv"


def test_reconcile_payments_writes_what_the_cli_writes(tmp_path):
    src = order_book(tmp_path / "book.xlsx", Payments=[
        ["Payment ID", "Date", "Customer ID", "Amount", "Currency", "Reference"],
        ["P1", TODAY, "C1", 10, "USD", "by hand"]])
    cli_run(src, tmp_path / "run.xlsx", "run", dispatch=True)
    wb = load_workbook(tmp_path / "run.xlsx")
    sheet = wb.create_sheet("Bank Statement")
    for line in STATEMENT.read_text().splitlines():
        sheet.append(next(csv.reader([line])) if line else [])
    wb["Settings"].append(["Statement Day First", "Yes"])
    wb.save(tmp_path / "run.xlsx")
    cli_run(tmp_path / "run.xlsx", tmp_path / "cli.xlsx", "reconcile")
    outcome, _ = lite_run(tmp_path / "run.xlsx", tmp_path / "lite.xlsx",
                          excel.reconcile_payments, as_of=TODAY)
    assert outcome.result.operation == "reconcile"
    assert len(outcome.result.imported.added) == 2
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")
    names = load_workbook(tmp_path / "lite.xlsx").sheetnames
    assert {"Reconciliation", "AR Aging"} <= set(names)
    payments = [r for r in load_workbook(tmp_path / "lite.xlsx")["Payments"].iter_rows(
        values_only=True)]
    assert payments[1][0] == "P1" and [r[0][:5] for r in payments[2:]] == ["BANK-"] * 2
