"""The .xlsx engine reads the data blocks the schema expects and applies every plan
operation so that openpyxl (and the reference engine) read back the same cells."""

from __future__ import annotations

import datetime as dt
import gc
import re
import weakref
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from ordersheet.book import plan as p
from ordersheet.book import xlsx
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.port import WorkbookError
from ordersheet.book.raw import CellError, block_from_grid, col_letter
from ordersheet.book.xlsx import XlsxBook
from ordersheet.book.xlsx.book import _SheetCache, _window
from ordersheet.book.xlsx.package import _Sheet, _Table
from ordersheet.book.xlsx.read_calamine import _calamine
from ordersheet.book.xlsx.scan import _Scan

from .. import fixtures_build as fb

READERS = ["calamine", "xml"] if _calamine is not None else ["xml"]
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported")


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def cells(path: Path, sheet: str) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_engine_name():
    assert xlsx.engine_name == "xlsx"
    assert XlsxBook.engine_name == "xlsx"


# ---- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_reads_a_table_with_dates_and_hostile_text(tmp_path, reader):
    book = XlsxBook(fb.orders_book(tmp_path / "b.xlsx"), reader=reader)
    assert book.sheet_names() == ["Orders", "Inventory", "Settings"]
    orders = book.read(["Orders"])["Orders"]
    assert (orders.header_row, orders.first_col, orders.table) == (1, 1, "tblOrders")
    assert orders.header == fb.ORDERS_HEADER
    assert orders.rows == [
        ["SO-1", dt.date(2026, 3, 2), "C001", "SKU-A", 2, "rush"],
        ["SO-1", dt.date(2026, 3, 2), "C001", "SKU-B", 1, None],
        ["SO-2", dt.date(2026, 3, 3), "C002", "SKU-A", 5, "=cmd|' /C calc'!A0"],
        ["SO-3", dt.date(2026, 3, 4), "C003", "SKU-C", 3, "+1"],
        ["SO-4", dt.date(2026, 3, 5), "C001", "SKU-B", 4, "@SUM(1)"],
    ]
    assert type(orders.rows[0][4]) is int


@pytest.mark.parametrize("reader", READERS)
def test_reads_a_plain_block_at_an_offset(tmp_path, reader):
    path = fb.orders_book(tmp_path / "b.xlsx", table=False, origin=(3, 2))
    orders = XlsxBook(path, reader=reader).read()["Orders"]
    assert (orders.header_row, orders.first_col, orders.table) == (4, 3, None)
    assert orders.header[0] == "Order ID" and orders.rows[0][0] == "SO-1"
    assert orders.last_col == 3 + len(fb.ORDERS_HEADER) - 1


@pytest.mark.parametrize("reader", READERS)
def test_numbers_as_text_error_cells_and_cached_formulas(tmp_path, reader):
    raws = XlsxBook(fb.orders_book(tmp_path / "b.xlsx"), reader=reader).read()
    inv = raws["Inventory"]
    assert (inv.header_row, inv.first_col) == (3, 2)
    assert inv.rows == [["SKU-A", "MAIN", 10], ["SKU-B", "MAIN", "12"],
                        [CellError("#N/A"), "MAIN", 0]]
    assert raws["Settings"].rows == [["Next Invoice Number", 41], ["Doubled", 82]]


@pytest.mark.parametrize("reader", READERS)
def test_single_quoted_attributes_are_scanned_too(tmp_path, reader):
    """The sheet scan skips its single-quote searches only where a part has no quote."""
    path = fb.orders_book(tmp_path / "b.xlsx")
    requote = lambda xml: re.sub(rb'(\s[\w:]+)="([^"]*)"', rb"\1='\2'", xml)  # noqa: E731
    fb.patch_zip(path, {"xl/worksheets/sheet2.xml": requote})
    assert b"t='e'" in part(path, "xl/worksheets/sheet2.xml")
    inv = XlsxBook(path, reader=reader).read()["Inventory"]
    assert (inv.header_row, inv.first_col) == (3, 2)
    assert inv.rows[2] == [CellError("#N/A"), "MAIN", 0]


@pytest.mark.parametrize("reader", READERS)
def test_a_sheet_lives_only_as_long_as_its_reader_keeps_it(tmp_path, reader):
    book = XlsxBook(fb.orders_book(tmp_path / "b.xlsx", table=False, origin=(3, 2)),
                    reader=reader)
    orders = book.read(["Orders"])["Orders"]
    assert book.read(["Orders"])["Orders"] is orders  # read once while it is in use
    gone = weakref.ref(orders)
    del orders
    gc.collect()
    assert gone() is None  # the engine does not hold the grid for the rest of the run
    book._from_grid = book._read_xml = None  # the header row is still known ...
    assert book._header_row("Orders") == 4
    del book._from_grid, book._read_xml
    assert book.read(["Orders"])["Orders"].rows[0][0] == "SO-1"  # ... and the rows re-read


def test_both_readers_and_the_reference_engine_agree(tmp_path):
    path = fb.preservation_book(tmp_path)

    def norm(v):
        if isinstance(v, dt.datetime) and v.time() == dt.time():
            return v.date()
        return v
    ours = {r: XlsxBook(path, reader=r).read() for r in READERS}
    oracle = OpenpyxlBook(path).read()
    for name, raw in oracle.items():
        for got in ours.values():
            mine = got[name]
            assert (mine.header_row, mine.first_col, mine.table) == \
                (raw.header_row, raw.first_col, raw.table), name
            assert [norm(v) for v in mine.header] == [norm(v) for v in raw.header]
            assert [[norm(v) for v in r] for r in mine.rows] == \
                [[norm(v) for v in r] for r in raw.rows], name


def test_hidden_rows_and_merged_cells_are_reported(tmp_path):
    path = tmp_path / "h.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Order ID", "Quantity"])
    for i in range(4):
        ws.append([f"SO-{i}", i])
    ws.row_dimensions[3].hidden = True
    ws.merge_cells("A5:B5")
    wb.save(path)
    for reader in READERS:
        raw = XlsxBook(path, reader=reader).read()["Orders"]
        assert raw.extra["hidden_rows"] == [3]
        assert raw.extra["merged"] == ["A5:B5"]


def test_dates_in_a_1904_workbook(tmp_path):
    path = tmp_path / "mac.xlsx"
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Order Date"])
    ws.append([dt.date(2026, 3, 2)])
    ws["A2"].number_format = "yyyy-mm-dd"
    wb.save(path)
    for reader in READERS:
        book = XlsxBook(path, reader=reader)
        assert book.read()["Sheet"].rows == [[dt.date(2026, 3, 2)]]
        book.apply(p.WritePlan([p.SetCells("Sheet", {(3, 1): dt.date(2026, 12, 31)})]))
        book.save(tmp_path / f"out-{reader}.xlsx")
        assert XlsxBook(tmp_path / f"out-{reader}.xlsx").read()["Sheet"].rows == \
            [[dt.date(2026, 3, 2)], [dt.date(2026, 12, 31)]]


grid_values = st.one_of(st.none(), st.just(""), st.just("  "), st.text(max_size=3),
                        st.integers(-5, 5))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(grid_values, min_size=0, max_size=5), max_size=6),
       st.integers(1, 4), st.integers(1, 4))
def test_block_from_grid_equals_the_obvious_definition(grid, r0, c0):
    expect = _obvious_block("S", [list(r) for r in grid], r0, c0)
    got = block_from_grid("S", [list(r) for r in grid], r0, c0)
    assert got == expect


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(grid_values, min_size=0, max_size=5), max_size=6),
       st.integers(1, 4), st.integers(1, 4), st.integers(0, 9), st.integers(-2, 5),
       st.integers(0, 9), st.integers(-2, 6))
def test_a_table_window_of_a_grid_is_its_cells_and_none_outside(grid, r0, c0, r1, rows, c1,
                                                               cols):
    def cell(r, c):
        i, j = r - r0, c - c0
        return grid[i][j] if 0 <= i < len(grid) and 0 <= j < len(grid[i]) else None

    r2, c2 = r1 + rows - 1, c1 + cols - 1
    got = _window(grid, r0, c0, r1, r2, c1, c2)
    assert got == [[cell(r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(grid_values, min_size=0, max_size=5), max_size=6),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 7),
       st.integers(1, 5), st.integers(0, 7), st.integers(0, 1), st.integers(0, 1),
       st.lists(st.sampled_from(["A", "B", "x"]), max_size=8))
def test_a_table_block_is_the_block_of_its_cells(grid, r0, c0, tr1, rows, tc1, cols,
                                                 header_rows, totals, names):
    """A table's range may reach past the filled cells (a bigger ref, empty header cells
    named by the table), and rows typed directly under a table without a totals row
    belong to it: the block is the one its cells, one by one, would give."""
    def cell(r, c):
        i, j = r - r0, c - c0
        return grid[i][j] if 0 <= i < len(grid) and 0 <= j < len(grid[i]) else None

    tr2, tc2 = tr1 + rows, tc1 + cols
    ref = f"{col_letter(tc1)}{tr1}:{col_letter(tc2)}{tr2}"
    table = _Table("t.xml", "rId1", 1, "t", "tblT", ref, header_rows, totals, names)
    book = XlsxBook.__new__(XlsxBook)
    book._cache, book._header_rows, book.grown_tables = _SheetCache(), {}, {}
    sheet = _Sheet("S", 1, "rId1", None, "s.xml", "worksheet", tables=[table])
    last = max((c0 + len(r) - 1 for r in grid), default=0)
    got = book._store(sheet, [list(r) for r in grid], r0, c0, last, _Scan())

    end = tr2
    while not totals and any(not (cell(end + 1, c) is None or isinstance(cell(end + 1, c), str)
                                  and not cell(end + 1, c).strip()) for c in range(tc1, tc2 + 1)):
        end += 1
    body = [[cell(r, c) for c in range(tc1, tc2 + 1)]
            for r in range(tr1 + header_rows, end - totals + 1)]
    if header_rows:
        header = [cell(tr1, c) for c in range(tc1, tc2 + 1)]
        header = [names[j] if v is None and j < len(names) else v for j, v in enumerate(header)]
        want = block_from_grid("S", [header] + body, tr1, tc1, "tblT")
    else:
        want = block_from_grid("S", [list(names)] + body, tr1 - 1, tc1, "tblT")
    want.last_col = max(want.last_col, last)
    if end > tr2:
        want.extra["table_grown"] = ("tblT", tr2 + 1, end)
    assert got == want


def _obvious_block(name, grid, origin_row=1, origin_col=1):
    """The header is the first non-empty row, or the first row with two or more filled
    cells when only one-cell rows (titles) and blank rows stand above it, at most ten
    rows down; data rows are the rows under it, cut to the header's columns, trailing
    empty rows dropped (the plain, slow definition)."""
    from ordersheet.book.raw import RawSheet

    def empty(v):
        return v is None or (isinstance(v, str) and v.strip() == "")

    last_col = origin_col - 1
    for r in grid:
        for j in range(len(r) - 1, -1, -1):
            if not empty(r[j]):
                last_col = max(last_col, origin_col + j)
                break
    h = 0
    while h < len(grid) and all(empty(v) for v in grid[h]):
        h += 1
    if h == len(grid):
        return RawSheet(name, origin_row, origin_col, [], [], None, last_col)
    for k in range(h, min(len(grid), h + 10)):
        if sum(not empty(v) for v in grid[k]) >= 2:
            h = k
            break
    cells = list(grid[h])
    first = 0
    while first < len(cells) and empty(cells[first]):
        first += 1
    end = len(cells)
    while end > first and empty(cells[end - 1]):
        end -= 1
    rows = [list(r[first:end]) + [None] * max(0, end - first - len(r[first:end]))
            for r in grid[h + 1:]]
    while rows and all(empty(v) for v in rows[-1]):
        rows.pop()
    return RawSheet(name, origin_row + h, origin_col + first, cells[first:end], rows, None,
                    last_col)


# ---- writing: each operation, checked against the reference engine ------------------------


def apply_both(tmp_path: Path, src: Path, plan: p.WritePlan) -> tuple[Path, Path]:
    ours, ref = tmp_path / "ours.xlsx", tmp_path / "ref.xlsx"
    book = XlsxBook(src)
    book.read()
    book.apply(plan)
    book.save(ours)
    oracle = OpenpyxlBook(src)
    oracle.read()
    oracle.apply(plan)
    oracle.save(ref)
    return ours, ref


def snapshot(path: Path) -> dict:
    """Everything a user sees, as openpyxl reads it."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "active": wb.active.title,
           "states": [ws.sheet_state for ws in wb.worksheets]}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not (c.fill and c.fill.fill_type) and c.comment is None:
                    continue
                fill = c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None
                fmt = c.number_format if c.value is not None else None
                rows.append((c.coordinate, c.value, fmt, fill,
                             c.comment.text if c.comment else None))
        out[ws.title] = rows
        out[ws.title + " tables"] = {n: ws.tables[n].ref for n in ws.tables}
    return out


def test_update_columns_extends_the_user_table(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    plan = p.WritePlan([p.UpdateColumns("Orders", 1, [
        (7, "Status", ["OK", "Error", "OK", "OK", "Error"], "text"),
        (8, "Net", [D("19.98"), D("5"), None, D("0.10"), D("-2.5")], "money"),
        (9, "Ship By", [dt.date(2026, 3, 9)] * 5, "date")], table="tblOrders")])
    ours, ref = apply_both(tmp_path, src, plan)
    assert snapshot(ours) == snapshot(ref)
    table = openpyxl.load_workbook(ours)["Orders"].tables["tblOrders"]
    assert table.ref == "A1:I6"
    assert [c.name for c in table.tableColumns] == fb.ORDERS_HEADER + ["Status", "Net",
                                                                      "Ship By"]
    assert XlsxBook(ours).read()["Orders"].rows[0][6:] == ["OK", 19.98, dt.date(2026, 3, 9)]


def test_update_columns_overwrites_tool_columns_in_place_and_keeps_headers(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx", table=False)
    first = p.WritePlan([p.UpdateColumns("Orders", 1, [(7, "Status", ["A"] * 5, "text")])])
    book = XlsxBook(src)
    book.apply(first)
    book.save()
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [
        (7, "Status", ["B", None, "B", "B", "B"], "text"), (1, "Order ID", [], None)])]))
    book.save()
    assert [r[6] for r in cells(src, "Orders")] == ["Status", "B", None, "B", "B", "B"]
    assert cells(src, "Orders")[0][0] == "Order ID"  # a non-empty header is never rewritten


def test_a_user_formula_in_a_tool_column_is_overwritten_and_the_calc_chain_dropped(tmp_path):
    src = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Order ID", "Quantity", "Status"])
    ws.append(["SO-1", 2, "=B2*2"])
    ws.append(["SO-2", 3, "=B3*2"])
    wb.save(src)
    calc = b'<?xml version="1.0"?><calcChain xmlns="%s"><c r="C2" i="1"/><c r="C3"/></calcChain>' \
        % fb.NS_MAIN.encode()
    fb.patch_zip(src, {
        "[Content_Types].xml": lambda x: x.replace(b"</Types>", b'<Override PartName="/xl/'
                                                   b'calcChain.xml" ContentType="application/'
                                                   b'vnd.openxmlformats-officedocument.'
                                                   b'spreadsheetml.calcChain+xml"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda x: x.replace(
            b"</Relationships>", b'<Relationship Id="rIdCalc" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/calcChain" '
            b'Target="calcChain.xml"/></Relationships>')}, {"xl/calcChain.xml": calc})
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [(3, "Status", ["OK", "OK"], None)])]))
    book.save()
    assert cells(src, "Orders") == [("Order ID", "Quantity", "Status"), ("SO-1", 2, "OK"),
                                    ("SO-2", 3, "OK")]
    with zipfile.ZipFile(src) as z:
        assert "xl/calcChain.xml" not in z.namelist()
        assert b"calcChain" not in z.read("[Content_Types].xml")
        assert b"calcChain" not in z.read("xl/_rels/workbook.xml.rels")


def shared_formula_book(path: Path, ref: str) -> Path:
    """Column C holds a shared formula whose master C2 reaches `ref`."""
    rows = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Qty</t></is></c><c r="B1" t="inlineStr">'
            b'<is><t>Extra</t></is></c><c r="C1" t="inlineStr"><is><t>Status</t></is></c></row>')
    for r in range(2, 5):
        f = (b'<f t="shared" ref="%s" si="0">A2*2</f>' % ref.encode() if r == 2
             else b'<f t="shared" si="0"/>')
        rows += (b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d">' % (r, r, r, r) +
                 (b'<f t="shared" si="0"/>' if ref.startswith("B") else b"") +
                 b'<v>0</v></c><c r="C%d">%s<v>%d</v></c></row>' % (r, f, 2 * r))
    return fb._write_parts(path, fb._minimal_parts(fb._sheet(rows, b"A1:C4")))


def test_a_shared_formula_reaching_user_cells_is_not_broken(tmp_path):
    ok = shared_formula_book(tmp_path / "ok.xlsx", "C2:C4")
    book = XlsxBook(ok)
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [(3, "Status", ["a", "b", "c"], None)])]))
    book.save()
    assert [r[2] for r in cells(ok, "Orders")] == ["Status", "a", "b", "c"]
    bad = shared_formula_book(tmp_path / "bad.xlsx", "B2:C4")
    before = bad.read_bytes()
    book = XlsxBook(bad)
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [(3, "Status", ["a", "b", "c"], None)])]))
    with pytest.raises(WorkbookError, match="shared formula"):
        book.save()
    assert bad.read_bytes() == before


def test_append_rows_under_a_log_and_extend_its_table(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    create = p.AppendRows("Audit Log", ["When", "Operation", "Lines"],
                          [[dt.datetime(2026, 3, 2, 9, 30), "validate", 5]],
                          ["datetime", "text", "int"], 0, "tblAuditLog")
    book = XlsxBook(src)
    book.apply(p.WritePlan([create]))
    book.save()
    more = p.AppendRows("Audit Log", ["When", "Operation", "Lines"],
                        [[dt.datetime(2026, 3, 3, 8, 0), "run", 7],
                         [dt.datetime(2026, 3, 3, 8, 1), "=HYPERLINK(\"x\")", 7]],
                        ["datetime", "text", "int"], 1, "tblAuditLog")
    ours, ref = apply_both(tmp_path, src, p.WritePlan([more]))
    assert snapshot(ours) == snapshot(ref)
    wb = openpyxl.load_workbook(ours)
    assert wb["Audit Log"].tables["tblAuditLog"].ref == "A1:C4"
    assert cells(ours, "Audit Log")[3] == (dt.datetime(2026, 3, 3, 8, 1), '=HYPERLINK("x")', 7)
    assert wb["Audit Log"]["B4"].data_type == "s"


def test_replace_sheet_creates_then_fully_replaces_a_tool_sheet(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    header = ["Sheet", "Cell", "Severity", "Code", "Order ID", "Message"]
    issues = [["Orders", f"E{r}", "Error", "bad_quantity", f"SO-{r}", "quantity must be a whole "
               "number above 0"] for r in range(2, 6)]
    first = p.ReplaceSheet("Issues", header, issues, ["text"] * 6, "Orders", "tblIssues",
                           [10, 8, 10, 16, 12, 50])
    book = XlsxBook(src)
    book.apply(p.WritePlan([first], activate="Issues"))
    book.save()
    wb = openpyxl.load_workbook(src)
    assert wb.sheetnames == ["Orders", "Issues", "Inventory", "Settings"]
    assert wb.active.title == "Issues"
    assert wb["Issues"].column_dimensions["F"].width == 50
    assert wb["Issues"].freeze_panes == "A2"
    second = p.ReplaceSheet("Issues", header, issues[:1], ["text"] * 6, "Orders", "tblIssues")
    hidden = p.ReplaceSheet("_ordersheet", ["Sheet", "Cell"], [["Orders", "E2"]], [], None,
                            None, hidden=True)
    ours, ref = apply_both(tmp_path, src, p.WritePlan([second, hidden], activate="Issues"))
    assert snapshot(ours) == snapshot(ref)
    wb = openpyxl.load_workbook(ours)
    assert wb["Issues"].max_row == 2 and wb["Issues"].tables["tblIssues"].ref == "A1:F2"
    assert wb["_ordersheet"].sheet_state == "hidden"
    assert [bool(ws.sheet_view.tabSelected) for ws in wb.worksheets] == \
        [False, True, False, False, False]


def test_replace_sheet_with_no_rows_keeps_a_valid_table(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.ReplaceSheet("Issues", ["Sheet", "Cell", "Cell"], [], [], None,
                                           "tblIssues")]))
    book.save()
    table = openpyxl.load_workbook(src)["Issues"].tables["tblIssues"]
    assert table.ref == "A1:C2"
    assert [c.name for c in table.tableColumns] == ["Sheet", "Cell", "Cell2"]
    assert cells(src, "Issues") == [("Sheet", "Cell", "Cell2")]


def test_set_cells(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    plan = p.WritePlan([p.SetCells("Settings", {(2, 2): 42, (4, 1): "Note", (4, 2): None})])
    ours, ref = apply_both(tmp_path, src, plan)
    assert snapshot(ours) == snapshot(ref)
    assert cells(ours, "Settings")[1] == ("Next Invoice Number", 42)


def test_marks_and_clears_touch_only_ordersheets_own_fills_and_notes(tmp_path):
    src = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Order ID", "Quantity", "Note"])
    ws.append(["SO-1", 2, "x"])
    ws.append(["SO-2", -1, "y"])
    ws["A2"].fill = openpyxl.styles.PatternFill("solid", fgColor="FF00B050")  # the user's
    ws["A2"].font = openpyxl.styles.Font(bold=True)
    ws["C2"].comment = openpyxl.comments.Comment("call first", "Ana")
    ws["B3"].number_format = "0.0"
    wb.save(src)
    mark = p.MarkCells("Orders", {(3, 2): ("Error", "quantity must be above 0"),
                                  (2, 1): ("Warning", "check id"),
                                  (2, 3): ("Warning", "note clash")})
    ours, ref = apply_both(tmp_path, src, p.WritePlan([mark]))
    assert snapshot(ours) == snapshot(ref)
    after = openpyxl.load_workbook(ours)["Orders"]
    assert after["B3"].fill.fgColor.rgb == "FF" + p.MARK_COLORS["Error"]
    assert after["B3"].number_format == "0.0"  # the rest of the cell's format is kept
    assert after["A2"].font.bold
    assert after["B3"].comment.text == "ordersheet: quantity must be above 0"
    assert after["C2"].comment.text == "call first"  # never replaced
    # next run: B3 fixed, A2 still marked; the user re-fills A2 in between
    book = XlsxBook(ours)
    book.apply(p.WritePlan([p.MarkCells("Orders", {(2, 1): ("Warning", "check id again")},
                                        clear={(3, 2), (2, 3), (2, 1)})]))
    book.save()
    after = openpyxl.load_workbook(ours)["Orders"]
    assert after["B3"].fill.fill_type is None and after["B3"].comment is None
    assert after["B3"].number_format == "0.0"
    assert after["A2"].comment.text == "ordersheet: check id again"
    assert after["C2"].comment.text == "call first"
    # a cell the user filled is never cleared
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.MarkCells("Orders", {}, clear={(2, 1), (2, 3)})]))
    book.save()
    after = openpyxl.load_workbook(src)["Orders"]
    assert after["A2"].fill.fgColor.rgb == "FF00B050"
    assert after["C2"].comment.text == "call first"


def test_all_notes_removed_drops_the_comment_parts(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.MarkCells("Orders", {(2, 5): ("Error", "bad")})]))
    book.save()
    assert any("comments" in n for n in zipfile.ZipFile(src).namelist())
    book.apply(p.WritePlan([p.MarkCells("Orders", {}, clear={(2, 5)})]))
    book.save()
    names = zipfile.ZipFile(src).namelist()
    assert not any("comments" in n or n.endswith(".vml") for n in names)
    assert b"legacyDrawing" not in part(src, "xl/worksheets/sheet1.xml")
    assert openpyxl.load_workbook(src)["Orders"]["E2"].comment is None


HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "=1+1", "\t=1", " lead", "a&b<c>",
           "bell\x07ring", "=" + "x" * 40_000]


def test_hostile_strings_are_written_as_text(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(src)
    rows = [[h] for h in HOSTILE]
    book.apply(p.WritePlan([p.ReplaceSheet("Issues", ["Message"], rows, ["text"], None, None),
                            p.SetCells("Settings", {(5, 1): "=SUM(A1:A3)"})]))
    book.save()
    sheet = part(src, "xl/worksheets/sheet4.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    got = [r[0] for r in XlsxBook(src).read()["Issues"].rows]
    assert got[:8] == HOSTILE[:8]
    assert got[8] == "bell\x07ring"
    assert got[9] == HOSTILE[9][:32_767]
    ws = openpyxl.load_workbook(src)["Issues"]
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row)
    assert openpyxl.load_workbook(src)["Settings"]["A5"].data_type == "s"


def test_a_second_identical_run_changes_nothing(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")

    def plan():
        return p.WritePlan([
            p.UpdateColumns("Orders", 1, [(7, "Status", ["OK"] * 5, "text"),
                                          (8, "Net", [D("1.10")] * 5, "money")], "tblOrders"),
            p.MarkCells("Orders", {(3, 5): ("Error", "bad")}),
            p.ReplaceSheet("Issues", ["Cell"], [["E3"]], ["text"], "Orders", "tblIssues")],
            activate="Issues")
    book = XlsxBook(src)
    book.apply(plan())
    book.save()
    first = {n: part(src, n) for n in zipfile.ZipFile(src).namelist()}
    book.apply(plan())
    book.save()
    second = {n: part(src, n) for n in zipfile.ZipFile(src).namelist()}
    assert second == first


def test_untouched_rows_are_copied_byte_for_byte(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    before = part(src, "xl/worksheets/sheet1.xml")
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.SetCells("Orders", {(4, 2): "changed"})]))
    book.save()
    after = part(src, "xl/worksheets/sheet1.xml")
    rows = re.compile(rb"<row [^>]*>.*?</row>", re.S)
    old, new = rows.findall(before), rows.findall(after)
    assert [r for i, r in enumerate(new) if i != 3] == [r for i, r in enumerate(old) if i != 3]
    assert b"changed" in new[3]


def prefixed_book(path: Path) -> Path:
    """A book written with an `x:` namespace prefix and cells without references, as
    some generators do."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{fb.NS_MAIN}">'
             '<x:sheetData><x:row><x:c t="inlineStr"><x:is><x:t>Order ID</x:t></x:is></x:c>'
             '<x:c t="inlineStr"><x:is><x:t>Quantity</x:t></x:is></x:c></x:row><x:row>'
             '<x:c t="inlineStr"><x:is><x:t>SO-1</x:t></x:is></x:c><x:c><x:v>3</x:v></x:c>'
             '</x:row><!-- a comment --><x:row><x:c t="inlineStr"><x:is><x:t><![CDATA[a<b]]>'
             '</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>').encode()
    return fb._write_parts(path, fb._minimal_parts(sheet))


@pytest.mark.parametrize("reader", READERS)
def test_prefixed_xml_without_cell_references(tmp_path, reader):
    src = prefixed_book(tmp_path / "x.xlsx")
    raw = XlsxBook(src, reader=reader).read()["Orders"]
    assert raw.header == ["Order ID", "Quantity"] and raw.rows == [["SO-1", 3], ["a<b", None]]
    book = XlsxBook(src, reader=reader)
    book.apply(p.WritePlan([p.UpdateColumns("Orders", 1, [(3, "Status", ["OK", "?"], "text")]),
                            p.MarkCells("Orders", {(2, 2): ("Error", "too many")})]))
    book.save()
    assert cells(src, "Orders") == [("Order ID", "Quantity", "Status"), ("SO-1", 3, "OK"),
                                    ("a<b", None, "?")]
    assert openpyxl.load_workbook(src)["Orders"]["B2"].comment.text == "ordersheet: too many"


def test_plan_errors_are_refusals(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.SetCells("Nope", {(1, 1): 1})]))
    with pytest.raises(WorkbookError, match="Nope"):
        book.save()
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.ReplaceSheet("Bad:Name", ["a"], [], [])]))
    with pytest.raises(WorkbookError, match="not a valid sheet name"):
        book.save()
    book = XlsxBook(src)  # marks on a sheet that is not there are simply nothing to do
    book.apply(p.WritePlan([p.MarkCells("Nope", {(1, 1): ("Error", "x")})]))
    book.save(tmp_path / "out.xlsx")


def test_the_written_package_is_a_valid_zip_and_opens_in_openpyxl(tmp_path):
    src = fb.orders_book(tmp_path / "b.xlsx")
    book = XlsxBook(src)
    book.apply(p.WritePlan([p.ReplaceSheet("Ünïcode sheet", ["Ä"], [["ö"]], ["text"], None,
                                           "tblUnicode")], activate="Ünïcode sheet"))
    book.save()
    with zipfile.ZipFile(src) as z:
        assert z.testzip() is None
    wb = openpyxl.load_workbook(src)
    assert wb.active.title == "Ünïcode sheet" and wb.active["A2"].value == "ö"


# ---- property: any plan, same sheets as the reference engine --------------------------------

cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False),
    st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
    # control characters are tested apart: openpyxl (the reference) cannot write them
    st.text(st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(HOSTILE[:8]))
fmts = st.sampled_from([None, "text", "int", "money", "price", "pct", "date"])


def dated(values: list, fmt) -> list:
    """A date in a column of another format is shown as a date by this engine, as a
    serial by the reference engine: compare only where both mean the same."""
    return values if fmt in (None, "date") else [
        None if isinstance(v, dt.date) else v for v in values]


@st.composite
def plans(draw):
    ops: list = []
    n = len(fb.ORDERS_ROWS)
    table = draw(st.sampled_from([None, "tblOrders"]))
    if table:  # tool columns join the table only when they start right beside it
        cols = list(range(7, 7 + draw(st.integers(1, 3))))
    else:
        cols = draw(st.lists(st.integers(7, 10), min_size=1, max_size=3, unique=True))
    columns = []
    for c in sorted(cols):
        fmt = draw(fmts)
        columns.append((c, f"Tool {c}",
                        dated(draw(st.lists(cell_values, min_size=n, max_size=n)), fmt), fmt))
    ops.append(p.UpdateColumns("Orders", 1, columns, table=table))
    notes = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=10)
    marks = draw(st.dictionaries(st.tuples(st.integers(2, 6), st.integers(1, 9)),
                                 st.tuples(st.sampled_from(["Error", "Warning"]), notes),
                                 max_size=4))
    clear = draw(st.sets(st.tuples(st.integers(2, 6), st.integers(1, 9)), max_size=3))
    ops.append(p.MarkCells("Orders", marks, clear))
    width = draw(st.integers(1, 4))
    formats = draw(st.lists(fmts, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cell_values, min_size=width, max_size=width), max_size=6))
    rows = [[dated([v], f)[0] for v, f in zip(r, formats)] for r in rows]
    ops.append(p.ReplaceSheet("Issues", [f"H{j}" for j in range(width)], rows, formats,
                              "Orders", draw(st.sampled_from([None, "tblIssues"]))))
    ops.append(p.SetCells("Settings", draw(st.dictionaries(
        st.tuples(st.integers(1, 6), st.integers(1, 4)), cell_values, max_size=3))))
    return p.WritePlan(ops, activate=draw(st.sampled_from([None, "Issues", "Settings"])))


@settings(max_examples=25, deadline=None)
@given(plans())
def test_any_plan_gives_the_same_sheets_as_the_reference_engine(tmp_path_factory, plan):
    tmp = tmp_path_factory.mktemp("prop")
    src = fb.orders_book(tmp / "b.xlsx")
    ours, ref = apply_both(tmp, src, plan)
    assert snapshot(ours) == snapshot(ref)
    with zipfile.ZipFile(ours) as z:
        assert z.testzip() is None


def test_works_without_calamine_as_in_pyodide(tmp_path):
    import subprocess
    import sys
    path = fb.orders_book(tmp_path / "b.xlsx")
    code = (f"import sys; sys.modules['python_calamine'] = None\n"
            f"from ordersheet.book import xlsx\n"
            f"from ordersheet.book.xlsx import read_calamine\n"
            f"assert read_calamine._calamine is None\n"
            f"book = xlsx.XlsxBook({str(path)!r})\n"
            f"assert book.reader == 'xml'\n"
            f"print(book.read()['Orders'].rows[0][0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "SO-1"
