"""The order-change scripts (issue 20) in Excel write what the CLI writes."""

from __future__ import annotations

from ordersheet import app, excel
from ordersheet.domain.changes import CancelRequest
from tests.excel.payload import live_book
from tests.excel.test_scripts import (ORDERS, TODAY, assert_same_workbook, cli_run, fixed_clock,
                                      lite_run, order_book)

__all__ = ["fixed_clock"]  # the autouse fixture, used here too


def test_cancel_order_writes_what_the_cli_writes(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    cli_run(src, tmp_path / "planned.xlsx", "ship")
    planned = tmp_path / "planned.xlsx"
    cli_run(planned, tmp_path / "cli.xlsx", "cancel",
            cancel=CancelRequest("SO-2", None, "customer called"))
    outcome, _ = lite_run(planned, tmp_path / "lite.xlsx", excel.cancel_order,
                          order_id="SO-2", reason="customer called", as_of=TODAY)
    assert outcome.result.cancelled == (("SO-2", 1),)
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")


def test_a_refused_cancel_writes_nothing_in_excel(tmp_path, capsys):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    cli_run(src, tmp_path / "sent.xlsx", "run", dispatch=True)
    book = live_book(tmp_path / "sent.xlsx")
    outcome = excel.cancel_order(book, "SO-2", "too late", as_of=TODAY)
    assert outcome.result.refused
    assert book.json()["actions"] == []
    assert "record a return" in capsys.readouterr().out.lower()
    assert app.CancelRequest is CancelRequest


def test_process_returns_writes_what_the_cli_writes_and_grows_the_orders_table(tmp_path):
    """An exchange's line, appended under the Orders table, joins the table in Excel as in
    the file (so the next run, which reads only the table there, sees it)."""
    import datetime as dt

    from openpyxl import load_workbook

    from tests.bookfiles import write_book
    from tests.excel.test_scripts import TAX

    sheets = {"Orders": ORDERS[:3],
              "Products": [["A-100", "Widget", 10, 1.5, "standard", "Yes"],
                           ["B-200", "Gadget", 25.5, 2, "standard", "Yes"]],
              "Inventory": [["A-100", "MAIN", 10, "A-01"], ["B-200", "MAIN", 3, "B-02"]],
              "Customers": [["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No",
                             "1 Main St", "1 Main St"],
                            ["C2", "Beta", "b@x.com", "US", "USD", None, 30, None, "No", "No",
                             "", ""]],
              "Tax Rates": TAX,
              "Returns": [["Order ID", "Line", "SKU", "Quantity", "Date", "Reason",
                           "Condition", "Exchange SKU"],
                          ["SO-2", 1, None, 1, dt.date(2026, 11, 3), "too small",
                           "Resellable", "B-200"]]}
    src = write_book(tmp_path / "book.xlsx", sheets, tables=True)
    cli_run(src, tmp_path / "sent.xlsx", "run", dispatch=True)
    sent = tmp_path / "sent.xlsx"
    cli_run(sent, tmp_path / "cli.xlsx", "returns")
    outcome, _ = lite_run(sent, tmp_path / "lite.xlsx", excel.process_returns, as_of=TODAY)
    assert [p.credit_notes for p in outcome.result.returns.new] == ["CN-00001"]
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")
    for name in ("cli.xlsx", "lite.xlsx"):
        orders = load_workbook(tmp_path / name)["Orders"]
        assert orders.tables["tblOrders"].ref.endswith("5")  # 3 lines + the exchange
        assert orders.cell(5, 5).value == "B-200"
