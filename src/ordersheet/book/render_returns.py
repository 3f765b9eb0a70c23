"""What `returns` writes on the user's sheets (issue 20): ordersheet's Status and Credit
Note columns at the right of Returns (added like Orders' tool columns).

Credit notes, the Stock Ledger rows and the processed returns go where every run's records
go (`render.render`)."""

from __future__ import annotations

from typing import Any

from ..domain.pipeline import RunResult
from . import plan as p
from . import schema as s
from .load import Loaded


def returns_ops(result: RunResult, loaded: Loaded, placer_cls: Any) -> list[p.Op]:
    """The Returns tool columns."""
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
    return ops
