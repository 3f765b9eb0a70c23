"""The .xlsx writer's fast paths (issue 9) write exactly what the cell-by-cell path writes.

A save renders millions of cells, so the writer takes shortcuts: whole columns of plain
values rendered at once (`_render_column`), whole rows joined by slice assignment
(`_join_rows`, `_join_cells`), sheets read and compressed in pieces (`_SheetStream`,
`_PartStream`, in a second thread), Orders rows checked in bulk (`_bulk`). Each is held
here against the plain way of doing the same thing, on random values and on whole runs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from benchmarks.generate import generate_book
from ordersheet import app
from ordersheet.book import plan as p
from ordersheet.book.port import WorkbookError
from ordersheet.book.raw import col_letter
from ordersheet.book.render import RecordRows
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.cells import (_cell_at, _cell_fast, _empty_cell, _join_cells,
                                        _join_rows, _plain_texts, _render_column)
from ordersheet.book.xlsx.package import _Package
from ordersheet.book.xlsx.save import _Build
from ordersheet.book.xlsx.sheet_stream import _SheetStream, _Untrusted
from ordersheet.book.xlsx.sheet_writer import _SheetWriter
from ordersheet.book.xlsx.zipout import _Compressor, _PartStream

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, 0)

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported")


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every CRC and size in the directory is right
        return {n: z.read(n) for n in z.namelist()}


# ---- columns and rows --------------------------------------------------------------------

texts = st.one_of(
    st.sampled_from(["", " ", "SKU-1", "a b", " lead", "trail ", "x&y", "<b>", "1 > 0",
                     "tab\there", "line\nbreak", "caf\u00e9", "\u00d7 0.92 \u2192", "\ufffe",
                     "\x00", "\x7f", "\xa0nbsp", "=SUM(A1)", "quote\"s", "x" * 40_000]),
    st.text(max_size=12))
values = st.one_of(
    st.none(), texts, st.booleans(),
    st.integers(min_value=-20_000, max_value=20_000), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.sampled_from([D("1E+2"), D("0E-7"), D("-0"), D("12.50"), D("sNaN")]),
    st.dates(min_value=dt.date(1899, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1899, 1, 1), max_value=dt.datetime(2100, 1, 1)))
# a column is mostly one type, as a sheet's columns are
columns = st.one_of(
    st.lists(values, max_size=30),
    *[st.lists(st.one_of(st.none(), kind), min_size=1, max_size=30) for kind in (
        texts, st.integers(min_value=0, max_value=50), st.integers(), st.floats(),
        st.decimals(allow_nan=False, places=2), st.dates(), st.datetimes())],
    *[st.lists(kind, min_size=1, max_size=30) for kind in (
        st.sampled_from(["MAIN", "East wing", "Caf\u00e9"]), st.integers(min_value=0),
        st.decimals(allow_nan=False, places=2), st.dates(min_value=dt.date(1900, 3, 1)))])


def styles_by_class(cls: type) -> str:
    return {int: ' s="3"', D: ' s="5"', dt.date: ' s="7"', dt.datetime: ' s="9"',
            type(None): ' s="2"'}.get(cls, "")


def one_by_one(L: str, rs: list[str], col: list, keep_empty: bool, d1904: bool) -> list[str]:
    """What the writer writes cell by cell (`_cell_fast`)."""
    out = []
    for r, v in zip(rs, col):
        if v is None or (v.__class__ is str and not v):
            out.append(_empty_cell(L, r, styles_by_class(v.__class__)) if keep_empty else "")
        else:
            out.append(_cell_fast(L, r, styles_by_class(v.__class__), v, d1904))
    return out


@settings(max_examples=100, deadline=None)
@given(col=columns, first=st.integers(min_value=1, max_value=1_048_000),
       L=st.sampled_from(["A", "M", "XFD"]), keep_empty=st.booleans(), d1904=st.booleans())
def test_a_column_renders_as_its_cells_one_by_one(col, first, L, keep_empty, d1904):
    rs = [str(first + i) for i in range(len(col))]
    got = _render_column(L, rs, col, styles_by_class, d1904, keep_empty=keep_empty)
    assert [_cell_at(got, i, r) for i, r in enumerate(rs)] == \
        one_by_one(L, rs, col, keep_empty, d1904)


@settings(max_examples=60, deadline=None)
@given(cols=st.lists(columns, min_size=1, max_size=5), first=st.integers(1, 1000))
def test_rows_join_as_their_cells(cols, first):
    n = min(map(len, cols))
    cols = [c[:n] for c in cols]
    rs = [str(first + i) for i in range(n)]
    rendered = [_render_column(col_letter(j + 1), rs, c, styles_by_class, False)
                for j, c in enumerate(cols)]
    rows = [[_cell_at(col, i, r) for col in rendered] for i, r in enumerate(rs)]
    assert _join_rows(rs, rendered) == "".join(
        f'<row r="{r}">{"".join(cells)}</row>' for r, cells in zip(rs, rows) if "".join(cells))
    assert _join_cells(rs, rendered) == ["".join(cells).encode() for cells in rows]


def test_plain_texts_are_only_texts_xml_takes_as_they_are():
    plain = _plain_texts
    assert plain(["MAIN", "East wing", None, ""]) and plain([]) and plain([None])
    assert plain(["caf\u00e9 \u00d7 \u2192"]) and plain(["\xa0kept"])
    for bad in (" lead", "trail ", "a&b", "a<b", "a>b", "tab\t", "nl\n", "\x00", "\x7f",
                "\ufffe", "\ud800", "x" * 40_000):
        assert not plain(["fine", bad]), bad
    assert plain(("a", "b"), has_none=False) and not plain(("a ", "b"), has_none=False)


# ---- reading in pieces ---------------------------------------------------------------------

SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>' +
         b"".join(b'<row r="%d" spans="1:2"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr">'
                  b"<is><t>row %d</t></is></c></row>" % (i, i, i, i, i) for i in range(1, 60)) +
         b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
         b'header="0.3" footer="0.3"/></worksheet>')


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 333, 10 ** 6])
def test_a_sheet_read_in_pieces_is_the_whole_sheet(size):
    s = _SheetStream(pieces(SHEET, size), "sheet")
    body = b"".join(s.rows())
    assert s.head + s.sd_tag + body + s.close + s.tail == SHEET
    assert (s.head, s.P, s.empty) == (SHEET[:SHEET.index(b"<sheetData>")], b"", False)
    assert s.tail.startswith(b"<pageMargins")


@pytest.mark.parametrize("size", [5, 64, 10 ** 6])
def test_unusual_xml_anywhere_is_left_to_the_whole_part_reader(size):
    for bad in (b"<!-- note -->", b"<![CDATA[x]]>", b"<?pi x?>"):
        at = SHEET.index(b'<row r="40"')
        data = SHEET[:at] + bad + SHEET[at:]
        with pytest.raises(_Untrusted):
            s = _SheetStream(pieces(data, size), "sheet")
            for _ in s.rows():
                pass


def test_a_sheet_without_rows_or_end_is_handled_like_the_whole_part():
    empty = SHEET[:SHEET.index(b"<sheetData>")] + b"<sheetData/></worksheet>"
    s = _SheetStream(pieces(empty, 3), "sheet")
    assert list(s.rows()) == [] and s.empty and s.tail == b"</worksheet>"
    with pytest.raises(WorkbookError, match="not closed"):
        s = _SheetStream([SHEET[:SHEET.index(b"</sheetData>")]], "sheet")
        list(s.rows())
    with pytest.raises(WorkbookError, match="no <sheetData>"):
        _SheetStream([b'<worksheet xmlns="x"><foo/></worksheet>'], "sheet")


# ---- whole runs: every shortcut against the plain way ---------------------------------------


@pytest.fixture(scope="module")
def run_book(tmp_path_factory) -> tuple[Path, p.WritePlan]:
    """A generated book with enough lines for several chunks of rows, and its run's plan."""
    path = tmp_path_factory.mktemp("writer") / "book.xlsx"
    generate_book(path, lines=1500, skus=60, customers=30, error_rate=0.05, seed=5)
    outcome = app.execute(XlsxBook(path), "run", today=TODAY, now=NOW, dispatch=True,
                          write=False)
    return path, outcome.plan


def save(src: Path, plan: p.WritePlan, out: Path) -> dict[str, bytes]:
    book = XlsxBook(src)
    book.apply(plan)
    book.save(out)
    return parts_of(out)


@pytest.fixture(scope="module")
def written(run_book, tmp_path_factory) -> Path:
    src, plan = run_book
    out = tmp_path_factory.mktemp("ref") / "out.xlsx"
    save(src, plan, out)
    return out


@pytest.fixture(scope="module")
def reference(written) -> dict[str, bytes]:
    return parts_of(written)


def test_the_run_writes_what_it_should(run_book, written, reference):
    src, plan = run_book
    kept = [n for n in parts_of(src) if n in reference]
    assert list(reference)[:len(kept)] == kept  # the book's parts keep their order
    raws = XlsxBook(written).read()
    orders = raws["Orders"]
    assert len(orders.rows) == 1500 and orders.header[-3:] == ["Shipment", "Invoice",
                                                               "Price Explained"]
    ledger = next(op for op in plan.ops if getattr(op, "name", "") == "Stock Ledger")
    assert len(raws["Stock Ledger"].rows) == len(ledger.rows) > 1500
    # (an empty text, such as a blank Reason, is written as an empty cell)
    assert raws["Stock Ledger"].rows[0] == [None if v == "" else v for v in ledger.rows[0]]
    # the generated book's JPY customers give the shortcuts below rows of their own format
    # (Orders' amounts, Invoices, Invoice Lines) to hold against merging cell by cell
    with_runs = {getattr(op, "sheet", getattr(op, "name", "")) for op in plan.ops
                 if getattr(op, "row_formats", None)}
    assert {"Orders", "Invoices", "Invoice Lines"} <= with_runs


def test_small_pieces_small_chunks_and_no_thread_change_nothing(run_book, reference, tmp_path,
                                                                monkeypatch):
    src, plan = run_book
    iter_ = _Package.iter
    monkeypatch.setattr(_Package, "iter", lambda self, name, chunk=0: iter_(self, name, 997))
    monkeypatch.setattr(_SheetWriter, "CHUNK", 97)
    monkeypatch.setattr(_Build, "ROWS_CHUNK", 61)
    monkeypatch.setattr("ordersheet.book.xlsx.zipout._STREAM_BATCH", 5000)
    real = _Compressor.__init__
    monkeypatch.setattr(_Compressor, "__init__", lambda self, synchronous=False:
                        real(self, synchronous=True))
    assert save(src, plan, tmp_path / "out.xlsx") == reference


def test_rows_merged_one_by_one_come_out_the_same(run_book, reference, tmp_path, monkeypatch):
    src, plan = run_book
    monkeypatch.setattr(_SheetWriter, "_bulk", lambda self, data, nums: None)
    assert save(src, plan, tmp_path / "a.xlsx") == reference

    def no_shortcuts(self):
        self._soft = {}
        return set(), []
    monkeypatch.setattr(_SheetWriter, "_fast_sources", no_shortcuts)
    assert save(src, plan, tmp_path / "b.xlsx") == reference


def test_plans_with_row_lists_or_record_views_write_the_same(run_book, reference, tmp_path):
    src, plan = run_book
    views = [op for op in plan.ops if isinstance(getattr(op, "rows", None), RecordRows)]
    assert views  # the ledger, invoices, shipments ... come as views on the records
    listed = p.WritePlan([
        type(op)(**{**op.__dict__, "rows": [list(r) for r in op.rows]})
        if isinstance(getattr(op, "rows", None), RecordRows) else op for op in plan.ops],
        plan.activate)
    assert save(src, listed, tmp_path / "out.xlsx") == reference


def test_record_rows_behave_like_a_list_of_rows():
    class R:
        def __init__(self, a, b):
            self.a, self.b = a, b
    rows = RecordRows([R(1, "x"), R(2, None)], ["a", "b"])
    assert len(rows) == 2 and rows[1] == [2, None] and rows[:1] == [[1, "x"]]
    assert list(rows) == [[1, "x"], [2, None]] and rows == [[1, "x"], [2, None]]
    assert rows.columns(0, 2) == [[1, 2], ["x", None]] and rows.width == 2
    assert list(RecordRows([R(1, "x")], ["b"])) == [["x"]]


def _edit_part(src, dest, part: str, edit) -> None:
    """Copy the package `src` to `dest` with `edit` applied to the bytes of `part`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            zout.writestr(info, edit(body) if info.filename == part else body)


def test_an_excel_saved_orders_sheet_loses_only_its_row_spans(run_book, tmp_path, monkeypatch):
    """Excel writes `spans` on every row; the writer drops it (new cells would falsify it)
    whether the rows go in bulk or one by one."""
    src, plan = run_book
    sheet = next(s for s in XlsxBook(src).sheets if s.name == "Orders").path
    spanned = tmp_path / "spans.xlsx"

    def add_spans(body: bytes) -> bytes:
        body = re.sub(rb'<row r="(\d+)">', rb'<row r="\1" spans="1:12">', body)
        assert body.count(b"spans") == 1501
        return body
    _edit_part(src, spanned, sheet, add_spans)
    bulk = save(spanned, plan, tmp_path / "bulk.xlsx")[sheet]
    monkeypatch.setattr(_SheetWriter, "_bulk", lambda self, data, nums: None)
    assert save(spanned, plan, tmp_path / "rows.xlsx")[sheet] == bulk
    assert b"spans" not in bulk


def test_a_failing_compression_leaves_the_book_as_it_was(run_book, tmp_path, monkeypatch):
    src, plan = run_book
    book_path = tmp_path / "book.xlsx"
    book_path.write_bytes(src.read_bytes())
    before = book_path.read_bytes()

    def broken(self, chunk):
        raise OSError("disk full")
    monkeypatch.setattr(_PartStream, "_deflate", broken)
    book = XlsxBook(book_path)
    book.apply(plan)
    with pytest.raises(WorkbookError, match="cannot write .*: disk full"):
        book.save()
    assert book_path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["book.xlsx"]  # no temp file, no backup


def test_a_second_run_rewrites_the_tool_cells_as_merging_would(run_book, written, tmp_path,
                                                             monkeypatch):
    """Orders already has its tool cells (a second run): they are swapped for the new ones
    where that is what merging cell by cell gives, and merged where a user restyled one or
    put a formula there."""
    src, plan = run_book
    sheet = next(s for s in XlsxBook(src).sheets if s.name == "Orders").path
    again = tmp_path / "again.xlsx"

    def restyle(body: bytes) -> bytes:
        body = re.sub(rb'<c r="N(\d*7)" s="\d+">', rb'<c r="N\1" s="1">', body)
        body = body.replace(b'<c r="P100"', b'<c r="P100" s="1"', 1)
        body = re.sub(rb'<c r="Q200"([^>]*)><v>', rb'<c r="Q200"\1><f>1+1</f><v>', body)
        assert body.count(b' s="1"') > 100
        return body
    _edit_part(written, again, sheet, restyle)
    fast = save(again, plan, tmp_path / "fast.xlsx")

    def no_shortcuts(self):
        self._soft = {}
        return set(), []
    monkeypatch.setattr(_SheetWriter, "_fast_sources", no_shortcuts)
    assert save(again, plan, tmp_path / "slow.xlsx") == fast
