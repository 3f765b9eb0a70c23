"""PDFs can be redone and show progress (issue 19): every invoice and packing slip without a
PDF gets one on the next `--pdf` run or `ordersheet pdf`; an interrupted run leaves a
folder the next run completes; one document that cannot be made is an issue, never the
loss of the book or of the other PDFs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from rich.console import Console
from typer.testing import CliRunner

from ordersheet import app, cli
from ordersheet.documents import pdf as pdf_module
from tests.bookfiles import D1, basic_book

runner = CliRunner()
TODAY = "2026-11-10"
ALL = ["INV-00001.pdf", "INV-00002.pdf", "INV-00003.pdf",
       "SHP-00001.pdf", "SHP-00002.pdf", "SHP-00003.pdf"]


def run(*args):
    return runner.invoke(cli.cli, [str(a) for a in args])


def three_orders(tmp_path: Path, description: str = "Widget") -> Path:
    orders = [[f"SO-{i}", 1, D1, "C1" if i % 2 else "C2", "A-100", 1, None, None, None, None,
               None, None] for i in (1, 2, 3)]
    products = [["A-100", description, 10, 1.5, "standard", "Yes"]]
    return basic_book(tmp_path / "b.xlsx", orders=orders, Products=products)


@pytest.fixture
def book(tmp_path) -> Path:
    """A book with three invoices and three shipments, and no PDF yet."""
    path = three_orders(tmp_path)
    assert run("run", path, "--dispatch", "--today", TODAY).exit_code == 0
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_next_pdf_run_writes_every_document_that_has_no_pdf(book, tmp_path):
    folder = tmp_path / "pdf"
    r = run("run", book, "--pdf", folder, "--today", TODAY)  # nothing new to invoice
    assert r.exit_code == 0, r.output
    assert names(folder) == ALL
    assert "PDFs: 6 written to" in r.output
    (folder / "INV-00002.pdf").unlink()
    kept = (folder / "SHP-00001.pdf").stat().st_mtime_ns
    r = run("invoice", book, "--pdf", folder, "--today", TODAY)
    assert "PDFs: 1 written to" in r.output and names(folder) == ALL
    assert (folder / "SHP-00001.pdf").stat().st_mtime_ns == kept  # the others left alone


def test_pdf_command_writes_the_missing_all_or_the_named_and_never_the_book(book, tmp_path):
    folder = tmp_path / "out"
    before = book.read_bytes()
    r = run("pdf", book, "--out", folder)
    assert r.exit_code == 0, r.output
    assert names(folder) == ALL and "PDFs: 6 written" in r.output
    assert "PDFs: 0 written" in run("pdf", book, "--out", folder, "--missing").output
    (folder / "SHP-00003.pdf").unlink()
    assert "PDFs: 1 written" in run("pdf", book, "--out", folder).output
    assert "PDFs: 6 written" in run("pdf", book, "--out", folder, "--all").output
    r = run("pdf", book, "INV-00002", " SHP-00001 ", "--out", tmp_path / "two")
    assert r.exit_code == 0 and names(tmp_path / "two") == ["INV-00002.pdf", "SHP-00001.pdf"]
    assert "INV-00002" in PdfReader(tmp_path / "two" / "INV-00002.pdf").pages[0].extract_text()
    assert book.read_bytes() == before


@pytest.mark.parametrize("args, says", [
    (["INV-00099"], "has no invoice or shipment 'INV-00099'"),
    (["INV-00001", "--all"], "not more than one"),
])
def test_pdf_command_refuses_what_it_cannot_do_with_exit_2(book, tmp_path, args, says):
    r = run("pdf", book, *args, "--out", tmp_path / "out")
    assert r.exit_code == 2 and says in r.output, r.output
    assert not (tmp_path / "out").exists() or names(tmp_path / "out") == []


def test_an_interrupted_run_leaves_a_folder_the_next_run_completes(book, tmp_path, monkeypatch):
    folder = tmp_path / "pdf"
    state = app.read_book(cli.open_book(book)).book
    real_replace = cli.files.os.replace
    calls = []

    def killed_on_the_third(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third PDF is being written
        return real_replace(src, dst)

    monkeypatch.setattr(cli.files.os, "replace", killed_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        app.write_pdfs(state, app.issued_documents(state), folder)
    monkeypatch.undo()
    assert names(folder) == ["INV-00001.pdf", "INV-00002.pdf"]  # whole files, no temp
    # a run killed outright (no clean-up) leaves its temp file: the next run removes it
    (folder / ".~INV-00003.pdf.k1ll3d.tmp").write_bytes(b"%PDF-1.4 half")
    (folder / "SHP-00001.pdf").write_bytes(b"")  # what a crash of the machine may leave
    r = run("pdf", book, "--out", folder)
    assert r.exit_code == 0, r.output
    assert names(folder) == ALL and "PDFs: 4 written" in r.output
    for name in ALL:
        assert len(PdfReader(folder / name).pages) == 1


def test_a_document_that_cannot_be_made_is_an_issue_and_is_retried(book, tmp_path,
                                                                   monkeypatch):
    folder = tmp_path / "pdf"
    real = pdf_module.document_pdf

    def broken(doc, plan=None):
        if doc.doc_id == "INV-00002":
            raise ValueError("something fpdf2 refused")
        return real(doc, plan)

    monkeypatch.setattr(pdf_module, "document_pdf", broken)
    r = run("run", book, "--pdf", folder, "--today", TODAY)
    assert r.exit_code == 1
    assert names(folder) == [n for n in ALL if n != "INV-00002.pdf"]
    said = " ".join(r.output.split())
    assert "PDFs: 5 written" in said and "1 could not be made" in said
    assert "Invoices!A3: INV-00002.pdf could not be made (ValueError: something fpdf2 " \
           "refused)" in said
    assert load_workbook(book)["Invoices"]["A3"].value == "INV-00002"  # the book is saved
    r = run("pdf", book, "--out", folder, "--json")
    assert r.exit_code == 1
    (issue,) = json.loads(r.output)
    assert (issue["code"], issue["severity"], issue["sheet"]) == ("pdf_failed", "Error",
                                                                 "Invoices")
    r = run("print", book, "INV-00002", "--pdf", tmp_path / "one.pdf")
    assert r.exit_code == 1 and "could not be made" in r.output
    assert not (tmp_path / "one.pdf").exists()
    monkeypatch.undo()
    r = run("run", book, "--pdf", folder, "--today", TODAY)  # retried, and now it works
    assert r.exit_code == 0 and names(folder) == ALL


def test_a_2000_character_description_makes_its_pdf_and_prints(tmp_path):
    book = three_orders(tmp_path, description=" ".join(["Very long description"] * 95))
    r = run("run", book, "--dispatch", "--pdf", tmp_path / "pdf", "--today", TODAY)
    assert r.exit_code == 0, r.output
    assert names(tmp_path / "pdf") == ALL
    assert len(PdfReader(tmp_path / "pdf" / "INV-00001.pdf").pages) >= 1
    r = run("print", book, "INV-00001", "--pdf", tmp_path / "one.pdf")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")


def test_missing_glyphs_are_a_warning_that_names_the_document(book, tmp_path, monkeypatch):
    real = pdf_module.render

    def without_a_japanese_font(docs, workers=1):
        for drawn in real(docs, workers):
            yield drawn if drawn.doc.doc_id != "SHP-00002" else \
                pdf_module.Rendered(drawn.doc, drawn.data, frozenset("東京"))

    monkeypatch.setattr(pdf_module, "render", without_a_japanese_font)
    r = run("pdf", book, "--out", tmp_path / "pdf")
    assert r.exit_code == 0 and names(tmp_path / "pdf") == ALL  # written all the same
    text = " ".join(r.output.split())
    assert "Shipments!A3: SHP-00002.pdf: no font on this computer draws 京 (U+4EAC), " \
           "東 (U+6771)" in text


# ---- progress --------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_progress_bar_shows_only_when_writing_takes_over_a_second(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, force_terminal=True, width=100))
    clock = Clock()
    bar = cli.PdfProgress(enabled=True, clock=clock)
    clock.now = 0.5
    bar(1, 40)
    assert bar.bar is None  # quick so far: nothing shown
    clock.now = 1.5
    bar(2, 40)
    bar(40, 40)
    bar.close()
    assert "Writing PDFs" in screen.getvalue() and "40/40" in screen.getvalue()
    quick = cli.PdfProgress(enabled=True, clock=Clock())
    quick(3, 3)
    assert quick.bar is None


def test_no_progress_bar_off_a_terminal_or_with_json(book, tmp_path, monkeypatch):
    monkeypatch.setattr(cli.PdfProgress, "DELAY", 0.0)
    r = run("pdf", book, "--out", tmp_path / "a")  # CliRunner's output is no terminal
    assert "Writing PDFs" not in r.output and "PDFs: 6 written" in r.output
    monkeypatch.setattr(cli, "out", Console(file=io.StringIO(), force_terminal=True))
    shown = []
    monkeypatch.setattr(cli.PdfProgress, "__call__",
                        lambda self, done, total: shown.append(self.enabled))
    r = run("pdf", book, "--out", tmp_path / "b", "--json")
    assert json.loads(r.output) == [] and shown and not any(shown)


# ---- what Net means --------------------------------------------------------------------


def test_invoice_net_means_the_same_on_the_invoices_sheet_and_in_the_pdf(tmp_path):
    """Net is goods and the SHIPPING line on both (the sheet's Shipping column says how
    much of it is shipping): a reader adding up either finds the same Total."""
    from decimal import Decimal

    from ordersheet.book.templates import build_order_book
    from ordersheet.documents.model import amount_text

    book, folder = tmp_path / "sample.xlsx", tmp_path / "pdf"
    build_order_book(book, sample=True, today=__import__("datetime").date(2026, 11, 20))
    run("run", book, "--dispatch", "--pdf", folder, "--today", "2026-11-20")
    wb = load_workbook(book)
    head, *invoices = list(wb["Invoices"].iter_rows(values_only=True))
    lines_head, *lines = list(wb["Invoice Lines"].iter_rows(values_only=True))
    col, lcol = {h: i for i, h in enumerate(head)}, {h: i for i, h in enumerate(lines_head)}
    currencies = set()
    for inv in invoices:
        no, ccy = inv[col["Invoice No"]], inv[col["Currency"]]
        net, tax, total = (Decimal(str(inv[col[k]])) for k in ("Net", "Tax", "Total"))
        mine = [ln for ln in lines if ln[lcol["Invoice No"]] == no]
        assert any(ln[lcol["SKU"]] == "SHIPPING" for ln in mine)
        assert net == sum(Decimal(str(ln[lcol["Net"]])) for ln in mine)  # shipping included
        assert net + tax == total
        if ccy not in currencies:  # one PDF per currency is enough to read
            currencies.add(ccy)
            text = " ".join(" ".join(p.extract_text() for p in
                                     PdfReader(folder / f"{no}.pdf").pages).split())
            assert f"Net {amount_text(net, ccy)} Tax {amount_text(tax, ccy)} Total " \
                   f"{amount_text(total, ccy)}" in text, (no, text[-300:])
    assert {"USD", "EUR", "JPY"} <= currencies


def test_pdfs_are_drawn_in_one_process_per_cpu_unless_told(monkeypatch):
    monkeypatch.setenv("ORDERSHEET_PDF_WORKERS", "1")
    assert app.pdf_workers() == 1
    monkeypatch.setenv("ORDERSHEET_PDF_WORKERS", "many")
    monkeypatch.setattr(app.os, "cpu_count", lambda: 32)
    assert app.pdf_workers() == 8
    monkeypatch.delenv("ORDERSHEET_PDF_WORKERS")
    monkeypatch.setattr(app.os, "cpu_count", lambda: None)
    assert app.pdf_workers() == 1
