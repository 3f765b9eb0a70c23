"""The Excel scripts, run the way xlwings Lite runs them: the book arrives as the remote
engine's payload (built from a real .xlsx), the script queues actions, and the actions are
replayed onto the file as Excel would apply them. The result must be the workbook the CLI
path (`app.execute` with the .xlsx reference engine) writes for the same book, the same
day and the same clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ordersheet import app, excel
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.plan import STATE_SHEET
from tests.bookfiles import D1, basic_book
from tests.excel.payload import live_book, marks, replay_to_file, sheet_values

TODAY = dt.date(2026, 11, 3)
NOW = dt.datetime(2026, 11, 3, 9, 30, 0)

TAX = [["Country", "Tax Class", "Rate %"], ["US", "standard", 10], ["US", "shipping", 0]]
RATES = [["Carrier", "Service", "Country", "Max Weight", "Cost", "Transit Days"],
         ["UPS", "Ground", "*", 100, 7.5, 5], ["UPS", "Express", "*", 100, 20, 1]]
SETTINGS = [["Company Name", "Acme Trading"], ["Next Invoice Number", 41]]

# Order ID, Line, Order Date, Customer ID, SKU, Quantity, Unit Price, Requested Date,
# Priority, Warehouse, Ship Method, Notes
ORDERS = [
    ["SO-1", None, D1, "C1", "A-100", 2, None, None, "High", None, None, "=rush"],
    ["SO-1", None, D1, "C1", "B-200", 1, 25.5, None, "High", None, None, "+1 call first"],
    ["SO-2", 1, D1, "C2", "A-100", 3, 9.5, dt.date(2026, 11, 20), "Normal", "MAIN", None,
     "00123"],
    ["SO-3", 1, "2026-11-03", "C1", "B-200", 5, None, None, "Low", None, None, None],
    ["SO-4", 1, D1, "C9", "A-100", 1, None, None, None, None, None, "unknown customer"],
    ["SO-5", 1, "soon", "C1", "Z-999", 0, None, None, None, None, None, "2026-01-01"],
    ["SO-6", 1, D1, "C2", "A-100", "#N/A", None, None, None, None, None, "TRUE"],
]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(excel, "_clock", lambda: NOW)


def order_book(path: Path, orders=ORDERS, **extra) -> Path:
    sheets = {"Tax Rates": TAX, "Shipping Rates": RATES, "Settings": SETTINGS}
    sheets.update(extra)
    return basic_book(path, orders=orders, **sheets)


def cli_run(src: Path, out: Path, operation: str, **kw) -> None:
    port = OpenpyxlBook(src)
    app.execute(port, operation, today=TODAY, now=NOW, user=excel._user(), **kw)
    port.save(out)


def lite_run(src: Path, out: Path, script, **kw):
    book = live_book(src)
    result = script(book, **kw)
    replayed = replay_to_file(src, book, out)
    assert replayed.formulas == [], "a string reached Excel as a formula"
    return result, book.json()["actions"]


def assert_same_workbook(a: Path, b: Path) -> None:
    wa, wb = load_workbook(a), load_workbook(b)
    assert wa.sheetnames == wb.sheetnames
    for name in wa.sheetnames:
        va, vb = sheet_values(wa[name]), sheet_values(wb[name])
        if name == STATE_SHEET:  # the live engine adds a Note column of its own
            va, vb = [r[:2] for r in va], [r[:2] for r in vb]
        assert va == vb, f"sheet {name} differs"
        assert marks(wa[name]) == marks(wb[name]), f"highlights or notes on {name} differ"
        assert wa[name].sheet_state == wb[name].sheet_state, name
    assert wa.active.title == wb.active.title


SCRIPTS = [
    ("validate", excel.validate_orders, {}, {}),
    ("price", excel.price_orders, {}, {}),
    ("reserve", excel.reserve_stock, {}, {}),
    ("ship", excel.plan_shipments, {}, {}),
    ("invoice", excel.create_invoices, {}, {}),
    ("dispatch", excel.dispatch_shipments, {}, {"dispatch": True}),
    ("run", excel.process_orders, {}, {}),
    ("run", excel.process_orders, {"dispatch": True}, {"dispatch": True}),
    ("report", excel.refresh_dashboard, {}, {}),
]


@pytest.mark.parametrize("operation, script, script_kw, cli_kw", SCRIPTS,
                         ids=[f"{s[0]}{'+dispatch' if s[3] else ''}" for s in SCRIPTS])
def test_each_script_writes_what_the_cli_writes(tmp_path, operation, script, script_kw, cli_kw):
    src = order_book(tmp_path / "book.xlsx")
    cli_run(src, tmp_path / "cli.xlsx", operation, **cli_kw)
    outcome, _ = lite_run(src, tmp_path / "lite.xlsx", script, as_of=TODAY, **script_kw)
    assert outcome is not None and outcome.result.operation == operation
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")


def test_a_second_run_on_each_side_still_agrees(tmp_path):
    """Re-running on the written book exercises replacing sheets, resizing tables,
    appending to the logs and clearing the previous run's highlights."""
    src = order_book(tmp_path / "book.xlsx")
    cli_run(src, tmp_path / "cli1.xlsx", "run")
    lite_run(src, tmp_path / "lite1.xlsx", excel.process_orders, as_of=TODAY)
    assert_same_workbook(tmp_path / "cli1.xlsx", tmp_path / "lite1.xlsx")

    # The user fixes SO-4's customer in both books, then dispatches everything.
    for name in ("cli1.xlsx", "lite1.xlsx"):
        wb = load_workbook(tmp_path / name)
        wb["Orders"]["D6"] = "C1"
        wb.save(tmp_path / name)
    cli_run(tmp_path / "cli1.xlsx", tmp_path / "cli2.xlsx", "run", dispatch=True)
    lite_run(tmp_path / "lite1.xlsx", tmp_path / "lite2.xlsx", excel.process_orders,
             dispatch=True, as_of=TODAY)
    assert_same_workbook(tmp_path / "cli2.xlsx", tmp_path / "lite2.xlsx")
    fixed = marks(load_workbook(tmp_path / "lite2.xlsx")["Orders"])
    assert "D6" not in fixed  # the highlight and note went with the problem


def test_a_book_kept_as_excel_tables_agrees_too(tmp_path):
    """Tool columns join the Orders table; Inventory's Reserved/Available join its table."""
    from tests.bookfiles import HEAD, write_book

    sheets = {"Orders": ORDERS, "Products": [["A-100", "Widget", 10, 1.5, "standard", "Yes"],
                                             ["B-200", "Gadget", 25.5, 2, "standard", "Yes"]],
              "Inventory": [["A-100", "MAIN", 10, "A-01"], ["B-200", "MAIN", 3, "B-02"]],
              "Customers": [["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No",
                             "1 Main St", "1 Main St"]],
              "Tax Rates": TAX}
    src = write_book(tmp_path / "book.xlsx", sheets, tables=True)
    cli_run(src, tmp_path / "cli.xlsx", "run", dispatch=True)
    lite_run(src, tmp_path / "lite.xlsx", excel.process_orders, dispatch=True, as_of=TODAY)
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")
    orders = load_workbook(tmp_path / "lite.xlsx")["Orders"]
    width = len(sheet_values(orders)[0])
    assert width > len(HEAD["Orders"])
    assert orders.tables["tblOrders"].ref == f"A1:{orders.cell(1, width).column_letter}8"


def test_errors_leave_the_user_on_the_issues_sheet(tmp_path):
    src = order_book(tmp_path / "book.xlsx")
    _, actions = lite_run(src, tmp_path / "lite.xlsx", excel.validate_orders, as_of=TODAY)
    assert actions[-1]["func"] == "activateSheet"
    wb = load_workbook(tmp_path / "lite.xlsx")
    assert wb.active.title == "Issues"
    issues = sheet_values(wb["Issues"])
    assert issues[0] == ["Sheet", "Cell", "Severity", "Code", "Order ID", "Message"]
    codes = {(r[1], r[3]) for r in issues[1:]}
    assert {("D6", "unknown_customer"), ("C7", "bad_date"), ("F7", "bad_quantity"),
            ("F8", "bad_quantity")} <= codes
    orders = marks(wb["Orders"])
    assert orders["D6"][0] == "FFC7CE"
    assert orders["D6"][1].startswith("ordersheet: [unknown_customer]")


def test_a_clean_run_stays_on_the_sheet_the_user_was_on(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    _, actions = lite_run(src, tmp_path / "lite.xlsx", excel.process_orders, as_of=TODAY)
    wb = load_workbook(tmp_path / "lite.xlsx")
    assert wb.active.title == "Orders"
    assert "Issues" in wb.sheetnames


def big_book(path: Path, n: int) -> Path:
    """n order lines of which the same two are bad, stock for all of them."""
    rows = [[f"SO-{i:05d}", 1, D1, "C1" if i % 2 else "C2", "A-100" if i % 3 else "B-200",
             1 + i % 4, None, None, "Normal", None, None, f"note {i}"] for i in range(n - 2)]
    rows += [["SO-BAD1", 1, "not a date", "C1", "A-100", 1, None, None, None, None, None, None],
             ["SO-BAD2", 1, D1, "C9", "A-100", 1, None, None, None, None, None, None]]
    stock = [["A-100", "MAIN", 1_000_000, "A-01"], ["B-200", "MAIN", 1_000_000, "B-02"]]
    return order_book(path, orders=rows, Inventory=stock)


@pytest.mark.parametrize("script, kw", [(excel.validate_orders, {}),
                                        (excel.process_orders, {"dispatch": True})],
                         ids=["validate", "run+dispatch"])
def test_the_number_of_actions_does_not_grow_with_the_rows(tmp_path, script, kw):
    counts = []
    for n in (20, 2000):
        src = big_book(tmp_path / f"book{n}.xlsx", n)
        book = live_book(src)
        script(book, as_of=TODAY, **kw)
        counts.append([a["func"] for a in book.json()["actions"]])
    assert counts[0] == counts[1]


def scattered_book(path: Path, n: int) -> Path:
    """n order lines over n/2 SKUs whose Inventory rows alternate with SKUs nobody ordered,
    so a dispatch lowers On Hand in scattered cells."""
    skus = max(2, n // 2)
    rows = [[f"SO-{i:05d}", 1, D1, "C1", f"S-{i % skus:04d}", 1, None, None, None, None, None,
             None] for i in range(n)]
    products = [[f"S-{k:04d}", f"Item {k}", 10, 1, "standard", "Yes"] for k in range(skus)]
    products += [[f"X-{k:04d}", f"Idle {k}", 10, 1, "standard", "Yes"] for k in range(skus)]
    stock = []
    for k in range(skus):
        stock += [[f"S-{k:04d}", "MAIN", 1000, "A"], [f"X-{k:04d}", "MAIN", 5, "B"]]
    return order_book(path, orders=rows, Products=products, Inventory=stock)


def test_scattered_on_hand_changes_do_not_grow_the_actions(tmp_path):
    counts = []
    for n in (20, 2000):
        src = scattered_book(tmp_path / f"book{n}.xlsx", n)
        book = live_book(src)
        excel.process_orders(book, as_of=TODAY, dispatch=True)
        counts.append([a["func"] for a in book.json()["actions"]])
    assert counts[0] == counts[1]


def test_scattered_on_hand_changes_agree_with_the_cli(tmp_path):
    src = scattered_book(tmp_path / "book.xlsx", 40)
    cli_run(src, tmp_path / "cli.xlsx", "run", dispatch=True)
    lite_run(src, tmp_path / "lite.xlsx", excel.process_orders, dispatch=True, as_of=TODAY)
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")


def test_a_bigger_book_agrees_with_the_cli_too(tmp_path):
    src = big_book(tmp_path / "book.xlsx", 150)
    cli_run(src, tmp_path / "cli.xlsx", "run", dispatch=True)
    lite_run(src, tmp_path / "lite.xlsx", excel.process_orders, dispatch=True, as_of=TODAY)
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")


def test_show_document_fills_the_print_sheet_like_the_cli(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    cli_run(src, tmp_path / "ran.xlsx", "run", dispatch=True)
    ran = tmp_path / "ran.xlsx"
    invoices = sheet_values(load_workbook(ran)["Invoices"])
    first = invoices[1][0]
    assert first == "INV-00041"

    port = OpenpyxlBook(ran)
    app.show_document(port, first)
    port.save(tmp_path / "cli.xlsx")
    lite_run(ran, tmp_path / "lite.xlsx", excel.show_document, doc_id=first)
    assert_same_workbook(tmp_path / "cli.xlsx", tmp_path / "lite.xlsx")
    assert load_workbook(tmp_path / "lite.xlsx").active.title == "Invoice"


def test_show_document_uses_the_selected_cell_when_no_id_is_given(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    cli_run(src, tmp_path / "ran.xlsx", "run", dispatch=True)
    book = live_book(tmp_path / "ran.xlsx")
    book.sheets["Invoices"].activate()
    book.impl.api["book"]["selection"] = "A2"
    plan = excel.show_document(book)
    assert plan is not None and plan.activate == "Invoice"


def test_an_unknown_document_is_a_message_not_a_traceback(tmp_path, capsys):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    book = live_book(src)
    assert excel.show_document(book, "INV-99999") is None
    assert book.json()["actions"] == []
    assert "no invoice or shipment 'INV-99999'" in capsys.readouterr().out


def test_a_book_without_orders_is_refused_without_writing(tmp_path, capsys):
    from tests.bookfiles import write_book

    src = write_book(tmp_path / "book.xlsx", {"Products": [["A-100", "Widget", 10, 1, "", ""]]})
    book = live_book(src)
    assert excel.process_orders(book) is None
    assert book.json()["actions"] == []
    assert "no Orders sheet" in capsys.readouterr().out


def test_the_summary_is_printed_for_the_output_pane(tmp_path, capsys):
    src = order_book(tmp_path / "book.xlsx")
    excel.process_orders(live_book(src), dispatch=True, as_of=TODAY)
    out = capsys.readouterr().out
    assert out.startswith("ordersheet run: 7 order lines (")
    assert "\nInvoices created: 3 (INV-00041..INV-00043)\n" in out
    assert "\nIssues: 5 errors (bad_quantity 2, " in out and "see the Issues sheet" in out


def test_the_output_pane_and_the_command_line_print_the_same_summary(tmp_path, capsys,
                                                                     monkeypatch):
    from rich.console import Console

    from ordersheet import cli

    src = order_book(tmp_path / "book.xlsx")
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(src.read_bytes())
    outcome = excel.process_orders(live_book(src), dispatch=True, as_of=TODAY)
    pane = capsys.readouterr().out.splitlines()
    monkeypatch.setattr(cli, "out", Console(width=1000, highlight=False))  # no wrapping
    cli.run_operation(copy, "run", TODAY.isoformat(), None, False, dispatch=True)
    terminal = capsys.readouterr().out.splitlines()
    summary = app.run_summary(outcome.result)
    assert summary.text().splitlines() == pane
    assert len(summary.lines) == 5  # short of stock, planned, dispatched, invoiced, issues
    for line in summary.lines:
        assert line in terminal


def test_as_of_accepts_what_app_mode_and_vba_send(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:1])
    for as_of in (TODAY, dt.datetime(2026, 11, 3, 12, 0), "2026-11-03"):
        outcome = excel.reserve_stock(live_book(src), as_of=as_of)
        assert outcome.result.book.reservations[0].reserved_on == TODAY


def test_dispatch_takes_a_list_of_shipment_ids(tmp_path):
    src = order_book(tmp_path / "book.xlsx", orders=ORDERS[:3])
    cli_run(src, tmp_path / "planned.xlsx", "ship")
    outcome = excel.dispatch_shipments(live_book(tmp_path / "planned.xlsx"),
                                       shipment_ids="SHP-00002", as_of=TODAY)
    assert outcome.result.dispatched == ("SHP-00002",)
