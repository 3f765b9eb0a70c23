"""`ordersheet reconcile` on books (issue 21): the Reconciliation sheet is posted records,
Invoices' Paid / Balance / Status are the tool's, AR Aging, `run` settles, manual matches."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from ordersheet import app, cli

from ..book.test_posted_records import codes, column, edit, put, rows, run
from ..bookfiles import D1, basic_book

PAYMENTS = ["Payment ID", "Date", "Customer ID", "Amount", "Currency", "Reference"]


def invoiced(tmp_path: Path, payments: list[list]) -> Path:
    """Three invoices: INV-00001 C1 20.00, INV-00002 C2 25.50, INV-00003 C1 10.00."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "B-200", 1, None, None, "Normal", None, None, ""],
        ["SO-3", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""],
    ], Payments=[PAYMENTS, *payments])
    assert run(book, today="2026-11-02")[0] == 0
    assert column(book, "Invoices", "Total") == [20, 25.5, 10]
    return book


def reconcile(book: Path, today: str = "2026-11-20"):
    return cli.run_operation(book, "reconcile", today, None, as_json=False, quiet=True)


def by_invoice(book: Path) -> dict[str, tuple]:
    got = rows(book, "Invoices")
    head = got[0]
    return {r[0]: (r[head.index("Paid")], r[head.index("Balance")], r[head.index("Status")])
            for r in got[1:]}


def test_reconcile_posts_rows_settles_invoices_and_a_second_run_changes_nothing(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 25, "USD", ""],
                               ["P2", D1, None, 25.5, "USD", "wire inv 2"],
                               ["P3", D1, None, 3, "USD", "?"]])
    code, result = reconcile(book)
    assert code == 0
    assert codes(result)["payment_unmatched"] == 1
    recon = rows(book, "Reconciliation")
    assert recon[0][:8] == ("Payment ID", "Date", "Customer ID", "Invoice No", "Applied",
                            "Rule", "Unapplied", "Note")
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in recon[1:]] == [
        ("P1", "INV-00001", 20, "oldest first", 0), ("P1", "INV-00003", 5, "oldest first", 0),
        ("P2", "INV-00002", 25.5, "reference", 0), ("P3", None, 0, "unmatched", 3)]
    assert by_invoice(book) == {"INV-00001": (20, 0, "Paid"), "INV-00002": (25.5, 0, "Paid"),
                                "INV-00003": (5, 5, "Partially Paid")}
    summary = app.run_summary(result).text()
    assert "Payments in USD: matched 2 (50.50 USD), partly 0 (0.00 USD), unmatched 1 " \
           "(3.00 USD)" in summary
    aging = rows(book, "AR Aging")
    assert aging[1][:9] == ("C1", "Acme", "USD", 5, 0, 0, 0, 0, 5)
    assert aging[-1][0] == "Total" and "DSO = open receivables" in aging[-1][11]
    before = {n: rows(book, n) for n in ("Reconciliation", "Invoices", "AR Aging", "Payments")}
    code, again = reconcile(book)
    assert len(again.reconciliation.new_rows) == 0
    assert {n: rows(book, n) for n in before} == before


def test_past_due_invoices_are_overdue_and_age_as_of_today(tmp_path):
    book = invoiced(tmp_path, [])
    reconcile(book, today="2026-12-20")  # due 2026-12-02
    assert {v[2] for v in by_invoice(book).values()} == {"Overdue"}
    aging = rows(book, "AR Aging")
    assert aging[1][:9] == ("C1", "Acme", "USD", 0, 30, 0, 0, 0, 30)


def test_edits_to_reconciliation_rows_and_to_paid_are_put_back(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 25, "USD", ""]])
    reconcile(book)
    good = rows(book, "Reconciliation")
    paid = by_invoice(book)

    def tamper(wb):
        put(wb["Reconciliation"], 2, 5, 99)  # Applied
        put(wb["Invoices"], 2, 13, 0)  # Paid of INV-00001
        put(wb["Invoices"], 3, 15, "Paid")  # Status of INV-00002
    edit(book, tamper)
    code, result = reconcile(book)
    assert code == 1
    assert codes(result)["posted_record_edited"] == 3
    assert rows(book, "Reconciliation") == good
    assert by_invoice(book) == paid


def test_a_manual_match_is_posted_as_a_reversal_and_clearing_it_restores_the_match(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 20, "USD", ""]])
    reconcile(book)
    first = rows(book, "Reconciliation")
    assert [(r[3], r[5]) for r in first[1:]] == [("INV-00001", "exact amount")]
    edit(book, lambda wb: put(wb["Payments"], 1, 7, "Invoice No")
         or put(wb["Payments"], 2, 7, "INV-00003"))
    reconcile(book)
    second = rows(book, "Reconciliation")
    assert second[:len(first)] == first  # posted rows never change
    assert [(r[3], r[4], r[5], r[6]) for r in second[len(first):]] == [
        ("INV-00001", -20, "reversal", 0), ("INV-00003", 10, "manual", 0),
        ("INV-00001", 10, "credit", 0)]  # what the manual match leaves is C1's credit
    assert by_invoice(book)["INV-00001"] == (10, 10, "Partially Paid")
    assert by_invoice(book)["INV-00003"] == (10, 0, "Paid")
    edit(book, lambda wb: put(wb["Payments"], 2, 7, None))
    reconcile(book)
    assert by_invoice(book)["INV-00001"] == (20, 0, "Paid")
    assert by_invoice(book)["INV-00003"] == (0, 10, "Open")


def test_run_settles_from_the_posted_rows_so_credit_control_sees_payments(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 30, "USD", ""]])
    reconcile(book)
    # a credit limit of 15: open invoices 0 after the payment, so a new 10.00 order fits
    def limit(wb):
        put(wb["Customers"], 2, 6, 15)
        wb["Orders"].append(["SO-4", 1, D1, "C1", "A-100", 1, None, None, "Normal", None,
                             None, ""])
    edit(book, limit)
    code, result = run(book, dispatch=False)
    assert codes(result)["credit_limit_exceeded"] == 0
    assert by_invoice(book)["INV-00001"] == (20, 0, "Paid")
    assert "Reconciliation" in load_workbook(book).sheetnames


def test_a_book_without_payments_gets_no_reconciliation_sheet_from_run(tmp_path):
    book = basic_book(tmp_path / "b.xlsx")
    run(book)
    names = load_workbook(book).sheetnames
    assert "Reconciliation" not in names and "AR Aging" not in names


def test_a_later_run_settles_as_of_its_date_and_rebuilds_ar_aging(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 25, "USD", ""]])
    reconcile(book)
    assert by_invoice(book)["INV-00003"] == (5, 5, "Partially Paid")
    code, result = run(book, dispatch=False, today="2026-12-20")  # due 2026-12-02
    assert by_invoice(book)["INV-00003"] == (5, 5, "Overdue")
    assert by_invoice(book)["INV-00001"] == (20, 0, "Paid")
    assert len(result.book.reconciliation) == 2  # run posts nothing
    assert rows(book, "AR Aging")[1][:9] == ("C1", "Acme", "USD", 0, 5, 0, 0, 0, 5)
