"""The `customer_updates` script, as xlwings Lite runs it: the same messages, Communication
Log and Issues as `ordersheet notify` (`app.notify`) writes for the same book, day and
clock, and each message's Mail Link cell a `mailto:` hyperlink (Lite cannot send mail)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook

from ordersheet import app, excel
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.plan import STATE_SHEET
from tests.excel.payload import sheet_values
from tests.excel.test_scripts import NOW, TODAY, cli_run, fixed_clock, lite_run, order_book

__all__ = ["fixed_clock"]  # the autouse clock of the scripts' tests


def test_customer_updates_writes_what_notify_writes_with_a_mail_link_per_message(tmp_path):
    src = order_book(tmp_path / "book.xlsx")
    cli_run(src, tmp_path / "ran.xlsx", "run", dispatch=True)
    port = OpenpyxlBook(tmp_path / "ran.xlsx")
    app.notify(port, today=TODAY, now=NOW, user=excel._user())
    port.save(tmp_path / "cli.xlsx")
    done, _ = lite_run(tmp_path / "ran.xlsx", tmp_path / "lite.xlsx", excel.customer_updates,
                       as_of=TODAY)
    assert done is not None and len(done.messages) >= 3
    cli, lite = load_workbook(tmp_path / "cli.xlsx"), load_workbook(tmp_path / "lite.xlsx")
    assert cli.sheetnames == lite.sheetnames
    for name in cli.sheetnames:
        a, b = sheet_values(cli[name]), sheet_values(lite[name])
        if name == STATE_SHEET:
            a, b = [r[:2] for r in a], [r[:2] for r in b]
        if name == "Customer Updates":  # the link's text differs: a URL vs "Write to ..."
            a, b = [r[:-1] for r in a], [r[:-1] for r in b]
        assert a == b, name
    assert {r[7] for r in sheet_values(lite["Communication Log"])[1:]} == {"Drafted"}
    ws = lite["Customer Updates"]
    for row, msg in enumerate(done.messages, start=2):
        cell = ws.cell(row, 8)
        assert cell.value == f"Write to {msg.email}"
        link = urlsplit(cell.hyperlink.target)
        assert (link.scheme, link.path) == ("mailto", msg.email)
        query = parse_qs(link.query)
        assert query["subject"] == [msg.subject]
        assert query["body"][0].replace("\r\n", "\n") == msg.body
    # run again: nothing is due, nothing drafted twice
    again, _ = lite_run(tmp_path / "lite.xlsx", tmp_path / "lite2.xlsx",
                        excel.customer_updates, as_of=TODAY)
    assert again.messages == []
    assert len(sheet_values(load_workbook(tmp_path / "lite2.xlsx")["Communication Log"])) == \
        len(done.messages) + 1
