"""The customer statement (issue 21): open items, credit and what is owed, on the terminal
and as a PDF; and `=OPEN_BALANCE` on the Invoices table."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

from pypdf import PdfReader
from typer.testing import CliRunner

from ordersheet import cli
from ordersheet.documents.statement import statement_document
from ordersheet.domain import models as m

from ..bookfiles import D1
from .test_reconcile_book import invoiced, reconcile

TODAY = dt.date(2026, 12, 20)


def inv(no, total, balance, due, customer="C1", credits=""):
    return m.Invoice(invoice_no=no, invoice_date=D1, due_date=due, customer_id=customer,
                     customer_name="Acme", order_id="O", currency="USD", net=D(total),
                     tax=D(0), total=D(total), paid=D(total) - D(balance), balance=D(balance),
                     credits_invoice=credits)


def test_open_items_oldest_due_first_with_days_past_due_and_credit():
    book = m.OrderBook(
        customers=(m.Customer(customer_id="C1", name="Acme", bill_to="1 Main St"),),
        invoices=(inv("INV-00002", "50", "50", dt.date(2026, 12, 30)),
                  inv("INV-00001", "100", "40", dt.date(2026, 12, 2)),
                  inv("INV-00003", "30", "0", dt.date(2026, 12, 1)),
                  inv("INV-00009", "70", "70", dt.date(2026, 12, 1), customer="C2")),
        reconciliation=(m.ReconRow(payment_id="P", date=D1, customer_id="C1",
                                   rule="unapplied", unapplied=D(15), currency="USD"),))
    doc = statement_document(book, "c1", TODAY)
    assert [(r["invoice_no"].text, r["days"].text, r["balance"].text) for r in doc.lines] == [
        ("INV-00001", "18", "40.00"), ("INV-00002", "", "50.00"),
        ("Unapplied credit", "", "-15.00")]
    assert doc.owed == ("Balance due: USD 75.00",)


def test_ordersheet_statement_prints_and_writes_the_pdf(tmp_path):
    book = invoiced(tmp_path, [["P1", D1, "C1", 25, "USD", ""]])
    reconcile(book)
    pdf = tmp_path / "c1.pdf"
    got = CliRunner().invoke(cli.cli, ["statement", str(book), "C1", "--pdf", str(pdf),
                                       "--today", "2026-12-20"], terminal_width=200)
    assert got.exit_code == 0, got.output
    assert "INV-00003" in got.output and "INV-00001" not in got.output  # paid in full
    assert "Balance due: USD 5.00" in got.output
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Statement" in text and "INV-00003" in text and "Balance due: USD 5.00" in text
    unknown = CliRunner().invoke(cli.cli, ["statement", str(book), "C9"])
    assert unknown.exit_code == 2


def test_open_balance_sums_the_invoices_balance(tmp_path):
    from openpyxl import load_workbook

    from ordersheet import excel

    book = invoiced(tmp_path, [["P1", D1, "C1", 25, "USD", ""]])
    reconcile(book)
    table = [list(r) for r in load_workbook(book)["Invoices"].iter_rows(values_only=True)]
    assert excel.open_balance("C1", table) == 5.0
    assert excel.open_balance("c2", table, "USD") == 25.5
    assert excel.open_balance("C1", table, "EUR") == 0.0
    assert excel.open_balance("C1", None).startswith("OPEN_BALANCE: pass the Invoices")
