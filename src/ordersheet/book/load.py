"""Turn the raw sheets an engine read into a typed `OrderBook` plus the layout needed to
write results back, collecting every coercion problem as an Issue."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ..domain import models as m
from ..domain.issues import Issue, warning
from . import schema as s
from .raw import CellError, RawSheet, a1, split_a1

RECORD_OF = {
    s.ORDERS.name: m.OrderLine, s.PRODUCTS.name: m.Product, s.INVENTORY.name: m.StockLevel,
    s.CUSTOMERS.name: m.Customer, s.PRICE_RULES.name: m.PriceRule, s.TAX_RATES.name: m.TaxRate,
    s.FX_RATES.name: m.FxRate, s.SHIPPING_RATES.name: m.ShippingRate,
    s.PAYMENTS.name: m.Payment, s.RETURNS.name: m.ReturnLine,
    s.RESERVATIONS.name: m.Reservation, s.SHIPMENTS.name: m.Shipment,
    s.SHIPMENT_LINES.name: m.ShipmentLine, s.INVOICES.name: m.Invoice,
    s.INVOICE_LINES.name: m.InvoiceLine,
}
FIELD_OF = {
    s.ORDERS.name: "orders", s.PRODUCTS.name: "products", s.INVENTORY.name: "inventory",
    s.CUSTOMERS.name: "customers", s.PRICE_RULES.name: "price_rules",
    s.TAX_RATES.name: "tax_rates", s.FX_RATES.name: "fx_rates",
    s.SHIPPING_RATES.name: "shipping_rates", s.PAYMENTS.name: "payments",
    s.RETURNS.name: "returns", s.RESERVATIONS.name: "reservations",
    s.SHIPMENTS.name: "shipments", s.SHIPMENT_LINES.name: "shipment_lines",
    s.INVOICES.name: "invoices", s.INVOICE_LINES.name: "invoice_lines",
}
READ_SPECS = s.INPUT_SHEETS + (s.RESERVATIONS, s.SHIPMENTS, s.SHIPMENT_LINES, s.INVOICES,
                               s.INVOICE_LINES)
OPTIONAL_WHEN_EMPTY = {s.TAX_RATES.name, s.SHIPPING_RATES.name, s.PRICE_RULES.name,
                       s.FX_RATES.name}
EXTRA_COLS = {s.ORDERS.name: s.ORDER_TOOL_COLUMNS, s.INVENTORY.name: s.INVENTORY_TOOL_COLUMNS}


@dataclass
class Loaded:
    book: m.OrderBook
    issues: list[Issue]
    layouts: dict[str, s.SheetLayout] = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)
    """contract name -> the name the sheet actually has in the workbook."""
    bad_order_rows: set[int] = field(default_factory=set)
    """Excel rows of Orders whose cells failed coercion."""
    settings_cells: dict[str, tuple[int, int]] = field(default_factory=dict)
    ledger_rows: int = 0
    audit_rows: int = 0
    settings_raw: RawSheet | None = None
    workbook_sheets: set[str] = field(default_factory=set)
    """Every sheet name in the workbook (set by whoever read it)."""
    old_marks: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    """Cells ordersheet highlighted on an earlier run (from its hidden state sheet)."""


def find_sheet(raws: dict[str, RawSheet], name: str) -> RawSheet | None:
    real = _find_name(raws, name)
    return None if real is None else raws[real]


def _find_name(by_name: dict[str, Any], name: str) -> str | None:
    """The key of `by_name` that is sheet `name` (its exact name, else matched like a
    header)."""
    if name in by_name:
        return name
    want = s.norm(name)
    return next((k for k in by_name if s.norm(k) == want), None)


WRITE_ONLY_ORDER_COLUMNS = s.ORDER_TOOL_COLUMNS[1:]
"""Orders tool columns ordersheet writes and never reads back (Status it does read)."""


def _parse(raw: RawSheet, spec: s.SheetSpec) -> s.ParsedSheet:
    """`schema.parse_sheet` with the sheet's tool columns. Orders' write-only tool columns
    (half the width of a processed Orders sheet) are only located, not coerced: their
    values are dropped anyway, and coercing them can only matter (an Issue, a bad row) when
    a cell there shows an Excel error, in which case they are coerced as before."""
    extra = EXTRA_COLS.get(spec.name, ())
    if spec is not s.ORDERS or _has_error_cells(raw, WRITE_ONLY_ORDER_COLUMNS):
        return s.parse_sheet(raw, spec, extra)
    parsed = s.parse_sheet(raw, spec, extra[:1])
    for c in WRITE_ONLY_ORDER_COLUMNS:  # where parse_sheet would have put them
        col = parsed.layout.headers.get(s.norm(c.header))
        if col is not None:
            parsed.layout.columns[c.field] = col
    return parsed


def _has_error_cells(raw: RawSheet, cols: tuple[s.Col, ...]) -> bool:
    first: dict[str, int] = {}
    for j, h in enumerate(raw.header):
        first.setdefault(s.norm(h), j)
    for c in cols:
        j = first.get(s.norm(c.header))
        if j is None:
            continue
        try:
            types = set(map(type, map(itemgetter(j), raw.rows)))
        except IndexError:  # rows of unequal length (not from block_from_grid)
            types = {type(r[j]) for r in raw.rows if j < len(r)}
        if any(issubclass(t, CellError) for t in types):
            return True
    return False


def _text_or_blank(values: Any) -> list[str]:
    return [v or "" for v in values]


def _records(model: type, parsed: s.ParsedSheet, drop: Any,
             rename: dict[str, tuple[str, Any]], skip: set[int] | tuple = ()) -> list[Any]:
    """The parsed rows as `model` records, leaving out the fields in `drop` and the rows
    whose raw index (`_i`) is in `skip`; `rename` maps a parsed field to (record field,
    function applied to the whole column). Built column-wise (`models.build_rows`): no dict
    per row, the same records as `model(**row)`."""
    if not parsed.records:  # nothing read (e.g. a required column is missing)
        return []
    drop = set(drop) | {"_i"}
    by_column = parsed.records.by_column
    keep = None
    if skip:
        keep = [k for k, i in enumerate(by_column["_i"]) if i not in skip]
    columns: dict[str, Any] = {}
    for name, values in by_column.items():
        if name in drop:
            continue
        if keep is not None:
            values = [values[k] for k in keep]
        if name in rename:
            name, fix = rename[name]
            values = fix(values)
        columns[name] = values
    return m.build_rows(model, columns)


def load(raws: dict[str, RawSheet], row_counts: dict[str, int] | None = None) -> Loaded:
    """Read every contract sheet that exists. Never raises on user data. The log sheets
    (`LOG_SHEETS`) may come as a row count (`row_counts`, by the workbook's sheet name)
    instead of a sheet: only their length is used."""
    issues: list[Issue] = []
    data: dict[str, Any] = {}
    layouts: dict[str, s.SheetLayout] = {}
    names: dict[str, str] = {}
    present: set[str] = set()
    bad_order_rows: set[int] = set()
    for spec in READ_SPECS:
        raw = find_sheet(raws, spec.name)
        if raw is None:
            continue
        names[spec.name] = raw.name
        parsed = _parse(raw, spec)
        # An optional rate sheet left empty (as the template ships it) is not "a Tax Rates
        # sheet" in CONTRACT terms: a new book must not fail every line for missing tax.
        if parsed.records or spec.name not in OPTIONAL_WHEN_EMPTY:
            present.add(spec.name)
        issues.extend(parsed.issues)
        issues.extend(_layout_warnings(raw))
        layouts[spec.name] = parsed.layout
        model = RECORD_OF[spec.name]
        if spec is s.ORDERS:
            bad_order_rows = {parsed.layout.excel_row(i) for i in parsed.bad_rows}
            if not parsed.usable:
                bad_order_rows = {parsed.layout.excel_row(i) for i in range(len(raw.rows))}
            # Every order row becomes a line, bad ones too (validation reports them).
            data[FIELD_OF[spec.name]] = tuple(_records(
                model, parsed, (c.field for c in s.ORDER_TOOL_COLUMNS[1:]),
                {"status": ("status_in", _text_or_blank)}))
            continue
        # The issue says why; master rows with bad cells are not used.
        data[FIELD_OF[spec.name]] = tuple(_records(
            model, parsed, (c.field for c in EXTRA_COLS.get(spec.name, ())), {},
            skip=parsed.bad_rows))
    settings_raw = find_sheet(raws, s.SETTINGS_SHEET)
    settings, s_issues, where = s.parse_settings(settings_raw)
    issues.extend(s_issues)
    if settings_raw is not None:
        present.add(s.SETTINGS_SHEET)
        names[s.SETTINGS_SHEET] = settings_raw.name
    logs: dict[str, tuple[str, int]] = {}
    for extra_name in LOG_SHEETS:
        raw = find_sheet(raws, extra_name)
        if raw is not None:
            logs[extra_name] = (raw.name, len(raw.rows))
        else:
            real = _find_name(row_counts or {}, extra_name)
            if real is not None:
                logs[extra_name] = (real, row_counts[real])
        if extra_name in logs:
            present.add(extra_name)
            names[extra_name] = logs[extra_name][0]
    # Inventory without a Warehouse column: one warehouse MAIN (CONTRACT §3).
    if "inventory" in data:
        data["inventory"] = tuple(
            x if x.warehouse else x.model_copy(update={"warehouse": "MAIN"})
            for x in data["inventory"])
    book = m.OrderBook(**data, settings=settings, present=frozenset(present))
    loaded = Loaded(book, issues, layouts, names, bad_order_rows, where)
    for extra_name, attr in zip(LOG_SHEETS, ("ledger_rows", "audit_rows")):
        if extra_name in logs:
            setattr(loaded, attr, logs[extra_name][1])
    loaded.settings_raw = settings_raw
    state = raws.get(STATE_SHEET)
    if state is not None:
        for r in state.rows:
            if len(r) >= 2 and isinstance(r[0], str) and isinstance(r[1], str) and r[1]:
                try:
                    loaded.old_marks.setdefault(r[0], set()).add(split_a1(r[1]))
                except ValueError:
                    continue
    return loaded


STATE_SHEET = "_ordersheet"
LOG_SHEETS = (s.STOCK_LEDGER.name, s.AUDIT_LOG.name)
"""Sheets ordersheet appends to and never reads back: only their row count matters."""
CONTRACT_SHEETS = tuple(spec.name for spec in READ_SPECS) + (
    s.SETTINGS_SHEET, STATE_SHEET)


def sheets_to_read(names: list[str]) -> list[str]:
    """The workbook's own names of the sheets ordersheet reads (each read once)."""
    wanted = {s.norm(n) for n in CONTRACT_SHEETS}
    return [n for n in names if s.norm(n) in wanted]


def sheets_to_count(names: list[str]) -> list[str]:
    """The workbook's own names of the log sheets, whose rows are counted, not read."""
    wanted = {s.norm(n) for n in LOG_SHEETS}
    return [n for n in names if s.norm(n) in wanted]


def _layout_warnings(raw: RawSheet) -> list[Issue]:
    """Merged cells and hidden rows inside a data block are read like any other cells,
    which may not be what the person who merged or hid them meant: say so once."""
    out: list[Issue] = []
    first, last = raw.header_row + 1, raw.header_row + len(raw.rows)
    for ref in raw.extra.get("merged", ()):
        top_left, _, bottom_right = ref.partition(":")
        try:
            r1, c1 = split_a1(top_left)
            r2, _ = split_a1(bottom_right or top_left)
        except ValueError:
            continue
        if r2 >= first and r1 <= last and c1 >= raw.first_col:
            out.append(warning("merged_cells", raw.name, top_left,
                               f"cells {ref} are merged: only {top_left} holds a value, the "
                               "other cells of the range read as empty"))
    hidden = [r for r in raw.extra.get("hidden_rows", ()) if first <= r <= last]
    if hidden:
        shown = ", ".join(map(str, hidden[:10])) + (" ..." if len(hidden) > 10 else "")
        out.append(warning("hidden_rows", raw.name, a1(hidden[0], raw.first_col),
                           f"{len(hidden)} hidden row(s) ({shown}) are processed like the "
                           "others"))
    return out


__all__ = ["Loaded", "load", "find_sheet", "a1"]
