"""Money cells carry their currency's decimals (issue 19): a JPY line's Price, Net, Tax and
Total on Orders, a JPY invoice's amounts on Invoices and its lines on Invoice Lines show no
decimals (`#,##0`), as the PDF shows them, while the USD rows keep two; and Shipments'
Status has a dropdown. Each through the command (the .xlsx engine) and the reference
openpyxl engine, read back with openpyxl as a user's Excel would open the book."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from typer.testing import CliRunner

from ordersheet.book import number_formats as nf
from ordersheet.book import plan as p
from ordersheet.cli import cli
from tests.bookfiles import D1, write_book

ZERO, TWO = "#,##0", "#,##0.00"
TODAY = "2026-11-10"


def jpy_book(path: Path) -> Path:
    """A USD customer and a JPY customer (FX Rates give the yen price), one line each."""
    return write_book(path, {
        "Orders": [["SO-1", 1, D1, "C-US", "A-100", 2, None, None, "Normal", None, None, None],
                   ["SO-2", 1, D1, "C-JP", "A-100", 3, None, None, "Normal", None, None, None],
                   ["SO-3", 1, D1, "C-US", "B-200", 1, None, None, "Normal", None, None, None]],
        "Products": [["A-100", "Widget", 10.55, 1.5, "standard", "Yes"],
                     ["B-200", "Gadget", 25.5, 2, "standard", "Yes"]],
        "Inventory": [["A-100", "MAIN", 10, "A-01"], ["B-200", "MAIN", 5, "B-02"]],
        "Customers": [["C-US", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No",
                       "1 Main St", "1 Main St"],
                      ["C-JP", "Yamada Shoji", "y@x.jp", "JP", "JPY", None, 30, None, "No",
                       "No", "Tokyo", "Tokyo"]],
        "FX Rates": [["Currency", "Rate"], ["JPY", 151.37]],
    })


def run(*args) -> None:
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code in (0, 1), r.output


def _row_of(ws, header: str, value: str) -> int:
    col = [c.value for c in ws[1]].index(header) + 1
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value)


def _formats(ws, row: int, headers: tuple[str, ...]) -> dict[str, str]:
    names = [c.value for c in ws[1]]
    return {h: ws.cell(row, names.index(h) + 1).number_format for h in headers}


def _check_money_formats(path: Path) -> None:
    wb = load_workbook(path)
    orders = wb["Orders"]
    tool = ("Net", "Tax", "Total")
    assert _formats(orders, 3, tool) == dict.fromkeys(tool, ZERO)  # SO-2, the JPY line
    assert orders.cell(3, [c.value for c in orders[1]].index("Currency") + 1).value == "JPY"
    assert _formats(orders, 2, tool) == dict.fromkeys(tool, TWO)
    assert _formats(orders, 4, tool) == dict.fromkeys(tool, TWO)
    # a yen price worked out with FX Rates (10.55 x 151.37 = 1596.9535): one or two decimals
    assert _formats(orders, 3, ("Price",))["Price"] in (ZERO, "#,##0.0#")
    assert _formats(orders, 2, ("Price",))["Price"] == "#,##0.00####"

    invoices = wb["Invoices"]
    amounts = ("Net", "Tax", "Shipping", "Total", "Paid", "Balance")
    jp = _row_of(invoices, "Customer ID", "C-JP")
    us = _row_of(invoices, "Customer ID", "C-US")
    assert _formats(invoices, jp, amounts) == dict.fromkeys(amounts, ZERO)
    assert _formats(invoices, us, amounts) == dict.fromkeys(amounts, TWO)

    lines = wb["Invoice Lines"]
    jp_no = invoices.cell(jp, 1).value
    jl = _row_of(lines, "Invoice No", jp_no)
    ul = _row_of(lines, "Invoice No", invoices.cell(us, 1).value)
    assert _formats(lines, jl, ("Net", "Tax", "Total")) == dict.fromkeys(("Net", "Tax", "Total"),
                                                                         ZERO)
    assert _formats(lines, jl, ("Unit Price",))["Unit Price"] in (ZERO, "#,##0.0#")
    assert _formats(lines, ul, ("Net", "Tax", "Total")) == dict.fromkeys(("Net", "Tax", "Total"),
                                                                         TWO)
    assert _formats(lines, ul, ("Unit Price",))["Unit Price"] == "#,##0.00####"


def _status_validations(ws) -> list[DataValidation]:
    status = [c.value for c in ws[1]].index("Status") + 1
    letter = ws.cell(1, status).column_letter
    return [dv for dv in ws.data_validations.dataValidation
            if all(r.min_col == r.max_col == status for r in dv.sqref.ranges)
            and str(dv.sqref).startswith(f"{letter}2:")]


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_a_jpy_customers_money_cells_show_no_decimals_and_usd_ones_two(tmp_path, monkeypatch,
                                                                       engine):
    if engine == "openpyxl":
        monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    book = jpy_book(tmp_path / "book.xlsx")
    run("run", book, "--dispatch", "--today", TODAY)
    _check_money_formats(book)
    run("run", book, "--dispatch", "--today", TODAY)  # a second run writes them again
    _check_money_formats(book)


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_shipments_status_has_a_dropdown_that_a_rerun_keeps_single(tmp_path, monkeypatch,
                                                                 engine):
    if engine == "openpyxl":
        monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    book = jpy_book(tmp_path / "book.xlsx")
    run("ship", book, "--today", TODAY)
    if engine == "xlsx":  # (before openpyxl saves the book below, in its own order)
        assert_schema_order(book, "Shipments")
    wb = load_workbook(book)
    ws = wb["Shipments"]
    (dv,) = _status_validations(ws)
    n = ws.max_row
    assert dv.type == "list" and dv.formula1 == '"Ready,Shipped,Cancelled"'
    assert str(dv.sqref) == f"K2:K{n}" and n == 4  # three shipments: the data rows
    # the user adds a validation of their own: on Orders' Priority, and on Shipments
    orders = wb["Orders"]
    own = DataValidation(type="list", formula1='"Low,Normal,High"')
    own.add("I2:I50")
    orders.add_data_validation(own)
    mine = DataValidation(type="whole", operator="between", formula1="1", formula2="9")
    mine.add("P2:P20")
    ws.add_data_validation(mine)
    wb.save(book)

    run("dispatch", book, "--today", TODAY)
    run("run", book, "--today", TODAY)
    wb = load_workbook(book)
    ws = wb["Shipments"]
    (dv,) = _status_validations(ws)  # one dropdown, never two
    assert str(dv.sqref) == f"K2:K{ws.max_row}"
    kept = [d for d in ws.data_validations.dataValidation if str(d.sqref) == "P2:P20"]
    assert len(kept) == 1 and kept[0].type == "whole" and kept[0].formula2 == "9"
    (theirs,) = wb["Orders"].data_validations.dataValidation
    assert str(theirs.sqref) == "I2:I50" and theirs.formula1 == '"Low,Normal,High"'
    if engine == "xlsx":
        assert_schema_order(book, "Shipments")


WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
    "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
    "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
    "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
    "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
"""CT_Worksheet's sequence (ECMA-376 part 1, 18.3.1.99): Excel refuses a sheet out of it."""


def assert_schema_order(book: Path, sheet: str) -> None:
    import re
    import zipfile
    from xml.etree import ElementTree

    with zipfile.ZipFile(book) as z:
        wbx = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % sheet, wbx).group(1)
        target = re.search(r'Id="%s"[^>]*Target="([^"]+)"' % rid, rels) or \
            re.search(r'Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
        xml = z.read("xl/" + target.group(1).lstrip("/").removeprefix("xl/"))
    children = [el.tag.split("}")[1] for el in ElementTree.fromstring(xml)]
    assert children.count("dataValidations") == 1
    positions = [WORKSHEET_ORDER.index(t) for t in children]
    assert positions == sorted(positions), children


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_formatted_book(tmp_path):
    book = jpy_book(tmp_path / "book.xlsx")
    run("run", book, "--dispatch", "--today", TODAY)
    out = tmp_path / "csv"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
         "false,-1", "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    shipments = (out / "book-Shipments.csv").read_text()
    assert "SHP-00001" in shipments
    orders = (out / "book-Orders.csv").read_text().splitlines()
    # LibreOffice shows the JPY line's Total under #,##0: no decimal point
    jpy = next(line for line in orders if line.startswith("SO-2,"))
    assert "JPY" in jpy and not any(cell.count(".") for cell in jpy.split('"')[1::2])


# ---- the rule, alone --------------------------------------------------------------------


@pytest.mark.parametrize("ccy, fmt", [("USD", "money"), ("EUR", "money"), ("JPY", "money0"),
                                      ("KRW", "money0"), ("KWD", "money3"), ("", "money"),
                                      (None, "money")])
def test_an_amount_gets_its_currencys_decimals(ccy, fmt):
    assert nf.money_fmt(ccy) == fmt


@pytest.mark.parametrize("ccy, price, fmt", [
    ("USD", "329.2496", "price"), ("JPY", "1597", "money0"), ("JPY", "1596.95", "price0"),
    ("KWD", "1.2345", "price3"), ("JPY", None, "money0")])
def test_a_unit_price_shows_its_minor_unit_and_up_to_two_more(ccy, price, fmt):
    from decimal import Decimal

    assert nf.price_fmt(ccy, Decimal(price) if price else None) == fmt
    assert p.NUMBER_FORMATS[fmt]


def test_rows_in_two_decimal_currencies_cost_no_runs():
    assert nf.money_runs(["USD", "EUR", None, "GBP"] * 1000) == []
    assert nf.money_runs(["USD", "JPY", "JPY", "USD", "KWD"]) == [(1, 3, "money0"),
                                                                   (4, 5, "money3")]


def test_segments_cut_a_chunk_where_the_format_changes():
    runs = [(2, 4, "money0"), (9, 12, "money3")]
    assert p.segments(runs, "money", 0, 8) == [(0, 2, "money"), (2, 4, "money0"),
                                                (4, 8, "money")]
    assert p.segments(runs, "money", 10, 20) == [(10, 12, "money3"), (12, 20, "money")]
    assert p.segments([], "money", 0, 5) == [(0, 5, "money")]
    assert [p.fmt_at(runs, "money", i) for i in (1, 2, 3, 4, 9, 11, 12)] == [
        "money", "money0", "money0", "money", "money3", "money3", "money"]
