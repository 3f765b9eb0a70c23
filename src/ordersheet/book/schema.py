"""The sheet and column contract (CONTRACT §2-§5) and cell -> typed value coercion.

This is where floats stop: every number becomes `Decimal` or `int` through `str()`, every
date a `datetime.date`, and every value keeps the A1 address of the cell it came from.
Problems become Issues with stable codes; a bad cell never raises.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, Callable, Iterator, Optional, Sequence

from ..domain import models as m
from ..domain.issues import Issue, error
from ..domain.records import build_rows
from .raw import CellError, RawSheet, a1, col_letter

# ---- header matching ----------------------------------------------------------------

_IGNORED = re.compile(r"[\s_\-.#]+")


def norm(header: Any) -> str:
    """`Order ID` = `order_id` = `OrderId` = `order-id`."""
    return _IGNORED.sub("", str(header or "")).lower()


# ---- cell coercion --------------------------------------------------------------------


class Bad(Exception):
    """A cell that cannot be read as its column's type (internal to this module)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


_NUM_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_CURRENCY_MARKS = "$€£¥₹ \u00a0"


def to_decimal(v: Any) -> Decimal:
    """A number cell or number-as-text (`"1,234.50"`, `" 12 "`, `"$9.99"`) -> Decimal."""
    if isinstance(v, CellError):
        raise Bad("bad_number", f"the cell shows the error {v}")
    if isinstance(v, bool):
        raise Bad("bad_number", f"expected a number, found {v}")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise Bad("bad_number", "expected a number")
        return Decimal(repr(v)) if abs(v) < 1e15 else Decimal(str(v))
    if isinstance(v, Decimal):
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        raise Bad("bad_number", f"expected a number, found the date {v:%Y-%m-%d}")
    text = str(v).strip().strip(_CURRENCY_MARKS)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if not text or not _NUM_TEXT.match(text) or not any(c.isdigit() for c in text):
        raise Bad("bad_number", f"'{str(v)[:40]}' is not a number")
    try:
        d = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise Bad("bad_number", f"'{str(v)[:40]}' is not a number")
    return -d if negative else d


def to_whole(v: Any) -> int:
    d = to_decimal(v)
    if d != d.to_integral_value():
        raise Bad("bad_number", f"{d} is not a whole number")
    return int(d)


def to_quantity(v: Any) -> int:
    try:
        d = to_decimal(v)
    except Bad as b:
        raise Bad("bad_quantity", f"must be a whole number above 0 ({b.message})")
    if d != d.to_integral_value() or d <= 0:
        raise Bad("bad_quantity", f"must be a whole number above 0, found {d}")
    if d > 10**9:
        raise Bad("bad_quantity", f"{d} is not a believable quantity")
    return int(d)


def to_money(v: Any) -> Decimal:
    d = to_decimal(v)
    if d < 0:
        raise Bad("bad_number", f"amount {d} is negative")
    if abs(d.as_tuple().exponent) > 12 or d > Decimal(10) ** 15:  # type: ignore[operator]
        raise Bad("bad_number", f"amount {d} is not believable")
    return d


def to_signed_money(v: Any) -> Decimal:
    return to_decimal(v)


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def to_date(v: Any) -> dt.date:
    """Excel date cells, ISO text (`2026-11-03`, `2026-11-03T00:00:00.000Z` from Office.js),
    or a serial number from a cell without a date format."""
    if isinstance(v, CellError):
        raise Bad("bad_date", f"the cell shows the error {v}")
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        raise Bad("bad_date", f"expected a date, found {v}")
    if isinstance(v, (int, float)):
        if 10000 <= v <= 2958465 and float(v).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(v))
        raise Bad("bad_date", f"{v} is not a date")
    text = str(v).strip()
    mt = _ISO_DATE.match(text)
    if mt:
        try:
            return dt.date(int(mt.group(1)), int(mt.group(2)), int(mt.group(3)))
        except ValueError:
            pass
    raise Bad("bad_date", f"'{text[:40]}' is not a date (use a date cell or YYYY-MM-DD)")


def to_datetime(v: Any) -> dt.datetime:
    """A timestamp cell (the log sheets' Timestamp), to the second: Excel keeps a time as a
    fraction of a day, which comes back a microsecond off."""
    if isinstance(v, dt.datetime):
        return _to_second(v)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 10000 <= v <= 2958466:
        return _to_second(dt.datetime(1899, 12, 30) + dt.timedelta(days=float(v)))
    if isinstance(v, str):
        try:
            return _to_second(dt.datetime.fromisoformat(v.strip().rstrip("Z")))
        except ValueError:
            pass
    raise Bad("bad_date", f"'{str(v)[:40]}' is not a date and time")


def _to_second(v: dt.datetime) -> dt.datetime:
    if v.microsecond:
        v = v.replace(microsecond=0) + dt.timedelta(seconds=v.microsecond >= 500_000)
    return v.replace(tzinfo=None)


def to_percent(v: Any) -> Decimal:
    """A fraction: below 1 a number is a fraction, from 1 percent points; `10%` is 0.1."""
    if isinstance(v, str) and v.strip().endswith("%"):
        d = to_decimal(v.strip()[:-1])
        frac = d / 100
    else:
        d = to_decimal(v)
        frac = d if abs(d) < 1 else d / 100
    if frac < 0 or frac > 1:
        raise Bad("bad_number", f"{v} is not a percentage between 0 and 100")
    return frac


_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    text = str(v).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Bad("bad_value", f"'{str(v)[:40]}' is not Yes or No")


def to_text(v: Any) -> str:
    if isinstance(v, CellError):
        raise Bad("bad_value", f"the cell shows the error {v}")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def to_code(v: Any) -> str:
    return to_text(v).upper()


def to_lower_text(v: Any) -> str:
    return to_text(v).lower()


def to_priority(v: Any) -> str:
    text = to_text(v).strip().lower()
    for p in m.PRIORITIES:
        if text == p.lower() or (text and p.lower().startswith(text)):
            return p
    raise Bad("bad_value", f"must be High, Normal or Low, found '{str(v)[:20]}'")


# ---- the sheet contract ---------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    field: str
    header: str
    parse: Callable[[Any], Any] = to_text
    required: bool = False
    default: Any = None
    fmt: str | None = None
    """Excel number format for writing ("date", "money", "int", "pct", "text")."""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    cols: tuple[Col, ...]
    key: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def col(self, field_name: str) -> Col:
        for c in self.cols:
            if c.field == field_name:
                return c
        raise KeyError(field_name)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.cols]


T, D, MNY = "text", "date", "money"

ORDERS = SheetSpec("Orders", (
    Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole),
    Col("order_date", "Order Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text, True),
    Col("sku", "SKU", to_text, True),
    Col("quantity", "Quantity", to_quantity, True, fmt="int"),
    Col("unit_price", "Unit Price", to_money, fmt=MNY),
    Col("requested_date", "Requested Date", to_date, fmt=D),
    Col("priority", "Priority", to_priority, default="Normal"),
    Col("warehouse", "Warehouse", to_text),
    Col("ship_method", "Ship Method", to_text),
    Col("notes", "Notes", to_text, default="", fmt=T),
), key=("order_id", "line"))

def _lenient(v: Any) -> str:
    """Tool-managed cells are ours: read them back without raising."""
    return "" if v is None else str(v).strip()


# Tool-managed columns on Orders (CONTRACT §5), in the order they are added.
ORDER_TOOL_COLUMNS: tuple[Col, ...] = (
    Col("status", "Status", _lenient),
    Col("price", "Price", fmt="price"),
    Col("net", "Net", fmt=MNY),
    Col("tax", "Tax", fmt=MNY),
    Col("total", "Total", fmt=MNY),
    Col("currency", "Currency"),
    Col("reserved", "Reserved", fmt="int"),
    Col("backordered", "Backordered", fmt="int"),
    Col("shipped", "Shipped", fmt="int"),
    Col("shipment", "Shipment"),
    Col("invoice", "Invoice"),
    Col("explain", "Price Explained"),
)

PRODUCTS = SheetSpec("Products", (
    Col("sku", "SKU", to_text, True),
    Col("description", "Description", to_text, default=""),
    Col("list_price", "List Price", to_money, True, fmt=MNY),
    Col("weight", "Weight", to_money, default=Decimal(0)),
    Col("tax_class", "Tax Class", to_lower_text, default="standard"),
    Col("active", "Active", to_bool, default=True),
), key=("sku",))

INVENTORY = SheetSpec("Inventory", (
    Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, default="MAIN"),
    Col("on_hand", "On Hand", to_whole, True, fmt="int"),
    Col("bin", "Bin", to_text, default=""),
    Col("reorder_point", "Reorder Point", to_whole),
    Col("reorder_qty", "Reorder Qty", to_whole),
    Col("lead_time_days", "Lead Time Days", to_whole),
), key=("sku", "warehouse"))

INVENTORY_TOOL_COLUMNS = (Col("reserved", "Reserved", fmt="int"),
                          Col("available", "Available", fmt="int"))

CUSTOMERS = SheetSpec("Customers", (
    Col("customer_id", "Customer ID", to_text, True),
    Col("name", "Name", to_text, default=""),
    Col("email", "Email", to_text, default=""),
    Col("country", "Country", to_code, default=""),
    Col("currency", "Currency", to_code, default=""),
    Col("credit_limit", "Credit Limit", to_money, fmt=MNY),
    Col("payment_terms_days", "Payment Terms Days", to_whole, default=30),
    Col("discount", "Discount %", to_percent, fmt="pct"),
    Col("tax_exempt", "Tax Exempt", to_bool, default=False),
    Col("on_hold", "On Hold", to_bool, default=False),
    Col("ship_to", "Ship To", to_text, default=""),
    Col("bill_to", "Bill To", to_text, default=""),
), key=("customer_id",))

PRICE_RULES = SheetSpec("Price Rules", (
    Col("sku", "SKU", to_text),
    Col("customer_id", "Customer ID", to_text),
    Col("min_qty", "Min Qty", to_whole, default=1),
    Col("unit_price", "Unit Price", to_money, fmt=MNY),
    Col("discount", "Discount %", to_percent, fmt="pct"),
    Col("currency", "Currency", to_code, default=""),
    Col("valid_from", "Valid From", to_date, fmt=D),
    Col("valid_to", "Valid To", to_date, fmt=D),
))

TAX_RATES = SheetSpec("Tax Rates", (
    Col("country", "Country", to_code, True),
    Col("tax_class", "Tax Class", to_lower_text, True),
    Col("rate", "Rate %", to_percent, True, fmt="pct"),
), key=("country", "tax_class"))

FX_RATES = SheetSpec("FX Rates", (
    Col("currency", "Currency", to_code, True),
    Col("rate", "Rate", to_money, True),
), key=("currency",))

SHIPPING_RATES = SheetSpec("Shipping Rates", (
    Col("carrier", "Carrier", to_text, True),
    Col("service", "Service", to_text, True),
    Col("country", "Country", to_code, default="*"),
    Col("max_weight", "Max Weight", to_money),
    Col("cost", "Cost", to_money, True, fmt=MNY),
    Col("transit_days", "Transit Days", to_whole, default=0),
))

PAYMENTS = SheetSpec("Payments", (
    Col("payment_id", "Payment ID", to_text, True),
    Col("date", "Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text),
    Col("amount", "Amount", to_signed_money, True, fmt=MNY),
    Col("currency", "Currency", to_code, default=""),
    Col("reference", "Reference", to_text, default=""),
), key=("payment_id",))

RETURNS = SheetSpec("Returns", (
    Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole),
    Col("sku", "SKU", to_text),
    Col("quantity", "Quantity", to_quantity, True),
    Col("date", "Date", to_date, True, fmt=D),
    Col("reason", "Reason", to_text, default=""),
    Col("condition", "Condition", to_text, default="Resellable"),
))

INPUT_SHEETS = (ORDERS, PRODUCTS, INVENTORY, CUSTOMERS, PRICE_RULES, TAX_RATES, FX_RATES,
                SHIPPING_RATES, PAYMENTS, RETURNS)

# ---- sheets ordersheet writes (read back on the next run) -----------------------------

RESERVATIONS = SheetSpec("Reservations", (
    Col("order_id", "Order ID", to_text, True), Col("line", "Line", to_whole, True),
    Col("sku", "SKU", to_text, True), Col("warehouse", "Warehouse", to_text, True),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
    Col("reserved_on", "Reserved On", to_date, True, fmt=D),
))
SHIPMENTS = SheetSpec("Shipments", (
    Col("shipment_id", "Shipment ID", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("customer_id", "Customer ID", to_text, True),
    Col("warehouse", "Warehouse", to_text, True), Col("carrier", "Carrier", to_text, default=""),
    Col("service", "Service", to_text, default=""), Col("country", "Country", to_text, default=""),
    Col("weight", "Weight", to_money, default=Decimal(0)),
    Col("cost", "Cost", to_money, default=Decimal(0), fmt=MNY),
    Col("planned_on", "Planned On", to_date, True, fmt=D),
    Col("status", "Status", to_text, default="Ready"),
    Col("shipped_on", "Shipped On", to_date, fmt=D),
    Col("tracking_no", "Tracking No", to_text, default="", fmt=T),
    Col("posted_on", "Posted On", to_date, fmt=D),
), key=("shipment_id",))
SHIPMENT_LINES = SheetSpec("Shipment Lines", (
    Col("shipment_id", "Shipment ID", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole, True), Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, True),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
))
PICK_LIST = SheetSpec("Pick List", (
    Col("shipment_id", "Shipment ID"), Col("warehouse", "Warehouse"), Col("bin", "Bin"),
    Col("sku", "SKU"), Col("description", "Description"), Col("quantity", "Quantity", fmt="int"),
    Col("order_id", "Order ID"), Col("line", "Line"),
))
INVOICES = SheetSpec("Invoices", (
    Col("invoice_no", "Invoice No", to_text, True),
    Col("invoice_date", "Invoice Date", to_date, True, fmt=D),
    Col("due_date", "Due Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text, True),
    Col("customer_name", "Customer Name", to_text, default=""),
    Col("order_id", "Order ID", to_text, True),
    Col("shipment_id", "Shipment ID", to_text, default=""),
    Col("currency", "Currency", to_code, True),
    Col("net", "Net", to_signed_money, True, fmt=MNY),
    Col("tax", "Tax", to_signed_money, True, fmt=MNY),
    Col("shipping", "Shipping", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("total", "Total", to_signed_money, True, fmt=MNY),
    Col("paid", "Paid", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("balance", "Balance", to_signed_money, True, fmt=MNY),
    Col("status", "Status", to_text, default="Open"),
), key=("invoice_no",))
INVOICE_LINES = SheetSpec("Invoice Lines", (
    Col("invoice_no", "Invoice No", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole), Col("sku", "SKU", to_text, True),
    Col("description", "Description", to_text, default=""),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
    Col("unit_price", "Unit Price", to_signed_money, True, fmt="price"),
    Col("net", "Net", to_signed_money, True, fmt=MNY),
    Col("tax_rate", "Tax Rate", to_percent, True, fmt="pct"),
    Col("tax", "Tax", to_signed_money, True, fmt=MNY),
    Col("total", "Total", to_signed_money, True, fmt=MNY),
))
STOCK_LEDGER = SheetSpec("Stock Ledger", (
    Col("timestamp", "Timestamp", to_datetime, True, fmt="datetime"),
    Col("operation", "Operation", to_text, True), Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, True), Col("field", "Field", to_text, True),
    Col("change", "Change", to_whole, True, fmt="int"),
    Col("before", "Before", to_whole, True, fmt="int"),
    Col("after", "After", to_whole, True, fmt="int"),
    Col("order_id", "Order ID", to_text, default=""), Col("line", "Line", to_whole),
))
AUDIT_LOG = SheetSpec("Audit Log", (
    Col("timestamp", "Timestamp", to_datetime, True, fmt="datetime"),
    Col("user", "User", to_text, default=""), Col("operation", "Operation", to_text, True),
    Col("details", "Details", to_text, default=""),
))
ISSUES = SheetSpec("Issues", (
    Col("sheet", "Sheet"), Col("cell", "Cell"), Col("severity", "Severity"), Col("code", "Code"),
    Col("order_id", "Order ID"), Col("message", "Message"),
))

SETTINGS_SHEET = "Settings"

# Settings keys (normalised) -> (field, parser)
SETTINGS_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    norm("Company Name"): ("company_name", to_text),
    norm("Company Address"): ("company_address", to_text),
    norm("Base Currency"): ("base_currency", to_code),
    norm("Invoice Prefix"): ("invoice_prefix", to_text),
    norm("Next Invoice Number"): ("next_invoice_number", to_whole),
    norm("Credit Note Prefix"): ("credit_note_prefix", to_text),
    norm("Allocation Policy"): ("allocation_policy", lambda v: to_text(v).lower()),
    norm("Allow Partial"): ("allow_partial", to_bool),
    norm("Rounding Mode"): ("rounding_mode", lambda v: to_text(v).lower().replace("_", "-")),
    norm("Tax Rounding"): ("tax_rounding", lambda v: to_text(v).lower()),
    norm("Charge Shipping"): ("charge_shipping", to_bool),
    norm("Return Window Days"): ("return_window_days", to_whole),
    norm("Restocking Fee %"): ("restocking_fee", to_percent),
    norm("User"): ("user", to_text),
}
SETTINGS_ALLOWED = {
    "allocation_policy": ("fifo", "priority"),
    "rounding_mode": ("half-up", "half-even"),
    "tax_rounding": ("line", "invoice"),
}


# ---- reading a sheet into records ---------------------------------------------------------


@dataclass
class SheetLayout:
    """Where a sheet's columns are, so results can be written back beside them."""

    name: str
    header_row: int
    first_col: int
    n_rows: int
    columns: dict[str, int] = field(default_factory=dict)
    """field -> 1-based Excel column."""
    headers: dict[str, int] = field(default_factory=dict)
    """normalised header -> 1-based Excel column (every column of the block)."""
    last_col: int = 0
    table: str | None = None

    def excel_row(self, i: int) -> int:
        return self.header_row + 1 + i


class _Same(Sequence):
    """`n` times the same value (a column a sheet does not have: every row gets its default)."""

    __slots__ = ("value", "n")

    def __init__(self, value: Any, n: int):
        self.value, self.n = value, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.value] * len(range(*i.indices(self.n)))
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.value

    def __iter__(self) -> Iterator[Any]:
        return repeat(self.value, self.n)


class Records(Sequence):
    """The rows of a parsed sheet as dicts (field -> value, plus `row`, `cols` and `_i`),
    made afresh from the columns each time they are iterated: a 100,000-line sheet never
    holds 100,000 dicts at once, and a caller may pop keys from the dict it is given."""

    __slots__ = ("_keys", "_cols", "_n")

    def __init__(self, keys: tuple[str, ...], cols: tuple[Sequence[Any], ...], n: int):
        self._keys, self._cols, self._n = keys, cols, n

    def __len__(self) -> int:
        return self._n

    @property
    def by_column(self) -> dict[str, Sequence[Any]]:
        """The same rows as columns: key -> one value per row (what the dicts are made of)."""
        return dict(zip(self._keys, self._cols))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self._keys
        for values in zip(*self._cols):
            yield dict(zip(keys, values))

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return dict(zip(self._keys, (c[i] for c in self._cols)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Records, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Records({len(self)} rows: {', '.join(self._keys)})"


@dataclass
class ParsedSheet:
    spec: SheetSpec
    layout: SheetLayout
    records: Sequence[dict[str, Any]]
    """one dict per non-blank row: field -> value, plus 'row' (Excel row), 'cols' (field ->
    column letter, shared) and '_i' (index into the raw rows); see `Records`."""
    bad_rows: set[int]
    issues: list[Issue]
    usable: bool = True
    """False when a required column is missing: no row of this sheet can be trusted."""
    extra_cols: dict[str, int] = field(default_factory=dict)
    columns: dict[str, Sequence[Any]] = field(default_factory=dict)
    """The same values by column: field -> one value per record, in record order (every
    field of the spec, and each extra column the sheet has)."""
    index: Sequence[int] = ()
    """For each record, its index in the raw rows (`_i`; Excel row = header_row + 1 + i)."""


def _order_id_of(raw_row: list[Any], idx: Optional[int]) -> str:
    if idx is None or idx >= len(raw_row) or is_blank(raw_row[idx]):
        return ""
    try:
        return to_text(raw_row[idx])
    except Bad:
        return ""


# ---- column-wise coercion -------------------------------------------------------------------
#
# parse_sheet coerces a column at a time. A fast converter, chosen once per column by its
# parser, handles the common cells inline (a clean str, an int, a date from the reader) and
# marks every other cell _SLOW; those cells, and only those, then go through the full rules
# above (`is_blank`, the column's parser, its Issue). A fast path must return exactly what
# the parser returns for the cells it takes, and must never take a blank cell, except None
# in an optional column, which gets the column default as the full rules would give it.

_SLOW: Any = object()
_E15 = 10**15
_date, _datetime = dt.date, dt.datetime
_STR, _INT, _DATE = frozenset({str}), frozenset({int}), frozenset({dt.date})
Put = Callable[[str, str], str]
"""dict.setdefault of the sheet's intern table: 100,000 order lines name a few hundred
customers and SKUs, and each record then holds the one shared string."""


def _strings(col: list[Any], types: set[type], put: Put) -> list[Any] | None:
    """A column of non-blank strings, stripped and interned in C; None if it is not one."""
    if types == _STR:
        stripped = list(map(str.strip, col))
        if "" not in stripped:
            return list(map(put, stripped, stripped))
    return None


def _fast_text(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    # floats: the tool's own Price/Net/Tax/Total columns, read back on every later run
    return _strings(col, types, put) or [
        none if v is None else put(t, t) if (k := v.__class__) is str and (t := v.strip())
        else str(v) if k is int
        else (str(int(v)) if v.is_integer() else repr(v)) if k is float else _SLOW
        for v in col]


def _fast_lenient(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return _strings(col, types, put) or [
        none if v is None else put(t, t) if (k := v.__class__) is str and (t := v.strip())
        else str(v) if k is int else _SLOW for v in col]


def _fast_cased(case: Callable[[str], str]) -> Callable[..., list[Any]]:
    """The fast path of a text column stored stripped and in one case (`str.upper` for
    codes, `str.lower` for lower-case texts)."""
    def fast(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
        if types == _STR:
            texts = list(map(case, map(str.strip, col)))
            if "" not in texts:
                return list(map(put, texts, texts))
        return [none if v is None else put(t, t) if v.__class__ is str and (t := case(v.strip()))
                else _SLOW for v in col]
    return fast


_fast_code, _fast_lower = _fast_cased(str.upper), _fast_cased(str.lower)


def _fast_whole(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _INT:
        return col
    return [none if v is None else v if v.__class__ is int else _SLOW for v in col]


def _fast_quantity(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _INT and min(col) > 0 and max(col) <= 1_000_000_000:
        return col
    return [none if v is None else v if v.__class__ is int and 0 < v <= 1_000_000_000
            else _SLOW for v in col]


def _fast_money(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    # a float below 1e15 reprs positionally unless tiny ('1e-05'): its exponent is minus the
    # digits after the point, which to_money allows up to 12
    return [none if v is None else Decimal(v) if (k := v.__class__) is int and 0 <= v <= _E15
            else Decimal(r) if k is float and 0.0 <= v < 1e15 and "e" not in (r := repr(v))
            and len(r) - r.index(".") <= 13 else _SLOW for v in col]


def _fast_decimal(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return [none if v is None else Decimal(v) if (k := v.__class__) is int
            else Decimal(repr(v)) if k is float and -1e15 < v < 1e15 else _SLOW for v in col]


def _fast_date(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _DATE:  # date cells as the reader gives them: nothing to do
        return col
    return [none if v is None else v if (k := v.__class__) is _date
            else v.date() if k is _datetime else _SLOW for v in col]


def _fast_datetime(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return [none if v is None else v if v.__class__ is _datetime and not v.microsecond
            else _SLOW for v in col]


_FAST: dict[Callable[[Any], Any], Callable[..., list[Any]]] = {
    to_text: _fast_text, _lenient: _fast_lenient, to_code: _fast_code, to_lower_text: _fast_lower,
    to_whole: _fast_whole, to_quantity: _fast_quantity, to_money: _fast_money,
    to_signed_money: _fast_decimal, to_decimal: _fast_decimal, to_date: _fast_date, to_datetime: _fast_datetime,
}
# Types whose equal values always coerce alike, so one result per distinct value serves
# every cell holding it (not float: 0.0 == -0.0; not Decimal: 1 == 1.0; int xor bool).
_MEMO_TYPES = frozenset({type(None), str, int, bool, dt.date, dt.datetime, CellError})


def _memoised(parse: Callable[[Any], Any], col: list[Any], types: set[type],
              none: Any) -> list[Any] | None:
    """For a parser without a fast path (Priority, Yes/No, percent ...): parse each distinct
    value once when a long column holds few of them."""
    n = len(col)
    if n < 64:
        return None
    if not types <= _MEMO_TYPES or (int in types and bool in types):
        return None
    distinct = set(col)
    if len(distinct) * 16 > n:
        return None
    memo: dict[Any, Any] = {}
    for v in distinct:
        if v is None:
            memo[v] = none
        elif is_blank(v):
            memo[v] = _SLOW
        else:
            try:
                memo[v] = parse(v)
            except Bad:
                memo[v] = _SLOW  # each such cell gets its own Issue below
    return list(map(memo.__getitem__, col))


def _column(rows: list[list[Any]], j: int, width: int | None) -> list[Any]:
    """Column `j` of `rows` (None where a row is too short); `width` is the length of every
    row when they are all alike, else None."""
    if width is not None:
        return list(map(itemgetter(j), rows)) if j < width else [None] * len(rows)
    return [r[j] if j < len(r) else None for r in rows]


def _positions(values: list[Any], mark: Any) -> list[int]:
    """Where `mark` is in `values`, by identity, in C. (`list.index` would compare every
    value with `==` first: a Decimal compared with a foreign object goes through the
    numbers ABCs: 55 ms for a 134,000-row money column, against 8.5 ms this way.)"""
    return list(compress(range(len(values)), map(is_, values, repeat(mark))))


def _blank_rows(rows: list[list[Any]], first: list[Any] | None) -> list[int]:
    """Indices of the rows whose every cell is blank. Candidates come from the first column
    (`first`, None when the rows have no cells), checked in full; the first column alone
    usually clears every row."""
    if first is None:
        return [i for i, r in enumerate(rows) if all(is_blank(v) for v in r)]
    types = set(map(type, first))
    if not any(t is type(None) or issubclass(t, str) for t in types):
        return []
    if types == {str}:
        stripped = list(map(str.strip, first))
        if "" not in stripped:
            return []
        cand = [i for i, t in enumerate(stripped) if not t]
    else:
        cand = [i for i, v in enumerate(first) if is_blank(v)]
    return [i for i in cand if all(is_blank(v) for v in rows[i])]


def parse_sheet(raw: RawSheet, spec: SheetSpec, extra: tuple[Col, ...] = ()) -> ParsedSheet:
    """Coerce every cell of `raw` by `spec`; collect every problem as an Issue.

    Rows whose every cell is blank are skipped. Issues come in row order, and within a row
    in column order (the spec's, then `extra`'s)."""
    by_norm: dict[str, int] = {}
    issues: list[Issue] = []
    for j, h in enumerate(raw.header):
        key = norm(h)
        if not key:
            continue
        if key in by_norm:
            issues.append(error("duplicate_key", raw.name, a1(raw.header_row, raw.first_col + j),
                                f"column '{h}' appears twice; the first one is used"))
            continue
        by_norm[key] = j
    layout = SheetLayout(raw.name, raw.header_row, raw.first_col, len(raw.rows),
                         headers={k: raw.first_col + j for k, j in by_norm.items()},
                         last_col=max(raw.last_col, raw.first_col + len(raw.header) - 1),
                         table=raw.table)
    present: list[tuple[Col, int]] = []
    usable = True
    for c in spec.cols + extra:
        j = by_norm.get(norm(c.header))
        if j is None and c.field == "discount":
            j = by_norm.get(norm("Discount"))
        if j is None and c.field == "rate" and spec is TAX_RATES:
            j = by_norm.get(norm("Rate"))
        if j is None:
            if c.required:
                usable = False
                issues.append(error(
                    "missing_column", raw.name,
                    a1(raw.header_row, raw.first_col + len(raw.header)),
                    f"the {raw.name} sheet has no '{c.header}' column"))
            continue
        present.append((c, j))
        layout.columns[c.field] = raw.first_col + j
    if not usable:
        return ParsedSheet(spec, layout, [], set(range(len(raw.rows))), issues, False)

    rows = raw.rows
    n = len(rows)
    lengths = set(map(len, rows))
    width = next(iter(lengths)) if len(lengths) == 1 else None
    got: dict[int, list[Any]] = {}
    if width != 0 and n:
        got[0] = _column(rows, 0, width)
    blank = _blank_rows(rows, got.get(0))
    blank_set = set(blank)
    keep: Sequence[int] = range(n) if not blank else [i for i in range(n) if i not in blank_set]

    oid_idx = by_norm.get(norm("Order ID")) if spec is ORDERS or spec is RETURNS else None
    bad_rows: set[int] = set()
    found: list[tuple[int, int, Issue]] = []
    put = {}.setdefault
    columns: dict[str, Sequence[Any]] = {}
    for k, (c, j) in enumerate(present):
        col = got.pop(j, None) or _column(rows, j, width)
        none = _SLOW if c.required else c.default
        types = set(map(type, col))
        fast = _FAST.get(c.parse)
        vals = (fast(col, types, none, put) if fast is not None
                else _memoised(c.parse, col, types, none))
        if vals is None:
            vals = [none if v is None else _SLOW for v in col]
        for i in _positions(vals, _SLOW):
            if i in blank_set:
                continue
            v = col[i]
            if is_blank(v):
                if c.required:
                    bad_rows.add(i)
                    found.append((i, k, error(
                        "missing_value", raw.name, a1(raw.header_row + 1 + i, raw.first_col + j),
                        f"{c.header} is empty", _order_id_of(rows[i], oid_idx))))
                vals[i] = c.default
                continue
            try:
                vals[i] = c.parse(v)
            except Bad as b:
                bad_rows.add(i)
                found.append((i, k, error(
                    b.code, raw.name, a1(raw.header_row + 1 + i, raw.first_col + j),
                    f"{c.header}: {b.message}", _order_id_of(rows[i], oid_idx))))
                vals[i] = c.default
        columns[c.field] = vals if not blank else [vals[i] for i in keep]
        del vals, col
    found.sort(key=lambda t: (t[0], t[1]))
    issues.extend(t[2] for t in found)

    count = len(keep)
    for c in spec.cols:
        if c.field not in columns:
            columns[c.field] = _Same(c.default, count)
    first = raw.header_row + 1
    excel_rows = range(first, first + n) if not blank else [first + i for i in keep]
    cols_letters = {c.field: col_letter(raw.first_col + j) for c, j in present}
    keys = ("row", "cols", *columns, "_i")
    records = Records(keys, (excel_rows, _Same(cols_letters, count), *columns.values(), keep),
                      count)
    return ParsedSheet(spec, layout, records, bad_rows, issues, True, columns=columns,
                       index=keep)


def build_records(model: type, parsed: ParsedSheet, drop: Any = (),
                  rename: dict[str, tuple[str, Any]] | None = None,
                  skip: set[int] | tuple = ()) -> list[Any]:
    """The parsed rows as `model` records, leaving out the fields in `drop` and the rows
    whose raw index (`_i`) is in `skip`; `rename` maps a parsed field to (record field,
    function applied to the whole column). Built column-wise (`records.build_rows`): no dict
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
        if rename and name in rename:
            name, fix = rename[name]
            values = fix(values)
        columns[name] = values
    return build_rows(model, columns)


def parse_settings(raw: RawSheet | None) -> tuple[m.Settings, list[Issue], dict[str, tuple[int, int]]]:
    """Settings is two columns, Key and Value. Returns the settings, issues, and for each
    known field the (row, col) of its Value cell (to write Next Invoice Number back)."""
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    where: dict[str, tuple[int, int]] = {}
    issues: list[Issue] = []
    if raw is None:
        return m.Settings(), issues, where
    grid = [raw.header] + raw.rows
    for i, r in enumerate(grid):
        if len(r) < 2 or is_blank(r[0]):
            continue
        key = norm(r[0])
        if key not in SETTINGS_KEYS:
            continue
        fld, parse = SETTINGS_KEYS[key]
        row, col = raw.header_row + i, raw.first_col + 1
        where[fld] = (row, col)
        cells[fld] = a1(row, col)
        if is_blank(r[1]):
            continue
        try:
            val = parse(r[1])
            allowed = SETTINGS_ALLOWED.get(fld)
            if allowed and val not in allowed:
                raise Bad("bad_value", f"must be one of {', '.join(allowed)}, found '{r[1]}'")
            values[fld] = val
        except Bad as b:
            issues.append(error(b.code, raw.name, a1(row, col), f"{r[0]}: {b.message}"))
    return m.Settings(**values, cells=cells), issues, where
