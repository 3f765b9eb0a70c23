"""The committed ribbon add-in is xlwings' own template with only the ribbon relabelled,
and its button runs ordersheet on the active workbook."""

from __future__ import annotations

import datetime as dt
import importlib.util
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import xlwings

from tests.bookfiles import basic_book
from tests.excel.payload import live_book

ROOT = Path(__file__).resolve().parents[2]
CLASSIC = ROOT / "addin" / "classic"
XLAM = CLASSIC / "ordersheet_addin.xlam"
TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
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


def test_the_button_processes_the_active_workbook(tmp_path, monkeypatch):
    from ordersheet import excel

    monkeypatch.setattr(excel, "_clock", lambda: dt.datetime(2026, 11, 3, 9, 0))
    book = live_book(basic_book(tmp_path / "book.xlsx"))
    addin = load(CLASSIC / "ordersheet_addin.py", "ordersheet_addin")
    fake_xw = types.SimpleNamespace(books=types.SimpleNamespace(active=book))
    monkeypatch.setattr(addin, "xw", fake_xw)
    addin.main()
    funcs = [a["func"] for a in book.json()["actions"]]
    assert "addSheet" in funcs and "setValues" in funcs


def test_the_readmes_cover_every_script_and_the_install_steps():
    from ordersheet import excel

    lite = (ROOT / "addin" / "lite" / "README.md").read_text()
    classic = (CLASSIC / "README.md").read_text()
    functions = ("order_price", "stock_available", "line_total")
    scripts = [n for n in excel.__all__ if n not in functions]
    assert [n for n in scripts if n not in lite] == []
    assert all(f in lite for f in ("ORDER_PRICE", "STOCK_AVAILABLE", "LINE_TOTAL"))
    assert "xlwings addin install -f ordersheet_addin.xlam" in classic
    assert 'RunPython "import xlwings as xw, ordersheet.excel as o; o.process_orders(' in classic
