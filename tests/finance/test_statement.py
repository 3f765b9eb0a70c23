"""Bank statements (issue 21): three banks' exports, amounts and dates as banks write
them, and importing into a book (twice adds nothing; the user's rows stay as they are)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ordersheet import cli
from ordersheet.book import statement as bank

from ..book.test_posted_records import codes, column, rows
from .test_reconcile_book import PAYMENTS, by_invoice, invoiced

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "statements"


def read(name: str, **kw) -> bank.Read:
    opts = bank.Options(data=(HERE / name).read_bytes(), source=name,
                        decimal_comma=kw.pop("decimal_comma", False))
    return bank.read_csv(opts, kw.pop("day_first", False))


def test_a_us_bank_with_one_signed_amount_column():
    got = read("us_bank.csv")
    assert [(x.date, x.amount, x.reference) for x in got.lines] == [
        (dt.date(2026, 11, 5), D("20.00"), "ACH CREDIT ACME INV-00001"),
        (dt.date(2026, 11, 7), D("1025.50"), "WIRE FROM BETA inv 2"),
        (dt.date(2026, 11, 7), D("1025.50"), "WIRE FROM BETA inv 2")]
    assert (got.debits, got.debit_total) == (2, D("162.00"))
    # two identical lines are two payments, each with an ID of its own, the same every time
    ids = [x.payment_id for x in got.lines]
    assert len(set(ids)) == 3 and ids == [x.payment_id for x in read("us_bank.csv").lines]


def test_a_german_bank_in_cp1252_with_soll_haben_day_first_and_decimal_commas():
    got = read("de_bank_cp1252.csv", day_first=True, decimal_comma=True)
    assert [(x.date, x.amount, x.payer, x.reference, x.currency) for x in got.lines] == [
        (dt.date(2026, 11, 5), D("1234.56"), "Bergsport Müller GmbH",
         "Rechnung INV-00001 Danke", "EUR"),
        (dt.date(2026, 11, 9), D("20.00"), "Wanderhaus Köln", "Gutschrift Überweisung", "EUR")]
    assert (got.debits, got.debit_total) == (1, D("89.90"))
    assert got.issues == []  # the closing balance line has no date: not a payment


def test_a_uk_bank_with_a_preamble_above_the_header():
    got = read("uk_bank_preamble.csv", day_first=True)
    assert [(x.date, x.amount) for x in got.lines] == [
        (dt.date(2026, 11, 3), D("709.20")), (dt.date(2026, 11, 12), D("1070.80"))]
    assert got.debits == 1
    # month first unless told: 12/11/2026 is then 11 December
    assert read("uk_bank_preamble.csv").lines[1].date == dt.date(2026, 12, 11)


@pytest.mark.parametrize("text, comma, expected", [
    ("1,234.50", False, "1234.50"), ("1.234,50", False, "1234.50"), ("12,50", False, "12.50"),
    ("12,500", False, "12500"), ("12,500", True, "12.500"), ("(12.00)", False, "-12.00"),
    ("12.00-", False, "-12.00"), ("-€5", False, "-5"), ("£1 070.80", False, "1070.80"),
    ("", False, None), ("n/a", False, None)])
def test_amounts_as_banks_write_them(text, comma, expected):
    got = bank.parse_amount(text, comma)
    assert got == (None if expected is None else D(expected))


@pytest.mark.parametrize("text, day_first, expected", [
    ("2026-11-03", False, (2026, 11, 3)), ("03.11.2026", False, (2026, 11, 3)),
    ("03/11/2026", True, (2026, 11, 3)), ("03/11/2026", False, (2026, 3, 11)),
    ("3 Nov 2026", False, (2026, 11, 3)), ("03-Nov-26", False, (2026, 11, 3)),
    ("31/02/2026", True, None), ("soon", False, None)])
def test_dates_as_banks_write_them(text, day_first, expected):
    got = bank.parse_date(text, day_first)
    assert got == (None if expected is None else dt.date(*expected))


def test_every_encoding_reads():
    text = "Date;Amount;Reference\n2026-11-03;5,00;Müller\n"
    for enc in ("utf-8", "utf-8-sig", "cp1252", "latin-1"):
        assert bank.decode(text.encode(enc)) == text


def reconcile_with(book: Path, statement: Path, *args: str):
    from typer.testing import CliRunner

    return CliRunner().invoke(cli.cli, ["reconcile", str(book), "--statement", str(statement),
                                        "--today", "2026-11-20", *args])


def test_importing_a_statement_adds_payments_under_the_users_rows_once(tmp_path):
    book = invoiced(tmp_path, [["MY-1", dt.date(2026, 11, 3), "C2", 1, "USD", "by hand"]])
    mine = rows(book, "Payments")
    got = reconcile_with(book, HERE / "us_bank.csv")
    assert got.exit_code == 0, got.output
    assert "Bank statement us_bank.csv: 3 payments added to Payments" in got.output
    assert "2 outgoing debits (162.00) left out" in got.output
    after = rows(book, "Payments")
    assert after[:len(mine)] == mine  # the user's rows as they were
    assert [r[0][:5] for r in after[len(mine):]] == ["BANK-"] * 3
    assert [r[3] for r in after[len(mine):]] == [20, 1025.5, 1025.5]
    # matched by the invoice numbers in the reference
    assert by_invoice(book)["INV-00001"] == (20, 0, "Paid")
    assert by_invoice(book)["INV-00002"][2] == "Paid"
    again = reconcile_with(book, HERE / "us_bank.csv")
    assert "0 payments added to Payments, 3 already there" in again.output
    assert rows(book, "Payments") == after


def test_a_book_without_a_payments_sheet_gets_one(tmp_path):
    from ..bookfiles import basic_book

    book = basic_book(tmp_path / "b.xlsx")
    got = reconcile_with(book, HERE / "uk_bank_preamble.csv", "--day-first")
    assert got.exit_code == 0, got.output
    assert column(book, "Payments", "Amount") == [709.2, 1070.8]
    assert column(book, "Payments", "Date")[0].date() == dt.date(2026, 11, 3)


def test_the_bank_statement_sheet_is_imported_in_excel_as_from_a_file(tmp_path):
    """xlwings Lite cannot read files: the export is pasted onto a Bank Statement sheet
    (preamble and all), and every reconcile imports what is new on it."""
    book = invoiced(tmp_path, [])
    wb = load_workbook(book)
    ws = wb.create_sheet("Bank Statement")
    for line in (HERE / "uk_bank_preamble.csv").read_text().splitlines():
        ws.append(next(iter(__import__("csv").reader([line]))) if line else [])
    wb["Settings"].append(["Statement Day First", "Yes"])  # (the run made Settings)
    wb.save(book)
    code, result = cli.run_operation(book, "reconcile", "2026-11-20", None, as_json=False,
                                     quiet=True)
    assert [p.date for p in result.book.payments] == [dt.date(2026, 11, 3),
                                                      dt.date(2026, 11, 12)]
    assert len(column(book, "Payments", "Payment ID")) == 2
    code, result = cli.run_operation(book, "reconcile", "2026-11-20", None, as_json=False,
                                     quiet=True)
    assert len(result.book.payments) == 2 and result.imported.already == 2
    assert codes(result)["statement_unreadable"] == 0
