"""The live-book engine on xlwings' remote engine (what xlwings Lite runs), checked against
the .xlsx reference engine: one contract, two engines, the same cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.worksheet.table import Table

from ordersheet.book import plan as p
from ordersheet.book import xlwings as engine
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.raw import CellError
from ordersheet.book.xlwings import XlwingsBook, needs_text_prefix, runs
from tests.excel.payload import (excel_reads, live_book, marks, payload, replay_to_file,
                                 sheet_values)

STATE = ["Sheet", "Cell", "Fill"]
"""The marks' state sheet as render writes it (each engine adds what it notes)."""


def save(wb: Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def user_book(path: Path) -> Path:
    """Orders as an Excel Table starting at B3, a Settings block, a user's own note."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws["B1"] = "My orders"
    rows = [["Order ID", "Order Date", "Quantity", "Unit Price", "status", "Notes"],
            ["SO-1", dt.datetime(2026, 11, 2), 3, 2.5, None, "rush"],
            ["SO-2", "2026-11-03", 1.0, None, "Reserved", None],
            ["SO-3", None, "#N/A", 10, None, "=not a formula"]]
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            c = ws.cell(3 + i, 2 + j, v)
            if isinstance(v, str) and v.startswith("="):
                c.data_type = "s"  # text a user typed after an apostrophe
    ws.add_table(Table(displayName="tblOrders", ref="B3:G6"))
    ws["C5"].comment = Comment("the user's own note", "me")
    st_ = wb.create_sheet("Settings")
    for r in (["Key", "Value"], ["Company Name", "Acme"], ["Next Invoice Number", 7]):
        st_.append(r)
    return save(wb, path)


# ---- reading ---------------------------------------------------------------------------------


def test_both_engines_read_the_same_raw_sheets(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    ours = XlwingsBook(live_book(src)).read()
    reference = OpenpyxlBook(src).read()
    assert ours == reference
    orders = ours["Orders"]
    assert (orders.header_row, orders.first_col, orders.table) == (3, 2, "tblOrders")
    assert orders.rows == [
        ["SO-1", dt.datetime(2026, 11, 2), 3, 2.5, None, "rush"],
        ["SO-2", "2026-11-03", 1, None, "Reserved", None],
        ["SO-3", None, CellError("#N/A"), 10, None, "=not a formula"],
    ]


def test_cells_arrive_as_raw_sheet_values():
    assert engine.cell_in("") == ""  # xlwings already turned empty cells into None
    assert engine.cell_in(None) is None
    assert engine.cell_in(2.5) == 2.5 and isinstance(engine.cell_in(2.5), float)
    assert engine.cell_in(3.0) == 3 and isinstance(engine.cell_in(3.0), int)
    assert engine.cell_in("#DIV/0!") == CellError("#DIV/0!")
    assert engine.cell_in(dt.datetime(2026, 1, 2)) == dt.datetime(2026, 1, 2)
    assert engine.cell_in("2026-11-03T00:00:00.000Z") == "2026-11-03T00:00:00.000Z"


def test_the_payload_is_what_office_js_sends(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    sheet = payload(src)["sheets"][0]
    assert sheet["values"][3][1:5] == ["SO-1", "2026-11-02T00:00:00.000Z", 3.0, 2.5]
    assert sheet["values"][5][3] == "#N/A" and sheet["values"][0][0] == ""
    assert sheet["used_range_address"] == "B1:G6"
    assert sheet["tables"][0]["range_address"] == "B3:G6"
    assert sheet["notes"] == [{"address": "C5"}]


def test_each_sheet_is_read_once_and_only_the_ones_asked_for(tmp_path, monkeypatch):
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    calls = []
    import xlwings.main

    real = xlwings.main.Range.options

    def counting(self, *a, **kw):
        calls.append(self.sheet.name)
        return real(self, *a, **kw)

    monkeypatch.setattr(xlwings.main.Range, "options", counting)
    raws = XlwingsBook(book).read(["Orders"])
    assert list(raws) == ["Orders"] and calls == ["Orders"]


# ---- writing values --------------------------------------------------------------------------


TRICKY = ["=SUM(A1:A3)", "+44 20 7946 0000", "-5 units", "@home", "00123", "2026-11-03",
          "12%", "TRUE", "false", "#N/A", "'quoted'", " leading space", "1/2", "Acme", "SO-1"]


def test_strings_that_look_like_formulas_numbers_or_dates_stay_text(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    XlwingsBook(book).apply(p.WritePlan([p.SetCells("Settings", {
        (10 + i, 1): s for i, s in enumerate(TRICKY)})]))
    replayed = replay_to_file(src, book, tmp_path / "out.xlsx")
    assert replayed.formulas == []
    ws = load_workbook(tmp_path / "out.xlsx")["Settings"]
    assert [ws.cell(10 + i, 1).value for i in range(len(TRICKY))] == TRICKY
    sent = book.json()["actions"][0]["values"]
    assert [r[0] for r in sent][-2:] == ["Acme", "'SO-1"]  # plain words go as they are


@given(st.text(max_size=12))
@settings(max_examples=100, deadline=None)
def test_excel_keeps_any_string_as_typed(s):
    """Whatever Excel would make of a string, the engine's version of it reads back as
    exactly that text (an empty string is an empty cell)."""
    stored = excel_reads(engine.text_out(s))
    assert stored == (s if s else None)
    assert not needs_text_prefix(s) or engine.text_out(s).startswith("'")


def test_plan_values_leave_as_excel_values(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    row = [Decimal("12.10"), dt.date(2026, 11, 3), dt.datetime(2026, 11, 3, 9, 30), None, True,
           7, 2.5, "Reserved"]
    XlwingsBook(book).apply(p.WritePlan([p.ReplaceSheet(
        "Results", [f"C{i}" for i in range(len(row))], [row],
        ["money", "date", "datetime", None, None, "int", None, "text"], "Orders", "tblResults")]))
    replay_to_file(src, book, tmp_path / "out.xlsx")
    wb = load_workbook(tmp_path / "out.xlsx")
    assert wb.sheetnames == ["Orders", "Results", "Settings"]
    ws = wb["Results"]
    assert sheet_values(ws)[1] == [12.1, dt.datetime(2026, 11, 3), dt.datetime(2026, 11, 3, 9, 30),
                                   None, True, 7, 2.5, "Reserved"]
    assert ws["A2"].number_format == "#,##0.00" and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm:ss" and ws["H2"].number_format == "@"
    assert ws.tables["tblResults"].ref == "A1:H2"
    assert ws.freeze_panes == "A2"


# ---- one contract, two engines ------------------------------------------------------------------


def contract_plan() -> p.WritePlan:
    plan = p.WritePlan()
    plan.add(p.ReplaceSheet("Issues", ["Sheet", "Cell", "Message"],
                            [["Orders", "D6", "=bad"], ["Orders", "C5", "Quantity: found -1"]],
                            ["text", "text", None], "Orders", "tblIssues", [12, 8, 40]))
    plan.add(p.UpdateColumns("Orders", 3, [
        (6, "Status", ["Reserved", "Invalid", None], None),          # existing 'status' header
        (8, "Price", [Decimal("2.50"), None, Decimal("10")], "price"),
        (9, "Reserved", [3, 0, 0], "int"),
        (2, "Order ID", ["SO-1", "SO-2", "SO-3"], None),           # a separate run
    ], "tblOrders", {8: 14.0, 9: 13.0}))                           # the columns it adds
    plan.add(p.SetCells("Settings", {(3, 2): 8, (2, 2): "Acme Ltd"}))
    plan.add(p.SetCells("Invoice", {(1, 1): "INVOICE", (3, 2): "INV-00007",
                                    (4, 2): dt.date(2026, 11, 3)}))
    plan.add(p.AppendRows("Audit Log", ["Timestamp", "User", "Operation"],
                          [[dt.datetime(2026, 11, 3, 9, 0), "ann", "run"]],
                          ["datetime", None, None], 0, "tblAuditLog"))
    plan.add(p.MarkCells("Orders", {(5, 3): ("Error", "[bad_date] not a date"),
                                    (6, 4): ("Warning", "[price_mismatch] check")}))
    plan.add(p.ReplaceSheet(p.STATE_SHEET, STATE, [["Orders", "C5", None],
                                                  ["Orders", "D6", None]],
                            ["text"] * 3, None, None, [], hidden=True))
    plan.activate = "Issues"
    return plan


def apply_both(src: Path, tmp_path: Path, plan_factory) -> tuple[Workbook, Workbook, list]:
    ref = OpenpyxlBook(src)
    ref.read()
    ref.apply(plan_factory())
    ref.save(tmp_path / "ref.xlsx")
    book = live_book(src)
    port = XlwingsBook(book)
    port.read()
    port.apply(plan_factory())
    replayed = replay_to_file(src, book, tmp_path / "live.xlsx")
    assert replayed.formulas == []
    return (load_workbook(tmp_path / "ref.xlsx"), load_workbook(tmp_path / "live.xlsx"),
            book.json()["actions"])


def test_the_same_plan_gives_the_same_cells_on_both_engines(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    ref, live, _ = apply_both(src, tmp_path, contract_plan)
    assert ref.sheetnames == live.sheetnames
    for name in ref.sheetnames:
        a, b = sheet_values(ref[name]), sheet_values(live[name])
        if name == p.STATE_SHEET:
            a, b = [r[:2] for r in a], [r[:2] for r in b]
        assert a == b, name
        assert ref[name].sheet_state == live[name].sheet_state, name
    assert marks(ref["Orders"]) == marks(live["Orders"]) == {
        "C5": ("FFC7CE", "the user's own note"),  # highlighted, the user's note kept
        "D6": ("FFEB9C", "ordersheet: [price_mismatch] check")}
    assert live["Orders"]["F3"].value == "status"  # an existing header is never rewritten
    # the columns the plan adds get their widths (the remote engine sets points); the
    # others keep theirs
    for letter, width in (("H", 14), ("I", 13)):
        assert ref["Orders"].column_dimensions[letter].width == width
        points = live["Orders"].column_dimensions[letter].width * 5.25  # as the replay took it
        assert round((points - 3.75) / 5.25, 2) == width
    assert ref["Orders"].column_dimensions["F"].width == \
        live["Orders"].column_dimensions["F"].width == 13  # openpyxl's default: not set
    assert live["Orders"].tables["tblOrders"].ref == "B3:I6"
    assert ref["Orders"].tables["tblOrders"].ref == "B3:I6"
    assert live.active.title == "Issues"


def test_update_columns_writes_one_block_per_run_of_adjacent_columns(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    port = XlwingsBook(book)
    port.read()
    port.apply(p.WritePlan([contract_plan().ops[1]]))
    writes = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert [(a["start_row"], a["start_column"], a["row_count"], a["column_count"])
            for a in writes] == [(3, 1, 3, 1), (3, 5, 3, 1), (2, 7, 4, 2)]


def test_the_number_of_actions_is_the_same_for_10_and_1000_rows(tmp_path):
    src = user_book(tmp_path / "b.xlsx")

    def plan(n: int) -> p.WritePlan:
        rows = [[f"SO-{i}", dt.date(2026, 1, 1), Decimal(i), "x"] for i in range(n)]
        return p.WritePlan([
            p.ReplaceSheet("Issues", ["A", "B", "C", "D"], rows, ["text", "date", "money", None],
                           None, "tblIssues", [10, 10, 12, 20]),
            p.AppendRows("Stock Ledger", ["A", "B", "C", "D"], rows,
                         ["text", "date", "money", None], 0, "tblStockLedger"),
            p.UpdateColumns("Orders", 3, [(8, "Price", [Decimal(1)] * n, "money"),
                                          (9, "Net", [Decimal(2)] * n, "money")], "tblOrders"),
            p.MarkCells("Orders", {(4 + i, 3): ("Error", "bad") for i in range(min(n, 3))}),
        ])

    counts = []
    for n in (10, 1000):
        book = live_book(src)
        XlwingsBook(book).apply(plan(n))
        counts.append([a["func"] for a in book.json()["actions"]])
    assert counts[0] == counts[1]


def test_a_rerun_replaces_tool_sheets_and_appends_to_logs(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    ref, live, _ = apply_both(src, tmp_path, contract_plan)
    live.save(tmp_path / "first.xlsx")

    def second() -> p.WritePlan:
        plan = p.WritePlan()
        plan.add(p.ReplaceSheet("Issues", ["Sheet", "Cell", "Message"], [],
                                ["text", "text", None], "Orders", "tblIssues", [12, 8, 40]))
        plan.add(p.AppendRows("Audit Log", ["Timestamp", "User", "Operation"],
                              [[dt.datetime(2026, 11, 4, 9, 0), "bob", "validate"]],
                              ["datetime", None, None], 1, "tblAuditLog"))
        plan.add(p.MarkCells("Orders", {}, {(5, 3), (6, 4)}))
        plan.add(p.ReplaceSheet(p.STATE_SHEET, STATE, [], ["text"] * 3, None,
                                None, [], hidden=True))
        return plan

    ref2, live2, actions = apply_both(tmp_path / "first.xlsx", tmp_path, second)
    assert sheet_values(live2["Issues"]) == [["Sheet", "Cell", "Message"]]
    assert live2["Issues"].tables["tblIssues"].ref == "A1:C2"
    assert sheet_values(live2["Audit Log"])[1:] == [
        [dt.datetime(2026, 11, 3, 9, 0), "ann", "run"],
        [dt.datetime(2026, 11, 4, 9, 0), "bob", "validate"]]
    assert live2["Audit Log"].tables["tblAuditLog"].ref == "A1:C3"
    assert marks(live2["Orders"]) == {}  # our fill and note went; the user's note stayed
    assert live2["Orders"]["C5"].comment.text == "the user's own note"
    assert live2["Orders"]["C5"].fill.fill_type is None
    assert not any(a["func"] == "addSheet" for a in actions)


# ---- highlights and notes ------------------------------------------------------------------------


def test_highlights_go_out_in_one_action_per_ten_thousand_cells(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    cells = {(r, 3): ("Error", "x") for r in range(4, 30_004, 2)}   # 15,000 cells, far apart
    cells[(5, 300)] = ("Warning", "far right")
    XlwingsBook(book).apply(p.WritePlan([p.MarkCells("Orders", cells)]))
    colour_actions = [a for a in book.json()["actions"] if a["func"] == "setRangeColors"]
    assert 1 < len(colour_actions) <= 30_004 * 298 // 10_000 + 1
    assert all(a["row_count"] * a["column_count"] <= engine.COLOR_CELLS for a in colour_actions)
    painted = {}
    for a in colour_actions:
        for i, row in enumerate(a["args"][0]):
            for j, colour in enumerate(row):
                if colour != "keep":
                    painted[(a["start_row"] + 1 + i, a["start_column"] + 1 + j)] = colour
    assert painted == {rc: "#" + p.MARK_COLORS[sev].lower() for rc, (sev, _) in cells.items()}


def test_notes_stop_at_the_limit_but_every_cell_is_highlighted(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "NOTE_LIMIT", 2)
    src = user_book(tmp_path / "b.xlsx")
    book = live_book(src)
    cells = {(r, 7): ("Error", f"row {r}") for r in range(4, 9)}
    XlwingsBook(book).apply(p.WritePlan([
        p.MarkCells("Orders", cells),
        p.ReplaceSheet(p.STATE_SHEET, STATE, [["Orders", f"G{r}", None] for r in range(4, 9)],
                       ["text"] * 3, None, None, [], hidden=True)]))
    replay_to_file(src, book, tmp_path / "out.xlsx")
    wb = load_workbook(tmp_path / "out.xlsx")
    got = marks(wb["Orders"])
    assert set(got) == {f"G{r}" for r in range(4, 9)}
    assert [got[f"G{r}"][1] for r in range(4, 9)] == [
        "ordersheet: row 4", "ordersheet: row 5", "", "", ""]
    assert sheet_values(wb[p.STATE_SHEET]) == [["Sheet", "Cell", "Fill", "Note"]] + [
        ["Orders", f"G{r}", None, "ours" if r < 6 else None] for r in range(4, 9)]


def test_a_note_of_ours_is_rewritten_and_a_users_note_survives_reruns(tmp_path):
    src = user_book(tmp_path / "b.xlsx")
    state = STATE

    def run(path: Path, marks_: dict, clear: set, out: Path) -> None:
        book = live_book(path)
        port = XlwingsBook(book)
        port.read()
        rows = [["Orders", f"{chr(64 + c)}{r}", None] for (r, c) in sorted(marks_)]
        port.apply(p.WritePlan([p.MarkCells("Orders", marks_, clear),
                                p.ReplaceSheet(p.STATE_SHEET, state, rows, ["text"] * 3,
                                               None, None, [], hidden=True)]))
        replay_to_file(path, book, out)

    first = {(5, 3): ("Error", "one"), (4, 4): ("Error", "two")}
    run(src, first, set(), tmp_path / "1.xlsx")
    second = {(5, 3): ("Error", "still one"), (4, 4): ("Warning", "now a warning")}
    run(tmp_path / "1.xlsx", second, set(first), tmp_path / "2.xlsx")
    wb = load_workbook(tmp_path / "2.xlsx")
    assert wb["Orders"]["C5"].comment.text == "the user's own note"
    assert wb["Orders"]["D4"].comment.text == "ordersheet: now a warning"
    assert wb["Orders"]["D4"].fill.fgColor.rgb[-6:] == "FFEB9C"
    run(tmp_path / "2.xlsx", {}, set(second), tmp_path / "3.xlsx")
    wb = load_workbook(tmp_path / "3.xlsx")
    assert wb["Orders"]["C5"].comment.text == "the user's own note"
    assert wb["Orders"]["D4"].comment is None and marks(wb["Orders"]) == {}


def test_notes_left_by_the_cli_are_cleared_by_the_live_engine(tmp_path):
    """The .xlsx engine writes a state sheet without the Note column: a note on a cell it
    marked is taken to be ordersheet's."""
    src = user_book(tmp_path / "b.xlsx")
    ref = OpenpyxlBook(src)
    ref.apply(p.WritePlan([p.MarkCells("Orders", {(4, 4): ("Error", "cli")}),
                           p.ReplaceSheet(p.STATE_SHEET, STATE, [["Orders", "D4", None]],
                                          ["text"] * 3, None, None, [], hidden=True)]))
    ref.save(tmp_path / "cli.xlsx")
    book = live_book(tmp_path / "cli.xlsx")
    port = XlwingsBook(book)
    port.read()
    port.apply(p.WritePlan([p.MarkCells("Orders", {}, {(4, 4)})]))
    replay_to_file(tmp_path / "cli.xlsx", book, tmp_path / "out.xlsx")
    ws = load_workbook(tmp_path / "out.xlsx")["Orders"]
    assert ws["D4"].comment is None and ws["C5"].comment.text == "the user's own note"


# ---- small pieces --------------------------------------------------------------------------------


def test_runs_group_cells_into_as_few_writes_as_possible():
    assert runs({(2, 1): "a", (3, 1): "b", (4, 1): "c", (9, 1): "d"}) == [
        ((2, 1), [["a"], ["b"], ["c"]]), ((9, 1), [["d"]])]
    assert runs({(2, 1): "a", (2, 2): "b", (5, 4): "c"}) == [
        ((2, 1), [["a", "b"]]), ((5, 4), [["c"]])]
    assert runs({}) == []


@pytest.mark.parametrize("text, prefixed", [
    ("Widget", False), ("Reserved", False), ("a@b.com", False), ("ok ", False),
    ("=A1", True), ("+1", True), ("-", True), ("@x", True), ("INV-00001", True),
    ("TRUE", True), (" FALSE ", True), ("#REF!", True), ("'", True), ("", False)])
def test_which_strings_get_the_text_prefix(text, prefixed):
    assert needs_text_prefix(text) is prefixed


def test_the_engine_is_the_remote_one_in_lite_tests(tmp_path):
    assert XlwingsBook(live_book(user_book(tmp_path / "b.xlsx"))).remote is True


def test_the_package_never_imports_xlwings_pro():
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "ordersheet"
    importing = re.compile(r"^\s*(from\s+xlwings\.pro|import\s+xlwings\.pro|from\s+xlwings\s+"
                           r"import\s+.*\bpro\b)", re.MULTILINE)
    offenders = [str(f) for f in src.rglob("*.py") if importing.search(f.read_text())]
    assert offenders == []
