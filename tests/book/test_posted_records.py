"""Posted records are permanent and the user's work is the user's (issue 16).

Each test is a book a user keeps: `run --dispatch`, an edit of the kind people make between
runs, then another run, and what a user would expect to find.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from typer.testing import CliRunner

from ordersheet import app, cli
from ordersheet.book.state import RECORDS_SHEET
from ordersheet.domain.reservation import replay_ledger

from ..bookfiles import D1, basic_book, with_cached_values, write_book

TODAY = "2026-11-20"


def run(book: Path, op: str = "run", dispatch: bool = True, today: str = TODAY):
    code, result = cli.run_operation(book, op, today, None, as_json=False, dispatch=dispatch,
                                     quiet=True)
    return code, result


def edit(book: Path, change) -> None:
    wb = load_workbook(book)
    change(wb)
    wb.save(book)


def put(ws, row: int, col: int, value) -> None:
    ws.cell(row, col).value = value  # (ws.cell(row, col, None) would leave the cell as it is)


def rows(book: Path, sheet: str) -> list[tuple]:
    return [tuple(r) for r in load_workbook(book)[sheet].iter_rows(values_only=True)]


def column(book: Path, sheet: str, header: str) -> list:
    got = rows(book, sheet)
    j = got[0].index(header)
    return [r[j] for r in got[1:]]


def codes(result) -> Counter:
    return Counter(i.code for i in result.issues)


def two_orders(tmp_path: Path) -> Path:
    return basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "B-200", 1, None, None, "Normal", None, None, ""],
    ])


def dispatched(tmp_path: Path) -> Path:
    book = two_orders(tmp_path)
    code, result = run(book)
    assert code == 0 and result.new_invoices == ("INV-00001", "INV-00002")
    return book


def assert_nothing_twice(book: Path) -> None:
    """No shipment or invoice number twice, and every order line shipped once."""
    for sheet, header in (("Shipments", "Shipment ID"), ("Invoices", "Invoice No")):
        ids = [x for x in column(book, sheet, header) if x]
        assert len(ids) == len(set(ids)), (sheet, ids)
    shipped = Counter()
    for r in rows(book, "Shipment Lines")[1:]:
        shipped[(r[1], r[2])] += r[5]
    assert shipped == Counter({("SO-1", 1): 2, ("SO-2", 1): 1})


def test_a_blanked_warehouse_of_a_dispatched_shipment_is_restored_and_nothing_ships_twice(
        tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: put(wb["Shipments"], 2, 4, None))
    code, result = run(book)
    assert code == 1
    edited = [i for i in result.issues if i.code == "posted_record_edited"]
    assert [(i.sheet, i.cell, i.severity.value) for i in edited] == [("Shipments", "D2", "Error")]
    assert "blank was typed, 'MAIN' is kept" in edited[0].message
    assert column(book, "Shipments", "Warehouse") == ["MAIN", "MAIN"]
    assert result.new_shipments == () and result.new_invoices == () and result.ledger == ()
    assert_nothing_twice(book)
    assert column(book, "Orders", "Status") == ["Invoiced", "Invoiced"]


def test_a_renamed_invoices_header_is_restored_and_nothing_is_invoiced_again(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Invoices"].cell(1, 1, "Invoice Number"))
    code, result = run(book)
    assert code == 1
    assert [(i.cell, i.code) for i in result.issues] == [("A1", "posted_record_edited")]
    assert rows(book, "Invoices")[0][0] == "Invoice No"
    assert column(book, "Invoices", "Invoice No") == ["INV-00001", "INV-00002"]
    assert result.new_invoices == ()
    assert_nothing_twice(book)


def test_a_renamed_reservations_header_does_not_log_every_reservation_again(tmp_path):
    book = two_orders(tmp_path)
    run(book, "reserve", dispatch=False)
    ledger_before = rows(book, "Stock Ledger")
    edit(book, lambda wb: wb["Reservations"].cell(1, 5, "Qty"))
    code, result = run(book, "reserve", dispatch=False)
    assert [i.code for i in result.issues] == ["record_edited"]
    assert code == 0  # a reservation is not a posted record: a warning
    assert rows(book, "Stock Ledger") == ledger_before
    assert rows(book, "Reservations")[0][4] == "Quantity"
    _ledger_matches_inventory(book, result)


def _ledger_matches_inventory(book: Path, result) -> None:
    reserved = Counter()
    for r in result.book.reservations:
        reserved[(r.sku, r.warehouse)] += r.quantity
    entries = app.read_book(cli.open_book(book)).owned["Stock Ledger"].records
    replayed = replay_ledger(entries, {})
    for key, (_, res) in replayed.items():
        assert res == reserved.get(key, 0), key


def test_an_x_typed_into_an_invoice_line_quantity_keeps_the_line(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Invoice Lines"].cell(2, 6, "x"))
    code, result = run(book)
    assert code == 1
    [issue] = result.issues
    assert (issue.code, issue.cell, issue.order_id) == ("posted_record_edited", "F2", "SO-1")
    assert "'x' was typed, 2 is kept" in issue.message
    assert column(book, "Invoice Lines", "Quantity")[0] == 2
    assert len(rows(book, "Invoice Lines")) == len(load_workbook(book)["Invoice Lines"]["A"])


def test_a_deleted_invoice_row_is_put_back(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Invoices"].delete_rows(2))
    code, result = run(book)
    assert code == 1 and [i.code for i in result.issues] == ["posted_record_edited"]
    assert column(book, "Invoices", "Invoice No") == ["INV-00001", "INV-00002"]
    assert result.new_invoices == ()


def test_a_sorted_ledger_and_shipments_sheet_are_no_edit(tmp_path):
    book = dispatched(tmp_path)

    def sort(wb):
        for name in ("Stock Ledger", "Shipments"):
            ws = wb[name]
            data = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
            data.reverse()
            for i, r in enumerate(data, start=2):
                for j, v in enumerate(r, start=1):
                    ws.cell(i, j, v)
    edit(book, sort)
    code, result = run(book)
    assert code == 0 and result.issues == []
    assert_nothing_twice(book)


def test_tracking_numbers_typed_on_dispatched_shipments_are_kept(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Shipments"].cell(2, 13, "1Z999"))
    code, result = run(book)
    assert code == 0 and result.issues == []
    assert column(book, "Shipments", "Tracking No")[0] == "1Z999"


def test_a_dispatched_shipment_set_back_to_ready_stays_dispatched(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Shipments"].cell(2, 11, "Ready"))
    code, result = run(book)
    assert code == 1 and [i.cell for i in result.issues] == ["K2"]
    assert column(book, "Shipments", "Status") == ["Shipped", "Shipped"]
    assert result.dispatched == () and result.ledger == ()


def test_renumbered_or_renamed_invoiced_lines_are_not_served_again(tmp_path):
    for cell, value, where in (((2, 2), 7, "B2"), ((2, 1), "SO-1X", "A2"), ((2, 2), None, "B2")):
        folder = tmp_path / where / str(value)
        folder.mkdir(parents=True)
        book = dispatched(folder)
        edit(book, lambda wb: put(wb["Orders"], *cell, value))
        code, result = run(book)
        assert code == 1
        found = [i for i in result.issues if i.code == "posted_record_edited"]
        assert [(i.sheet, i.cell) for i in found] == [("Orders", where)], result.issues
        assert "dispatched as order SO-1 line 1 (SHP-00001)" in found[0].message
        assert result.new_shipments == () and result.new_invoices == ()
        assert_nothing_twice(book)
        assert load_workbook(book)["Orders"].cell(*cell).value == value  # the user's cell


def test_a_dispatched_line_deleted_from_orders_is_reported_and_kept(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb["Orders"].delete_rows(2))
    code, result = run(book)
    assert [(i.code, i.order_id) for i in result.issues] == [("dispatched_line_missing", "SO-1")]
    assert "SHP-00001" in result.issues[0].message
    assert_nothing_twice(book)


def test_invoices_typed_in_before_ordersheet_are_kept_and_numbering_goes_on(tmp_path):
    head = ["Invoice No", "Invoice Date", "Due Date", "Customer ID", "Customer Name",
            "Order ID", "Shipment ID", "Currency", "Net", "Tax", "Shipping", "Total", "Paid",
            "Balance", "Status"]
    typed = [["INV-00001", dt.date(2026, 1, 5), dt.date(2026, 2, 4), "C1", "Acme", "OLD-1",
              None, "USD", 100, 0, 0, 100, 100, 0, "Paid"],
             ["INV-00003", dt.date(2026, 2, 5), dt.date(2026, 3, 7), "C2", "Beta", "OLD-2",
              None, "USD", 50, 0, 0, 50, 0, 50, "Open"]]
    book = basic_book(tmp_path / "b.xlsx", Invoices=[head] + typed)
    code, result = run(book)
    assert result.new_invoices == ("INV-00004",)
    got = rows(book, "Invoices")
    assert [r[0] for r in got[1:]] == ["INV-00001", "INV-00003", "INV-00004"]
    assert got[1][5] == "OLD-1" and got[2][13] == 50
    assert "invoice_number_taken" in codes(result)
    code, again = run(book)
    assert again.new_invoices == () and [r[0] for r in rows(book, "Invoices")[1:]] == [
        "INV-00001", "INV-00003", "INV-00004"]


def test_users_own_total_and_invoice_columns_are_left_alone(tmp_path):
    book = basic_book(tmp_path / "b.xlsx")

    def own_columns(wb):
        ws = wb["Orders"]
        ws.cell(1, 13, "Total")
        ws.cell(2, 13, "=F2*2")
        ws.cell(1, 14, "Invoice")
        ws.cell(2, 14, "ERP-0042")
    edit(book, own_columns)
    code, result = run(book)
    ws = load_workbook(book)["Orders"]
    assert (ws["M2"].value, ws["N2"].value) == ("=F2*2", "ERP-0042")
    taken = [i for i in result.issues if i.code == "column_name_taken"]
    assert sorted(i.cell for i in taken) == ["M1", "N1"]
    heads = [c.value for c in ws[1]]
    assert "Total (ordersheet)" in heads and "Invoice (ordersheet)" in heads
    assert column(book, "Orders", "Invoice (ordersheet)") == ["INV-00001"]
    code, again = run(book)
    assert [c.value for c in load_workbook(book)["Orders"][1]] == heads
    assert "column_name_taken" not in codes(again)


def test_users_own_issues_and_invoices_sheets_are_left_alone(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", Issues=[["My notes"], ["call Acme back"]],
                      Invoices=[["Supplier", "Amount"], ["Paper Co", 12.5]])
    code, result = run(book)
    wb = load_workbook(book)
    assert [list(r) for r in wb["Issues"].iter_rows(values_only=True)] == [
        ["My notes"], ["call Acme back"]]
    assert [list(r) for r in wb["Invoices"].iter_rows(values_only=True)] == [
        ["Supplier", "Amount"], ["Paper Co", 12.5]]
    assert column(book, "Invoices (ordersheet)", "Invoice No") == ["INV-00001"]
    assert {i.code for i in result.issues} == {"sheet_name_taken"}
    code, again = run(book)
    assert again.new_invoices == () and "sheet_name_taken" not in codes(again)
    assert column(book, "Invoices (ordersheet)", "Invoice No") == ["INV-00001"]


def test_rows_typed_under_ordersheet_records_are_kept_and_not_counted(tmp_path):
    book = dispatched(tmp_path)

    def typed(wb):  # typed right under each table, which Excel then extends
        ws = wb["Stock Ledger"]
        ws.append([dt.datetime(2026, 11, 20, 8), "count", "A-100", "MAIN", "On Hand", 5, 8, 13,
                   None, None])
        grow_table(ws)
        ws = wb["Shipment Lines"]
        ws.append(["SHP-00001", "SO-1", 1, "A-100", "MAIN", 9])
        grow_table(ws)
    edit(book, typed)
    code, result = run(book)
    assert sorted(i.code for i in result.issues) == ["unknown_row", "unknown_row"]
    assert rows(book, "Stock Ledger")[-1][1] == "count"
    assert rows(book, "Shipment Lines")[-1][5] == 9
    assert_nothing_twice_but(book, extra=9)
    code, again = run(book)
    assert again.ledger == () and again.new_invoices == ()


def test_rows_typed_under_a_record_table_that_was_not_extended_are_kept(tmp_path):
    """Another program (or Excel with AutoCorrect's table expansion off) leaves the
    typed rows outside the table: they are still read, kept, and the table grows."""
    book = dispatched(tmp_path)

    def typed(wb):
        wb["Shipment Lines"].append(["SHP-00001", "SO-1", 1, "A-100", "MAIN", 9])
    edit(book, typed)
    code, result = run(book)
    assert "unknown_row" in [i.code for i in result.issues]
    assert rows(book, "Shipment Lines")[-1][5] == 9
    ws = load_workbook(book)["Shipment Lines"]
    (table,) = ws.tables.values()
    assert table.ref.endswith(str(ws.max_row))
    assert_nothing_twice_but(book, extra=9)


def grow_table(ws) -> None:
    for table in ws.tables.values():
        first = table.ref.split(":")[0]
        table.ref = f"{first}:{ws.cell(ws.max_row, ws.max_column).coordinate}"


def assert_nothing_twice_but(book: Path, extra: int) -> None:
    shipped = sum(r[5] for r in rows(book, "Shipment Lines")[1:])
    assert shipped == 3 + extra  # the typed row is kept as typed, never posted


def refused_untouched(book: Path):
    """`ordersheet run BOOK` as typed: refused with exit 2, the book not touched."""
    before = book.read_bytes()
    r = CliRunner().invoke(cli.cli, ["run", str(book), "--today", TODAY])
    assert r.exit_code == 2, r.output
    assert book.read_bytes() == before
    return r


def test_a_damaged_record_sheet_is_refused_with_exit_2(tmp_path):
    book = dispatched(tmp_path)

    def damage(wb):
        ws = wb[RECORDS_SHEET]
        for r in ws.iter_rows(min_row=2):
            if r[0].value == "records":
                r[3].value = r[3].value[:-8] + "AAAAAAAA"
                break
    edit(book, damage)
    r = refused_untouched(book)
    assert "restore the book" in r.output


def test_a_legacy_book_with_an_unreadable_owned_sheet_is_refused(tmp_path):
    book = dispatched(tmp_path)

    def legacy(wb):
        del wb[RECORDS_SHEET]
        wb["Invoices"].cell(1, 1, "Invoice Number")
    edit(book, legacy)
    r = refused_untouched(book)
    assert "Invoices sheet cannot be read" in r.output


def test_a_legacy_book_is_taken_as_it_is(tmp_path):
    book = dispatched(tmp_path)
    edit(book, lambda wb: wb.__delitem__(RECORDS_SHEET))
    code, result = run(book)
    assert code == 0 and result.issues == [] and result.new_invoices == ()
    assert RECORDS_SHEET in load_workbook(book).sheetnames
    assert_nothing_twice(book)


# ---- formulas: ordersheet never writes over one ------------------------------------------


def refuse(book: Path) -> str:
    from typer.testing import CliRunner

    before = book.read_bytes()
    r = CliRunner().invoke(cli.cli, ["run", str(book), "--dispatch", "--today", TODAY])
    assert r.exit_code == 2, r.output
    assert book.read_bytes() == before
    return r.output


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_a_formula_typed_into_ordersheets_column_stops_the_run_untouched(tmp_path, engine,
                                                                           monkeypatch):
    if engine == "openpyxl":
        monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    book = two_orders(tmp_path)
    run(book, "validate", dispatch=False)
    edit(book, lambda wb: put(wb["Orders"], 3, 13, '=IF(F3>0,"Valid","")'))
    out = refuse(book)
    assert "Orders!M3 holds a formula in ordersheet's column 'Status'" in out


def test_an_on_hand_formula_stops_a_dispatch_but_not_a_check(tmp_path):
    book = two_orders(tmp_path)
    edit(book, lambda wb: put(wb["Inventory"], 2, 3, "=5+5"))
    with_cached_values(book, {"5+5": "10"})
    code, _ = run(book, "validate", dispatch=False)
    assert code == 0
    out = refuse(book)
    assert "Inventory!C2 holds a formula" in out and "never writes over a formula" in out


def test_a_line_formula_that_shows_nothing_is_not_numbered_over(tmp_path):
    book = two_orders(tmp_path)
    edit(book, lambda wb: put(wb["Orders"], 2, 2, '=""'))
    assert "Orders!B2 holds a formula" in refuse(book)


# ---- highlights give the user's own fill back -------------------------------------------


def fill_of(book: Path, sheet: str, ref: str):
    f = load_workbook(book)[sheet][ref].fill
    if not f or f.fill_type is None:
        return None
    color = f.fgColor
    return color.rgb[-6:].upper() if color.type == "rgb" else ("theme", color.theme)


@pytest.mark.parametrize("engine", ["xlsx", "openpyxl"])
def test_a_users_fill_on_a_flagged_cell_comes_back_when_the_problem_is_fixed(
        tmp_path, engine, monkeypatch):
    from openpyxl.styles import PatternFill
    from openpyxl.styles.colors import Color

    if engine == "openpyxl":
        monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    book = two_orders(tmp_path)

    def paint_and_break(wb):
        ws = wb["Orders"]
        ws["F2"].fill = PatternFill("solid", fgColor="FF92D050")
        ws["F2"].value = "x"
        if engine == "xlsx":  # a theme colour too, which only the xlsx engine keeps
            ws["F3"].fill = PatternFill("solid", fgColor=Color(theme=5, tint=0.4))
            ws["F3"].value = "y"
    edit(book, paint_and_break)
    run(book, "validate", dispatch=False)
    assert fill_of(book, "Orders", "F2") == "FFC7CE"
    run(book, "validate", dispatch=False)  # still wrong: still marked, the fill still noted
    assert fill_of(book, "Orders", "F2") == "FFC7CE"

    def fix(wb):
        wb["Orders"]["F2"].value = 2
        wb["Orders"]["F3"].value = 1
    edit(book, fix)
    code, _ = run(book, "validate", dispatch=False)
    assert code == 0
    assert fill_of(book, "Orders", "F2") == "92D050"
    if engine == "xlsx":
        assert fill_of(book, "Orders", "F3") == ("theme", 5)


def test_a_fill_the_user_changed_on_a_marked_cell_is_theirs(tmp_path):
    from openpyxl.styles import PatternFill

    book = two_orders(tmp_path)
    edit(book, lambda wb: put(wb["Orders"], 2, 6, "x"))
    run(book, "validate", dispatch=False)

    def repaint_and_fix(wb):
        wb["Orders"]["F2"].fill = PatternFill("solid", fgColor="FF00B0F0")
        wb["Orders"]["F2"].value = 2
    edit(book, repaint_and_fix)
    run(book, "validate", dispatch=False)
    assert fill_of(book, "Orders", "F2") == "00B0F0"
