"""A real spreadsheet application reads what we write: every kind of book ordersheet
produces (the demo book, a book after each operation) opens in LibreOffice headless and
converts to PDF with the expected values in its text."""

import datetime as dt
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from ordersheet.book.templates import build_order_book
from ordersheet.cli import run_operation

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TODAY = dt.date(2026, 11, 20)

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not "
                                "installed; apt-get install -y libreoffice-calc-nogui")


def test_libreoffice_converts_a_book_after_each_operation(tmp_path):
    books = {}
    for op in ("validate", "price", "reserve", "ship", "run"):
        book = tmp_path / f"after-{op}.xlsx"
        build_order_book(book, sample=True, today=TODAY)
        run_operation(book, op, TODAY.isoformat(), None, False, dispatch=op == "run",
                      quiet=True)
        books[op] = book
    out = tmp_path / "pdf"
    proc = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out)] + [str(b) for b in books.values()],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr

    def text(op: str) -> str:
        pdf = out / f"after-{op}.pdf"
        assert pdf.exists(), (op, proc.stdout, proc.stderr)
        return " ".join(page.extract_text() for page in PdfReader(pdf).pages)

    expectations = {
        "validate": ["unknown_sku", "TENT-3P", "Valid"],
        "price": ["Priced", "236.55", "Credit Hold"],
        "reserve": ["Reserved", "Backordered", "FILTER-SQ"],
        "ship": ["SHP-00001", "Ready", "Packing Slip"],
        "run": ["INV-00001", "Invoiced", "Northwind Outdoor Supply"],
    }
    for op, words in expectations.items():
        t = text(op)
        for w in words:
            assert w in t, (op, w)
