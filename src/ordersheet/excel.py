"""ordersheet inside Excel: the xlwings scripts behind the buttons, and the custom functions.

Scripts (`@script`, listed by xlwings Lite and run from the classic ribbon add-in) are thin:
wrap the book in the live-book engine, run the same use case as the CLI (`app.execute`),
print a short summary. Results land in the workbook; problems on the Issues sheet and as
highlighted, annotated cells.

Custom functions (`@func`) price a hypothetical line, look up stock and total a line from
ranges the user passes in. The ranges are read with the same sheet rules as a run
(`block_from_grid` + `load`), and a bad argument answers with a readable message in the
cell, never a traceback.

This module must import in Pyodide (xlwings Lite): no threads, no processes, no
`xlwings.pro`. Where xlwings has no runtime for its decorators (Linux without xlwings
Lite/Server) they are plain no-ops, so the functions stay ordinary Python functions.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import OrderedDict
from typing import Any, Callable, Optional, Sequence

import xlwings as xw

from . import app
from .book import load as loader
from .book import schema as s
from .book.port import WorkbookError
from .book.raw import block_from_grid
from .book.xlwings import XlwingsBook, cell_in
from .domain import money, pricing
from .domain.rates import Rates


def _identity_decorator(f: Any = None, *args: Any, **kwargs: Any) -> Any:
    if callable(f):
        return f
    return lambda g: g


def _identity_arg(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    return lambda g: g


script = getattr(xw, "script", None) or _identity_decorator
func = getattr(xw, "func", None) or _identity_decorator
arg = getattr(xw, "arg", None) or _identity_arg


def _clock() -> dt.datetime:
    """The wall clock (tests replace it to make runs reproducible)."""
    return dt.datetime.now()


def _user() -> str:
    """Who ran it, for the Audit Log; Excel on the web has no OS user (Settings `User` or
    'ordersheet' is used then)."""
    if sys.platform == "emscripten":
        return ""
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no login name available: the pipeline falls back to Settings
        return ""


def _as_date(value: Any) -> dt.date:
    if value is None or value == "":
        return _clock().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return s.to_date(value)


def _run(book: Any, operation: str, as_of: Any, *, dispatch: bool = False,
         dispatch_ids: Optional[Sequence[str]] = None,
         cancel: Optional[app.CancelRequest] = None) -> Optional[app.Outcome]:
    try:
        today = _as_date(as_of)
    except s.Bad as b:
        print(f"ordersheet: as_of: {b.message}")
        return None
    now = _clock().replace(microsecond=0)  # the clock; `today` the business date
    try:
        outcome = app.execute(XlwingsBook(book), operation, today=today, now=now, user=_user(),
                              dispatch=dispatch, dispatch_ids=dispatch_ids, cancel=cancel)
    except WorkbookError as e:
        print(f"ordersheet: {e}")
        return None
    if outcome.result.idle:  # nothing was written: say why
        for i in outcome.result.issues:
            if i.code in ("already_shipped", "unknown_order") or i.sheet == "Returns":
                print(str(i))
        print("Nothing was changed.")
        return outcome
    print(app.run_summary(outcome.result).text())  # for the output pane
    return outcome


# ---- scripts (buttons) ---------------------------------------------------------------------


@script
def validate_orders(book: xw.Book, as_of: Optional[dt.date] = None):
    """Check orders and master data; list every problem on the Issues sheet."""
    return _run(book, "validate", as_of)


@script
def price_orders(book: xw.Book, as_of: Optional[dt.date] = None):
    """Validate, then price the order lines and check credit limits."""
    return _run(book, "price", as_of)


@script
def reserve_stock(book: xw.Book, as_of: Optional[dt.date] = None):
    """Validate, price, then reserve stock against the Inventory sheet."""
    return _run(book, "reserve", as_of)


@script
def plan_shipments(book: xw.Book, as_of: Optional[dt.date] = None):
    """Validate, price, reserve, then plan shipments, the pick list and packing slips."""
    return _run(book, "ship", as_of)


@script
def dispatch_shipments(book: xw.Book, shipment_ids: str = "",
                       as_of: Optional[dt.date] = None):
    """Confirm dispatch of Ready shipments (all, or the comma-separated IDs given) and
    invoice them."""
    ids = [x.strip() for x in str(shipment_ids or "").replace(";", ",").split(",") if x.strip()]
    return _run(book, "dispatch", as_of, dispatch=True, dispatch_ids=ids or None)


@script
def create_invoices(book: xw.Book, as_of: Optional[dt.date] = None):
    """Invoice the shipments marked Shipped."""
    return _run(book, "invoice", as_of)


@script
def process_orders(book: xw.Book, dispatch: bool = False, as_of: Optional[dt.date] = None):
    """Everything in order: validate, price, reserve, ship, (dispatch), invoice."""
    return _run(book, "run", as_of, dispatch=bool(dispatch))


@script
def refresh_dashboard(book: xw.Book, as_of: Optional[dt.date] = None):
    """Everything (as process_orders, no dispatch), then rebuild the Dashboard (KPIs and
    charts), Reorder and Bottlenecks sheets as of the date."""
    return _run(book, "report", as_of)


@script
def reconcile_payments(book: xw.Book, as_of: Optional[dt.date] = None):
    """Process orders, import the Bank Statement sheet's incoming payments (when there is
    one), match payments to invoices: Reconciliation, Invoices Paid/Balance/Status, AR
    Aging."""
    return _run(book, "reconcile", as_of)


@script
def cancel_order(book: xw.Book, order_id: str, reason: str = "", line: int = 0,
                 as_of: Optional[dt.date] = None):
    """Cancel an order (or only `line`): release its reserved stock and withdraw its Ready
    shipments, with `reason` in the Stock Ledger and Audit Log. A dispatched line cannot
    be cancelled: record a return instead."""
    if isinstance(order_id, float) and order_id.is_integer():  # a number typed as the ID
        order_id = int(order_id)
    request = app.CancelRequest(str(order_id or "").strip(), int(line or 0) or None,
                                str(reason or "").strip())
    return _run(book, "cancel", as_of, cancel=request)


@script
def process_returns(book: xw.Book, as_of: Optional[dt.date] = None):
    """Process the new rows of the Returns sheet: stock back On Hand (Resellable), one
    credit note each, exchange lines added to Orders."""
    return _run(book, "returns", as_of)


@script
def show_document(book: xw.Book, doc_id: str = ""):
    """Show one invoice (INV-00001) or packing slip (SHP-00001) on its print sheet; with
    no ID, the one named in the selected cell."""
    doc = str(doc_id or "").strip()
    if not doc:
        try:
            doc = str(book.selection.value or "").strip()
        except Exception:  # no cell selection (a shape, a chart): ask for the ID instead
            doc = ""
    if not doc:
        print("ordersheet: give an invoice number (INV-00001) or a shipment ID (SHP-00001),"
              " or select a cell that holds one")
        return None
    try:
        return app.show_document(XlwingsBook(book), doc)
    except app.DocumentNotFound:
        print(f"ordersheet: no invoice or shipment '{doc}' in this workbook")
    except WorkbookError as e:
        print(f"ordersheet: {e}")
    return None


@script
def customer_updates(book: xw.Book, as_of: Optional[dt.date] = None):
    """Tell customers what they have not been told yet (order confirmed, backordered,
    dispatched, invoiced, overdue): the Customer Updates sheet lists each message with a
    link that opens it in your mail program, and Communication Log records it. (Excel
    cannot send mail itself: `ordersheet notify --send` does, from a computer.)"""
    try:
        today = _as_date(as_of)
    except s.Bad as b:
        print(f"ordersheet: as_of: {b.message}")
        return None
    now = _clock().replace(microsecond=0)
    try:
        done = app.notify(XlwingsBook(book), today=today, now=now, user=_user())
    except WorkbookError as e:
        print(f"ordersheet: {e}")
        return None
    _mail_links(book, done)
    print(done.text())
    return done


def _mail_links(book: xw.Book, done: app.NotifyOutcome) -> None:
    """Each message's Mail Link cell becomes a link that opens it in the mail program
    (one action per message: a notify run makes a handful, not thousands)."""
    from .book.updates import LINK_COLUMN

    sheet = next((sh for sh in book.sheets if sh.name == done.sheet), None)
    if sheet is None:
        return
    for row, msg in enumerate(done.messages, start=2):
        sheet.range((row, LINK_COLUMN)).add_hyperlink(msg.mailto(), f"Write to {msg.email}")


# ---- custom functions ------------------------------------------------------------------------


def _grid(value: Any) -> list[list[Any]]:
    """A range argument as a 2-D list of raw-sheet values."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        value = [[value]]
    elif value and not isinstance(value[0], (list, tuple)):
        value = [value]
    return [[cell_in(None if v == "" else v) for v in row] for row in value]


def _freeze(grid: list[list[Any]]) -> tuple:
    return tuple(tuple(row) for row in grid)


_BOOKS: "OrderedDict[tuple, loader.Loaded]" = OrderedDict()
"""The last few master-data sets, so a column of =ORDER_PRICE(...) cells sharing the same
ranges parses them once (and `_pricer` indexes them once)."""
_PRICERS: "OrderedDict[int, tuple[loader.Loaded, pricing.Pricer]]" = OrderedDict()


def _load(ranges: dict[str, Any]) -> loader.Loaded:
    grids = {name: _grid(v) for name, v in ranges.items() if v is not None}
    key = tuple(sorted((name, _freeze(g)) for name, g in grids.items()))
    hit = _BOOKS.get(key)
    if hit is not None:
        _BOOKS.move_to_end(key)
        return hit
    raws = {name: block_from_grid(name, g) for name, g in grids.items()}
    loaded = loader.load(raws)
    _BOOKS[key] = loaded
    while len(_BOOKS) > 8:
        _BOOKS.popitem(last=False)
    return loaded


def _pricer(loaded: loader.Loaded) -> pricing.Pricer:
    """The price rules and rates of a master-data set from `_load`, indexed once."""
    hit = _PRICERS.get(id(loaded))
    if hit is None or hit[0] is not loaded:  # the entry holds `loaded`: its id stays its own
        hit = _PRICERS[id(loaded)] = (loaded, pricing.Pricer(loaded.book, Rates(loaded.book)))
        while len(_PRICERS) > 8:
            _PRICERS.popitem(last=False)
    return hit[1]


class _Refusal(Exception):
    """A custom function's readable answer to an argument it cannot use."""


def _require_columns(loaded: loader.Loaded, sheet: str, label: str) -> None:
    for i in loaded.issues:
        if i.sheet == sheet and i.code == "missing_column":
            raise _Refusal(f"{label}: {i.message}")


def _answer(name: str, compute: Callable[[], Any]) -> Any:
    try:
        return compute()
    except _Refusal as r:
        return f"{name}: {r}"
    except s.Bad as b:
        return f"{name}: {b.message}"
    except Exception as e:  # a cell must show a message, never a Python traceback
        return f"{name}: cannot compute ({type(e).__name__}: {e})"


def _parse(label: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """An argument through its sheet-column parser; a bad one names the argument."""
    try:
        return parse(value)
    except s.Bad as b:
        raise _Refusal(f"{label}: {b.message}") from None


def _text(v: Any) -> str:
    if v is None:
        return ""
    return s.to_text(cell_in(v))


@func
@arg("sku", doc="SKU of the product")
@arg("quantity", doc="ordered quantity (a whole number)")
@arg("customer_id", doc="Customer ID (blank: general price in the base currency)")
@arg("products", ndim=2, doc="the Products table, header row included")
@arg("price_rules", ndim=2, doc="the Price Rules table, header row included (optional)")
@arg("customers", ndim=2, doc="the Customers table, header row included (optional)")
@arg("fx_rates", ndim=2, doc="the FX Rates table, header row included (optional)")
@arg("settings", ndim=2, doc="the Settings Key/Value range (optional: Base Currency)")
@arg("order_date", doc="date the price applies on (default: today)")
def order_price(sku, quantity, customer_id, products, price_rules=None, customers=None,
                fx_rates=None, settings=None, order_date=None):
    """Unit price of a SKU for a quantity and customer, by ordersheet's price rules."""

    def compute():
        if products is None:
            raise _Refusal("pass the Products table (with its header row)")
        ranges = {"Products": products, "Price Rules": price_rules, "Customers": customers,
                  "FX Rates": fx_rates, "Settings": settings}
        loaded = _load(ranges)
        _require_columns(loaded, "Products", "products")
        for sheet, label in (("Price Rules", "price_rules"), ("Customers", "customers"),
                             ("FX Rates", "fx_rates")):
            _require_columns(loaded, sheet, label)
        cust = _text(customer_id)
        if cust and customers is None:
            raise _Refusal("pass the Customers table to price for a customer")
        on = _parse("order_date", _as_date, order_date)
        price, _, why = pricing.unit_price_for(_text(sku), cell_in(quantity), cust,
                                               _pricer(loaded), on)
        if price is None:
            raise _Refusal(why)
        return float(price)

    return _answer("ORDER_PRICE", compute)


@func
@arg("sku", doc="SKU of the product")
@arg("inventory", ndim=2, doc="the Inventory table, header row included")
@arg("warehouse", doc="only this warehouse (default: all)")
def stock_available(sku, inventory, warehouse=None):
    """Units of a SKU available (On Hand minus Reserved) in an inventory range."""

    def compute():
        if inventory is None:
            raise _Refusal("pass the Inventory table (with its header row)")
        loaded = _load({"Inventory": inventory})
        _require_columns(loaded, "Inventory", "inventory")
        layout = loaded.layouts["Inventory"]
        raw = block_from_grid("Inventory", _grid(inventory))
        res_col = layout.headers.get(s.norm("Reserved"))
        want_sku = _text(sku)
        want_wh = _text(warehouse).casefold()
        total, found = 0, False
        for x in loaded.book.inventory:
            if x.sku != want_sku or (want_wh and x.warehouse.casefold() != want_wh):
                continue
            found = True
            reserved = 0
            if res_col is not None:
                cells = raw.rows[x.row - raw.header_row - 1]
                j = res_col - raw.first_col
                if j < len(cells) and not s.is_blank(cells[j]):
                    reserved = _parse("inventory Reserved", s.to_whole, cells[j])
            total += x.on_hand - reserved
        if not found:
            where = f" in warehouse '{_text(warehouse)}'" if want_wh else ""
            raise _Refusal(f"SKU '{want_sku}' is not in the inventory range{where}")
        return total

    return _answer("STOCK_AVAILABLE", compute)


def _rounding_mode(settings: Any) -> str:
    """The Rounding Mode of a Settings Key/Value range (half-up without one), read as a
    run reads the Settings sheet; a bad value is refused with the sheet's message."""
    if settings is None:
        return "half-up"
    loaded = _load({"Settings": settings})
    for i in loaded.issues:
        if i.sheet == s.SETTINGS_SHEET and i.cell == loaded.book.settings.cells.get(
                "rounding_mode"):
            raise _Refusal(f"settings: {i.message}")
    return loaded.book.settings.rounding_mode


@func
@arg("quantity", doc="quantity (a whole number)")
@arg("unit_price", doc="unit price")
@arg("tax_rate", doc="tax rate: 0.2, 20 or 20% (default 0)")
@arg("currency", doc="ISO currency code for rounding (default USD)")
@arg("settings", ndim=2, doc="the Settings Key/Value range (optional: Rounding Mode)")
def line_total(quantity, unit_price, tax_rate=0, currency="USD", settings=None):
    """Line total: Net (quantity x unit price, rounded) plus Tax, as ordersheet totals."""

    def compute():
        # Excel hands numbers over as doubles: 3.0 is read as the sheets read it, 3.
        qty = _parse("quantity", s.to_quantity, cell_in(quantity))
        price = _parse("unit_price", s.to_money, cell_in(unit_price))
        rate = (_parse("tax_rate", s.to_percent, cell_in(tax_rate))
                if not s.is_blank(tax_rate) else money.ZERO)
        ccy = _parse("currency", s.to_code, currency) if not s.is_blank(currency) else "USD"
        if not money.is_known_currency(ccy):
            raise _Refusal(f"'{ccy}' is not an ISO currency code")
        amounts = money.line_amounts(price, qty, rate, ccy, _rounding_mode(settings))
        return float(amounts.total)

    return _answer("LINE_TOTAL", compute)


@func
@arg("customer_id", doc="Customer ID")
@arg("invoices", ndim=2, doc="the Invoices table, header row included")
@arg("currency", doc="only invoices in this currency (default: all)")
def open_balance(customer_id, invoices, currency=None):
    """What a customer still owes: the Balance of their invoices, as the last run settled."""

    def compute():
        from .domain import models as m
        from .domain.payments import open_balance as balance

        if invoices is None:
            raise _Refusal("pass the Invoices table (with its header row)")
        parsed = s.parse_sheet(block_from_grid("Invoices", _grid(invoices)), s.INVOICES)
        if not parsed.usable:
            raise _Refusal("invoices: " + "; ".join(
                i.message for i in parsed.issues if i.code == "missing_column"))
        rows = s.build_records(m.Invoice, parsed, skip=parsed.bad_rows)
        ccy = _parse("currency", s.to_code, currency) if not s.is_blank(currency) else None
        return float(balance(rows, _text(customer_id), ccy))

    return _answer("OPEN_BALANCE", compute)


__all__ = ["validate_orders", "price_orders", "reserve_stock", "plan_shipments",
           "dispatch_shipments", "create_invoices", "process_orders", "show_document",
           "customer_updates", "refresh_dashboard", "reconcile_payments", "cancel_order",
           "process_returns", "order_price", "stock_available", "line_total", "open_balance"]
