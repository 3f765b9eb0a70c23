"""What a specialist does to a sheet's layout (merge, hide rows) is read and reported."""

import datetime as dt

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
