"""`ordersheet report` on real books (issue 22): the Dashboard, Reorder and Bottlenecks
sheets, the Dashboard's native charts as chart parts whose series point at its own cells,
a re-run that replaces its own charts and no one else's, and LibreOffice drawing it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from typer.testing import CliRunner

from ordersheet import app
from ordersheet.book.templates import build_order_book
from ordersheet.cli import cli, run_operation

TODAY = dt.date(2026, 11, 20)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def without_returns(book: Path) -> Path:
    """The sample book with its Returns rows (there for `ordersheet demo`) blanked: a book
    whose figures that need returns say they have none."""
    wb = load_workbook(book)
    for row in wb["Returns"].iter_rows(min_row=2):
        for c in row:
            c.value = None
    wb.save(book)
    return book


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> Path:
    book = tmp_path_factory.mktemp("report") / "book.xlsx"
    without_returns(build_order_book(book, sample=True, today=TODAY))
    run_operation(book, "run", TODAY.isoformat(), None, False, dispatch=True, quiet=True)
    code, _ = run_operation(book, "report", "2026-11-25", None, False, quiet=True)
    assert code == 1  # the sample's deliberate errors
    return book


def parts(book: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_part(book_parts: dict[str, bytes], name: str) -> str:
    wb = book_parts["xl/workbook.xml"].decode()
    rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % re.escape(name), wb).group(1)
    rels = book_parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(r'Id="%s"[^>]*Target="([^"]+)"' % rid, rels) or \
        re.search(r'Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def chart_refs(xml: bytes) -> tuple[str, list[tuple[str, str]]]:
    """(categories ref, [(series name ref, values ref)]) of a chart part."""
    from xml.etree import ElementTree as ET

    root = ET.fromstring(xml)
    series = []
    cats = ""
    for ser in root.iter(C + "ser"):
        tx = ser.find(f"{C}tx/{C}strRef/{C}f").text
        val = ser.find(f"{C}val/{C}numRef/{C}f").text
        cats = ser.find(f"{C}cat/{C}numRef/{C}f") if ser.find(f"{C}cat/{C}numRef") is not None \
            else ser.find(f"{C}cat/{C}strRef/{C}f")
        series.append((tx, val))
        cats = cats.text
    return cats, series


def cells(ws, ref: str) -> list:
    rng = ref.split("!")[1].replace("$", "")
    if ":" not in rng:  # one category: openpyxl names the one cell
        return [ws[rng].value]
    return [c.value for row in ws[rng] for c in (row if isinstance(row, tuple) else (row,))]


def dispatched_sample(book: Path) -> Path:
    """The sample book after `run --dispatch`: invoices, so every chart has data."""
    build_order_book(book, sample=True, today=TODAY)
    run_operation(book, "run", TODAY.isoformat(), None, False, dispatch=True, quiet=True)
    return book


def test_report_writes_the_three_views(reported):
    wb = load_workbook(reported)
    assert {"Dashboard", "Reorder", "Bottlenecks"} <= set(wb.sheetnames)
    dash = wb["Dashboard"]
    assert [c.value for c in dash[1]][:5] == ["Section", "Figure", "Value", "Unit", "Definition"]
    figures = {(r[0], r[1]): r[2] for r in dash.iter_rows(min_row=2, values_only=True)}
    assert figures[("Returns", "Returns rate")] == "n/a: no returns yet"
    assert figures[("Backorders", "Units backordered")] > 0
    reorder = wb["Reorder"]
    assert [c.value for c in reorder[1]][:3] == ["SKU", "Warehouse", "Description"]
    first = [c.value for c in reorder[2]]
    assert first[13] == "Yes"  # the most urgent row is one to reorder
    stages = {r[0] for r in wb["Bottlenecks"].iter_rows(min_row=2, values_only=True)}
    assert {"Invalid", "On hold", "Backordered"} <= stages
    assert wb.active.title == "Issues"  # errors: Issues shows, as after every run


def test_the_dashboard_has_four_native_charts_pointing_at_its_own_cells(reported):
    p = parts(reported)
    dash_path = sheet_part(p, "Dashboard")
    sheet_xml = p[dash_path].decode()
    rid = re.search(r'<drawing r:id="([^"]+)"/>', sheet_xml).group(1)
    d, f = dash_path.rsplit("/", 1)
    rels = p[f"{d}/_rels/{f}.rels"].decode()
    drawing = re.search(r'Id="%s"[^>]*Target="([^"]+)"' % rid, rels).group(1)
    drawing = "xl/drawings/" + drawing.rsplit("/", 1)[1]
    drels = p[drawing.replace("drawings/", "drawings/_rels/") + ".rels"].decode()
    charts = ["xl/charts/" + t.rsplit("/", 1)[1] for t in re.findall(r'Target="([^"]+)"', drels)]
    assert len(charts) == 4
    ct = p["[Content_Types].xml"].decode()
    for part in charts + [drawing]:
        assert f'PartName="/{part}"' in ct
    ws = load_workbook(reported)["Dashboard"]
    titles = []
    for chart in charts:
        cats, series = chart_refs(p[chart])
        assert cats.startswith("'Dashboard'!$B$")
        for name_ref, values_ref in series:
            assert values_ref.startswith("'Dashboard'!$")
            # the series' name is the header cell right above its values
            name_row = int(re.search(r"\$(\d+)$", name_ref).group(1))
            first_row = int(re.search(r"\$[A-Z]+\$(\d+)", values_ref).group(1))
            assert first_row == name_row + 1
            values = cells(ws, values_ref)
            assert values and all(isinstance(v, (int, float)) for v in values)
        titles.append(cells(ws, series[0][0])[0])
    assert titles[-1] == "Units"  # backorder age: units per age bucket
    age = load_workbook(reported)["Dashboard"]
    buckets = {r[1]: r[2] for r in age.iter_rows(min_row=2, values_only=True)
               if r[0] == "Backorders" and str(r[1]).startswith("Units ") and "old" in r[1]}
    _, series = chart_refs(p[charts[-1]])
    assert cells(ws, series[0][1]) == list(buckets.values())


def test_a_second_report_replaces_its_own_charts_and_keeps_a_users_chart(tmp_path):
    book = dispatched_sample(tmp_path / "book.xlsx")
    wb = load_workbook(book)
    mine = wb.create_sheet("My Chart")
    for i in range(1, 5):
        mine.append([f"w{i}", i * 10])
    chart = BarChart()
    chart.title = "mine"
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=4))
    mine.add_chart(chart, "D2")
    wb.save(book)
    before = parts(book)
    user_chart = [n for n in before if n.startswith("xl/charts/")]
    assert len(user_chart) == 1
    for _ in range(2):
        run_operation(book, "report", TODAY.isoformat(), None, False, quiet=True)
    after = parts(book)
    assert after[user_chart[0]] == before[user_chart[0]]
    mine_path = sheet_part(after, "My Chart")
    assert "<drawing" in after[mine_path].decode()
    charts = sorted(n for n in after if n.startswith("xl/charts/"))
    assert len(charts) == 5  # the user's and the Dashboard's four, not eight
    drawings = [n for n in after if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]
    assert len(drawings) == 2
    ct = after["[Content_Types].xml"].decode()
    for part in re.findall(r'PartName="/([^"]+)"', ct):
        assert part in after, f"content type for a part that is gone: {part}"
    wb = load_workbook(book)
    assert len(wb["My Chart"]._charts) == 1 and len(wb["Dashboard"]._charts) == 4


def test_a_book_without_orders_payments_or_returns_gets_a_dashboard(tmp_path):
    book = tmp_path / "empty.xlsx"
    build_order_book(book, sample=False, today=TODAY)
    code, _ = run_operation(book, "report", TODAY.isoformat(), None, False, quiet=True)
    assert code == 0
    dash = load_workbook(book)["Dashboard"]
    values = {(r[0], r[1]): r[2] for r in dash.iter_rows(min_row=2, values_only=True)}
    assert values[("Returns", "Returns rate")] == "n/a: no returns yet"
    assert values[("Receivables", "Overdue")] == "n/a: no invoices yet"


def test_a_users_dashboard_sheet_is_left_alone(tmp_path):
    book = dispatched_sample(tmp_path / "book.xlsx")
    wb = load_workbook(book)
    wb.create_sheet("Dashboard")["A1"] = "my own numbers"
    wb.save(book)
    _, result = run_operation(book, "run", TODAY.isoformat(), None, False, quiet=True)
    assert not any(i.code == "sheet_name_taken" for i in result.issues)  # not a report
    _, result = run_operation(book, "report", TODAY.isoformat(), None, False, quiet=True)
    taken = [i for i in result.issues if i.code == "sheet_name_taken"]
    assert [i.sheet for i in taken] == ["Dashboard"]
    issues_sheet = [r[3] for r in load_workbook(book)["Issues"].iter_rows(values_only=True)]
    assert "sheet_name_taken" in issues_sheet
    wb = load_workbook(book)
    assert wb["Dashboard"]["A1"].value == "my own numbers"
    assert wb["Dashboard (ordersheet)"]["A1"].value == "Section"
    assert len(wb["Dashboard (ordersheet)"]._charts) == 4


def test_purchase_lists_per_supplier(tmp_path):
    book = tmp_path / "book.xlsx"
    build_order_book(book, sample=True, today=TODAY)
    wb = load_workbook(book)
    ws = wb["Products"]
    head = [c.value for c in ws[1]]
    col = head.index("Supplier") + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row, col).value = "Acme Gear" if row % 2 else "+Bolt"
    wb.save(book)
    res = CliRunner().invoke(cli, ["report", str(book), "--today", TODAY.isoformat(),
                                   "--purchase-lists", str(tmp_path / "buy")])
    assert res.exit_code == 1, res.output  # the sample's errors; the book is written
    files = sorted(p.name for p in (tmp_path / "buy").iterdir())
    assert files and set(files) <= {"purchase-Acme-Gear.csv", "purchase-Bolt.csv"}
    text = (tmp_path / "buy" / files[0]).read_text()
    assert text.splitlines()[0].startswith("Supplier,SKU,Description,Warehouse,Quantity")
    if "purchase-Bolt.csv" in files:  # a formula-looking supplier is neutralised
        assert "'+Bolt" in (tmp_path / "buy" / "purchase-Bolt.csv").read_text()


def test_the_openpyxl_engine_draws_the_same_charts(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    book = dispatched_sample(tmp_path / "book.xlsx")
    run_operation(book, "report", TODAY.isoformat(), None, False, quiet=True)
    assert len(load_workbook(book)["Dashboard"]._charts) == 4


@pytest.mark.skipif(SOFFICE is None or shutil.which("pdftoppm") is None,
                    reason="needs LibreOffice and poppler (pdftoppm)")
def test_libreoffice_draws_the_dashboard_into_a_png_that_is_not_blank(reported, tmp_path):
    from PIL import Image

    png = tmp_path / "dash.png"
    app.dashboard_png(reported, png)
    img = Image.open(png).convert("RGB")
    w, h = img.size
    assert w > 500 and h > 300
    colours = img.getcolors(maxcolors=1 << 20)
    non_white = sum(n for n, rgb in colours if min(rgb) < 200)
    assert non_white > 0.01 * w * h, "the picture is (nearly) blank"
    # the charts' bars and lines are drawn in colour, not only text in black
    coloured = sum(n for n, (r, g, b) in colours if max(r, g, b) - min(r, g, b) > 60)
    assert coloured > 500
