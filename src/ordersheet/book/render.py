"""Render pipeline results into one WritePlan (what every engine applies).

The same plan goes to the .xlsx engine and the live Excel engine, so the CLI and the
xlwings scripts write identical sheets. Each block is one operation: a 10-row and a
10,000-row run produce the same number of operations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from ..domain.pipeline import RunResult
from ..domain.issues import Issue
from . import plan as p
from . import print_sheet
from . import schema as s
from .load import STATE_SHEET, Loaded
from .raw import a1, split_a1

TOOL_SHEET_ORDER = ("Issues", "Reservations", "Shipments", "Shipment Lines", "Pick List",
                    "Invoices", "Invoice Lines", "Stock Ledger", "Audit Log")
USER_SHEETS = {spec.name for spec in s.INPUT_SHEETS} | {s.SETTINGS_SHEET}


def _table_name(sheet: str) -> str:
    return "tbl" + "".join(ch for ch in sheet.title() if ch.isalnum())


def _fmts(spec: s.SheetSpec) -> list[p.Fmt]:
    return [c.fmt for c in spec.cols]


def _replace(spec: s.SheetSpec, rows: list[list[Any]], after: str | None) -> p.ReplaceSheet:
    widths = [max(10.0, min(40.0, len(h) + 4.0)) for h in spec.headers]
    return p.ReplaceSheet(spec.name, spec.headers, rows, _fmts(spec), after,
                          _table_name(spec.name), widths)


class RecordRows(Sequence):
    """A plan's rows read off the records when asked for: row i is record i's fields in
    column order (a list). Every engine sees a sequence of rows; the .xlsx writer takes
    whole columns of a chunk of rows at once (`columns`), so the 280,000 ledger rows of a
    100,000-line run are never copied into row lists at all."""

    __slots__ = ("records", "fields", "width", "_get")

    def __init__(self, records, fields: list[str]):
        self.records = list(records)
        self.fields = list(fields)
        self.width = len(self.fields)
        self._get = attrgetter(*self.fields)

    def _row(self, record) -> list[Any]:
        got = self._get(record)
        return list(got) if self.width > 1 else [got]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._row(r) for r in self.records[i]]
        return self._row(self.records[i])

    def __iter__(self):
        return map(self._row, self.records)

    def columns(self, lo: int, hi: int) -> list[list[Any]]:
        """Columns of rows lo..hi-1, each a list of values."""
        chunk = self.records[lo:hi]
        return [list(map(attrgetter(f), chunk)) for f in self.fields]

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, RecordRows)):
            return len(self) == len(other) and all(a == list(b) for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"RecordRows({len(self)} rows: {', '.join(self.fields)})"


def _records(spec: s.SheetSpec, records) -> RecordRows:
    return RecordRows(records, [c.field for c in spec.cols])


class _Placer:
    """Finds a tool column on a user sheet by header, or the next free column to its right."""

    def __init__(self, layout: s.SheetLayout):
        self.layout = layout
        self.next_col = max(layout.last_col, layout.first_col) + 1

    def col(self, header: str) -> int:
        found = self.layout.headers.get(s.norm(header))
        if found:
            return found
        c = self.next_col
        self.next_col += 1
        self.layout.headers[s.norm(header)] = c
        return c


def render(result: RunResult, loaded: Loaded) -> p.WritePlan:
    plan = p.WritePlan()
    steps = set(result.steps)

    # Issues first: the sheet people look at when something is wrong.
    plan.add(_replace(s.ISSUES, [[i.sheet, i.cell, i.severity.value, i.code, i.order_id, i.message]
                                 for i in result.issues], _last_user_sheet(loaded)))
    _orders(plan, result, loaded)
    _inventory(plan, result, loaded)
    state = result.book
    prev = "Issues"
    if "reserve" in steps:
        plan.add(_replace(s.RESERVATIONS, _records(s.RESERVATIONS, state.reservations), prev))
        prev = "Reservations"
    if "reserve" in steps or result.dispatched:
        plan.add(_replace(s.SHIPMENTS, _records(s.SHIPMENTS, state.shipments), prev))
        plan.add(_replace(s.SHIPMENT_LINES, _records(s.SHIPMENT_LINES, state.shipment_lines),
                          "Shipments"))
        prev = "Shipment Lines"
    if "ship" in steps:
        from ..domain import shipping

        picks = shipping.pick_list(state.shipments, state.shipment_lines, state) \
            if hasattr(shipping, "pick_list") else []
        plan.add(_replace(s.PICK_LIST, [[r.shipment_id, r.warehouse, r.bin, r.sku, r.description,
                                         r.quantity, r.order_id, r.line] for r in picks], prev))
        prev = "Pick List"
    if "invoice" in steps:
        plan.add(_replace(s.INVOICES, _records(s.INVOICES, state.invoices), prev))
        plan.add(_replace(s.INVOICE_LINES, _records(s.INVOICE_LINES, state.invoice_lines),
                          "Invoices"))
        prev = "Invoice Lines"
        if state.settings.next_invoice_number != loaded.book.settings.next_invoice_number:
            _set_setting(plan, loaded, "Next Invoice Number", "next_invoice_number",
                         state.settings.next_invoice_number)
    if result.ledger:
        plan.add(p.AppendRows(s.STOCK_LEDGER.name, s.STOCK_LEDGER.headers,
                              _records(s.STOCK_LEDGER, result.ledger), _fmts(s.STOCK_LEDGER),
                              loaded.ledger_rows, _table_name(s.STOCK_LEDGER.name)))
    if result.audit is not None:
        plan.add(p.AppendRows(s.AUDIT_LOG.name, s.AUDIT_LOG.headers,
                              _records(s.AUDIT_LOG, [result.audit]), _fmts(s.AUDIT_LOG),
                              loaded.audit_rows, _table_name(s.AUDIT_LOG.name)))
    _marks(plan, result.issues, loaded)
    # The print sheets show the last document this run created.
    if result.new_shipments:
        plan.ops += print_sheet.document_ops(state, result.new_shipments[-1],
                                             loaded.workbook_sheets)
    if result.new_invoices:
        plan.ops += print_sheet.document_ops(state, result.new_invoices[-1],
                                             loaded.workbook_sheets)
    if result.errors:
        plan.activate = "Issues"
    return plan


def _last_user_sheet(loaded: Loaded) -> str | None:
    for name in ("Settings", "Returns", "Payments", "Shipping Rates", "FX Rates", "Tax Rates",
                 "Price Rules", "Customers", "Inventory", "Products", "Orders"):
        if name in loaded.sheet_names:
            return loaded.sheet_names[name]
    return None


def _orders(plan: p.WritePlan, result: RunResult, loaded: Loaded) -> None:
    layout = loaded.layouts.get("Orders")
    if layout is None or not layout.n_rows:
        return
    placer = _Placer(layout)
    n = layout.n_rows
    first = layout.header_row + 1
    cols: list[tuple[int, str, list[Any], p.Fmt]] = []
    if result.numbered:
        # Only the blank Line cells are filled; every other cell stays exactly as typed
        # (a user's own number, or a bad value that has its Issue).
        if "line" in layout.columns:
            col = layout.columns["line"]
            plan.add(p.SetCells(loaded.sheet_names["Orders"], {
                (ln.row, col): ln.line for ln in result.lines if ln.row in result.numbered}))
        else:  # no Line column yet: it becomes a tool-added column like Status
            values: list[Any] = [None] * n
            for ln in result.lines:
                if ln.row in result.numbered:
                    values[ln.row - first] = ln.line
            cols.append((placer.col("Line"), "Line", values, "int"))
    wanted = ["status", "reserved", "backordered", "shipped", "shipment", "invoice"]
    if "price" in result.steps:
        wanted = ["status", "price", "net", "tax", "total", "currency", "reserved",
                  "backordered", "shipped", "shipment", "invoice", "explain"]
    columns = _outcome_columns(result.outcomes, first, n, wanted)
    for c in s.ORDER_TOOL_COLUMNS:
        if c.field in columns:
            cols.append((placer.col(c.header), c.header, columns[c.field], c.fmt))
    plan.add(p.UpdateColumns(loaded.sheet_names["Orders"], layout.header_row, cols, layout.table))


_OUTCOME = {"status": "status", "reserved": "reserved", "backordered": "backordered",
            "shipped": "shipped", "shipment": "shipments", "invoice": "invoices"}
"""Orders tool column -> LineOutcome attribute (shipment and invoice: blank when none)"""
_PRICE = {"price": "unit_price", "net": "net", "tax": "tax", "total": "total",
          "currency": "currency", "explain": "explain"}
"""Orders tool column -> LinePrice attribute (blank for a line without a price)"""


class _Blank:
    """Stands for a missing outcome or price: every attribute is blank, so each column is
    one `map` over the lines."""

    def __getattr__(self, name: str) -> None:
        return None


_BLANK = _Blank()


def _outcome_columns(outcomes, first: int, n: int, wanted: list[str]) -> dict[str, list[Any]]:
    """The Orders tool columns in `wanted`, one list per column (row `first` + i at i):
    one C-level `map` per column, not a dict per line."""
    outs: list[Any] = [_BLANK] * n
    for row, o in outcomes.items():
        i = row - first
        if 0 <= i < n:
            outs[i] = o
    prices = [_BLANK if pr is None else pr for pr in map(attrgetter("price"), outs)]
    columns: dict[str, list[Any]] = {}
    for f in wanted:
        if f in _PRICE:
            columns[f] = list(map(attrgetter(_PRICE[f]), prices))
        elif f in _OUTCOME:
            col = list(map(attrgetter(_OUTCOME[f]), outs))
            if f in ("shipment", "invoice"):
                col = [v or None for v in col]
            columns[f] = col
        else:
            columns[f] = [None] * n
    return columns


def _inventory(plan: p.WritePlan, result: RunResult, loaded: Loaded) -> None:
    layout = loaded.layouts.get("Inventory")
    if layout is None or not layout.n_rows:
        return
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    for r in result.book.reservations:
        reserved[(r.sku, r.warehouse)] += r.quantity
    first = layout.header_row + 1
    n = layout.n_rows
    placer = _Placer(layout)
    res_v: list[Any] = [None] * n
    avail_v: list[Any] = [None] * n
    onhand_v: list[Any] = [None] * n
    changed = False
    before = {x.row: x.on_hand for x in loaded.book.inventory}
    for x in result.book.inventory:
        i = x.row - first
        if not 0 <= i < n:
            continue
        res_v[i] = reserved.get(x.key, 0)
        avail_v[i] = x.on_hand - res_v[i]
        onhand_v[i] = x.on_hand
        changed |= before.get(x.row) != x.on_hand
    cols = [(placer.col("Reserved"), "Reserved", res_v, "int"),
            (placer.col("Available"), "Available", avail_v, "int")]
    if changed and "on_hand" in layout.columns:
        # On Hand is a user column: write only the cells that changed, keep the rest as typed
        cells = {}
        for x in result.book.inventory:
            if before.get(x.row) != x.on_hand:
                cells[(x.row, layout.columns["on_hand"])] = x.on_hand
        plan.add(p.SetCells(loaded.sheet_names["Inventory"], cells))
    plan.add(p.UpdateColumns(loaded.sheet_names["Inventory"], layout.header_row, cols,
                             layout.table))


def _set_setting(plan: p.WritePlan, loaded: Loaded, key: str, fld: str, value: Any) -> None:
    where = loaded.settings_cells.get(fld)
    raw = loaded.settings_raw
    if where:
        plan.add(p.SetCells(loaded.sheet_names.get("Settings", "Settings"), {where: value}))
    elif raw is not None:
        row = raw.header_row + len(raw.rows) + 1
        plan.add(p.SetCells(raw.name, {(row, raw.first_col): key, (row, raw.first_col + 1): value}))
    else:
        plan.add(p.ReplaceSheet("Settings", ["Key", "Value"], [[key, value]], [None, None],
                                None, "tblSettings", [28.0, 30.0]))


def _marks(plan: p.WritePlan, issues: list[Issue], loaded: Loaded) -> None:
    """Highlight and annotate offending user cells; remember them so the next run can
    remove exactly its own marks."""
    by_sheet: dict[str, dict[tuple[int, int], tuple[str, str]]] = defaultdict(dict)
    real = {name: loaded.sheet_names.get(name, name) for name in USER_SHEETS}
    for i in issues:
        if i.sheet not in USER_SHEETS or not i.cell or i.sheet not in loaded.sheet_names:
            continue
        try:
            rc = split_a1(i.cell)
        except ValueError:
            continue
        sheet = real[i.sheet]
        old = by_sheet[sheet].get(rc)
        if old:
            sev = "Error" if "Error" in (old[0], i.severity.value) else "Warning"
            by_sheet[sheet][rc] = (sev, old[1] + "\n" + f"[{i.code}] {i.message}")
        else:
            by_sheet[sheet][rc] = (i.severity.value, f"[{i.code}] {i.message}")
    sheets = set(by_sheet) | set(loaded.old_marks)
    state_rows = []
    for sheet in sorted(sheets):
        marks = by_sheet.get(sheet, {})
        clear = loaded.old_marks.get(sheet, set())
        if marks or clear:
            plan.add(p.MarkCells(sheet, marks, set(clear)))
        state_rows += [[sheet, a1(r, c)] for (r, c) in sorted(marks)]
    if state_rows or loaded.old_marks:
        plan.add(p.ReplaceSheet(STATE_SHEET, ["Sheet", "Cell"], state_rows, ["text", "text"],
                                None, None, [], hidden=True))
