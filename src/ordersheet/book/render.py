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
from ..domain.shipping import CANCELLED, READY, SHIPPED
from . import plan as p
from . import print_sheet
from . import render_formats
from . import schema as s
from .layouts import INVOICE_SHEET, PACKING_SLIP_SHEET
from .load import Loaded
from .owned import Owned
from .port import WorkbookError
from .raw import a1, split_a1
from .state import APPEND_ONLY, OWNED_SPECS, PRICE_LOCKS, PROCESSED_RETURNS, state_op

USER_SHEETS = {spec.name for spec in s.INPUT_SHEETS} | {s.SETTINGS_SHEET}


def _table_name(sheet: str) -> str:
    return "tbl" + "".join(ch for ch in sheet.title() if ch.isalnum())


def _fmts(spec: s.SheetSpec) -> list[p.Fmt]:
    return [c.fmt for c in spec.cols]


def _widths(spec: s.SheetSpec, extra: Sequence[str] = ()) -> list[float]:
    """`schema.column_width` of each column, then of each of the user's own columns."""
    return ([s.column_width(c) for c in spec.cols]
            + [s.column_width(s.Col("", str(h))) for h in extra])


def _replace(spec: s.SheetSpec, rows: Any, after: str | None, name: str | None = None,
             extra: Sequence[str] = ()) -> p.ReplaceSheet:
    return p.ReplaceSheet(name or spec.name, spec.headers + list(extra), rows,
                          _fmts(spec) + [None] * len(extra), after, _table_name(spec.name),
                          _widths(spec, extra))


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
    """Finds ordersheet's column on a user sheet (the one it created, `book.ownership`),
    or the next free column to the right for a new one."""

    def __init__(self, layout: s.SheetLayout, loaded: Loaded, sheet: str):
        self.layout = layout
        self.loaded = loaded
        self.sheet = sheet
        self.next_col = max(layout.last_col, layout.first_col) + 1
        self.added: list[int] = []
        """The columns ordersheet adds to the sheet in this run."""

    def col(self, header: str) -> tuple[int, str]:
        """(column, header it has or gets)."""
        own = self.loaded.ownership
        if own is None:
            written, found = header, self.layout.headers.get(s.norm(header))
        else:
            written, found = own.column(self.sheet, header, self.layout)
        if found:
            return found, written
        c = self.next_col
        self.next_col += 1
        self.layout.headers[s.norm(written)] = c
        self.added.append(c)
        return c, written

    def width(self, widths: dict[int, float], col: int, c: s.Col, header: str) -> None:
        """Note the width of column `c` (`schema.column_width`) in `widths` when this run
        adds it at `col`; a column the sheet has keeps its width."""
        if col in self.added:
            widths[col] = s.column_width(c, header)

    def line_col(self) -> int:
        """Orders' Line: the user's column (CONTRACT §3), or one ordersheet adds."""
        found = self.layout.headers.get(s.norm("Line"))
        return found if found else self.col("Line")[0]


def _out(loaded: Loaded, name: str) -> str:
    """The name ordersheet writes its sheet `name` under in this book."""
    own = loaded.ownership
    return own.out(name) if own is not None else name


def render(result: RunResult, loaded: Loaded, extra: Sequence[p.Op] = ()) -> p.WritePlan:
    """The write plan of `result`; `extra` are sheets a use case adds (the Customer
    Updates of `notify`), written before ordersheet's record of its sheets."""
    plan = p.WritePlan()
    steps = set(result.steps)

    # Issues first: the sheet people look at when something is wrong.
    issues_sheet = _out(loaded, s.ISSUES.name)
    plan.add(_replace(s.ISSUES, [[i.sheet, i.cell, i.severity.value, i.code, i.order_id,
                                  i.message] for i in result.issues],
                      _last_user_sheet(loaded), issues_sheet))
    _orders(plan, result, loaded)
    _inventory(plan, result, loaded)
    state = result.book
    prev = issues_sheet
    records: dict[str, Any] = {
        s.RESERVATIONS.name: state.reservations, s.SHIPMENTS.name: state.shipments,
        s.SHIPMENT_LINES.name: state.shipment_lines, s.INVOICES.name: state.invoices,
        s.INVOICE_LINES.name: state.invoice_lines,
        s.STOCK_LEDGER.name: _log(loaded, s.STOCK_LEDGER.name, result.ledger),
        s.AUDIT_LOG.name: _log(loaded, s.AUDIT_LOG.name,
                               [result.audit] if result.audit is not None else []),
        s.COMMUNICATION_LOG.name: state.communication_log,
        s.RECONCILIATION.name: state.reconciliation,
    }
    writes = {
        s.RESERVATIONS.name: "reserve" in steps,
        s.SHIPMENTS.name: "reserve" in steps or bool(result.dispatched),
        s.SHIPMENT_LINES.name: "reserve" in steps or bool(result.dispatched),
        s.INVOICES.name: "invoice" in steps,
        s.INVOICE_LINES.name: "invoice" in steps,
    }
    for name in (s.RESERVATIONS.name, s.SHIPMENTS.name, s.SHIPMENT_LINES.name):
        op = _owned_sheet(plan, loaded, name, records[name], prev, writes[name])
        if op:
            prev = _out(loaded, name)
            if name == s.SHIPMENTS.name:
                _status_dropdown(plan, op)
    if "ship" in steps:
        from ..domain import views

        picks = views.pick_list(state.shipments, state.shipment_lines, state)
        plan.add(_replace(s.PICK_LIST, [[r.shipment_id, r.warehouse, r.bin, r.sku,
                                         r.description, r.quantity, r.order_id, r.line]
                                        for r in picks], prev, _out(loaded, s.PICK_LIST.name)))
        prev = _out(loaded, s.PICK_LIST.name)
    for name in (s.INVOICES.name, s.INVOICE_LINES.name):
        op = _owned_sheet(plan, loaded, name, records[name], prev, writes[name])
        if op:
            prev = _out(loaded, name)
            if isinstance(op, p.ReplaceSheet):
                render_formats.owned_sheet(op, OWNED_SPECS[name][0], state.invoices)
    if "invoice" in steps and \
            state.settings.next_invoice_number != loaded.book.settings.next_invoice_number:
        _set_setting(plan, loaded, "next_invoice_number", state.settings.next_invoice_number)
    if state.settings.next_credit_note_number != loaded.book.settings.next_credit_note_number:
        _set_setting(plan, loaded, "next_credit_note_number",
                     state.settings.next_credit_note_number)
    if result.returns is not None:
        from .render_returns import returns_ops

        plan.ops += returns_ops(result, loaded, _Placer)
    appears = {  # the Communication Log with the first message it records, Reconciliation
        # once `reconcile` made it
        s.COMMUNICATION_LOG.name: bool(records[s.COMMUNICATION_LOG.name]),
        s.RECONCILIATION.name: "reconcile" in steps,
    }
    for name in APPEND_ONLY:
        _owned_sheet(plan, loaded, name, records[name], None, appears.get(name, True))
    _ar_aging(plan, result, loaded)
    _marks(plan, result.issues, loaded)
    # The print sheets show the last document this run created.
    if result.new_shipments:
        plan.ops += print_ops(state, result.new_shipments[-1], loaded)
    if result.new_invoices:
        plan.ops += print_ops(state, result.new_invoices[-1], loaded)
    if result.returns is not None and result.returns.credit_notes:  # created after those
        plan.ops += print_ops(state, result.returns.credit_notes[-1].invoice_no, loaded)
    plan.ops += extra
    if result.operation == "report":  # the views, before the records name their sheets
        from .dashboard import DASHBOARD, view_ops

        plan.ops += view_ops(result, records[s.STOCK_LEDGER.name], lambda n: _out(loaded, n))
        plan.activate = _out(loaded, DASHBOARD)
    plan.add(records_op(loaded, records, state.price_locks, state.processed_returns))
    if result.errors:
        plan.activate = issues_sheet
    check_formulas(plan, loaded)
    return plan


def _ar_aging(plan: p.WritePlan, result: RunResult, loaded: Loaded) -> None:
    """The AR Aging view: made by `reconcile`, rebuilt by every run once it exists (the
    balances move with each run's date)."""
    out = _out(loaded, s.AR_AGING.name)
    if "reconcile" not in result.steps and out not in loaded.workbook_sheets:
        return
    from ..domain import aging

    state = result.book
    today = result.audit.business_date if result.audit is not None else None
    if today is None:
        return
    rows = aging.aging(state.invoices, state.customers, aging.credits(state.reconciliation),
                       today, state.settings.base_currency)
    plan.add(_replace(s.AR_AGING, [[getattr(r, c.field) for c in s.AR_AGING.cols]
                                   for r in rows], None, out))


def check_formulas(plan: p.WritePlan, loaded: Loaded) -> None:
    """ordersheet never writes into a cell that holds a formula on a user's sheet: a plan
    that would is refused before anything is written (`WorkbookError`, exit 2), naming the
    cell and what ordersheet wanted to write there."""
    for op in plan.ops:
        if isinstance(op, p.SetCells):
            cells = loaded.formulas.get(op.sheet)
            hit = sorted(set(op.cells) & cells) if cells else []
            if hit:
                r, c = hit[0]
                raise WorkbookError(
                    f"{op.sheet}!{a1(r, c)} holds a formula, and ordersheet would write "
                    f"{op.cells[(r, c)]!r} there; it never writes over a formula: type the "
                    "value instead (or move the formula) and run again")
        elif isinstance(op, p.UpdateColumns):
            cells = loaded.formulas.get(op.sheet)
            if not cells:
                continue
            cols = {c: h for c, h, _v, _f in op.columns}
            last = op.header_row + max((len(v) for _c, _h, v, _f in op.columns), default=0)
            hit = sorted((r, c) for r, c in cells if c in cols and op.header_row <= r <= last)
            if hit:
                r, c = hit[0]
                raise WorkbookError(
                    f"{op.sheet}!{a1(r, c)} holds a formula in ordersheet's column "
                    f"'{cols[c]}', which ordersheet fills in itself; it never writes over a "
                    "formula: move the formula to a column of your own and run again")


def _log(loaded: Loaded, name: str, new: Sequence[Any]) -> list[Any]:
    """An append-only sheet's records after this run: what was there, then `new`."""
    o = loaded.owned.get(name)
    return (list(o.records) if o is not None else []) + list(new)


def records_op(loaded: Loaded, records: dict[str, Any] | None = None,
               price_locks: Sequence[Any] | None = None,
               processed_returns: Sequence[Any] | None = None) -> p.ReplaceSheet:
    """`_ordersheet_records` after this run: ordersheet's records on each of its sheets
    (as read, where `records` does not say otherwise), the price locks (as read, unless
    given), and which sheets and columns are its own."""
    out: dict[str, Any] = {name: o.records for name, o in loaded.owned.items()
                           if o.sheet is not None or o.records}
    out.update(records or {})
    own = loaded.ownership
    for name, recs in list(out.items()):
        if recs or (own is not None and name in own.state.sheets):
            if own is not None:
                own.out(name)
        else:
            del out[name]
    out[PRICE_LOCKS] = loaded.book.price_locks if price_locks is None else price_locks
    out[PROCESSED_RETURNS] = (loaded.book.processed_returns if processed_returns is None
                              else processed_returns)
    return state_op(loaded.state, out)


def print_ops(state, doc_id: str, loaded: Loaded) -> list[p.Op]:
    """`print_sheet.document_ops` on the print sheet ordersheet owns in this book."""
    names = {INVOICE_SHEET: _out(loaded, INVOICE_SHEET),
             PACKING_SLIP_SHEET: _out(loaded, PACKING_SLIP_SHEET)}
    existing = {k for k, real in names.items() if real in loaded.workbook_sheets}
    ops = print_sheet.document_ops(state, doc_id, existing)
    for op in ops:
        if isinstance(op, p.ReplaceSheet):
            op.name = names.get(op.name, op.name)
        elif isinstance(op, (p.SetCells, p.UpdateColumns, p.MarkCells)):
            op.sheet = names.get(op.sheet, op.sheet)
    return ops


def _owned_sheet(plan: p.WritePlan, loaded: Loaded, name: str, records: Sequence[Any],
                 after: str | None, step_ran: bool) -> p.ReplaceSheet | p.AppendRows | None:
    """Write one of ordersheet's record sheets when this run's steps write it or it must
    be put back; the rows ordersheet keeps as typed and the user's own columns go with
    it. The append-only sheets get their new rows appended when nothing above them needs
    putting back. The operation added, or None when nothing was written."""
    o = loaded.owned.get(name) or Owned(name, None, [])
    if not (step_ran or o.restore):
        return None
    spec = OWNED_SPECS[name][0]
    out = _out(loaded, name)
    fields = [c.field for c in spec.cols]
    if name in APPEND_ONLY and not o.restore and (o.sheet == out or o.sheet is None):
        new = records[len(o.records):]
        if not new and o.sheet is not None:
            return None
        append = p.AppendRows(out, spec.headers, RecordRows(new, fields), _fmts(spec),
                              o.rows_seen if o.sheet is not None else 0, _table_name(name),
                              _widths(spec))
        plan.add(append)
        return append
    if not o.foreign and not o.extra_headers:
        rows: Any = RecordRows(records, fields)
    else:
        rows = _with_kept_rows(o, records, fields)
    op = _replace(spec, rows, after, out, o.extra_headers)
    plan.add(op)
    return op


def _status_dropdown(plan: p.WritePlan, op: p.ReplaceSheet | p.AppendRows) -> None:
    """Shipments' Status data rows offer the words the rules know (a word off the list
    gets Excel's warning, and the run's `unknown_shipment_status`)."""
    if not isinstance(op, p.ReplaceSheet):
        return
    col = s.SHIPMENTS.headers.index(s.SHIPMENTS.col("status").header) + 1
    plan.add(p.ListValidation(op.name, col, 2, max(len(op.rows) + 1, 2),
                              (READY, SHIPPED, CANCELLED), s.SHIPMENTS.col("status").header))


def _with_kept_rows(o: Owned, records: Sequence[Any], fields: list[str]) -> list[list[Any]]:
    """Records and the rows kept as typed (each after the record it followed), every row
    with its values in the user's own columns."""
    get = attrgetter(*fields)
    width = len(o.extra_headers)
    blank = [None] * width
    by_anchor: dict[Any, list[list[Any]]] = {}
    for f in o.foreign:
        by_anchor.setdefault(f.anchor, []).append(f.values)
    rows = list(by_anchor.pop(None, []))
    for r in records:
        got = get(r)
        row = list(got) if len(fields) > 1 else [got]
        key = o.key(r)
        rows.append(row + (o.extras.get(key, blank) if width else []))
        rows += by_anchor.pop(key, [])
    for left in by_anchor.values():  # the record they followed is gone
        rows += left
    return rows


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
    placer = _Placer(layout, loaded, s.ORDERS.name)
    n = layout.n_rows
    first = layout.header_row + 1
    cols: list[tuple[int, str, list[Any], p.Fmt]] = []
    widths: dict[int, float] = {}
    placed: dict[str, int] = {}
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
            col = placer.line_col()
            placer.width(widths, col, s.ORDERS.col("line"), "Line")
            cols.append((col, "Line", values, "int"))
    wanted = ["status", "reserved", "backordered", "shipped", "shipment", "invoice"]
    if "price" in result.steps:
        wanted = ["status", "price", "net", "tax", "total", "currency", "reserved",
                  "backordered", "shipped", "shipment", "invoice", "explain"]
    columns = _outcome_columns(result.outcomes, first, n, wanted)
    for c in s.ORDER_TOOL_COLUMNS:
        if c.field in columns:
            col, header = placer.col(c.header)
            placer.width(widths, col, c, header)
            cols.append((col, header, columns[c.field], c.fmt))
            placed[c.field] = col
    op = p.UpdateColumns(loaded.sheet_names["Orders"], layout.header_row, cols, layout.table,
                         widths)
    render_formats.orders(op, placed, columns)
    plan.add(op)


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
    placer = _Placer(layout, loaded, s.INVENTORY.name)
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
    cols = []
    widths: dict[int, float] = {}
    for c, values in zip(s.INVENTORY_TOOL_COLUMNS, (res_v, avail_v)):
        col, header = placer.col(c.header)
        placer.width(widths, col, c, header)
        cols.append((col, header, values, c.fmt))
    if changed and "on_hand" in layout.columns:
        # On Hand is a user column: write only the cells that changed, keep the rest as typed
        cells = {}
        for x in result.book.inventory:
            if before.get(x.row) != x.on_hand:
                cells[(x.row, layout.columns["on_hand"])] = x.on_hand
        plan.add(p.SetCells(loaded.sheet_names["Inventory"], cells))
    plan.add(p.UpdateColumns(loaded.sheet_names["Inventory"], layout.header_row, cols,
                             layout.table, widths))


def _set_setting(plan: p.WritePlan, loaded: Loaded, fld: str, value: Any) -> None:
    """Write `value` into the Settings Value cell of field `fld`, adding its Key row (or
    the whole sheet) when the book has none."""
    key = s.SETTING[fld].label
    where = loaded.settings_cells.get(fld)
    raw = loaded.settings_raw
    if where and raw is not None and where in loaded.formulas.get(raw.name, ()):
        return  # the user's formula stays (load said so: setting_is_formula)
    if where:
        plan.add(p.SetCells(loaded.sheet_names.get(s.SETTINGS_SHEET, s.SETTINGS_SHEET),
                            {where: value}))
    elif raw is not None:
        row = raw.header_row + len(raw.rows) + 1
        plan.add(p.SetCells(raw.name, {(row, raw.first_col): key, (row, raw.first_col + 1): value}))
    else:
        plan.add(p.ReplaceSheet(s.SETTINGS_SHEET, ["Key", "Value"], [[key, value]], [None, None],
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
        old = loaded.old_marks.get(sheet, {})
        if marks or old:
            restore = {rc: f for rc, f in old.items() if f is not None}
            plan.add(p.MarkCells(sheet, marks, set(old), restore))
        # The fill a cell had before its first mark stays noted while it is marked (the
        # engine notes it for a cell marked now for the first time: Fill left blank).
        state_rows += [[sheet, a1(r, c), old.get((r, c))] for (r, c) in sorted(marks)]
    if state_rows or loaded.old_marks:
        plan.add(p.ReplaceSheet(p.STATE_SHEET, ["Sheet", "Cell", "Fill"], state_rows,
                                ["text", "text", "text"], None, None, [], hidden=True))
