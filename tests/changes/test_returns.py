"""Returns and credit notes (issue 20 C), as books: `run --dispatch`, rows typed on the
Returns sheet, `ordersheet returns`, and what a finance clerk expects to find."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from ..bookfiles import D1, basic_book
from .helpers import TODAY, codes, column, edit, ledger_rows, put, records, run, sheet_bytes

RETURNS_HEAD = ["Order ID", "Line", "SKU", "Quantity", "Date", "Reason", "Condition",
                "Exchange SKU"]
TAX = [["Country", "Tax Class", "Rate %"], ["US", "standard", 10], ["US", "shipping", 0]]
DAY = dt.date(2026, 11, 25)


def shipped_book(tmp_path: Path, settings=(), **extra) -> Path:
    """SO-1: 4 x A-100 (10.00, 10 % tax) dispatched and invoiced as INV-00001; SO-2: 5 x
    B-200 ordered, 3 in stock: 3 dispatched, 2 backordered (INV-00002)."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 4, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "B-200", 5, None, None, "Normal", None, None, ""],
    ], **{"Tax Rates": TAX, "Settings": [["Key", "Value"], ["Company Name", "Acme"],
                                         ["Company Address", "1 Road"], *settings],
          "Returns": [RETURNS_HEAD], **extra})
    code, _ = run(book)
    assert code == 0
    assert column(book, "Invoices", "Invoice No") == ["INV-00001", "INV-00002"]
    return book


def add_returns(book: Path, *rows) -> None:
    def change(wb):
        ws = wb["Returns"]
        for r in rows:
            ws.append(list(r))
    edit(book, change)


def returns(book: Path, today: str = "2026-11-26"):
    return run(book, "returns", dispatch=False, today=today)


def on_hand(book: Path, sku: str) -> int:
    return dict(zip(column(book, "Inventory", "SKU"), column(book, "Inventory", "On Hand")))[sku]


def test_resellable_return_makes_a_credit_note_and_puts_stock_back(tmp_path):
    book = shipped_book(tmp_path)
    assert on_hand(book, "A-100") == 6
    add_returns(book, ["SO-1", 1, None, 2, DAY, "wrong size", "Resellable"])
    code, result = returns(book)
    assert code == 0, result.issues
    assert on_hand(book, "A-100") == 8
    inv = {r["Invoice No"]: r for r in records(book, "Invoices")}
    cn = inv["CN-00001"]
    assert cn["Credits Invoice"] == "INV-00001"
    assert (Decimal(str(cn["Net"])), Decimal(str(cn["Tax"])), Decimal(str(cn["Total"]))) == (
        Decimal(-20), Decimal(-2), Decimal(-22))
    # the credited invoice's Balance went down by the credit
    assert Decimal(str(inv["INV-00001"]["Balance"])) == Decimal(44) - Decimal(22)
    lines = [r for r in records(book, "Invoice Lines") if r["Invoice No"] == "CN-00001"]
    assert [(r["SKU"], r["Quantity"], r["Net"]) for r in lines] == [("A-100", -2, -20)]
    assert column(book, "Returns", "Status") == ["Accepted"]
    assert column(book, "Returns", "Credit Note") == ["CN-00001"]
    assert column(book, "Orders", "Status")[0] == "Partially Returned"
    back = [r for r in ledger_rows(book) if r["Operation"] == "return"]
    assert [(r["SKU"], r["Warehouse"], r["Change"], r["Reason"]) for r in back] == [
        ("A-100", "MAIN", 2, "wrong size")]
    settings = dict(zip(column(book, "Settings", "Key"), column(book, "Settings", "Value")))
    assert settings["Next Credit Note Number"] == 2


def test_damaged_return_credits_but_does_not_restock(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", None, "A-100", 4, DAY, "broken", "Damaged"])
    code, _ = returns(book)
    assert code == 0
    assert on_hand(book, "A-100") == 6
    rows = [r for r in ledger_rows(book) if r["Operation"].startswith("return")]
    assert [(r["Operation"], r["Change"], r["Before"], r["After"]) for r in rows] == [
        ("return-damaged", 0, 6, 6)]
    assert column(book, "Orders", "Status")[0] == "Returned"
    status = dict(zip(column(book, "Invoices", "Invoice No"), column(book, "Invoices", "Status")))
    assert status["INV-00001"] == "Credited"


def test_return_of_a_partially_shipped_line_is_capped_at_what_left(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-2", 1, None, 4, DAY, "", "Resellable"],
                ["SO-2", 1, None, 3, DAY, "", "Resellable"])
    code, result = returns(book)
    assert code == 1
    issue = next(i for i in result.issues if i.code == "return_exceeds_shipped")
    assert issue.cell.startswith("D") and "3 dispatched" in issue.message
    assert column(book, "Returns", "Status") == ["Rejected", "Accepted"]
    assert column(book, "Orders", "Status")[1] == "Returned"
    # a third return of the same line finds nothing left
    add_returns(book, ["SO-2", 1, None, 1, DAY, "", "Resellable"])
    code, result = returns(book)
    assert codes(result)["return_exceeds_shipped"] == 2


def test_return_window_and_restocking_fee(tmp_path):
    book = shipped_book(tmp_path, settings=[["Return Window Days", 10],
                                            ["Restocking Fee %", 15]])
    add_returns(book, ["SO-1", 1, None, 1, dt.date(2026, 12, 1), "late", "Resellable"],
                ["SO-1", 1, None, 2, DAY, "ok", "Resellable"])
    code, result = returns(book, today="2026-12-02")
    assert code == 1 and codes(result)["return_window_expired"] == 1
    lines = [r for r in records(book, "Invoice Lines") if r["Invoice No"] == "CN-00001"]
    got = [(r["SKU"], r["Quantity"], Decimal(str(r["Net"])), Decimal(str(r["Tax"])))
           for r in lines]
    assert got == [("A-100", -2, Decimal(-20), Decimal(-2)),
                   ("RESTOCKING", 1, Decimal(3), Decimal("0.3"))]
    cn = next(r for r in records(book, "Invoices") if r["Invoice No"] == "CN-00001")
    assert Decimal(str(cn["Total"])) == Decimal("-18.7")


def test_a_second_returns_run_changes_nothing_and_a_sorted_sheet_neither(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 1, DAY, "a", "Resellable"],
                ["SO-2", 1, None, 1, DAY, "b", "Damaged"])
    assert returns(book)[0] == 0
    before = sheet_bytes(book)
    code, result = returns(book)
    assert code == 0 and result.idle
    assert sheet_bytes(book) == before

    def sort(wb):  # the user sorts Returns by Order ID, descending
        ws = wb["Returns"]
        data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        for i, r in enumerate(sorted(data, key=lambda r: r[0], reverse=True), start=2):
            for j, v in enumerate(r, start=1):
                put(ws, i, j, v)
    edit(book, sort)
    code, result = returns(book)
    assert result.idle
    # the next full run keeps the credit notes and shows them on the sorted rows
    run(book, dispatch=False)
    assert [r["Invoice No"] for r in records(book, "Invoices")].count("CN-00001") == 1
    assert len([r for r in records(book, "Invoices") if r["Credits Invoice"]]) == 2



def test_unknown_line_and_bad_condition_are_rejected_at_their_cells(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-9", 1, None, 1, DAY, "", "Resellable"],
                ["SO-1", None, "ZZZ", 1, DAY, "", "Resellable"],
                ["SO-1", 1, None, 1, DAY, "", "Lost"])
    code, result = returns(book)
    assert code == 1
    got = sorted((i.code, i.cell) for i in result.issues if i.sheet == "Returns")
    assert got == [("bad_value", "G4"), ("return_unknown_line", "B2"),
                   ("return_unknown_line", "C3")]
    assert column(book, "Returns", "Status") == ["Rejected"] * 3
    # nothing accepted: no credit note
    assert "CN-00001" not in column(book, "Invoices", "Invoice No")


def test_credit_note_shows_on_the_print_sheet_and_pdf_model(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 2, DAY, "", "Resellable"])
    returns(book)
    from ordersheet import app
    from ordersheet.book.xlsx import XlsxBook
    from ordersheet.documents.model import document

    loaded = app.read_book(XlsxBook(book))
    doc = document(loaded.book, "CN-00001")
    assert doc.title == "Credit Note"
    assert "credits invoice INV-00001" in doc.text("payment_terms")
    ops = app.show_document(XlsxBook(book), "CN-00001", write=False).ops
    cells = next(op.cells for op in ops if getattr(op, "sheet", "") == "Invoice")
    assert cells[(1, 6)] == "CREDIT NOTE"


def test_exchange_adds_the_replacement_line_which_is_then_served(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 2, DAY, "wrong colour", "Resellable", "B-200"])
    code, result = returns(book)
    assert code == 0, result.issues
    orders = records(book, "Orders")
    new = orders[-1]
    assert (new["Order ID"], new["Line"], new["SKU"], new["Quantity"]) == ("SO-1", 2, "B-200", 2)
    assert Decimal(str(new["Unit Price"])) == 10  # the returned line's price
    assert "CN-00001" in new["Notes"]
    # the next run reserves and ships the replacement like any other line
    edit(book, lambda wb: put(wb["Inventory"], 3, 3, 5))  # B-200 restocked
    code, result = run(book)
    # the returned line's price is agreed for the replacement: used, and not a price_mismatch
    # (B-200 lists at another price) on this run or any later one
    assert not [i for i in result.issues if i.code == "price_mismatch"], result.issues
    b200 = [r for r in records(book, "Invoice Lines")
            if (r["Order ID"], r["SKU"]) == ("SO-1", "B-200")]
    assert [Decimal(str(r["Unit Price"])) for r in b200] == [10]
    statuses = dict(zip(zip(column(book, "Orders", "Order ID"), column(book, "Orders", "Line")),
                        column(book, "Orders", "Status")))
    assert statuses[("SO-1", 2)] == "Invoiced"
    assert statuses[("SO-1", 1)] == "Partially Returned"
    # a second `returns` adds no second exchange line
    assert returns(book)[1].idle
    assert len(records(book, "Orders")) == 3


def test_exchange_for_an_unknown_sku_is_rejected(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 1, DAY, "", "Resellable", "NOPE"])
    code, result = returns(book)
    assert code == 1
    issue = next(i for i in result.issues if i.sheet == "Returns")
    assert issue.code == "unknown_sku" and issue.cell == "H2"
    assert len(records(book, "Orders")) == 2


def test_an_edited_processed_row_is_not_processed_again(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 1, DAY, "", "Resellable"])
    assert returns(book)[0] == 0
    edit(book, lambda wb: put(wb["Returns"], 2, 4, 3))  # 1 -> 3 after it was credited
    code, result = returns(book)
    assert code == 1
    issue = next(i for i in result.issues if i.sheet == "Returns")
    assert issue.code == "processed_return_edited" and "CN-00001" in issue.message
    assert [r for r in column(book, "Invoices", "Invoice No") if r.startswith("CN")] == [
        "CN-00001"]
    assert on_hand(book, "A-100") == 7
    # typed back as it was: accepted as before, nothing new
    edit(book, lambda wb: put(wb["Returns"], 2, 4, 1))
    code, result = returns(book)
    assert code == 0 and result.idle


def test_a_deleted_processed_row_keeps_its_credit_note(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 1, DAY, "", "Resellable"])
    returns(book)
    edit(book, lambda wb: wb["Returns"].delete_rows(2))
    code, result = run(book, dispatch=False, today="2026-11-26")
    code, result = returns(book)
    assert codes(result)["processed_return_missing"] == 1
    assert "CN-00001" in column(book, "Invoices", "Invoice No")


def test_a_credit_note_is_a_posted_record(tmp_path):
    book = shipped_book(tmp_path)
    add_returns(book, ["SO-1", 1, None, 2, DAY, "", "Resellable"])
    returns(book)

    def tamper(wb):
        ws = wb["Invoices"]
        heads = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "CN-00001")
        put(ws, row, heads.index("Total") + 1, -1)
    edit(book, tamper)
    code, result = run(book, dispatch=False, today="2026-11-26")
    assert codes(result)["posted_record_edited"] == 1
    cn = next(r for r in records(book, "Invoices") if r["Invoice No"] == "CN-00001")
    assert Decimal(str(cn["Total"])) == -22
