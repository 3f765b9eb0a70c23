"""Documents from the command line: print sheets, PDFs, carrier CSV, selective dispatch."""

import csv

from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from ordersheet.cli import cli
from tests.bookfiles import D1, basic_book

runner = CliRunner()
TODAY = "2026-11-10"


def run(*args):
    return runner.invoke(cli, [str(a) for a in args])


def _orders(n: int):
    return [[f"SO-{i}", 1, D1, "C1" if i % 2 else "C2", "A-100", 1, None, None, None, None,
             None, "=cmd|' /C calc'!A0" if i == 1 else None] for i in range(1, n + 1)]


def test_run_dispatch_invoices_and_writes_one_pdf_per_document(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(3))
    r = run("run", book, "--dispatch", "--pdf", tmp_path / "pdf", "--today", TODAY)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "pdf").iterdir())
    assert names == ["INV-00001.pdf", "INV-00002.pdf", "INV-00003.pdf",
                     "SHP-00001.pdf", "SHP-00002.pdf", "SHP-00003.pdf"]
    text = PdfReader(tmp_path / "pdf" / "INV-00002.pdf").pages[0].extract_text()
    assert "INV-00002" in text and "Beta" in text and "10.00" in text
    wb = load_workbook(book)
    assert wb["Invoice"]["H3"].value == "INV-00003"  # the last one created is shown


def test_print_shows_any_document_and_the_book_keeps_one_print_sheet(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(3))
    assert run("run", book, "--dispatch", "--today", TODAY).exit_code == 0
    r = run("print", book, "INV-00001", "--pdf", tmp_path / "out")
    assert r.exit_code == 0, r.output
    wb = load_workbook(book)
    assert wb["Invoice"]["H3"].value == "INV-00001"
    assert wb.sheetnames.count("Invoice") == 1 and wb.sheetnames.count("Packing Slip") == 1
    assert (tmp_path / "out" / "INV-00001.pdf").exists()
    r = run("print", book, "SHP-00002")
    assert r.exit_code == 0
    assert load_workbook(book)["Packing Slip"]["D3"].value == "SHP-00002"
    r = run("print", book, "INV-99999")
    assert r.exit_code == 2 and "no invoice or shipment" in r.output


def test_dispatch_only_the_named_shipment(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(3))
    assert run("ship", book, "--today", TODAY).exit_code == 0
    r = run("dispatch", book, "--shipment", "SHP-00002", "--today", TODAY)
    assert r.exit_code == 0, r.output
    wb = load_workbook(book)
    status = {row[0]: row[10] for row in wb["Shipments"].iter_rows(min_row=2, values_only=True)}
    assert status == {"SHP-00001": "Ready", "SHP-00002": "Shipped", "SHP-00003": "Ready"}
    invoices = [row[6] for row in wb["Invoices"].iter_rows(min_row=2, values_only=True)]
    assert invoices == ["SHP-00002"]
    on_hand = {row[0]: row[2] for row in wb["Inventory"].iter_rows(min_row=2, values_only=True)}
    assert on_hand["A-100"] == 9


def test_user_typed_shipped_status_is_posted_once(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(1))
    assert run("ship", book, "--today", TODAY).exit_code == 0
    wb = load_workbook(book)
    ws = wb["Shipments"]
    ws["K2"] = "shipped"
    ws["M2"] = "1Z999"
    wb.save(book)
    for _ in range(2):
        assert run("invoice", book, "--today", TODAY).exit_code == 0
    wb = load_workbook(book)
    row = [c.value for c in wb["Shipments"][2]]
    assert row[10] == "Shipped" and row[12] == "1Z999"
    assert wb["Inventory"]["C2"].value == 9  # taken out once
    assert [r[0] for r in wb["Invoices"].iter_rows(min_row=2, values_only=True)] == ["INV-00001"]
    assert wb["Orders"]["M2"].value == "Invoiced"


def test_export_shipments_csv_neutralises_formulas(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(2))
    wb = load_workbook(book)
    wb["Customers"]["B2"] = "=HYPERLINK(\"http://evil\")"
    wb["Customers"]["B2"].data_type = "s"
    wb.save(book)
    assert run("ship", book, "--today", TODAY).exit_code == 0
    out = tmp_path / "carrier.csv"
    r = run("export-shipments", book, out)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [x["Shipment ID"] for x in rows] == ["SHP-00001", "SHP-00002"]
    assert rows[0]["Recipient Name"].startswith("'=")
    assert rows[0]["Order Number"] == "SO-1" and rows[0]["Country"] == "US"


def test_hostile_note_stays_text(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(1))
    wb = load_workbook(book)
    wb["Orders"]["L2"].data_type = "s"
    wb.save(book)
    assert run("run", book, "--today", TODAY).exit_code == 0
    wb = load_workbook(book)
    assert wb["Orders"]["L2"].data_type == "s"


def test_five_thousand_shipments_one_packing_slip_sheet(tmp_path):
    orders = [[f"SO-{i}", 1, D1, "C1", "A-100", 1, None, None, None, None, None, None]
              for i in range(1, 5001)]
    book = basic_book(tmp_path / "b.xlsx", orders=orders,
                      Inventory=[["A-100", "MAIN", 6000, "A-01"], ["B-200", "MAIN", 3, "B-02"]])
    r = run("run", book, "--dispatch", "--today", TODAY)
    assert r.exit_code == 0, r.output
    wb = load_workbook(book, read_only=True)
    assert wb.sheetnames.count("Packing Slip") == 1 and wb.sheetnames.count("Invoice") == 1
    assert len(wb.sheetnames) < 20


def test_print_sheet_is_created_plain_in_a_book_without_the_template(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=_orders(1))
    assert "Invoice" not in load_workbook(book).sheetnames
    assert run("run", book, "--dispatch", "--today", TODAY).exit_code == 0
    assert run("print", book, "INV-00001").exit_code == 0
    ws = load_workbook(book)["Invoice"]
    assert ws["H3"].value == "INV-00001" and ws["G3"].value == "Invoice No"
    assert ws["A14"].value == "A-100" and ws["C14"].value == 1
