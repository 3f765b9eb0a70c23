"""The report's views (issue 22): the Dashboard, Reorder and Bottlenecks sheets, rebuilt on
every `report` from the run's results, and the Dashboard's native charts.

The figures come from `domain.analytics`, `domain.reorder` and `domain.bottlenecks`; this
module only lays them out. The Dashboard is a list of figures (Section, Figure, Value,
Unit, Definition), then one small block per chart: a title row, a header row naming the
series, one row per category. Each chart points at its block (`plan.Chart`), so it
follows the cells when someone edits them.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..domain import analytics, bottlenecks, reorder
from ..domain.pipeline import RunResult
from . import plan as p
from .ownership import REPORT_SHEETS
from .raw import a1
from .state import OWNED_SPECS

DASHBOARD, REORDER, BOTTLENECKS = VIEWS = REPORT_SHEETS

DASHBOARD_HEADER = ["Section", "Figure", "Value", "Unit", "Definition"]
DASHBOARD_WIDTHS = [22.0, 34.0, 14.0, 12.0, 70.0]
CHART_COLUMN = "G"
CHART_ROWS = 16
"""Rows each chart takes on the Dashboard (openpyxl's default 7.5 cm high chart)."""

REORDER_HEADER = ["SKU", "Warehouse", "Description", "Supplier", "On Hand", "Reserved",
                  "Available", "Backlog", "Daily Demand", "Lead Time Days", "Safety Stock",
                  "Reorder Point", "Days of Cover", "Reorder", "Suggested Qty", "Why",
                  "Look At"]
REORDER_FORMATS: list[p.Fmt] = ["text", "text", None, None, "int", "int", "int", "int", None,
                                "int", "int", "int", None, None, "int", None, None]
BOTTLENECK_HEADER = ["Stage", "Order ID", "Customer ID", "Waiting Since", "Days Waiting",
                     "Sheet", "Cell", "Look At", "Detail"]
BOTTLENECK_FORMATS: list[p.Fmt] = [None, "text", "text", "date", "int", None, None, None, None]


def view_ops(result: RunResult, ledger: Sequence[Any], out: Callable[[str], str]
             ) -> list[p.Op]:
    """The plan operations of the three views as of the run's business date; `ledger` is
    every Stock Ledger row; `out(name)` is the name ordersheet writes its sheet `name`
    under in this book (`Dashboard (ordersheet)` beside a user's own)."""
    state, today = result.book, result.audit.business_date
    d = analytics.dashboard(state, result.lines, result.outcomes, result.issues, ledger, today)
    dash = out(DASHBOARD)
    rows, charts = dashboard_layout(d)
    ops: list[p.Op] = [
        p.ReplaceSheet(dash, DASHBOARD_HEADER, rows, [None] * len(DASHBOARD_HEADER), None,
                       None, DASHBOARD_WIDTHS),
        p.AddCharts(dash, charts),
    ]
    plan_rows = reorder.plan(state, result.lines, result.outcomes, today)
    ops.append(p.ReplaceSheet(out(REORDER), REORDER_HEADER, [_reorder_row(r) for r in plan_rows],
                              REORDER_FORMATS, dash, "tblReorder", _widths(REORDER_HEADER)))
    waits = bottlenecks.bottlenecks(state, result.lines, result.outcomes, result.issues, today)
    ops.append(p.ReplaceSheet(out(BOTTLENECKS), BOTTLENECK_HEADER,
                              [_waiting_row(w, out) for w in waits], BOTTLENECK_FORMATS,
                              out(REORDER), "tblBottlenecks", _widths(BOTTLENECK_HEADER)))
    return ops


def claim_names(loaded: Any) -> list[Any]:
    """Decide, before a report runs, the names the three views are written under, and say
    why where a sheet of the user's has one of them (`sheet_name_taken`, on the Issues
    sheet of that report)."""
    own = loaded.ownership
    if own is None:
        return []
    for name in VIEWS:
        own.decide(name)
    said = list(own.issues)
    own.issues.clear()
    return said


def _widths(header: Sequence[str]) -> list[float]:
    wide = {"Description": 28.0, "Why": 60.0, "Detail": 60.0, "Stage": 24.0}
    return [wide.get(h, float(max(12, len(h) + 4))) for h in header]


def dashboard_layout(d: analytics.Dashboard) -> tuple[list[list[Any]], list[p.Chart]]:
    """The Dashboard's rows (from sheet row 2) and its charts, each pointing at its block."""
    rows: list[list[Any]] = [[f.section, f.label, f.value, f.unit, f.definition]
                             for f in d.figures]
    rows.insert(0, ["As of", "", d.today, "", "the business date of the report (--today)"])
    charts: list[p.Chart] = []
    for c in d.charts:
        if not c.categories or not c.series:
            continue  # nothing to draw yet (no invoices): the figures say n/a
        rows.append([])
        rows.append([f"Chart: {c.title}"])
        header_row = len(rows) + 2  # sheet row of the block's header (rows start at 2)
        rows.append(["", c.axis] + [name for name, _ in c.series])
        for k, cat in enumerate(c.categories):
            rows.append(["", cat] + [values[k] for _, values in c.series])
        charts.append(p.Chart(c.kind if c.kind in ("bar", "line") else "bar", c.title,
                              header_row, header_row + len(c.categories), 2,
                              [3 + k for k in range(len(c.series))],
                              f"{CHART_COLUMN}{2 + CHART_ROWS * len(charts)}", c.unit))
    return rows, charts


def _reorder_row(r: reorder.ReorderRow) -> list[Any]:
    return [r.sku, r.warehouse, r.description, r.supplier, r.on_hand, r.reserved, r.available,
            r.backlog, r.daily_demand, r.lead_time_days, r.safety_stock, r.reorder_point,
            r.days_of_cover, "Yes" if r.reorder else "No",
            r.suggested_qty if r.reorder else None, r.why,
            f"Inventory!{r.cell}" if r.cell else ""]


def _waiting_row(w: bottlenecks.Waiting, out: Callable[[str], str]) -> list[Any]:
    cell = w.cell or _record_cell(w)
    sheet = out(w.sheet) if w.sheet in OWNED_SPECS else w.sheet
    return [w.stage, w.order_id, w.customer_id, w.since, w.days, sheet, cell,
            f"{sheet}!{cell}" if cell else sheet, w.detail]


def _record_cell(w: bottlenecks.Waiting) -> str:
    """Where a record this run made (no row yet) lands on ordersheet's own sheet: records
    are written in order under the header row."""
    spec = OWNED_SPECS.get(w.sheet, (None,))[0]
    if spec is None or w.index < 0:
        return ""
    fields = [c.field for c in spec.cols]
    if w.field not in fields:
        return ""
    return a1(w.index + 2, fields.index(w.field) + 1)


__all__ = ["VIEWS", "view_ops", "dashboard_layout", "claim_names"]
