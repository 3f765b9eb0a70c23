"""The committed ribbon add-in is xlwings' own template with only the ribbon relabelled,
and its button runs ordersheet on the active workbook."""

from __future__ import annotations

import datetime as dt
import importlib.util
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook

from ordersheet import app
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from tests.bookfiles import D1, basic_book
from tests.excel.payload import live_book, replay_to_file, sheet_values

ROOT = Path(__file__).resolve().parents[2]
CLASSIC = ROOT / "addin" / "classic"
XLAM = CLASSIC / "ordersheet_addin.xlam"
TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
TODAY = dt.date(2026, 11, 3)
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ribbon_is_relabelled_and_keeps_the_wired_callback():
    with zipfile.ZipFile(XLAM) as z:
        ui = ET.fromstring(z.read("customUI/customUI.xml"))
    tab = ui.find(".//ui:tab", NS)
    assert (tab.get("id"), tab.get("label")) == ("myaddinTab", "ordersheet")
    buttons = ui.findall(".//ui:button", NS)
    assert [(b.get("id"), b.get("label"), b.get("onAction")) for b in buttons] == [
        ("myButton", "Process orders", "RibbonMyAddin.RunMain")]


def test_everything_but_the_ribbon_is_xlwings_template_byte_for_byte():
    with zipfile.ZipFile(XLAM) as ours, zipfile.ZipFile(TEMPLATE) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
        changed = [n for n in ours.namelist() if ours.read(n) != theirs.read(n)]
    assert changed == ["customUI/customUI.xml"]


def test_the_build_script_reproduces_the_committed_file(tmp_path):
    build = load(CLASSIC / "build_addin.py", "build_addin")
    out = tmp_path / "ordersheet_addin.xlam"
    build.relabel(TEMPLATE, out)
    with zipfile.ZipFile(XLAM) as committed, zipfile.ZipFile(out) as rebuilt:
        assert {n: committed.read(n) for n in committed.namelist()} == \
               {n: rebuilt.read(n) for n in rebuilt.namelist()}


def click(book, monkeypatch) -> None:
    """The ribbon button on `book` as the active workbook."""
    import ordersheet_addin

    monkeypatch.setattr(ordersheet_addin, "xw",
                        types.SimpleNamespace(books=types.SimpleNamespace(active=book)))
    ordersheet_addin.main()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    from ordersheet import excel

    monkeypatch.setattr(excel, "_clock", lambda: dt.datetime(2026, 11, 3, 9, 0))


def two_orders(path: Path, run: str | None = None, *, processed: bool = False) -> Path:
    """Two orders for two customers (two shipments once shipped), Settings `Run` if given,
    optionally processed already and dispatched (so that there are invoices)."""
    settings = [["Key", "Value"], ["Company Name", "Acme"]] + ([["Run", run]] if run else [])
    src = basic_book(path, orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, None],
        ["SO-2", 1, D1, "C2", "B-200", 1, None, None, "Normal", None, None, None]],
        Settings=settings)
    if processed:
        port = OpenpyxlBook(src)
        app.execute(port, "ship", today=TODAY, now=dt.datetime(2026, 11, 3, 9, 0))
        port.save(src)
    return src


def press(src: Path, monkeypatch) -> tuple[Path, list[str]]:
    """Click the button on the book at `src`; the book as Excel would show it after."""
    book = live_book(src)
    click(book, monkeypatch)
    out = src.with_name("after.xlsx")
    replay_to_file(src, book, out)
    return out, [a["func"] for a in book.json()["actions"]]


def audit(path: Path) -> list[str]:
    rows = sheet_values(load_workbook(path)["Audit Log"])
    return [r[rows[0].index("Operation")] for r in rows[1:]]


def statuses(path: Path) -> dict[str, str]:
    rows = sheet_values(load_workbook(path)["Shipments"])
    return {r[rows[0].index("Order ID")]: r[rows[0].index("Status")] for r in rows[1:]}


def test_with_no_run_setting_the_button_processes_the_active_workbook(tmp_path, monkeypatch):
    out, funcs = press(two_orders(tmp_path / "book.xlsx"), monkeypatch)
    assert "addSheet" in funcs and "setValues" in funcs
    assert audit(out) == ["run"]
    assert statuses(out) == {"SO-1": "Ready", "SO-2": "Ready"}


def test_run_validate_runs_only_validation(tmp_path, monkeypatch):
    out, _ = press(two_orders(tmp_path / "book.xlsx", "Validate"), monkeypatch)
    assert audit(out) == ["validate"]
    assert "Shipments" not in load_workbook(out).sheetnames


def test_run_dispatch_with_an_id_dispatches_only_that_shipment(tmp_path, monkeypatch):
    src = two_orders(tmp_path / "book.xlsx", "dispatch SHP-00001", processed=True)
    out, _ = press(src, monkeypatch)
    assert statuses(out) == {"SO-1": "Shipped", "SO-2": "Ready"}
    assert audit(out)[-1] == "dispatch"


def test_run_show_puts_one_document_on_its_print_sheet(tmp_path, monkeypatch):
    src = two_orders(tmp_path / "book.xlsx", "show SHP-00002", processed=True)
    out, funcs = press(src, monkeypatch)
    wb = load_workbook(out)
    assert wb.active.title == "Packing Slip"
    assert any("SHP-00002" in str(v) for row in sheet_values(wb["Packing Slip"]) for v in row)
    assert "SO-1" not in str(sheet_values(wb["Packing Slip"]))


def test_run_report_rebuilds_the_dashboard_with_native_charts(tmp_path, monkeypatch):
    src = two_orders(tmp_path / "book.xlsx", "report")
    book = live_book(src)
    click(book, monkeypatch)
    replayed = replay_to_file(src, book, tmp_path / "after.xlsx")
    wb = load_workbook(tmp_path / "after.xlsx")
    assert {"Dashboard", "Reorder", "Bottlenecks"} <= set(wb.sheetnames)
    assert audit(tmp_path / "after.xlsx") == ["report"]
    assert replayed.charts and all(c[0].startswith("ordersheet: ") and c[2] == "Dashboard"
                                   for c in replayed.charts)


def test_an_unknown_run_value_stops_before_anything_is_written(tmp_path, monkeypatch):
    book = live_book(two_orders(tmp_path / "book.xlsx", "fly"))
    with pytest.raises(ValueError, match="Settings Run: 'fly' is not something"):
        click(book, monkeypatch)
    assert book.json()["actions"] == []


def test_the_readmes_cover_every_script_and_the_install_steps():
    from ordersheet import excel

    lite = (ROOT / "addin" / "lite" / "README.md").read_text()
    classic = (CLASSIC / "README.md").read_text()
    functions = ("order_price", "stock_available", "line_total", "open_balance")
    scripts = [n for n in excel.__all__ if n not in functions]
    assert [n for n in scripts if n not in lite] == []
    assert all(f in lite for f in ("ORDER_PRICE", "STOCK_AVAILABLE", "LINE_TOTAL",
                                   "OPEN_BALANCE"))
    assert "xlwings addin install -f addin/classic/ordersheet_addin.xlam" in classic
    import ordersheet_addin

    for word in [*ordersheet_addin.STEPS, "dispatch SHP-00003", "show INV-00041"]:
        assert f"`{word}`" in classic, word
    assert 'RunPython "import xlwings as xw, ordersheet.excel as o; o.process_orders(' in classic
