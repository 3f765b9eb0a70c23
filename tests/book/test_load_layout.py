"""What a specialist does to a sheet's layout (merge, hide rows) is read and reported."""

import datetime as dt

import pytest

from openpyxl import load_workbook

from ordersheet import app
from ordersheet.book.xlsx import XlsxBook
from tests.bookfiles import D1, basic_book


def test_merged_cells_and_hidden_rows_are_reported_once_each(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 1, None, None, None, None, None, "big note"],
        ["SO-1", 2, D1, "C1", "B-200", 1, None, None, None, None, None, None],
        ["SO-2", 1, D1, "C2", "A-100", 1, None, None, None, None, None, None],
    ])
    wb = load_workbook(book)
    ws = wb["Orders"]
    ws.merge_cells("L2:L3")
    ws.row_dimensions[4].hidden = True
    wb.save(book)
    port = XlsxBook(book)
    out = app.execute(port, "validate", today=dt.date(2026, 11, 10),
                      now=dt.datetime(2026, 11, 10, 9))
    found = {(i.code, i.sheet, i.cell, i.severity.value) for i in out.result.issues}
    assert ("merged_cells", "Orders", "L2", "Warning") in found
    assert ("hidden_rows", "Orders", "A4", "Warning") in found
    assert out.result.status_counts() == {"Valid": 3}


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_rows_typed_under_a_table_belong_to_it(tmp_path, monkeypatch, engine):
    """Issue 18: eleven rows typed under the template's one-row Orders table were ignored
    ("validate: 1 order lines"). They are read, the table grows over them on save, and
    the next run reads them from the table without a word."""
    from ordersheet.cli import run_operation
    from tests.bookfiles import write_book

    monkeypatch.setenv("ORDERSHEET_ENGINE", engine)
    book = write_book(tmp_path / "b.xlsx", {
        "Orders": [["SO-1", 1, D1, "C1", "A-100", 1, None, None, None, None, None, None]],
        "Products": [["A-100", "Widget", 10, 1.5, "standard", "Yes"]],
        "Inventory": [["A-100", "MAIN", 50, "A-01"]],
        "Customers": [["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No",
                       "1 Main St", "1 Main St"]],
    }, tables=True)
    wb = load_workbook(book)
    for n in range(2, 13):
        wb["Orders"].append([f"SO-{n}", 1, D1, "C1", "A-100", 1])
    wb.save(book)
    code, result = run_operation(book, "validate", "2026-11-10", None, False, quiet=True)
    assert len(result.lines) == 12
    grown = [i for i in result.issues if i.code == "table_extended"]
    assert [(i.sheet, i.cell, i.severity.value) for i in grown] == [("Orders", "A3", "Warning")]
    assert "11 row(s)" in grown[0].message and "tblOrders" in grown[0].message
    ws = load_workbook(book)["Orders"]
    assert ws.tables["tblOrders"].ref.endswith("13")
    assert ws.tables["tblOrders"].ref.startswith("A1:")
    code, again = run_operation(book, "validate", "2026-11-10", None, False, quiet=True)
    assert len(again.lines) == 12
    assert "table_extended" not in [i.code for i in again.issues]


def test_a_title_above_the_header_is_not_the_header(tmp_path):
    """Issue 18: a title row ("Orders 2026", merged across) and a blank row above the
    headers made every column "missing" and the tool wrote its headers into the title."""
    book = basic_book(tmp_path / "b.xlsx")
    wb = load_workbook(book)
    for name in ("Orders", "Customers", "Products"):
        ws = wb[name]
        ws.insert_rows(1, 2)
        ws["A1"] = f"{name} — Acme Ltd"
    wb["Orders"].merge_cells("A1:F1")
    wb.save(book)
    from ordersheet.cli import run_operation

    code, result = run_operation(book, "run", "2026-11-10", None, False, quiet=True)
    assert [i.code for i in result.issues if i.is_error] == []
    assert result.status_counts() == {"Reserved": 1}
    ws = load_workbook(book)["Orders"]
    assert [c.value for c in ws[1]][:2] == ["Orders — Acme Ltd", None]
    assert all(c.value is None for c in ws[1][1:])  # nothing written into the title row
    header = [c.value for c in ws[3]]
    assert header[:2] == ["Order ID", "Line"] and "Status" in header
    assert ws.cell(4, header.index("Status") + 1).value == "Reserved"


def test_a_one_column_sheet_keeps_its_first_row_as_header():
    from ordersheet.book.raw import block_from_grid

    raw = block_from_grid("S", [["SKU"], ["A-1"], ["A-2"]])
    assert (raw.header_row, raw.header, raw.rows) == (1, ["SKU"], [["A-1"], ["A-2"]])
    raw = block_from_grid("S", [["Price list"], [None], ["SKU", "Price"], ["A-1", 3]])
    assert (raw.header_row, raw.header, raw.rows) == (3, ["SKU", "Price"], [["A-1", 3]])


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_tool_columns_go_right_of_a_merged_note(tmp_path, monkeypatch, engine):
    """Issue 19: a note merged across three columns right of Orders had ordersheet's
    columns written into the merge."""
    from ordersheet.cli import run_operation

    monkeypatch.setenv("ORDERSHEET_ENGINE", engine)
    book = basic_book(tmp_path / "b.xlsx")
    wb = load_workbook(book)
    ws = wb["Orders"]
    ws["N2"] = "Remember: call Acme before shipping"
    ws.merge_cells("N2:P4")
    wb.save(book)
    _, result = run_operation(book, "validate", "2026-11-10", None, False, quiet=True)
    assert "merged_cells" not in [i.code for i in result.issues]  # not inside the data
    ws = load_workbook(book)["Orders"]
    assert ws["N2"].value == "Remember: call Acme before shipping"
    assert [str(r) for r in ws.merged_cells.ranges] == ["N2:P4"]
    assert ws["O1"].value is None and ws["P1"].value is None and ws["O2"].value is None
    assert ws["Q1"].value == "Status"


def test_a_totals_row_stays_outside_the_tables_filter(tmp_path):
    """Issue 19: when ordersheet widened an Orders table with a totals row, the table's
    autoFilter came to cover the totals row (sorting or filtering then moves it)."""
    import zipfile

    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table

    from ordersheet.cli import run_operation

    book = basic_book(tmp_path / "b.xlsx")
    wb = load_workbook(book)
    ws = wb["Orders"]
    ws["A3"] = "Total"
    ws["F3"] = "=SUBTOTAL(109,F2:F2)"
    t = Table(displayName="tblOrders", ref="A1:L3", totalsRowCount=1)
    t._initialise_columns()
    t.autoFilter = AutoFilter(ref="A1:L2")
    ws.add_table(t)
    wb.save(book)
    run_operation(book, "validate", "2026-11-10", None, False, quiet=True)
    with zipfile.ZipFile(book) as z:
        xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/tables/"))
    table = load_workbook(book)["Orders"].tables["tblOrders"]
    assert table.ref.startswith("A1:") and table.ref.endswith("3")
    last_col = "".join(ch for ch in table.ref.split(":")[1] if ch.isalpha())
    assert last_col > "L" or len(last_col) > 1  # widened over ordersheet's columns
    assert f'<autoFilter ref="A1:{last_col}2"'.encode() in xml
