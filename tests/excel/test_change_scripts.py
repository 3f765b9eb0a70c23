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
