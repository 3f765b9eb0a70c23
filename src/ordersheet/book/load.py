"""Turn the raw sheets an engine read into a typed `OrderBook` plus the layout needed to
write results back, collecting every coercion problem as an Issue."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter
from typing import Any, Callable, Iterable, Mapping

from ..domain import models as m
from ..domain.issues import Issue, warning
from . import schema as s
from .owned import Owned, reconcile
from .ownership import TOOL_SHEETS, Ownership, sheet_reads_as
from .raw import CellError, RawSheet, a1, split_a1
from .plan import RECORDS_SHEET, STATE_SHEET
from .state import OWNED_SPECS, PRICE_LOCKS, PROCESSED_RETURNS, ToolState, read_state

RECORD_OF = {
    s.ORDERS.name: m.OrderLine, s.PRODUCTS.name: m.Product, s.INVENTORY.name: m.StockLevel,
    s.CUSTOMERS.name: m.Customer, s.PRICE_RULES.name: m.PriceRule, s.TAX_RATES.name: m.TaxRate,
    s.FX_RATES.name: m.FxRate, s.SHIPPING_RATES.name: m.ShippingRate,
    s.PAYMENTS.name: m.Payment, s.RETURNS.name: m.ReturnLine,
    s.MESSAGE_TEMPLATES.name: m.MessageTemplate,
}
FIELD_OF = {
    s.ORDERS.name: "orders", s.PRODUCTS.name: "products", s.INVENTORY.name: "inventory",
    s.CUSTOMERS.name: "customers", s.PRICE_RULES.name: "price_rules",
    s.TAX_RATES.name: "tax_rates", s.FX_RATES.name: "fx_rates",
    s.SHIPPING_RATES.name: "shipping_rates", s.PAYMENTS.name: "payments",
    s.RETURNS.name: "returns", s.RESERVATIONS.name: "reservations",
    s.SHIPMENTS.name: "shipments", s.SHIPMENT_LINES.name: "shipment_lines",
    s.INVOICES.name: "invoices", s.INVOICE_LINES.name: "invoice_lines",
    s.MESSAGE_TEMPLATES.name: "message_templates",
    s.COMMUNICATION_LOG.name: "communication_log",
    s.RECONCILIATION.name: "reconciliation",
}
READ_SPECS = s.INPUT_SHEETS
OWNED_ORDER = (s.RESERVATIONS.name, s.SHIPMENTS.name, s.SHIPMENT_LINES.name, s.INVOICES.name,
               s.INVOICE_LINES.name, s.STOCK_LEDGER.name, s.AUDIT_LOG.name,
               s.COMMUNICATION_LOG.name, s.RECONCILIATION.name)
"""ordersheet's record sheets, in the order they are read back (a document before its
lines)."""
OPTIONAL_WHEN_EMPTY = {s.TAX_RATES.name, s.SHIPPING_RATES.name, s.PRICE_RULES.name,
                       s.FX_RATES.name}
EXTRA_COLS = {s.ORDERS.name: s.ORDER_TOOL_COLUMNS, s.INVENTORY.name: s.INVENTORY_TOOL_COLUMNS,
              s.RETURNS.name: s.RETURNS_TOOL_COLUMNS}
REFUSED_KEYS = {s.PRODUCTS.name: ("sku",), s.INVENTORY.name: ("sku",),
                s.CUSTOMERS.name: ("customer_id",), s.FX_RATES.name: ("currency",),
                s.TAX_RATES.name: ("country", "tax_class")}
"""The master sheets whose refused rows are remembered (`OrderBook.refused`), by the
fields the rules look them up by."""


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
    settings_raw: RawSheet | None = None
    workbook_sheets: set[str] = field(default_factory=set)
    """Every sheet name in the workbook."""
    old_marks: dict[str, dict[tuple[int, int], str | None]] = field(default_factory=dict)
    """Cells ordersheet highlighted on an earlier run (from its hidden state sheet), with
    the fill each had of its own before (None: not known)."""
    state: ToolState = field(default_factory=ToolState)
    ownership: Ownership | None = None
    owned: dict[str, Owned] = field(default_factory=dict)
    """ordersheet's record sheets as read back against its records (`book.owned`)."""
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    """The book's name of a user sheet -> its cells that hold a formula (where the engine
    can tell): ordersheet never writes into them."""
    statement_raw: RawSheet | None = None
    """The Bank Statement sheet a user pasted a bank's export onto (`book.statement`)."""


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


def tool_columns(raw: RawSheet, spec: s.SheetSpec, own: Ownership) -> tuple[s.Col, ...]:
    """The sheet's tool columns under the headers ordersheet gave them on this book (its
    `Total` is `Total (ordersheet)` where the user has a Total of their own)."""
    cols = EXTRA_COLS.get(spec.name, ())
    if not cols:
        return ()
    layout = _header_layout(raw)
    return tuple(replace(c, header=own.column(spec.name, c.header, layout)[0]) for c in cols)


SIGNS = {"$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"), "€": ("EUR",),
         "£": ("GBP",), "¥": ("JPY", "CNY"), "₹": ("INR",)}
"""A currency sign typed with a Unit Price, and the currencies it can mean."""


def _price_signs(raw: RawSheet, layout: s.SheetLayout) -> dict[int, tuple[str, str]]:
    """Excel row -> (sign, text) for Unit Price cells typed as text with a currency sign."""
    col = layout.columns.get("unit_price")
    if col is None:
        return {}
    j, out = col - raw.first_col, {}
    for i, row in enumerate(raw.rows):
        v = row[j] if j < len(row) else None
        if isinstance(v, str):
            sign = next((c for c in v if c in SIGNS), None)
            if sign:
                out[layout.excel_row(i)] = (sign, v.strip())
    return out


def _sign_mismatches(signs: dict[int, tuple[str, str]], data: dict[str, Any]) -> list[Issue]:
    """`¥249` typed on a USD order: the number is taken in the order's currency, and the
    sign that says otherwise is reported at the cell."""
    if not signs:
        return []
    currency = {c.customer_id: c.currency for c in data.get("customers", ())}
    out = []
    for ln in data.get("orders", ()):
        got = signs.get(ln.row)
        ccy = currency.get(ln.customer_id)
        if got and ccy and ccy not in SIGNS[got[0]]:
            out.append(warning(
                "currency_sign_mismatch", "Orders", ln.cell("unit_price"),
                f"Unit Price '{got[1]}' is typed with {got[0]}, but order {ln.order_id} is in "
                f"{ccy} (customer {ln.customer_id}): the number is taken as {ccy}; check it",
                ln.order_id))
    return out


def _fold(text: str) -> str:
    return text.strip().casefold()


def _spellings(ids) -> dict[str, str]:
    """casefolded ID -> the master sheet's spelling, for IDs that differ only in case from
    no other (two SKUs `ab-1` and `AB-1` match nothing loosely)."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for x in ids:
        f = _fold(x)
        if f in out and out[f] != x:
            clash.add(f)
        out.setdefault(f, x)
    for f in clash:
        del out[f]
    return out


def _ids_as_spelled(data: dict[str, Any]) -> None:
    """IDs as users type them: `tent-2p` on Orders or Inventory is Products' `TENT-2P`,
    `c-1001` is Customers' `C-1001`. The cells keep what was typed; the run (and what it
    writes: shipment and invoice lines) uses the master sheet's spelling."""
    skus = {p.sku for p in data.get("products", ())}
    customers = {c.customer_id for c in data.get("customers", ())}
    for name, field, known in (("orders", "sku", skus), ("orders", "customer_id", customers),
                               ("inventory", "sku", skus)):
        if name in data:
            data[name] = _respelled(data[name], field, known)


def _respelled(records: tuple, field: str, known: set[str]) -> tuple:
    """`records` with `field` in its master spelling where only the case (or surrounding
    spaces) differ; untouched, and not copied, when every value is known."""
    get = attrgetter(field)
    unknown = {v for v in map(get, records) if v} - known
    spelled = _spellings(known) if unknown else {}
    fixes = {v: spelled[_fold(v)] for v in unknown if _fold(v) in spelled}
    if not fixes:
        return records
    return tuple(r.model_copy(update={field: fixes[get(r)]}) if get(r) in fixes else r
                 for r in records)


def _uncalculated(issues: list[Issue], formulas: set[tuple[int, int]]) -> list[Issue]:
    """An empty required cell that holds a formula was saved without its calculated value
    (written by a program that does not calculate): say that, not "is empty"."""
    out = []
    for i in issues:
        if i.code == "missing_value" and i.cell and split_a1(i.cell) in formulas:
            header = i.message.removesuffix(" is empty")
            i = i.model_copy(update={
                "code": "formula_not_calculated",
                "message": f"{header}: a formula without a calculated value (the book was "
                           "saved by a program that does not calculate): open it in Excel, "
                           "save, and run again"})
        out.append(i)
    return out


def _parse(raw: RawSheet, spec: s.SheetSpec, extra: tuple[s.Col, ...],
           column_map: Mapping[str, str] | None = None) -> s.ParsedSheet:
    """`schema.parse_sheet` with the sheet's tool columns. Orders' write-only tool columns
    (half the width of a processed Orders sheet) are only located, not coerced: their
    values are dropped anyway, and coercing them can only matter (an Issue, a bad row) when
    a cell there shows an Excel error, in which case they are coerced as before."""
    if spec is not s.ORDERS or _has_error_cells(raw, extra[1:]):
        return s.parse_sheet(raw, spec, extra, column_map)
    parsed = s.parse_sheet(raw, spec, extra[:1], column_map)
    for c in extra[1:]:  # where parse_sheet would have put them
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


def load(raws: Mapping[str, RawSheet], workbook_sheets: Iterable[str] | None = None
         ) -> Loaded:
    """Read every contract sheet that exists, and ordersheet's own sheets against its
    records. Never raises on user data; refuses (`WorkbookError`) a book whose own record
    of what was posted is damaged, or an owned sheet it cannot read and has no record of.
    `workbook_sheets`: every sheet name in the book (default: those in `raws`)."""
    workbook = set(workbook_sheets if workbook_sheets is not None else raws)
    state = read_state(find_sheet(raws, RECORDS_SHEET))
    legacy = not state.found and any(
        s.norm(n) in (s.norm(s.AUDIT_LOG.name), s.norm(STATE_SHEET)) for n in workbook)
    own = Ownership(state, legacy, workbook)
    issues: list[Issue] = []
    data: dict[str, Any] = {}
    layouts: dict[str, s.SheetLayout] = {}
    names: dict[str, str] = {}
    present: set[str] = set()
    bad_order_rows: set[int] = set()
    formulas: dict[str, set[tuple[int, int]]] = {}
    refused: dict[tuple[str, str], str] = {}
    settings_raw = find_sheet(raws, s.SETTINGS_SHEET)
    column_map, map_issues = s.parse_column_map(settings_raw, READ_SPECS)
    signs: dict[int, tuple[str, str]] = {}  # Unit Price cells typed with a currency sign
    for spec in READ_SPECS:
        raw = find_sheet(raws, spec.name)
        if raw is None:
            continue
        names[spec.name] = raw.name
        if raw.extra.get("formulas"):
            formulas[raw.name] = raw.extra["formulas"]
        parsed = _parse(raw, spec, tool_columns(raw, spec, own), column_map.get(spec.name))
        if raw.extra.get("formulas"):
            parsed.issues[:] = _uncalculated(parsed.issues, raw.extra["formulas"])
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
            signs = _price_signs(raw, parsed.layout)
            # Every order row becomes a line, bad ones too (validation reports them).
            data[FIELD_OF[spec.name]] = tuple(s.build_records(
                model, parsed, (c.field for c in s.ORDER_TOOL_COLUMNS[1:]),
                {"status": ("status_in", _text_or_blank)}))
            continue
        # The issue says why; master rows with bad cells are not used.
        refused.update(_refused(spec, parsed))
        data[FIELD_OF[spec.name]] = tuple(s.build_records(
            model, parsed, (c.field for c in EXTRA_COLS.get(spec.name, ())), {},
            skip=parsed.bad_rows))
    settings, s_issues, where = s.parse_settings(settings_raw)
    issues.extend(s_issues + map_issues)
    if settings_raw is not None:
        present.add(s.SETTINGS_SHEET)
        names[s.SETTINGS_SHEET] = settings_raw.name
        if settings_raw.extra.get("formulas"):
            formulas[settings_raw.name] = settings_raw.extra["formulas"]
            counter = where.get("next_invoice_number")
            if counter in formulas[settings_raw.name]:  # never written over (render): say so
                issues.append(warning(
                    "setting_is_formula", settings_raw.name, a1(*counter),
                    "Next Invoice Number holds a formula, so ordersheet does not move it on; "
                    "invoice numbers continue after the last one in use"))
    owned = _read_owned(raws, own)
    taken: set[str] = set()
    for name, o in owned.items():
        issues.extend(o.issues)
        taken |= o.taken
        if o.sheet is not None:
            present.add(name)
            names[name] = o.sheet
        if name in FIELD_OF:
            data[FIELD_OF[name]] = tuple(o.records)
    # Inventory without a Warehouse column: one warehouse MAIN (CONTRACT §3).
    if "inventory" in data:
        data["inventory"] = tuple(
            x if x.warehouse else x.model_copy(update={"warehouse": "MAIN"})
            for x in data["inventory"])
    _ids_as_spelled(data)
    issues.extend(_sign_mismatches(signs, data))
    data["price_locks"] = tuple(state.records.get(PRICE_LOCKS, ()))
    data["processed_returns"] = tuple(state.records.get(PROCESSED_RETURNS, ()))
    if "orders" in data and layouts.get(s.ORDERS.name) is not None:
        data["orders"] = _shipments_typed(data["orders"], owned, raws, names, own)
        data["orders"] = _prices_cleared(data["orders"], data["price_locks"], raws, names,
                                         own)
        data["orders"] = _cancel_reasons(data["orders"], raws[names[s.ORDERS.name]])
    book = m.OrderBook(**data, settings=settings, present=frozenset(present),
                       taken_ids=frozenset(taken), refused=refused)
    for name in TOOL_SHEETS:  # where each of ordersheet's sheets goes, and why
        own.decide(name)
    issues.extend(own.issues)
    own.issues.clear()
    loaded = Loaded(book, issues, layouts, names, bad_order_rows, where, settings_raw,
                    workbook, state=state, ownership=own, owned=owned, formulas=formulas)
    loaded.statement_raw = find_sheet(raws, STATEMENT_SHEET)
    marks = raws.get(STATE_SHEET) if STATE_SHEET in workbook else None
    if marks is not None:
        heads = [str(h or "").strip().lower() for h in marks.header]
        fill = heads.index("fill") if "fill" in heads else None
        for r in marks.rows:
            if len(r) >= 2 and isinstance(r[0], str) and isinstance(r[1], str) and r[1]:
                try:
                    rc = split_a1(r[1])
                except ValueError:
                    continue
                token = r[fill] if fill is not None and fill < len(r) else None
                loaded.old_marks.setdefault(r[0], {})[rc] = \
                    ("" if token is None else str(token)) if fill is not None else None
    return loaded


def _refused(spec: s.SheetSpec, parsed: s.ParsedSheet) -> dict[tuple[str, str], str]:
    """(sheet, key) -> `Sheet!A1` of the first refused cell, for each row of a master sheet
    in `REFUSED_KEYS` that is left out for a bad cell but whose key could be read."""
    fields = REFUSED_KEYS.get(spec.name)
    if not fields or not parsed.bad_rows:
        return {}
    first_bad: dict[int, str] = {}
    for i in parsed.issues:
        try:
            first_bad.setdefault(split_a1(i.cell)[0], i.cell)
        except ValueError:
            continue
    out: dict[tuple[str, str], str] = {}
    for k, i in enumerate(parsed.index):
        cell = first_bad.get(parsed.layout.excel_row(i)) if i in parsed.bad_rows else None
        key = [parsed.columns[f][k] for f in fields] if cell else None
        if key and all(key):
            out.setdefault((spec.name, "/".join(key)), f"{parsed.layout.name}!{cell}")
    return out


def _read_owned(raws: Mapping[str, RawSheet], own: Ownership) -> dict[str, Owned]:
    """Each record sheet read back against ordersheet's records (`book.owned`)."""
    state = own.state
    out: dict[str, Owned] = {}
    ships = state.records.get(s.SHIPMENTS.name, []) if state.found else []
    docs = {
        s.SHIPMENT_LINES.name: frozenset(x.shipment_id for x in ships),
        s.INVOICE_LINES.name: frozenset(
            x.invoice_no for x in state.records.get(s.INVOICES.name, [])),
    }
    posted = frozenset(x.shipment_id for x in ships if x.posted_on is not None)
    for name in OWNED_ORDER:
        spec = OWNED_SPECS[name][0]
        real = own.sheet_of(name)
        records = state.records.get(name) if name in state.sheets else None
        raw = raws[real] if real is not None and real in raws else None
        if real is None:
            # Not ordersheet's sheet yet: a sheet of the user's with this name is taken
            # over when it reads as one (invoices typed in before ordersheet), else left.
            cand = find_sheet(raws, name)
            if cand is not None and sheet_reads_as(cand, spec):
                own.take(name, cand.name)
                raw = cand
                if not own.legacy and cand.rows:
                    own.issues.append(warning(
                        "record_adopted", cand.name, "",
                        f"the sheet '{cand.name}' was not made by ordersheet; its rows are "
                        f"taken as ordersheet's {name} from now on"))
        if raw is None and records is None:
            out[name] = Owned(name, None, [])
            continue
        out[name] = reconcile(name, raw, records, tool_docs=docs.get(name, frozenset()),
                              posted_ids=posted, fields=state.fields.get(name))
    return out


def _shipments_typed(lines: tuple[m.OrderLine, ...], owned: dict[str, Owned],
                     raws: Mapping[str, RawSheet], names: dict[str, str],
                     own: Ownership) -> tuple[m.OrderLine, ...]:
    """When a dispatched order line is no longer on Orders under its (Order ID, Line),
    the rows that name a shipment in ordersheet's Shipment column are told which
    (`shipment_in`): validation finds the line that was renamed or renumbered there."""
    ships = owned[s.SHIPMENTS.name].records
    posted = {x.shipment_id for x in ships if x.posted_on is not None}
    if not posted:
        return lines
    dispatched = {(sl.order_id, sl.line) for sl in owned[s.SHIPMENT_LINES.name].records
                  if sl.shipment_id in posted}
    if dispatched <= {(ln.order_id, ln.line) for ln in lines}:
        return lines
    cell_of = _orders_tool_cells(raws[names[s.ORDERS.name]], "Shipment", own)
    if cell_of is None:
        return lines
    out = list(lines)
    for k, ln in enumerate(out):
        if (ln.order_id, ln.line) in dispatched:
            continue
        cell = cell_of(ln.row)
        if isinstance(cell, str) and cell.strip():
            out[k] = ln.model_copy(update={"shipment_in": cell.strip()})
    return tuple(out)


def _prices_cleared(lines: tuple[m.OrderLine, ...], locks: tuple[m.PriceLock, ...],
                    raws: Mapping[str, RawSheet], names: dict[str, str],
                    own: Ownership) -> tuple[m.OrderLine, ...]:
    """Lines with a locked price whose Price cell on Orders is blank are told so
    (`price_cleared`): the domain re-prices them when ordersheet had filled that cell.
    Orders without ordersheet's Price column has nothing cleared."""
    if not locks:
        return lines
    cell_of = _orders_tool_cells(raws[names[s.ORDERS.name]], "Price", own)
    if cell_of is None:
        return lines
    locked = {(x.order_id, x.line) for x in locks}
    out = list(lines)
    for k, ln in enumerate(out):
        if (ln.order_id, ln.line) in locked and s.is_blank(cell_of(ln.row)):
            out[k] = ln.model_copy(update={"price_cleared": True})
    return tuple(out)


CANCEL_REASON = "Cancel Reason"
"""An optional column of the user's on Orders: why a line typed `Cancelled` is cancelled.
Read only for such lines, and not in the template (most books never need it)."""


def _cancel_reasons(lines: tuple[m.OrderLine, ...], raw: RawSheet) -> tuple[m.OrderLine, ...]:
    """Lines typed `Cancelled` with the text of their Cancel Reason cell, when Orders has
    that column."""
    j = next((k for k, h in enumerate(raw.header) if s.norm(h) == s.norm(CANCEL_REASON)), None)
    if j is None:
        return lines
    first = raw.header_row + 1
    out = list(lines)
    for k, ln in enumerate(out):
        i = ln.row - first
        if ln.status_in == "Cancelled" and 0 <= i < len(raw.rows) and j < len(raw.rows[i]):
            v = raw.rows[i][j]
            if v is not None and str(v).strip():
                out[k] = ln.model_copy(update={"cancel_reason": str(v).strip()})
    return tuple(out)


def _orders_tool_cells(raw: RawSheet, header: str, own: Ownership
                       ) -> Callable[[int], Any] | None:
    """Excel row -> the raw cell of ordersheet's tool column `header` on Orders (`raw`),
    under the name it has in this book; None when Orders lacks the column."""
    written, _ = own.column(s.ORDERS.name, header, _header_layout(raw), register=False)
    j = next((k for k, h in enumerate(raw.header) if s.norm(h) == s.norm(written)), None)
    if j is None:
        return None
    rows, first = raw.rows, raw.header_row + 1

    def cell(row: int) -> Any:
        i = row - first
        return rows[i][j] if 0 <= i < len(rows) and j < len(rows[i]) else None

    return cell


def _header_layout(raw: RawSheet) -> s.SheetLayout:
    headers: dict[str, int] = {}
    for j, h in enumerate(raw.header):
        headers.setdefault(s.norm(h), raw.first_col + j)
    return s.SheetLayout(raw.name, raw.header_row, raw.first_col, len(raw.rows), {}, headers)


STATEMENT_SHEET = "Bank Statement"
"""Where a bank's export is pasted in Excel (`book.statement`, which imports it)."""
CONTRACT_SHEETS = tuple(spec.name for spec in READ_SPECS) + OWNED_ORDER + (
    s.SETTINGS_SHEET, STATE_SHEET, RECORDS_SHEET, STATEMENT_SHEET)


def sheets_to_read(names: list[str]) -> list[str]:
    """The workbook's own names of the sheets ordersheet reads (each read once): the
    contract's, and ordersheet's own written under another name (`Invoices (ordersheet)`)
    where the user had a sheet of that name."""
    wanted = {s.norm(n) for n in CONTRACT_SHEETS}
    return [n for n in names if s.norm(n) in wanted or s.norm(_base_name(n)) in wanted]


def _base_name(name: str) -> str:
    """`Invoices (ordersheet 2)` -> `Invoices`."""
    head, sep, tail = name.rpartition(" (ordersheet")
    return head if sep and tail.endswith(")") else name


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
        if r2 >= first and r1 <= last and raw.first_col <= c1 < raw.first_col + len(raw.header):
            out.append(warning("merged_cells", raw.name, top_left,
                               f"cells {ref} are merged: only {top_left} holds a value, the "
                               "other cells of the range read as empty"))
    grown = raw.extra.get("table_grown")
    if grown:
        table, top, bottom = grown
        out.append(warning("table_extended", raw.name, a1(top, raw.first_col),
                           f"{bottom - top + 1} row(s) typed directly under the table "
                           f"{table} (rows {top}-{bottom}) are read as part of it; the table "
                           "is extended over them when the book is saved"))
    hidden = [r for r in raw.extra.get("hidden_rows", ()) if first <= r <= last]
    if hidden:
        shown = ", ".join(map(str, hidden[:10])) + (" ..." if len(hidden) > 10 else "")
        out.append(warning("hidden_rows", raw.name, a1(hidden[0], raw.first_col),
                           f"{len(hidden)} hidden row(s) ({shown}) are processed like the "
                           "others"))
    return out


__all__ = ["Loaded", "load", "find_sheet", "a1"]
