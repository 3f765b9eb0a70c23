"""What `returns` writes on the user's sheets (issue 20): ordersheet's Status and Credit
Note columns at the right of Returns (added like Orders' tool columns), and each exchange's
replacement line at the end of Orders, where the next run reserves and ships it.

Credit notes, the Stock Ledger rows and the processed returns go where every run's records
go (`render.render`)."""

from __future__ import annotations

from typing import Any

from ..domain.pipeline import RunResult
from . import plan as p
from . import schema as s
from .load import Loaded

EXCHANGE_FIELDS = ("order_id", "line", "order_date", "customer_id", "sku", "quantity",
                   "unit_price", "notes")
"""The Orders cells an exchange line fills (the others stay blank, as a typed line's may)."""


def returns_ops(result: RunResult, loaded: Loaded, placer_cls: Any) -> list[p.Op]:
    """The Returns tool columns, and the exchange lines appended to Orders."""
    run = result.returns
    ops: list[p.Op] = []
    if run is None:
        return ops
    layout = loaded.layouts.get(s.RETURNS.name)
    if layout is not None and layout.n_rows:
        placer = placer_cls(layout, loaded, s.RETURNS.name)
        first, n = layout.header_row + 1, layout.n_rows
        status: list[Any] = [None] * n
        notes: list[Any] = [None] * n
        for row, (st, cn) in run.row_status.items():
            if 0 <= row - first < n:
                status[row - first], notes[row - first] = st, cn or None
        cols, widths = [], {}
        for c, values in zip(s.RETURNS_TOOL_COLUMNS, (status, notes)):
            col, header = placer.col(c.header)
            placer.width(widths, col, c, header)
            cols.append((col, header, values, c.fmt))
        ops.append(p.UpdateColumns(loaded.sheet_names[s.RETURNS.name], layout.header_row, cols,
                                   layout.table, widths))
    orders = loaded.layouts.get(s.ORDERS.name)
    if run.exchanges and orders is not None:
        cells: dict[tuple[int, int], Any] = {}
        row = orders.header_row + orders.n_rows + 1
        for ln in run.exchanges:
            for f in EXCHANGE_FIELDS:
                col = orders.columns.get(f)
                if col is not None:
                    cells[(row, col)] = getattr(ln, f)
            row += 1
        ops.append(p.SetCells(loaded.sheet_names[s.ORDERS.name], cells,
                              table_bottom=row - 1 if orders.table else 0))
    return ops
