"""The `ordersheet` command: exit codes, refusals without tracebacks, summaries."""

import json
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ordersheet.cli import cli
from tests.bookfiles import D1, basic_book, write_book

runner = CliRunner()


def run(*args):
    return runner.invoke(cli, [str(a) for a in args])


def test_clean_book_exits_0(tmp_path):
    book = basic_book(tmp_path / "b.xlsx")
    r = run("validate", book, "--today", "2026-11-10")
    assert r.exit_code == 0, r.output
    assert "Valid" in r.output
    ws = load_workbook(book)["Orders"]
    assert ws["M1"].value == "Status" and ws["M2"].value == "Valid"


def test_errors_exit_1_and_the_book_is_still_written(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "NOPE", 2, None, None, None, None, None, None]])
    r = run("validate", book, "--today", "2026-11-10")
    assert r.exit_code == 1
    assert "Orders!E2: SKU 'NOPE' is not on the Products sheet" in r.output
    wb = load_workbook(book)
    assert [c.value for c in wb["Issues"][2]] == [
        "Orders", "E2", "Error", "unknown_sku", "SO-1", "SKU 'NOPE' is not on the Products sheet"]


def test_json_lists_the_issues(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 0, None, None, None, None, None, None]])
    r = run("validate", book, "--json", "--today", "2026-11-10")
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert [(i["code"], i["cell"], i["severity"]) for i in data] == [("bad_quantity", "F2", "Error")]


def test_output_writes_a_copy_and_leaves_the_book_alone(tmp_path):
    book = basic_book(tmp_path / "b.xlsx")
    before = book.read_bytes()
    copy = tmp_path / "out.xlsx"
    assert run("validate", book, "--output", copy, "--today", "2026-11-10").exit_code == 0
    assert book.read_bytes() == before
    assert "Issues" in load_workbook(copy).sheetnames


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("order,qty\n1,2\n"), "is not an .xlsx workbook"),
    (lambda p: p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600), "password"),
])
def test_unreadable_files_exit_2_with_one_line(tmp_path, make, message):
    book = tmp_path / "b.xlsx"
    make(book)
    r = run("validate", book)
    assert r.exit_code == 2
    assert message in r.output.lower()
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_book_without_orders_sheet_exits_2(tmp_path):
    book = write_book(tmp_path / "b.xlsx", {"Products": [["SKU", "List Price"], ["A", 1]]})
    before = book.read_bytes()
    r = run("validate", book)
    assert r.exit_code == 2 and "no Orders sheet" in r.output
    assert book.read_bytes() == before


def test_bad_today_is_a_usage_error(tmp_path):
    book = basic_book(tmp_path / "b.xlsx")
    r = run("validate", book, "--today", "yesterday")
    assert r.exit_code == 2 and "--today" in r.output


def test_console_script_is_installed_and_runs():
    r = subprocess.run([sys.executable, "-m", "ordersheet.cli", "--help"], capture_output=True,
                       text=True, env={**os.environ, "COLUMNS": "100"})
    assert r.returncode == 0 and "validate" in r.stdout


def test_audit_log_names_the_settings_user_else_the_os_account(tmp_path):
    book = basic_book(tmp_path / "b.xlsx", Settings=[["User", "Dana"]])
    assert run("validate", book, "--today", "2026-11-10").exit_code == 0
    row = [c.value for c in load_workbook(book)["Audit Log"][2]]
    assert row[1:3] == ["Dana", "validate"] and "Valid: 1" in row[3]
    plain = basic_book(tmp_path / "p.xlsx")
    assert run("validate", plain, "--today", "2026-11-10").exit_code == 0
    assert load_workbook(plain)["Audit Log"]["B2"].value not in (None, "", "Dana")


def test_version_and_help_read_plainly():
    from ordersheet import __version__

    r = run("--version")
    assert r.exit_code == 0 and r.output.strip() == f"ordersheet {__version__}"
    for command in ("run", "validate", "ship", "invoice", "dispatch", "print"):
        text = run(command, "--help").output
        assert "<bool>" not in text and "..." not in text.split("\n")[2], text
        assert "--help" in text
    assert "--dispatch  " in run("run", "--help").output


def test_dispatching_a_shipment_that_is_not_there_changes_nothing_and_exits_1(tmp_path):
    """Issue 19: `dispatch --shipment SHP-0004` (no such shipment) exited 0 and rewrote
    the book."""
    book = basic_book(tmp_path / "b.xlsx")
    assert run("ship", book, "--today", "2026-11-10").exit_code == 0
    before = book.read_bytes()
    r = run("dispatch", book, "--shipment", "SHP-0004", "--today", "2026-11-10")
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert "SHP-0004" in lines[0] and "not on the Shipments sheet" in lines[0]
    assert lines[-1] == f"Nothing was dispatched; {book} was not changed."
    assert book.read_bytes() == before
    r = run("dispatch", book, "--shipment", "SHP-00001", "--today", "2026-11-10")
    assert r.exit_code == 0 and book.read_bytes() != before
    again = book.read_bytes()
    r = run("dispatch", book, "--shipment", "SHP-00001", "--today", "2026-11-10")
    assert r.exit_code == 1 and "already dispatched" in r.output
    assert book.read_bytes() == again


def test_a_shipment_status_the_rules_do_not_know_is_reported_at_its_cell(tmp_path):
    """Issue 19: `Sent` typed as a shipment's Status was silently ignored."""
    book = basic_book(tmp_path / "b.xlsx")
    assert run("ship", book, "--today", "2026-11-10").exit_code == 0
    wb = load_workbook(book)
    ws = wb["Shipments"]
    col = [c.value for c in ws[1]].index("Status") + 1
    ws.cell(2, col).value = "Sent"
    wb.save(book)
    r = run("run", book, "--today", "2026-11-11", "--json")
    found = [i for i in json.loads(r.output) if i["code"] == "unknown_shipment_status"]
    assert [(i["sheet"], i["cell"], i["severity"]) for i in found] == \
        [("Shipments", f"{ws.cell(2, col).column_letter}2", "Warning")]
    assert "'Sent'" in found[0]["message"] and "Shipped" in found[0]["message"]
    shipments = load_workbook(book)["Shipments"]
    assert shipments.cell(2, col).value == "Sent"  # left as the user typed it


def test_payment_terms_too_long_for_any_date_is_an_issue_at_the_cell(tmp_path):
    """Issue 19: Payment Terms Days of 3,000,000 ended in an OverflowError traceback and
    nothing was written; the other customer's order must still be invoiced."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "A-100", 1, None, None, "Normal", None, None, ""],
    ], Customers=[
        ["C1", "Acme", "a@x.com", "US", "USD", None, 3_000_000, None, "No", "No", "", ""],
        ["C2", "Beta", "b@x.com", "US", "USD", None, 30, None, "No", "No", "", ""]])
    r = run("run", book, "--dispatch", "--today", "2026-11-10", "--json")
    assert r.exit_code == 1
    bad = [i for i in json.loads(r.output) if i["code"] == "bad_payment_terms"]
    assert [(i["sheet"], i["cell"], i["order_id"]) for i in bad] == [("Customers", "G2", "SO-1")]
    invoices = [row for row in load_workbook(book)["Invoices"].iter_rows(values_only=True)][1:]
    assert [(row[0], row[5]) for row in invoices] == [("INV-00001", "SO-2")]


def test_odd_next_invoice_numbers_are_issues_and_numbering_never_goes_back(tmp_path):
    """Issue 19: -5 gave INV--0005; two Settings rows for one key: the last won silently;
    a formula was read as blank and overwritten."""
    def settings(*rows):
        return [["Key", "Value"], *rows]

    book = basic_book(tmp_path / "neg.xlsx", Settings=settings(["Next Invoice Number", -5]))
    r = run("run", book, "--dispatch", "--today", "2026-11-10", "--json")
    found = {(i["code"], i["cell"]) for i in json.loads(r.output)}
    assert ("bad_value", "B2") in found
    assert load_workbook(book)["Invoices"]["A2"].value == "INV-00001"

    book = basic_book(tmp_path / "twice.xlsx", Settings=settings(
        ["Next Invoice Number", 7], ["Next Invoice Number", 3]))
    r = run("run", book, "--dispatch", "--today", "2026-11-10", "--json")
    assert ("duplicate_setting", "A3") in {(i["code"], i["cell"]) for i in json.loads(r.output)}
    wb = load_workbook(book)
    assert wb["Invoices"]["A2"].value == "INV-00007"
    assert (wb["Settings"]["B2"].value, wb["Settings"]["B3"].value) == (8, 3)

    book = basic_book(tmp_path / "formula.xlsx", Settings=settings(["Next Invoice Number", "=2+3"]))
    r = run("run", book, "--dispatch", "--today", "2026-11-10", "--json")
    assert r.exit_code == 0, r.output
    assert ("setting_is_formula", "B2") in {(i["code"], i["cell"]) for i in json.loads(r.output)}
    wb = load_workbook(book)
    assert wb["Settings"]["B2"].value == "=2+3"
    assert wb["Invoices"]["A2"].value == "INV-00001"
    assert wb["Settings"].max_row == 2  # no second Next Invoice Number row


def test_the_other_lines_of_an_invalid_order_say_why_they_wait(tmp_path):
    """Issue 18: a bad line makes its whole order Invalid; its sibling lines said nothing."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-5", 1, D1, "C1", "A-100", 1, None, None, "Normal", None, None, ""],
        ["SO-5", 2, D1, "C1", "A-100", "two", None, None, "Normal", None, None, ""],
        ["SO-5", 3, D1, "C1", "B-200", 1, None, None, "Normal", None, None, ""],
        ["SO-6", 1, D1, "C2", "A-100", 1, None, None, "Normal", None, None, ""],
    ])
    r = run("validate", book, "--today", "2026-11-10", "--json")
    found = [(i["cell"], i["message"]) for i in json.loads(r.output)
             if i["code"] == "order_has_invalid_line"]
    assert [c for c, _ in found] == ["A2", "A4"]
    assert found[0][1].startswith("order SO-5 has an invalid line: Orders!F3 (Quantity")
    ws = load_workbook(book)["Orders"]
    status = [c.value for c in ws[1]].index("Status")
    assert [ws.cell(r, status + 1).value for r in range(2, 6)] == \
        ["Invalid", "Invalid", "Invalid", "Valid"]
    assert ws["A2"].comment is not None and "Orders!F3" in ws["A2"].comment.text


def test_ids_as_users_type_them(tmp_path):
    """Issue 19: `tent-2p` for TENT-2P and `c1` for C1 match (the run uses the master
    sheet's spelling); a zero-width space inside a SKU is named in the message."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "c1", "a-100", 2, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "B-\u200b200", 1, None, None, "Normal", None, None, ""],
    ], Inventory=[["SKU", "Warehouse", "On Hand", "Bin"], ["a-100 ", "MAIN", 10, "A-01"],
                  ["B-200", "MAIN", 3, "B-02"]])
    r = run("run", book, "--dispatch", "--today", "2026-11-10", "--json")
    issues = json.loads(r.output)
    assert [i["code"] for i in issues if i["order_id"] == "SO-1"] == []
    (bad,) = [i for i in issues if i["order_id"] == "SO-2"]
    assert bad["code"] == "unknown_sku" and bad["cell"] == "E3"
    assert "'B-⟨U+200B⟩200'" in bad["message"] and "zero-width space" in bad["message"]
    wb = load_workbook(book)
    assert wb["Orders"]["E2"].value == "a-100"  # the cell keeps what was typed
    lines = list(wb["Shipment Lines"].iter_rows(values_only=True))
    assert lines[1][:4] == ("SHP-00001", "SO-1", 1, "A-100")
    assert wb["Invoices"]["A2"].value == "INV-00001"


def test_a_currency_sign_that_is_not_the_orders_currency_is_reported(tmp_path):
    """Issue 19: `¥249` typed as the Unit Price of a USD order was taken as 249 USD without
    a word; `$9.50` on the same order is fine."""
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 1, "¥249", None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C1", "A-100", 1, "$9.50", None, "Normal", None, None, ""],
    ])
    r = run("validate", book, "--today", "2026-11-10", "--json")
    found = [i for i in json.loads(r.output) if i["code"] == "currency_sign_mismatch"]
    assert [(i["cell"], i["order_id"], i["severity"]) for i in found] == \
        [("G2", "SO-1", "Warning")]
    assert "'¥249' is typed with ¥" in found[0]["message"] and "USD" in found[0]["message"]
