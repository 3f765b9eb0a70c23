"""Reading a book ordersheet already processed: the log sheets it only appends to (Stock
Ledger, Audit Log) are read back against its records, and Orders' write-only tool columns
are located, not coerced. Every shortcut must give exactly what reading gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from ordersheet import app, cli
from ordersheet.book import load as loader
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.port import WorkbookPort
from ordersheet.book.xlsx import XlsxBook

from ..bookfiles import D1, basic_book

TODAY = "2026-11-20"


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """A small book after one `ordersheet run --dispatch` (ledger, invoices, audit log)."""
    from benchmarks.generate import generate_book

    folder = tmp_path_factory.mktemp("rerun")
    fresh = folder / "fresh.xlsx"
    generate_book(fresh, lines=300, skus=40, customers=15, error_rate=0.05, seed=5)
    out = folder / "processed.xlsx"
    code, _ = cli.run_operation(fresh, "run", TODAY, out, as_json=False, dispatch=True,
                                quiet=True)
    assert code in (0, 1) and out.exists()
    return out


def test_read_book_reads_the_log_sheets_back_against_its_records(processed):
    loaded = app.read_book(cli.open_book(processed))
    ledger, audit = (loaded.owned[n] for n in ("Stock Ledger", "Audit Log"))
    assert len(ledger.records) > 100 and len(audit.records) == 1
    assert ledger.rows_seen == len(ledger.records) and not ledger.restore
    assert {"Stock Ledger", "Audit Log"} <= loaded.book.present
    assert loaded.sheet_names["Stock Ledger"] == "Stock Ledger"
    assert not [i for i in loaded.issues if i.code in ("posted_record_edited", "record_edited")]


def _loaded_facts(loaded: loader.Loaded) -> tuple:
    return (loaded.book, loaded.issues, loaded.layouts, loaded.sheet_names,
            loaded.bad_order_rows, loaded.settings_cells, loaded.old_marks,
            loaded.workbook_sheets,
            {n: (o.records, o.rows_seen) for n, o in loaded.owned.items()})


def test_read_book_gives_what_reading_every_sheet_gives(processed, monkeypatch):
    new = _loaded_facts(app.read_book(cli.open_book(processed)))
    # the way it was: every sheet read whole, every Orders tool column coerced
    port = cli.open_book(processed)
    names = port.sheet_names()
    monkeypatch.setattr(loader, "_has_error_cells", lambda raw, cols: True)
    old = loader.load(port.read(loader.sheets_to_read(names)), names)
    assert new == _loaded_facts(old)


def test_every_engine_is_a_port_so_read_book_may_use_every_capability():
    from ordersheet.book.xlwings import XlwingsBook

    assert all(issubclass(engine, WorkbookPort)
               for engine in (XlsxBook, OpenpyxlBook, XlwingsBook))


def test_a_port_without_its_own_reading_gives_the_same_book(processed):
    class Plain(WorkbookPort):  # the required methods only: the capabilities' defaults
        def __init__(self, port):
            self.port = port

        def sheet_names(self):
            return self.port.sheet_names()

        def read(self, names=None):
            return self.port.read(names)

    plain = app.read_book(Plain(OpenpyxlBook(processed)))
    ours = app.read_book(cli.open_book(processed))
    assert {n: o.records for n, o in plain.owned.items()} == \
        {n: o.records for n, o in ours.owned.items()}


def test_a_second_run_appends_under_the_logs_it_read_back(processed, tmp_path):
    port = XlsxBook(processed)
    app.execute(port, "run", today=dt.date(2026, 11, 21),
                now=dt.datetime(2026, 11, 21, 9, 30), user="clerk", dispatch=True)
    port.save(tmp_path / "again.xlsx")
    a = CalamineWorkbook.from_path(str(tmp_path / "again.xlsx"))
    audit = a.get_sheet_by_name("Audit Log").to_python()
    assert len(audit) == 3  # header, the first run, this one: appended under the first
    before = CalamineWorkbook.from_path(str(processed)).get_sheet_by_name("Stock Ledger")
    ledger = a.get_sheet_by_name("Stock Ledger").to_python()
    assert ledger[:len(before.to_python())] == before.to_python()


def test_write_only_order_columns_showing_an_error_still_give_their_issue(tmp_path):
    path = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, "first"],
        ["SO-2", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""]])
    cli.run_operation(path, "price", TODAY, None, as_json=False, quiet=True)
    wb = load_workbook(path)
    ws = wb["Orders"]
    assert [ws.cell(1, j).value for j in (13, 14, 15)] == ["Status", "Price", "Net"]
    ws.cell(3, 14, "#N/A")  # ordersheet's own Price column shows an error
    wb.save(path)
    loaded = app.read_book(cli.open_book(path))
    codes = [(i.code, i.cell) for i in loaded.issues if i.sheet == "Orders"]
    assert ("bad_value", "N3") in codes
    assert 3 in loaded.bad_order_rows
    assert loaded.layouts["Orders"].columns["net"] == 15
