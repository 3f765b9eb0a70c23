"""refresh_dashboard on the remote engine (what xlwings Lite runs): native charts through
xlwings' `sheet.charts.add`, drawn from the Dashboard's own blocks; a refresh deletes the
charts ordersheet named before and no other (issue 22)."""

from __future__ import annotations

import datetime as dt

import xlwings as xw

from ordersheet import excel
from ordersheet.book.templates import build_order_book
from ordersheet.cli import run_operation
from tests.excel.payload import payload

TODAY = dt.date(2026, 11, 20)


def test_refresh_dashboard_adds_native_charts_and_replaces_only_its_own(tmp_path):
    src = tmp_path / "book.xlsx"
    build_order_book(src, sample=True, today=TODAY)
    run_operation(src, "report", TODAY.isoformat(), None, False, dispatch=True, quiet=True)
    data = payload(src)
    dash = next(s for s in data["sheets"] if s["name"] == "Dashboard")
    old = {"name": "ordersheet: Backordered units by age", "chart_type": "ColumnClustered",
           "left": 0, "top": 0, "width": 400, "height": 200}
    mine = dict(old, name="My own chart")
    dash["charts"] = [old, mine]
    book = xw.Book(json=data)
    outcome = excel.refresh_dashboard(book, as_of=TODAY)
    assert outcome is not None
    actions = book.json()["actions"]
    deleted = [a["args"] for a in actions if a["func"] == "deleteChart"]
    assert deleted == [[0]]  # the old ordersheet chart, never "My own chart"
    added = [a["args"] for a in actions if a["func"] == "addChart"]
    assert len(added) == 4
    names = [a[0] for a in added]
    assert all(n.startswith("ordersheet: ") for n in names)
    assert all(a[2] == "Dashboard" for a in added)
    # each source block: the header row (series names) down to the last category
    plan = outcome.plan
    charts = next(op for op in plan.ops if type(op).__name__ == "AddCharts").charts
    for args, chart in zip(added, charts):
        last = chr(ord("A") + max(chart.series_cols) - 1)
        assert args[3].replace("$", "") == f"B{chart.first_row}:{last}{chart.last_row}"
