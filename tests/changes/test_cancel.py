"""Cancelling orders (issue 20 A), as books: `ordersheet cancel`, and `Cancelled` typed in
Status with a Cancel Reason column."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from ordersheet import cli
from ordersheet.domain.reservation import replay_ledger

from ..bookfiles import D1, basic_book
from .helpers import (TODAY, cancel, codes, column, edit, ledger_rows, put, rows, run,
                      sheet_bytes)


def three_orders(tmp_path: Path) -> Path:
    return basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 4, None, None, "Normal", None, None, ""],
        ["SO-1", 2, D1, "C1", "B-200", 1, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "A-100", 3, None, None, "Normal", None, None, ""],
        ["SO-3", 1, D1, "C2", "A-100", 5, None, None, "Normal", None, None, ""],
    ])


def test_cancel_releases_stock_withdraws_ready_shipment_and_logs_the_reason(tmp_path):
    book = three_orders(tmp_path)
    assert run(book, "ship", dispatch=False)[0] == 0  # SO-3 gets 3 of 5 (10 on hand)
    assert column(book, "Shipments", "Status") == ["Ready", "Ready", "Ready"]
    code, result = cancel(book, "SO-1", reason="customer changed mind")
    assert code == 0
    assert sorted(result.cancelled) == [("SO-1", 1), ("SO-1", 2)]
    # Status written where the next run reads it; the shipment's number stays, Cancelled
    assert column(book, "Orders", "Status")[:2] == ["Cancelled", "Cancelled"]
    ships = dict(zip(column(book, "Shipments", "Order ID"), column(book, "Shipments", "Status")))
    assert ships["SO-1"] == "Cancelled"
    assert column(book, "Shipments", "Shipment ID") == ["SHP-00001", "SHP-00002", "SHP-00003"]
    # the released units went to SO-3, which waited for them (reserve ran; nothing shipped)
    res = {(o, ln): q for o, ln, q in zip(column(book, "Reservations", "Order ID"),
                                          column(book, "Reservations", "Line"),
                                          column(book, "Reservations", "Quantity"))
           if True}
    assert ("SO-1", 1) not in res and ("SO-1", 2) not in res
    assert sum(q for (o, _), q in res.items() if o == "SO-3") == 5
    cancels = [r for r in ledger_rows(book) if r["Operation"] == "cancel"]
    assert {(r["SKU"], r["Change"], r["Reason"]) for r in cancels} == {
        ("A-100", -4, "customer changed mind"), ("B-200", -1, "customer changed mind")}
    audit = rows(book, "Audit Log")[-1]
    assert "cancel" in audit and any("customer changed mind" in str(v) for v in audit)


def test_second_cancel_changes_nothing(tmp_path):
    book = three_orders(tmp_path)
    run(book, "ship", dispatch=False)
    assert cancel(book, "SO-1", reason="dup")[0] == 0
    before = sheet_bytes(book)
    code, result = cancel(book, "SO-1", reason="dup")
    assert code == 0 and result.idle
    assert sheet_bytes(book) == before


def test_cancel_of_a_dispatched_order_is_refused_and_nothing_is_written(tmp_path):
    book = three_orders(tmp_path)
    run(book)  # run --dispatch: SO-1 left on SHP-00001
    before = book.read_bytes()
    code, result = cancel(book, "SO-1", reason="too late")
    assert code == 1 and result.refused
    assert codes(result)["already_shipped"] == 2
    msg = next(i.message for i in result.issues if i.code == "already_shipped")
    assert "SHP-00001" in msg and "return" in msg
    assert book.read_bytes() == before


def test_cancel_one_line_leaves_the_other(tmp_path):
    book = three_orders(tmp_path)
    run(book, "reserve", dispatch=False)
    assert cancel(book, "SO-1", line=2)[0] == 0
    assert column(book, "Orders", "Status")[:2] == ["Reserved", "Cancelled"]


def test_unknown_order_is_refused(tmp_path):
    book = three_orders(tmp_path)
    run(book, "reserve", dispatch=False)
    before = book.read_bytes()
    code, result = cancel(book, "SO-9")
    assert code == 1 and codes(result)["unknown_order"] == 1
    assert book.read_bytes() == before


def test_typed_cancelled_takes_its_reason_from_cancel_reason_column(tmp_path):
    book = three_orders(tmp_path)
    run(book, "ship", dispatch=False)

    def typed(wb):
        ws = wb["Orders"]
        heads = [c.value for c in ws[1]]
        put(ws, 4, heads.index("Status") + 1, "Cancelled")  # SO-2 line 1
        col = len(heads) + 1
        put(ws, 1, col, "Cancel Reason")
        put(ws, 4, col, "duplicate order")
    edit(book, typed)
    code, result = run(book, "ship", dispatch=False)
    assert code == 0
    cancels = [r for r in ledger_rows(book) if r["Operation"] == "cancel"]
    assert [(r["Order ID"], r["Change"], r["Reason"]) for r in cancels] == [
        ("SO-2", -3, "duplicate order")]
    ships = dict(zip(column(book, "Shipments", "Order ID"), column(book, "Shipments", "Status")))
    assert ships["SO-2"] == "Cancelled"
    assert "duplicate order" in rows(book, "Audit Log")[-1][3]
    # a re-run releases nothing again
    run(book, "ship", dispatch=False)
    assert len([r for r in ledger_rows(book) if r["Operation"] == "cancel"]) == 1


def test_typed_cancelled_on_a_dispatched_line_is_refused_and_the_line_kept(tmp_path):
    book = three_orders(tmp_path)
    run(book)

    def typed(wb):
        ws = wb["Orders"]
        heads = [c.value for c in ws[1]]
        put(ws, 2, heads.index("Status") + 1, "Cancelled")
    edit(book, typed)
    code, result = run(book)
    assert code == 1 and codes(result)["already_shipped"] == 1
    assert column(book, "Orders", "Status")[0] == "Invoiced"


def test_ledger_replay_matches_inventory_after_cancel(tmp_path):
    book = three_orders(tmp_path)
    run(book, "ship", dispatch=False)
    cancel(book, "SO-2", reason="x")
    entries = ledger_rows(book)
    opening = {("A-100", "MAIN"): (10, 0), ("B-200", "MAIN"): (3, 0)}
    from ordersheet.domain.models import LedgerEntry
    import datetime as dt
    replay = replay_ledger([LedgerEntry(timestamp=dt.datetime(2026, 1, 1), operation=e["Operation"],
                                        sku=e["SKU"], warehouse=e["Warehouse"], field=e["Field"],
                                        change=e["Change"], before=e["Before"], after=e["After"])
                            for e in entries], opening)
    inv = {(s, w): (o, r) for s, w, o, r in zip(
        column(book, "Inventory", "SKU"), column(book, "Inventory", "Warehouse"),
        column(book, "Inventory", "On Hand"), column(book, "Inventory", "Reserved"))}
    assert replay == inv


def test_cli_cancel_command(tmp_path):
    book = three_orders(tmp_path)
    run(book, "reserve", dispatch=False)
    got = CliRunner().invoke(cli.cli, ["cancel", str(book), "SO-2", "--reason", "no longer",
                                       "--today", TODAY])
    assert got.exit_code == 0, got.output
    assert column(book, "Orders", "Status")[2] == "Cancelled"
    got = CliRunner().invoke(cli.cli, ["cancel", str(book), "SO-2", "--today", TODAY])
    assert got.exit_code == 0 and "Nothing was cancelled" in got.output


def test_cancel_of_lines_not_yet_numbered(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", None, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-1", None, D1, "C1", "B-200", 1, None, None, "Normal", None, None, ""],
    ])
    code, result = cancel(book, "SO-1", reason="typo order")
    assert code == 0
    assert column(book, "Orders", "Status") == ["Cancelled", "Cancelled"]
    assert column(book, "Orders", "Line") == [1, 2]
    assert "SO-1" in rows(book, "Audit Log")[-1][3]


def test_excel_cancel_takes_a_numeric_order_id(tmp_path):
    from ordersheet import excel
    from tests.excel.payload import live_book

    book = basic_book(tmp_path / "b.xlsx", orders=[
        [1005, 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""]])
    outcome = excel.cancel_order(live_book(book), 1005.0, "x", 1.0, as_of=TODAY)
    assert outcome.result.cancelled == (("1005", 1),)
