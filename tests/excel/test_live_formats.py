"""xlwings Lite (the remote engine) writes the JPY rows' formats and the Shipments Status
dropdown as actions: one number-format action per run of rows (adjacent columns with the
same runs at once), never one per cell, and a list validation on the Status data rows."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from ordersheet import excel
from ordersheet.book import xlwings as engine
from tests.book.test_currency_formats import ZERO, TWO, _status_validations, jpy_book
from tests.bookfiles import D1, basic_book
from tests.excel.payload import live_book, replay_to_file

TODAY = dt.date(2026, 11, 10)


def _formats_on(actions, sheet_position: int) -> list[tuple[str, int, int, int, int]]:
    return [(a["args"][0], a["start_row"] + 1, a["start_column"] + 1, a["row_count"],
             a["column_count"]) for a in actions
            if a["func"] == "setNumberFormat" and a["sheet_position"] == sheet_position]


def test_the_jpy_rows_get_their_format_in_one_action_per_run(tmp_path):
    src = jpy_book(tmp_path / "book.xlsx")
    book = live_book(src)
    excel.process_orders(book, dispatch=True, as_of=TODAY)
    actions = book.json()["actions"]
    replay_to_file(src, book, tmp_path / "lite.xlsx")
    wb = load_workbook(tmp_path / "lite.xlsx")
    orders = wb["Orders"]
    names = [c.value for c in orders[1]]
    net = names.index("Net") + 1
    # Net, Tax and Total of row 3 (SO-2, the JPY line): one action for the three cells
    zero = [f for f in _formats_on(actions, 0) if f[0] == ZERO]
    assert (ZERO, 3, net, 1, 3) in zero
    assert [orders.cell(r, net + k).number_format for r in (2, 3, 4) for k in range(3)] == \
        [TWO] * 3 + [ZERO] * 3 + [TWO] * 3
    invoices = wb["Invoices"]
    ih = [c.value for c in invoices[1]]
    jp = next(r for r in range(2, invoices.max_row + 1)
              if invoices.cell(r, ih.index("Currency") + 1).value == "JPY")
    assert {invoices.cell(jp, ih.index(h) + 1).number_format
            for h in ("Net", "Tax", "Shipping", "Total", "Paid", "Balance")} == {ZERO}
    # the dropdown on Shipments' Status data rows
    lists = [a for a in actions if a["func"] == "setDataValidationList"]
    (dv_action,) = lists
    assert dv_action["args"][0] == {"type": "literal", "values": ["Ready", "Shipped",
                                                                  "Cancelled"]}
    shipments = wb["Shipments"]
    (dv,) = _status_validations(shipments)
    assert str(dv.sqref) == f"K2:K{shipments.max_row}"
    assert [a["func"] for a in actions].index("deleteDataValidation") < \
        [a["func"] for a in actions].index("setDataValidationList")


def test_scattered_jpy_lines_cost_one_action_per_run_up_to_a_limit(tmp_path, monkeypatch):
    customers = [["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No", "", ""],
                 ["C2", "Yamada", "y@x.jp", "JP", "JPY", None, 30, None, "No", "No", "", ""]]
    orders = [[f"SO-{i}", 1, D1, "C2" if i % 3 == 0 else "C1", "A-100", 1, 10, None,
               "Normal", None, None, None] for i in range(30)]
    src = basic_book(tmp_path / "book.xlsx", orders=orders, Customers=customers,
                     **{"FX Rates": [["Currency", "Rate"], ["JPY", 150]]})

    def format_actions() -> int:
        book = live_book(src)
        excel.price_orders(book, as_of=TODAY)
        return sum(a["func"] == "setNumberFormat" for a in book.json()["actions"])

    with_runs = format_actions()
    monkeypatch.setattr(engine, "FORMAT_RUN_LIMIT", 5)
    without = format_actions()
    # ten JPY lines apart from each other, each a whole price (typed 10): Price, Net, Tax
    # and Total are adjacent columns with the same runs, so one action per line
    assert with_runs - without == 10


def test_a_client_without_validations_runs_without_the_dropdown(tmp_path):
    """The remote engine sets validations only for the Office.js client (xlwings Lite);
    another client (Google Sheets, Office Scripts) gets the run without the dropdown."""
    import xlwings as xw

    from tests.excel.payload import payload

    src = jpy_book(tmp_path / "book.xlsx")
    data = payload(src)
    data["client"] = "Google Apps Script"
    book = xw.Book(json=data)
    excel.process_orders(book, dispatch=True, as_of=TODAY)
    funcs = [a["func"] for a in book.json()["actions"]]
    assert "setValues" in funcs
    assert "setDataValidationList" not in funcs and "deleteDataValidation" not in funcs
