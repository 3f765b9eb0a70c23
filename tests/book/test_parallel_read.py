"""The xlsx engine parses sheets with calamine on other threads (`_CalamineParser`) while
the caller converts and loads the ones already parsed (`XlsxBook.reading`). These tests
hold it to the sequential read: the same sheets, refusals still refusals, no thread and
no hold on the file left behind, and no order of look-ups that can wait forever."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import openpyxl
import pytest

from ordersheet import app, cli
from ordersheet.book.port import WorkbookError
from ordersheet.book.templates import build_order_book
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.read_calamine import _CalamineParser, _calamine
from ordersheet.cli import run_operation

from .. import fixtures_build as fb

TODAY = dt.date(2026, 11, 20)

pytestmark = pytest.mark.skipif(_calamine is None, reason="python-calamine absent")


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ordersheet-read")]


def snapshot(raws) -> dict:
    return {name: (raw.header_row, raw.first_col, raw.last_col, raw.table, raw.header,
                   raw.rows, raw.extra) for name, raw in raws.items()}


def many_sheets(path: Path, refuse: str | None = None) -> Path:
    """Six sheets of a few hundred rows each; sheet `refuse` also has a cell at
    XFD1048576, which the scan refuses before calamine may parse it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k in range(6):
        ws = wb.create_sheet(f"S{k}")
        ws.append(["Key", "Qty", "Text"])
        for i in range(300 + 50 * k):
            ws.append([f"K{k}-{i}", i * k, "x" * (i % 7) or None])
        if ws.title == refuse:
            ws["XFD1048576"] = 1
    wb.save(path)
    return path


def parse_in_caller(monkeypatch) -> None:
    """Every `_CalamineParser` made from now on parses in the caller's thread."""
    init = _CalamineParser.__init__
    monkeypatch.setattr(_CalamineParser, "__init__",
                        lambda self, path, synchronous=False: init(self, path, True))


def sequential_read(path: Path, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        parse_in_caller(m)
        return snapshot(XlsxBook(path).read())


def test_threads_read_what_the_caller_alone_reads(tmp_path, monkeypatch):
    for path in (many_sheets(tmp_path / "many.xlsx"), fb.preservation_book(tmp_path)):
        alone = sequential_read(path, monkeypatch)
        assert snapshot(XlsxBook(path).read()) == alone
        assert not readers()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_sheets_may_be_looked_up_in_any_order(tmp_path, monkeypatch, workers):
    """Back to front, with fewer threads than sheets: the first look-ups find sheets no
    thread has started (parsed by the caller) while the threads hold parsed grids nobody
    has asked for yet. Run on a thread of its own so a wait that never ends fails."""
    path = many_sheets(tmp_path / "many.xlsx")
    alone = sequential_read(path, monkeypatch)
    monkeypatch.setattr(_CalamineParser, "WORKERS", workers)
    got: dict = {}

    def look_up() -> None:
        with XlsxBook(path).reading() as sheets:
            for name in reversed(list(sheets)):
                got[name] = sheets[name]

    t = threading.Thread(target=look_up, daemon=True)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "a look-up waited forever"
    assert snapshot(got) == alone
    assert not readers()


def test_a_scan_refusal_still_refuses_and_leaves_no_thread(tmp_path):
    path = many_sheets(tmp_path / "far.xlsx", refuse="S4")
    with pytest.raises(WorkbookError, match="sheet .S4. .*refused"):
        XlsxBook(path).read()
    assert not readers()


def test_a_calamine_failure_is_a_refusal_naming_the_sheet(tmp_path, monkeypatch):
    path = many_sheets(tmp_path / "many.xlsx")
    parse = _CalamineParser._parse

    def failing(wb, name):
        if name == "S2":
            return parse(wb, "no such sheet")
        return parse(wb, name)

    monkeypatch.setattr(_CalamineParser, "_parse", staticmethod(failing))
    with pytest.raises(WorkbookError, match="sheet 'no such sheet' cannot be read"):
        XlsxBook(path).read()
    assert not readers()


def test_without_threads_the_caller_parses_every_sheet(tmp_path, monkeypatch):
    path = many_sheets(tmp_path / "many.xlsx")
    alone = sequential_read(path, monkeypatch)

    def no_threads(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    assert snapshot(XlsxBook(path).read()) == alone


def test_closing_early_ends_the_threads_and_lets_go_of_the_file(tmp_path):
    path = many_sheets(tmp_path / "many.xlsx")
    with XlsxBook(path).reading() as sheets:
        assert sheets["S0"].rows[0][0] == "K0-0"  # the rest are never looked up
    assert not readers()
    if os.path.isdir("/proc/self/fd"):
        held = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
        assert str(path.resolve()) not in held


def test_a_processed_book_loads_the_same_with_and_without_threads(tmp_path, monkeypatch):
    """The whole read of a book a run has filled (every state sheet present), as `load`
    takes it through `reading`, against the caller parsing every sheet itself."""
    book = tmp_path / "book.xlsx"
    build_order_book(book, sample=True, today=TODAY)
    run_operation(book, "run", TODAY.isoformat(), None, False, dispatch=True, quiet=True)
    threaded = app.read_book(cli.open_book(book))
    assert not readers()
    parse_in_caller(monkeypatch)
    alone = app.read_book(cli.open_book(book))
    assert threaded.book == alone.book
    assert threaded.issues == alone.issues
    assert threaded.layouts == alone.layouts
    assert threaded.book.invoices and threaded.book.shipment_lines  # state sheets were read
