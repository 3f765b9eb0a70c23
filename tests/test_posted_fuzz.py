"""Whole books, edited between runs as people do, keep every posted record (issue 16),
with every operation that posts one mixed in (issues 20-23).

Hypothesis writes a small order book and runs a random sequence of the operations people
run on it: `run --dispatch`, `cancel` (of a random order), `returns` (with Returns rows
typed between runs: valid, too many units, exchanges, damaged), `reconcile` (with Payments
rows typed between runs), `notify --drafts` and `report`; between runs it makes random
edits: a cell typed over or blanked, a header renamed, a row deleted, two rows swapped, a
sheet sorted, on every sheet ordersheet owns and on the identity and tool columns of
Orders. After every run:

- no shipment, invoice or credit note number is issued twice, and each series is gapless
  (a number is skipped only when a row typed by hand holds it);
- every record posted by an earlier run is still there with its posted values;
- what a run writes reads back clean: no edit left to put back;
- On Hand and Reserved equal the Stock Ledger replayed over the opening stock;
- invoice and credit note lines sum to their headers;
- per order line: units credited <= invoiced <= dispatched <= ordered;
- per customer and currency: Σ Balance = Σ invoices - Σ credit notes - Σ applied;
- a Communication Log event (customer, event, order, document) is told once;
- after `reconcile`, the Reconciliation rows of each payment add up to its amount, and a
  second reconcile posts nothing;
- the cells of the user's own sheets ordersheet did not create are as they were.

More examples than CI runs: `ORDERSHEET_FUZZ_EXAMPLES=200 python -m pytest
tests/test_posted_fuzz.py`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from typer.testing import CliRunner

from ordersheet import app, cli
from ordersheet.book.state import RECORDS_SHEET
from ordersheet.domain import money
from ordersheet.domain.changes import CancelRequest
from ordersheet.domain.reservation import replay_ledger

from .bookfiles import D1, basic_book

EXAMPLES = int(os.environ.get("ORDERSHEET_FUZZ_EXAMPLES", "12"))
OWNED = ["Reservations", "Shipments", "Shipment Lines", "Invoices", "Invoice Lines",
         "Stock Ledger", "Audit Log", "Reconciliation", "Communication Log"]
EDITABLE = {"Shipments": {"tracking_no", "status", "shipped_on", "carrier", "service"},
            "Invoices": {"paid", "balance", "status"}}  # (the tool settles them, #21)
ORDER_COLS = [1, 2] + list(range(13, 26))  # Order ID, Line, and ordersheet's columns
VALUES = [None, "x", 0, -1, 7, 999, "SHP-00001", "INV-00002", "SO-1", "MAIN", "Shipped",
          dt.datetime(2026, 1, 5), "=1+1"]
OPENING = {("A-100", "MAIN"): 6, ("B-200", "MAIN"): 3}

edits = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(OWNED + ["Orders"]), st.integers(0, 40),
              st.integers(0, 40), st.sampled_from(VALUES)),
    st.tuples(st.just("header"), st.sampled_from(OWNED + ["Orders"]), st.integers(0, 40)),
    st.tuples(st.just("delete"), st.sampled_from(OWNED + ["Orders"]), st.integers(0, 40)),
    st.tuples(st.just("swap"), st.sampled_from(OWNED + ["Orders"]), st.integers(0, 40),
              st.integers(0, 40)),
    st.tuples(st.just("sort"), st.sampled_from(OWNED), st.integers(0, 40), st.booleans()),
)
RETURN_DAY = dt.date(2026, 11, 25)
typed_rows = st.one_of(
    # a Returns row: an order line (or its SKU), 1, 2 or too many units, maybe an exchange
    st.tuples(st.just("return"), st.integers(0, 4), st.booleans(),
              st.sampled_from([1, 1, 2, 9]), st.sampled_from(["Resellable", "Damaged"]),
              st.sampled_from(["", "", "B-200", "A-100"])),
    # a Payments row: a customer's money, named to an invoice or not
    st.tuples(st.just("payment"), st.sampled_from(["C1", "C2", None]),
              st.sampled_from([3, 10, 20, 25.5, 51, 200]),
              st.sampled_from(["", "INV-00001", "INV-00003", "CN-00001", "Acme"])),
)
operations = st.one_of(
    st.just(("run",)), st.just(("reconcile",)), st.just(("returns",)),
    st.just(("notify",)), st.just(("report",)),
    st.tuples(st.just("cancel"), st.sampled_from(["SO-1", "SO-2", "SO-3", "SO-4"])),
)
steps = st.lists(st.one_of(operations, operations, edits, typed_rows), min_size=2,
                 max_size=9)
PAYMENTS = [["Payment ID", "Date", "Customer ID", "Amount", "Currency", "Reference"],
            ["P1", D1, "C1", 20, "USD", ""], ["P2", D1, None, 5, "USD", "INV-00002"],
            ["P3", D1, None, 3, "USD", "?"]]


ORDERS = [
    ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
    ["SO-1", 2, D1, "C1", "B-200", 2, None, None, "Normal", None, None, ""],
    ["SO-2", 1, D1, "C2", "A-100", 3, None, None, "High", None, None, ""],
    ["SO-3", 1, D1 + dt.timedelta(days=1), "C2", "B-200", 2, None, None, "Low", None, None, ""],
    ["SO-4", 1, D1 + dt.timedelta(days=2), "C1", "A-100", 4, None, None, "Normal", None, None,
     ""],
]


ORDERS_KEYS = [(r[0], r[1], r[4]) for r in ORDERS]
RETURNS_HEAD = ["Order ID", "Line", "SKU", "Quantity", "Date", "Reason", "Condition",
                "Exchange SKU"]


def _book(path: Path) -> Path:
    return basic_book(path, orders=[list(r) for r in ORDERS], Inventory=[["SKU", "Warehouse", "On Hand", "Bin"], ["A-100", "MAIN", 6, "A-01"],
                  ["B-200", "MAIN", 3, "B-02"]], Payments=[list(r) for r in PAYMENTS],
                      Returns=[RETURNS_HEAD])


def _type_row(path: Path, step: tuple) -> None:
    """A row typed at the end of Returns or Payments, as a user adds one."""
    wb = load_workbook(path)
    if step[0] == "return":
        _, k, by_sku, qty, condition, exchange = step
        oid, line, sku = ORDERS_KEYS[k]
        row = [oid, None if by_sku else line, sku if by_sku else None, qty, RETURN_DAY,
               "fuzz", condition, exchange]
        ws = wb["Returns"]
    else:
        _, customer, amount, ref = step
        ws = wb["Payments"]
        row = [f"T{ws.max_row}", D1 + dt.timedelta(days=20), customer, amount, "USD", ref]
    at = ws.max_row + 1
    for j, v in enumerate(row, start=1):
        ws.cell(at, j).value = v
    wb.save(path)


def _edit(path: Path, step: tuple) -> None:
    wb = load_workbook(path)
    kind, name = step[0], step[1]
    if name not in wb.sheetnames:
        return
    ws = wb[name]
    rows, cols = max(ws.max_row, 1), max(ws.max_column, 1)
    if kind == "cell":
        r = 2 + step[2] % max(rows, 1)
        c = (ORDER_COLS[step[3] % len(ORDER_COLS)] if name == "Orders"
             else 1 + step[3] % cols)
        ws.cell(r, c).value = step[4]
    elif kind == "header":
        c = ORDER_COLS[step[2] % len(ORDER_COLS)] if name == "Orders" else 1 + step[2] % cols
        if ws.cell(1, c).value is not None:
            ws.cell(1, c).value = f"Renamed {c}"
    elif kind == "delete" and rows > 1:
        ws.delete_rows(2 + step[2] % (rows - 1))
    elif kind == "swap" and rows > 2:
        a, b = 2 + step[2] % (rows - 1), 2 + step[3] % (rows - 1)
        for c in range(1, cols + 1):
            x, y = ws.cell(a, c), ws.cell(b, c)
            x.value, y.value = y.value, x.value
    elif kind == "sort" and rows > 2:
        c = step[2] % cols
        data = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2, max_row=rows,
                                                                       max_col=cols)]
        data.sort(key=lambda r: (r[c] is None, str(r[c])), reverse=step[3])
        for i, row in enumerate(data, start=2):
            for j, v in enumerate(row, start=1):
                ws.cell(i, j).value = v
    wb.save(path)


COUNTERS = ("Next Invoice Number", "Next Credit Note Number")


def _user_cells(path: Path) -> dict:
    """The user's own cells: every input sheet but ordersheet's columns on Orders,
    Inventory and Returns, On Hand (lowered at dispatch and raised by returns), Orders'
    Line (filled in when blank) and the Settings counters that move on (CONTRACT §4
    Invoicing, README Credit notes)."""
    wb = load_workbook(path)
    out = {}
    for name in ("Products", "Customers", "Settings", "Payments"):
        out[name] = [[c.value for c in r] for r in wb[name].iter_rows()]
    out["Settings"] = [r[:1] if r[0] in COUNTERS else r for r in out["Settings"]]
    out["Returns"] = [[c.value for c in r][:8] for r in wb["Returns"].iter_rows()]
    out["Orders"] = [[c.value for c in r][:12] for r in wb["Orders"].iter_rows()]
    out["Inventory"] = [[v for j, v in enumerate(c.value for c in r) if j in (0, 1, 3)]
                        for r in wb["Inventory"].iter_rows()]
    return out


def _same_user_cells(before: dict, after: dict) -> None:
    for name, rows in before.items():
        got = after[name]
        if name == "Orders":  # a blank Line may be numbered
            rows = [[v for j, v in enumerate(r) if j != 1] for r in rows]
            got = [[v for j, v in enumerate(r) if j != 1] for r in got]
        assert got[:len(rows)] == rows, name


def _posted(loaded) -> dict:
    """Every posted record, by sheet and key, with the values that may not change."""
    owned = loaded.owned
    posted_ids = {s.shipment_id for s in owned["Shipments"].records if s.posted_on}
    out: dict[str, dict] = {}
    for name in ("Shipments", "Shipment Lines", "Invoices", "Invoice Lines", "Stock Ledger",
                 "Audit Log", "Reconciliation", "Communication Log"):
        o = owned[name]
        keep = EDITABLE.get(name, set())
        recs = o.records
        if name == "Shipments":
            recs = [r for r in recs if r.posted_on]
        elif name == "Shipment Lines":
            recs = [r for r in recs if r.shipment_id in posted_ids]
        fields = [f for f in recs[0]._field_names if f not in keep | {"row"}] if recs else []
        counts: Counter = Counter()
        got = {}
        for r in recs:
            k = o.key(r)
            counts[k] += 1
            got[(k, counts[k])] = tuple(getattr(r, f) for f in fields)
        out[name] = got
    return out


def _check(path: Path, posted_before: dict) -> dict:
    loaded = app.read_book(cli.open_book(path))
    # what the run wrote reads back clean
    assert not [i for i in loaded.issues
                if i.code in ("posted_record_edited", "record_edited", "unknown_row")
                and i.sheet in OWNED], loaded.issues
    owned, book = loaded.owned, loaded.book
    # no number twice, and each series gapless but for numbers typed on rows by hand
    for name, field, prefix in (("Shipments", "shipment_id", "SHP-"),
                                ("Invoices", "invoice_no", "INV-"),
                                ("Invoices", "invoice_no", "CN-")):
        ids = [getattr(r, field) for r in owned[name].records
               if getattr(r, field).startswith(prefix)]
        assert len(ids) == len(set(ids)), (name, ids)
        numbers = {int(x[len(prefix):]) for x in ids if x[len(prefix):].isdigit()}
        taken = {int(x[len(prefix):]) for x in book.taken_ids
                 if x.startswith(prefix) and x[len(prefix):].isdigit()}
        gaps = set(range(1, max(numbers, default=0) + 1)) - numbers - taken
        assert not gaps, (prefix, sorted(numbers), sorted(gaps))
    # posted records stay, with their posted values
    posted = _posted(loaded)
    for name, recs in posted_before.items():
        for key, values in recs.items():
            assert posted[name].get(key) == values, (name, key)
    # the ledger replays to Inventory
    replayed = replay_ledger(owned["Stock Ledger"].records, {k: (v, 0) for k, v in OPENING.items()})
    reserved = Counter()
    for r in owned["Reservations"].records:
        reserved[(r.sku, r.warehouse)] += r.quantity
    for x in book.inventory:
        on_hand, res = replayed.get(x.key, (0, 0))
        assert (x.on_hand, reserved[x.key]) == (on_hand, res), x.key
    # per order line: credited <= invoiced <= dispatched <= ordered (Quantity is never
    # edited here; an exchange line orders what its return took back)
    ordered = {(r[0], r[1]): r[5] for r in ORDERS}
    for p in book.processed_returns:
        if p.exchange_line:
            ordered[(p.order_id, p.exchange_line)] = p.quantity
    shipped: Counter = Counter()
    posted_ids = {s.shipment_id for s in owned["Shipments"].records if s.posted_on}
    for sl in owned["Shipment Lines"].records:
        if sl.shipment_id in posted_ids:
            shipped[(sl.order_id, sl.line)] += sl.quantity
    notes = {i.invoice_no for i in owned["Invoices"].records if i.credits_invoice}
    invoiced: Counter = Counter()
    credited: Counter = Counter()
    for il in owned["Invoice Lines"].records:
        if il.line is None or il.sku in ("SHIPPING", "RESTOCKING"):
            continue
        if il.invoice_no in notes:
            credited[(il.order_id, il.line)] -= il.quantity
        else:
            invoiced[(il.order_id, il.line)] += il.quantity
    for key, units in shipped.items():  # a key typed in by an edit: at most any one row
        assert units <= ordered.get(key, max(ordered.values())), (key, units)
    assert sum(shipped.values()) <= sum(ordered.values())
    for key in set(invoiced) | set(credited):
        assert 0 <= credited[key] <= invoiced[key] <= shipped[key], (
            key, credited[key], invoiced[key], shipped[key])
    # invoice (and credit note) lines sum to their headers
    lines: dict[str, list] = {}
    for il in owned["Invoice Lines"].records:
        lines.setdefault(il.invoice_no, []).append(il)
    for inv in owned["Invoices"].records:
        ls = lines.get(inv.invoice_no, [])
        assert sum((x.net for x in ls), Decimal(0)) == inv.net
        assert sum((x.tax for x in ls), Decimal(0)) == inv.tax
        assert inv.total == inv.net + inv.tax
    # per customer and currency: Σ Balance = Σ invoices - Σ credit notes - Σ applied
    mine = [i for i in owned["Invoices"].records if i.shipment_id or i.credits_invoice]
    customer_of = {i.invoice_no.upper(): (i.customer_id, i.currency) for i in mine}
    want: Counter = Counter()
    got: Counter = Counter()
    for inv in mine:
        k = (inv.customer_id, inv.currency)
        want[k] += inv.total  # a credit note's total is negative
        got[k] += inv.balance
    for r in owned["Reconciliation"].records:
        k = customer_of.get(r.invoice_no.strip().upper())
        if k is not None:
            want[k] -= r.applied
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    # an event is told once
    told = Counter((e.customer_id, e.event, e.order_id, e.document)
                   for e in owned["Communication Log"].records if e.outcome != "Failed")
    assert not [k for k, n in told.items() if n > 1], told
    return posted


def _reconciled(path: Path, day: dt.date) -> None:
    """Right after `reconcile`: each payment's rows add up to what it paid, and matching
    again posts nothing."""
    loaded = app.read_book(cli.open_book(path))
    rows: dict[str, Decimal] = Counter()
    for r in loaded.owned["Reconciliation"].records:
        if not r.payment_id.startswith("OPENING-"):
            rows[r.payment_id.strip().upper()] += r.applied + r.unapplied
    for p in loaded.book.payments:
        if p.amount > 0 and p.payment_id:
            assert rows[p.payment_id.strip().upper()] == money.quantize(p.amount, "USD"), (
                p.payment_id, rows[p.payment_id.strip().upper()])
    again = app.execute(cli.open_book(path), "reconcile", today=day,
                        now=dt.datetime(2026, 12, 31), write=False)
    assert again.result.reconciliation.new_rows == []


def _operate(path: Path, step: tuple, day: dt.date, drafts: Path) -> bool:
    """One operation as the command line runs it; False when it wrote nothing (a refused
    `cancel`, or one with nothing to do, and `returns` with nothing new)."""
    today = day.isoformat()
    if step[0] == "notify":
        got = CliRunner().invoke(cli.cli, ["notify", str(path), "--drafts", str(drafts),
                                           "--today", today])
        if got.exit_code == 2:
            raise cli.WorkbookError(got.output)
        assert got.exit_code in (0, 1), (got.output, got.exception)
        return True
    if step[0] == "cancel":
        _, result = cli.run_operation(path, "cancel", today, None, False, quiet=True,
                                      cancel=CancelRequest(step[1], None, "fuzz"))
    else:
        _, result = cli.run_operation(path, step[0], today, None, False,
                                      dispatch=step[0] == "run", quiet=True)
    return not result.idle


@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps)
def test_edits_between_runs_never_lose_or_repeat_a_posted_record(tmp_path_factory, steps):
    folder = tmp_path_factory.mktemp("fuzz")
    path = _book(folder / "book.xlsx")
    day = dt.date(2026, 11, 20)
    code, _ = cli.run_operation(path, "run", day.isoformat(), None, False, dispatch=True,
                                quiet=True)
    posted = _check(path, {})
    for step in steps:
        if step[0] in ("return", "payment"):
            _type_row(path, step)
            continue
        if step[0] not in ("run", "reconcile", "returns", "notify", "report", "cancel"):
            _edit(path, step)
            continue
        day += dt.timedelta(days=1)
        before_bytes = path.read_bytes()
        user = _user_cells(path)
        try:
            wrote = _operate(path, step, day, folder / "drafts")
        except cli.WorkbookError:  # refused (exit 2): nothing written
            wrote = False
        if not wrote:
            assert path.read_bytes() == before_bytes
            continue
        _same_user_cells(user, _user_cells(path))
        assert RECORDS_SHEET in load_workbook(path).sheetnames
        posted = _check(path, posted)
        if step[0] == "reconcile":
            _reconciled(path, day)
