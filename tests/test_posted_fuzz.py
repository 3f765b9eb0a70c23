"""Whole books, edited between runs as people do, keep every posted record (issue 16).

Hypothesis writes a small order book, runs `ordersheet run --dispatch` (or `reconcile`,
which posts Reconciliation rows from its Payments, issue 21) on it, and between runs makes
random edits: a cell typed over or blanked, a header renamed, a row deleted,
two rows swapped, a sheet sorted, on every sheet ordersheet owns and on the identity and
tool columns of Orders. After every run:

- no shipment or invoice number is issued twice;
- every record posted by an earlier run is still there with its posted values;
- what a run writes reads back clean: no edit left to put back;
- On Hand and Reserved equal the Stock Ledger replayed over the opening stock;
- invoice lines sum to their invoices;
- units shipped per order line never exceed what was ordered;
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

from ordersheet import app, cli
from ordersheet.book.state import RECORDS_SHEET
from ordersheet.domain.reservation import replay_ledger

from .bookfiles import D1, basic_book

EXAMPLES = int(os.environ.get("ORDERSHEET_FUZZ_EXAMPLES", "12"))
OWNED = ["Reservations", "Shipments", "Shipment Lines", "Invoices", "Invoice Lines",
         "Stock Ledger", "Audit Log", "Reconciliation"]
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
steps = st.lists(st.one_of(st.just(("run",)), st.just(("reconcile",)), edits), min_size=2,
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


def _book(path: Path) -> Path:
    return basic_book(path, orders=[list(r) for r in ORDERS], Inventory=[["SKU", "Warehouse", "On Hand", "Bin"], ["A-100", "MAIN", 6, "A-01"],
                  ["B-200", "MAIN", 3, "B-02"]], Payments=[list(r) for r in PAYMENTS])


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


def _user_cells(path: Path) -> dict:
    """The user's own cells: every input sheet but ordersheet's columns on Orders and
    Inventory, On Hand (lowered at dispatch) and Orders' Line (filled in when blank)."""
    wb = load_workbook(path)
    out = {}
    for name in ("Products", "Customers", "Settings", "Payments"):
        out[name] = [[c.value for c in r] for r in wb[name].iter_rows()]
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
                 "Audit Log", "Reconciliation"):
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
    owned = loaded.owned
    # no number twice
    for name, field in (("Shipments", "shipment_id"), ("Invoices", "invoice_no")):
        ids = [getattr(r, field) for r in owned[name].records]
        assert len(ids) == len(set(ids)), (name, ids)
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
    for x in loaded.book.inventory:
        on_hand, res = replayed.get(x.key, (0, 0))
        assert (x.on_hand, reserved[x.key]) == (on_hand, res), x.key
    # units shipped never exceed units ordered (Quantity is never edited here)
    ordered = {(r[0], r[1]): r[5] for r in ORDERS}
    shipped: Counter = Counter()
    posted_ids = {s.shipment_id for s in owned["Shipments"].records if s.posted_on}
    for sl in owned["Shipment Lines"].records:
        if sl.shipment_id in posted_ids:
            shipped[(sl.order_id, sl.line)] += sl.quantity
    for key, units in shipped.items():  # a key typed in by an edit: at most any one row
        assert units <= ordered.get(key, max(ordered.values())), (key, units)
    assert sum(shipped.values()) <= sum(ordered.values())
    # invoice lines sum to their invoices
    lines: dict[str, list] = {}
    for il in owned["Invoice Lines"].records:
        lines.setdefault(il.invoice_no, []).append(il)
    for inv in owned["Invoices"].records:
        ls = lines.get(inv.invoice_no, [])
        assert sum((x.net for x in ls), Decimal(0)) == inv.net
        assert sum((x.tax for x in ls), Decimal(0)) == inv.tax
        assert inv.total == inv.net + inv.tax
    return posted


@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps)
def test_edits_between_runs_never_lose_or_repeat_a_posted_record(tmp_path_factory, steps):
    path = _book(tmp_path_factory.mktemp("fuzz") / "book.xlsx")
    day = dt.date(2026, 11, 20)
    code, _ = cli.run_operation(path, "run", day.isoformat(), None, False, dispatch=True,
                                quiet=True)
    posted = _check(path, {})
    for step in steps:
        if step[0] not in ("run", "reconcile"):
            _edit(path, step)
            continue
        day += dt.timedelta(days=1)
        before_bytes = path.read_bytes()
        user = _user_cells(path)
        try:
            cli.run_operation(path, step[0], day.isoformat(), None, False, dispatch=True,
                              quiet=True)
        except cli.WorkbookError:  # refused (exit 2): nothing written
            assert path.read_bytes() == before_bytes
            continue
        _same_user_cells(user, _user_cells(path))
        assert RECORDS_SHEET in load_workbook(path).sheetnames
        posted = _check(path, posted)
