"""An in-place run keeps every part of the workbook it does not own, byte for byte, and
the parts it touches keep the user's cells, styles and extensions; a real spreadsheet
application opens the result. openpyxl alone (load + save) loses several of these: the
measurement is `test_what_openpyxl_alone_loses`."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

from ordersheet.book import plan as p
from ordersheet.book.xlsx import XlsxBook

from .. import fixtures_build as fb

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported")

ORDERS = "xl/worksheets/sheet1.xml"
SETTINGS = "xl/worksheets/sheet5.xml"
TOUCHED = {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml",
           "xl/styles.xml", ORDERS, SETTINGS, "xl/tables/table1.xml", "xl/comments1.xml",
           "xl/drawings/vmlDrawing1.vml"}
"""Orders gets tool columns (its table grows), highlights and notes (comments + VML);
Settings one cell; the workbook two new sheets."""

FEATURES = {
    "x14 data validation": b"<x14:dataValidation ",
    "x14 data bar (conditional format)": b"<x14:dataBar",
    "sparklines": b"<x14:sparklineGroup",
    "slicer on the sheet": b"<x14:slicerList>",
    "slicer parts": b"<slicerCacheDefinition",
    "dynamic-array formula metadata": b"<xda:dynamicArrayProperties",
    "xlwings Lite code (webextension)": fb.XLWINGS_CODE.encode()[:20],
    "form-control button": b'ObjectType="Button"',
    "pivot table": b"<pivotTableDefinition",
    "chart": b"chartSpace",
    "image": b"\x89PNG",
    "user note": b"Customer asked for a call",
    "cached formula value": b"<v>82</v>",
}


def plan() -> p.WritePlan:
    return p.WritePlan([
        p.UpdateColumns("Orders", 1, [
            (7, "Status", ["Reserved", "Error", "Reserved", "Backordered", "Reserved"], "text"),
            (8, "Net", [D("19.98"), None, D("49.95"), D("29.97"), D("0.00")], "money")],
            table="tblOrders"),
        p.MarkCells("Orders", {(3, 3): ("Error", "unknown customer C001?"),
                               (3, 5): ("Error", "quantity exceeds credit")}),
        p.ReplaceSheet("Issues", ["Sheet", "Cell", "Severity", "Code", "Message"],
                       [["Orders", "E3", "Error", "credit_limit_exceeded",
                         "quantity exceeds credit"]], ["text"] * 5, "Orders", "tblIssues",
                       [10, 8, 10, 24, 40]),
        p.AppendRows("Audit Log", ["Timestamp", "Operation", "Lines"],
                     [[dt.datetime(2026, 3, 5, 9, 30), "run", 5]],
                     ["datetime", "text", "int"], 0, "tblAuditLog"),
        p.SetCells("Settings", {(2, 2): 42}),
    ], activate="Issues")


def members(path: Path) -> dict[str, tuple[bytes, int, int]]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: (z.read(i), i.CRC, i.compress_size) for i in z.infolist()}


def all_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return b"".join(z.read(n) for n in z.namelist())


def user_cells(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)["Orders"]
    return [(c.coordinate, c.value, c.number_format, c.font.b, c.font.color and c.font.color.rgb)
            for row in ws["A1:F6"] for c in row]


@pytest.fixture(params=[False, True], ids=["xlsx", "xlsm"])
def run(request, tmp_path):
    """(book before, book after an in-place run)."""
    src = fb.preservation_book(tmp_path, xlsm=request.param)
    before = tmp_path / ("before" + src.suffix)
    shutil.copy(src, before)
    book = XlsxBook(src)
    book.read()
    book.apply(plan())
    book.save()
    return before, src


def test_untouched_parts_are_byte_identical(run):
    before, after = run
    old, new = members(before), members(after)
    assert set(old) <= set(new)
    changed = {n for n in old if new[n][0] != old[n][0]}
    assert changed == TOUCHED
    for name in set(old) - TOUCHED:  # same bytes, and the same compressed bytes
        assert new[name] == old[name], name
    added = set(new) - set(old)
    assert len(added) == 6  # two sheets, their rels, two tables


def test_touched_sheets_keep_user_cells_styles_and_extensions(run):
    before, after = run
    assert user_cells(after) == user_cells(before)
    old, new = members(before), members(after)
    orders = new[ORDERS][0]
    for marker in (b"<x14:dataValidation ", b"<x14:dataBar", b"<x14:sparklineGroup",
                   b"<x14:slicerList>", b"<dataValidation ", b"<conditionalFormatting ",
                   b"<legacyDrawing ", b"<tableParts "):
        assert marker in orders, marker
    vml = new["xl/drawings/vmlDrawing1.vml"][0]
    assert b'ObjectType="Button"' in vml and b"Hello" in vml
    assert vml.count(b'ObjectType="Note"') == 2  # Ana's note and ordersheet's E3 note
    wb = openpyxl.load_workbook(after)
    ws = wb["Orders"]
    assert ws["C3"].comment.text == "Customer asked for a call"  # the user's, not replaced
    assert ws["E3"].comment.text == "ordersheet: quantity exceeds credit"
    assert ws["E3"].fill.fgColor.rgb == "FF" + p.MARK_COLORS["Error"]
    assert ws.tables["tblOrders"].ref == "A1:H6"
    assert [ws.cell(1, c).value for c in (7, 8)] == ["Status", "Net"]
    assert wb["Settings"]["B3"].value == "=B2*2"  # formulas in user cells stay formulas
    assert b"<f>B2*2</f>" in new[SETTINGS][0]


def test_the_result_opens_with_openpyxl_and_keeps_its_structure(run):
    _, after = run
    wb = openpyxl.load_workbook(after, keep_vba=after.suffix == ".xlsm")
    assert wb.sheetnames == ["Orders", "Issues", "Lists", "Dashboard", "Pivot", "Settings",
                             "Chart1", "Audit Log"]
    assert wb.active.title == "Issues"
    assert list(wb["Dashboard"].defined_names) == ["LocalTotal"]  # scoped names follow
    assert list(wb["Lists"].defined_names) == ["Skus"]             # their sheets
    assert wb["Pivot"]._pivots and wb["Pivot"]._pivots[0].name == "PivotQty"
    assert wb["Audit Log"]["A2"].value == dt.datetime(2026, 3, 5, 9, 30)
    raws = XlsxBook(after).read()
    assert raws["Issues"].rows[0][3] == "credit_limit_exceeded"


def test_vba_and_xlwings_lite_code_survive(run):
    before, after = run
    old, new = members(before), members(after)
    for name in ("xl/webextensions/webextension1.xml", "xl/webextensions/taskpanes.xml",
                 "xl/webextensions/_rels/taskpanes.xml.rels", "_rels/.rels"):
        assert new[name] == old[name]
    if after.suffix == ".xlsm":
        assert new["xl/vbaProject.bin"] == old["xl/vbaProject.bin"]
        assert b"macroEnabled.main+xml" in new["[Content_Types].xml"][0]


def test_every_feature_of_the_corpus_survives(run):
    _, after = run
    data = all_bytes(after)
    assert [k for k, m in FEATURES.items() if m not in data] == []


def test_what_openpyxl_alone_loses(tmp_path):
    """The measurement behind the package-level writer: openpyxl load + save of the
    corpus, compared feature by feature with the engine's in-place run. The report is
    printed (see it with `pytest -s -k openpyxl_alone`), not shown in a normal run."""
    lost: dict[str, list[str]] = {}
    for xlsm in (False, True):
        folder = tmp_path / ("m" if xlsm else "x")
        folder.mkdir()
        src = fb.preservation_book(folder, xlsm=xlsm)
        wb = openpyxl.load_workbook(src, keep_vba=xlsm)
        resaved = src.with_name("openpyxl" + src.suffix)
        wb.save(resaved)
        data = all_bytes(resaved)
        lost[src.suffix] = [k for k, m in FEATURES.items() if m not in data]
        parts_lost = sorted(set(members(src)) - set(members(resaved)))
        book = XlsxBook(src)
        book.apply(plan())
        book.save()
        assert [k for k, m in FEATURES.items() if m not in all_bytes(src)] == []
        print(f"\nopenpyxl load+save of the {src.suffix} corpus loses: "  # shown with -s
              f"{', '.join(lost[src.suffix])}\n  parts missing afterwards: "
              f"{', '.join(parts_lost)}")
    for suffix in (".xlsx", ".xlsm"):
        assert {"x14 data validation", "x14 data bar (conditional format)", "sparklines",
                "slicer on the sheet", "slicer parts", "dynamic-array formula metadata",
                "xlwings Lite code (webextension)"} <= set(lost[suffix])
    assert "form-control button" in lost[".xlsx"]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
                    "apt-get install -y libreoffice-calc-nogui")
def test_libreoffice_opens_the_result_and_shows_the_values(run, tmp_path):
    from pypdf import PdfReader

    _, after = run
    out = tmp_path / "pdf"
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(out), str(after)], capture_output=True, text=True, timeout=180)
    pdf = out / (after.stem + ".pdf")
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    for expected in ("SO-4", "Reserved", "49.95", "credit_limit_exceeded",
                     "quantity exceeds credit", "Sum of Quantity", "Next Invoi 42"):
        assert expected in text, expected
