"""Reading a book ordersheet already processed: the log sheets it only appends to (Stock
Ledger, Audit Log) are counted, not read, and Orders' write-only tool columns are located,
not coerced. Every shortcut must give exactly what reading gives."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from ordersheet import app, cli
from ordersheet.book import load as loader
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.port import WorkbookPort
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.count import _SstPeek, _count_rows

from ..bookfiles import D1, basic_book

TODAY = "2026-11-20"


def counts_and_headers(path: Path, reader: str, names: list[str]) -> tuple[dict, dict]:
    book = XlsxBook(path, reader=reader)
    counts = book.row_counts(names)
    return counts, {n: book._cache.header_row[n] for n in counts}


def read_counts_and_headers(path: Path, reader: str, names: list[str]) -> tuple[dict, dict]:
    raws = XlsxBook(path, reader=reader).read(names)
    return ({n: len(r.rows) for n, r in raws.items()},
            {n: r.header_row for n, r in raws.items()})


def assert_counts_match_reading(path: Path) -> None:
    names = XlsxBook(path).sheet_names()
    for reader in ("auto", "xml"):
        assert counts_and_headers(path, reader, names) == \
            read_counts_and_headers(path, reader, names), reader


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


@pytest.mark.parametrize("chunk", [700, 4096, None])
def test_counting_a_processed_book_gives_what_reading_gives(processed, monkeypatch, chunk):
    if chunk:  # small blocks: the head/tail path on a small book
        monkeypatch.setattr("ordersheet.book.xlsx.count._COUNT_CHUNK", chunk)
    assert_counts_match_reading(processed)


def test_the_ledger_is_counted_from_its_head_and_tail(processed, monkeypatch):
    monkeypatch.setattr("ordersheet.book.xlsx.count._COUNT_CHUNK", 4096)
    book = XlsxBook(processed)
    sheet = book._sheet("Stock Ledger")
    got = _count_rows(book.pkg, sheet, book.limits,
                      _SstPeek(book.pkg, book.sst_path, book.limits))
    assert got is not None and got[1] > 100
    assert got == (1, len(XlsxBook(processed).read(["Stock Ledger"])["Stock Ledger"].rows))


def test_read_book_never_reads_the_log_sheets(processed, monkeypatch):
    asked: list[list[str] | None] = []
    for how in ("read", "reading"):  # the whole dict, or sheet by sheet
        def spy(self, names=None, real=getattr(XlsxBook, how)):
            asked.append(names)
            return real(self, names)

        monkeypatch.setattr(XlsxBook, how, spy)
    loaded = app.read_book(cli.open_book(processed))
    assert asked and all(n is not None and "Stock Ledger" not in n and "Audit Log" not in n
                         for n in asked)
    assert loaded.ledger_rows > 100 and loaded.audit_rows == 1
    assert {"Stock Ledger", "Audit Log"} <= loaded.book.present
    assert loaded.sheet_names["Stock Ledger"] == "Stock Ledger"


def _loaded_facts(loaded: loader.Loaded) -> tuple:
    return (loaded.book, loaded.issues, loaded.layouts, loaded.sheet_names,
            loaded.bad_order_rows, loaded.settings_cells, loaded.ledger_rows,
            loaded.audit_rows, loaded.old_marks, loaded.workbook_sheets)


def test_read_book_gives_what_reading_every_sheet_gives(processed, monkeypatch):
    new = _loaded_facts(app.read_book(cli.open_book(processed)))
    # the way it was: the log sheets read whole, every Orders tool column coerced
    port = cli.open_book(processed)
    names = port.sheet_names()
    monkeypatch.setattr(loader, "_has_error_cells", lambda raw, cols: True)
    old = loader.load(port.read(loader.sheets_to_read(names) + loader.sheets_to_count(names)))
    old.workbook_sheets = set(names)
    assert new == _loaded_facts(old)


def test_every_engine_is_a_port_so_read_book_may_use_every_capability():
    from ordersheet.book.xlwings import XlwingsBook

    assert all(issubclass(engine, WorkbookPort)
               for engine in (XlsxBook, OpenpyxlBook, XlwingsBook))


def test_a_port_without_its_own_row_counts_or_reading_is_asked_to_read(processed):
    class Plain(WorkbookPort):  # the required methods only: the capabilities' defaults
        def __init__(self, port):
            self.port = port

        def sheet_names(self):
            return self.port.sheet_names()

        def read(self, names=None):
            return self.port.read(names)

    plain = app.read_book(Plain(OpenpyxlBook(processed)))
    ours = app.read_book(cli.open_book(processed))
    assert (plain.ledger_rows, plain.audit_rows) == (ours.ledger_rows, ours.audit_rows)


def test_the_reference_engine_counts_by_reading(processed):
    book = OpenpyxlBook(processed)
    assert book.row_counts(["Stock Ledger", "Audit Log"]) == {
        n: len(r.rows) for n, r in OpenpyxlBook(processed).read(
            ["Stock Ledger", "Audit Log"]).items()}


def _second_run(book: Path, out: Path, count: bool) -> None:
    port = XlsxBook(book)
    if not count:  # the way it was: the log sheets read whole
        port.row_counts = lambda names: {n: len(r.rows) for n, r in port.read(names).items()}
    app.execute(port, "run", today=dt.date(2026, 11, 21),
                now=dt.datetime(2026, 11, 21, 9, 30), user="clerk", dispatch=True)
    port.save(out)


def test_a_second_run_writes_what_it_wrote_when_it_read_the_logs(processed, tmp_path):
    _second_run(processed, tmp_path / "counted.xlsx", count=True)
    _second_run(processed, tmp_path / "read.xlsx", count=False)
    a, b = (CalamineWorkbook.from_path(str(tmp_path / f)) for f in ("counted.xlsx", "read.xlsx"))
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python()
    audit = a.get_sheet_by_name("Audit Log").to_python()
    assert len(audit) == 3  # header, the first run, this one: appended under the first
    before = CalamineWorkbook.from_path(str(processed)).get_sheet_by_name("Stock Ledger")
    ledger = a.get_sheet_by_name("Stock Ledger").to_python()
    assert ledger[:len(before.to_python())] == before.to_python()


# ---- the count against reading, on books built to be awkward ---------------------------


_VALUES = [None, None, None, "x", "Widget", " ", "", 0, 7, 2.5, True, False,
           dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 5, 6), "#N/A", "=1+1", "_x0041_", "_x0020_"]


def _random_book(path: Path, rng: random.Random) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for k in range(4):
        ws = wb.create_sheet(f"S{k}")
        top, left = rng.randint(1, 4), rng.randint(1, 3)
        width, height = rng.randint(1, 6), rng.randint(0, 40)
        for j in range(width):  # the header, maybe with a gap
            if rng.random() < 0.85:
                ws.cell(top, left + j, f"H{j}")
        for i in range(1, height + 1):
            for j in range(-1, width + 1):
                if left + j >= 1 and rng.random() < 0.6:
                    ws.cell(top + i, left + j, rng.choice(_VALUES))
        for _ in range(rng.randint(0, 5)):  # formatting only, below and beside the data
            ws.cell(top + height + rng.randint(1, 5), left + rng.randint(0, width + 1)).font = bold
        if rng.random() < 0.4:
            ws.cell(top + height + rng.randint(1, 4), left + rng.randint(0, width), " ")
        if rng.random() < 0.4 and height:
            bottom = top + rng.randint(1, height + 3)
            t = Table(displayName=f"T{k}", ref=f"{ws.cell(top, left).coordinate}:"
                      f"{ws.cell(bottom, left + width - 1).coordinate}",
                      totalsRowCount=rng.choice([None, 1]))
            for j in range(width):
                ws.cell(top, left + j, f"H{j}")
            ws.add_table(t)
    wb.save(path)
    return path


@pytest.mark.parametrize("seed", range(24))
def test_counts_match_reading_on_random_books(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    path = _random_book(tmp_path / f"r{seed}.xlsx", rng)
    monkeypatch.setattr("ordersheet.book.xlsx.count._COUNT_CHUNK",
                        rng.choice([300, 600, 1500, 4 * 1024 * 1024]))
    assert_counts_match_reading(path)


def test_trailing_formatted_and_blank_rows_are_not_counted(tmp_path, monkeypatch):
    monkeypatch.setattr("ordersheet.book.xlsx.count._COUNT_CHUNK", 512)
    wb = Workbook()
    ws = wb.active
    ws.title = "Audit Log"
    ws.append(["Timestamp", "Operation", "Lines"])
    for i in range(200):
        ws.append([dt.datetime(2026, 1, 1, 8, 0), f"run {i}", i])
    for r in range(203, 260):  # formatted rows, a blank text cell, a value right of the block
        ws.cell(r, 1).font = Font(bold=True)
    ws.cell(240, 2, "   ")
    ws.cell(250, 5, "note beside the block")
    path = tmp_path / "log.xlsx"
    wb.save(path)
    counts, headers = counts_and_headers(path, "auto", ["Audit Log"])
    assert counts == {"Audit Log": 200} and headers == {"Audit Log": 1}
    assert_counts_match_reading(path)


def test_write_only_order_columns_showing_an_error_still_give_their_issue(tmp_path):
    path = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, "first"],
        ["SO-2", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""]])
    wb = load_workbook(path)
    ws = wb["Orders"]
    for j, h in enumerate(["Status", "Price", "Net"], start=13):
        ws.cell(1, j, h)
    ws.cell(3, 14, "#N/A")
    wb.save(path)
    loaded = app.read_book(cli.open_book(path))
    codes = [(i.code, i.cell) for i in loaded.issues if i.sheet == "Orders"]
    assert ("bad_value", "N3") in codes
    assert 3 in loaded.bad_order_rows
    assert loaded.layouts["Orders"].columns["net"] == 15
