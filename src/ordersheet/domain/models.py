"""Frozen records for every sheet of the order book and every record ordersheet keeps.

Records are frozen, slotted dataclasses: a 100,000-line run builds about 800,000 of them
(order lines, reservations, shipment and invoice lines, ledger rows), and a pydantic model
costs ~10x the memory (about 1.3 KB against 120 bytes) and 2-8x the time to build. Types
are checked where values enter: `book.schema` coerces every cell before a record is made,
`Settings` (one per book, built from free-form Key/Value rows) stays a pydantic model, and
tests/domain/test_record_types.py validates every record a whole run produces against
these annotations with pydantic in strict mode. Change a record with
`rec.model_copy(update={...})` (the pydantic spelling, kept for every record).

Each input record remembers its Excel row and the sheet's column letters (`cols`, shared by
all rows of a sheet), so any later rule can point an Issue at the exact cell.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from decimal import Decimal
from typing import Any, Callable, ClassVar, Literal, Mapping, Optional, Protocol, Sequence

from pydantic import BaseModel, ConfigDict

PRIORITIES = ("High", "Normal", "Low")

_MISSING = object()


def _slot_setters(cls: type, names: list[str]) -> dict[str, Callable[[Any, Any], None]]:
    """The slot descriptor's `__set__` of each field (defined on `cls` or a base)."""
    out = {}
    for name in names:
        for klass in cls.__mro__:
            d = klass.__dict__.get(name)
            if d is not None and hasattr(d, "__set__"):
                out[name] = d.__set__
                break
    return out


def _fast_init(cls: type) -> Callable[..., None]:
    """An `__init__` that stores each field through its slot descriptor.

    A frozen dataclass' own `__init__` calls `object.__setattr__(self, name, value)` per
    field (a global and an attribute look-up and a call each); storing through the slot
    descriptor skips the look-ups and makes building a record ~40 % cheaper. A 100k-line
    run builds about a million records. Same signature, defaults and `__post_init__`."""
    fields = dc.fields(cls)
    names = [f.name for f in fields]
    env: dict[str, Any] = {"_MISSING": _MISSING}
    env.update({f"_set_{n}": fn for n, fn in _slot_setters(cls, names).items()})
    params, body = [], []
    for f in fields:
        n = f.name
        if f.default is not dc.MISSING:
            env[f"_d_{n}"] = f.default
            params.append(f"{n}=_d_{n}")
            body.append(f"    _set_{n}(self, {n})")
        elif f.default_factory is not dc.MISSING:
            env[f"_f_{n}"] = f.default_factory
            params.append(f"{n}=_MISSING")
            body.append(f"    _set_{n}(self, _f_{n}() if {n} is _MISSING else {n})")
        else:
            params.append(n)
            body.append(f"    _set_{n}(self, {n})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    sig = ", ".join(["self", "*", *params] if params else ["self"])
    src = f"def __init__({sig}):\n" + "\n".join(body or ["    pass"])
    exec(src, env)  # noqa: S102 - source built above from the class' own field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def record(cls: type) -> type:
    """Decorator for every record: an immutable, slotted, keyword-only dataclass."""
    cls = dc.dataclass(frozen=True, slots=True, kw_only=True)(cls)
    cls.__init__ = _fast_init(cls)
    cls._field_names = tuple(f.name for f in dc.fields(cls))
    return cls


_BUILDERS: dict[tuple, Callable[..., list[Any]]] = {}


def build_rows(cls: type, columns: Mapping[str, Any]) -> list[Any]:
    """`[cls(**row) for row in rows]` for rows given by column: `columns` maps field names
    to equally long sequences of values; fields it lacks take their defaults.

    A sheet of 100,000 rows becomes records in one generated loop (see `_builder`): no
    dict per row, no `__init__` frame per record. The records are the ones `cls(**row)`
    makes (same defaults, same `__post_init__`); a name that is not a field of `cls` is a
    TypeError, as it would be for `cls(**row)`."""
    return _build(cls, (), tuple(columns), ())(None, *columns.values())


def build_tuples(cls: type, names: Sequence[str], rows: Sequence[tuple],
                 columns: Mapping[str, Sequence[Any]] | None = None, **same: Any) -> list[Any]:
    """`[cls(**dict(zip(names, row)), **columns-at-i, **same) for i, row in enumerate(rows)]`
    in one generated loop: fields `names` from each row (rows gathered as tuples in a hot
    loop), the fields in `columns` from those sequences (one value per row), those in
    `same` equal for all. A field given twice is a TypeError, as in a keyword call."""
    if not rows:
        return []
    columns = columns or {}
    build = _build(cls, tuple(names), tuple(columns), tuple(same))
    return build(rows, *columns.values(), *same.values())


def _build(cls: type, row_names: tuple[str, ...], col_names: tuple[str, ...],
           same_names: tuple[str, ...]) -> Callable[..., list[Any]]:
    key = (cls, row_names, col_names, same_names)
    build = _BUILDERS.get(key)
    if build is None:
        build = _BUILDERS[key] = _builder(cls, row_names, col_names, same_names)
    return build


def _filler(cls: type) -> type:
    """A subclass of the frozen record `cls` whose fields can be stored by plain attribute
    assignment, for the builders to fill a new record in before it becomes a `cls`.

    A frozen dataclass forbids assignment with a Python-level `__setattr__` (and
    `__delattr__`); setting `object`'s own back makes `o.field = v` the interpreter's
    fastest store (a slot write, about twice as fast as calling the slot descriptor's
    `__set__`). The subclass adds no slot, so its layout is the record's and the builder
    turns each object into a `cls` (`o.__class__ = cls`) once it is filled: the record is
    exactly as frozen as one made by `cls(...)`, and no filler object ever escapes."""
    filler = _FILLERS.get(cls)
    if filler is None:
        filler = _FILLERS[cls] = type(f"_{cls.__name__}Filler", (cls,), {
            "__slots__": (), "__module__": cls.__module__,
            "__setattr__": object.__setattr__, "__delattr__": object.__delattr__})
    return filler


_FILLERS: dict[type, type] = {}


def _builder(cls: type, row_names: tuple[str, ...], col_names: tuple[str, ...],
             same_names: tuple[str, ...]) -> Callable[..., list[Any]]:
    """`build(rows, *columns, *same)`: one loop over `rows` (tuples of `row_names`; None
    when there are none) zipped with the columns, making one `cls` per row."""
    fields = {f.name: f for f in dc.fields(cls)}
    given = row_names + col_names + same_names
    unknown = [n for n in given if n not in fields]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {unknown[0]!r}")
    twice = [n for i, n in enumerate(given) if n in given[:i]]
    if twice:
        raise TypeError(f"{cls.__name__} got field {twice[0]!r} twice")
    missing = [f for n, f in fields.items() if n not in given]
    required = [f.name for f in missing
                if f.default is dc.MISSING and f.default_factory is dc.MISSING]
    if required:
        raise TypeError(f"{cls.__name__} needs {required[0]!r}")
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_filler": _filler(cls)}
    rvars = [f"r{i}" for i in range(len(row_names))]
    cvars = [f"c{i}" for i in range(len(col_names))]
    svars = [f"s{i}" for i in range(len(same_names))]
    xvars = [f"x{i}" for i in range(len(col_names))]
    # the loop header: `for (r0, r1), x0 in zip(rows, c0):`, or simpler when possible
    targets = ([f"({', '.join(rvars)},)"] if rvars else []) + xvars
    iters = (["rows"] if rvars else []) + cvars
    if not iters:
        header = "    for _ in ():"
    elif len(iters) == 1:
        header = f"    for {targets[0]} in {iters[0]}:"
    else:
        header = f"    for {', '.join(targets)} in zip({', '.join(iters)}):"
    body = [f"def build({', '.join(['rows', *cvars, *svars])}):",
            "    out = []", "    add = out.append", header, "        o = _new(_filler)"]
    body += [f"        o.{n} = {v}" for n, v in zip(given, rvars + xvars + svars)]
    for f in missing:
        if f.default is not dc.MISSING:
            env[f"_d_{f.name}"] = f.default
            body.append(f"        o.{f.name} = _d_{f.name}")
        else:
            env[f"_f_{f.name}"] = f.default_factory
            body.append(f"        o.{f.name} = _f_{f.name}()")
    body.append("        o.__class__ = _cls")
    if hasattr(cls, "__post_init__"):
        body.append("        o.__post_init__()")
    body += ["        add(o)", "    return out"]
    exec("\n".join(body), env)  # noqa: S102 - source built above from the class' field names
    return env["build"]


class _NoCols(dict):
    """The shared empty column map of records not read from a sheet (never mutated; the
    identity hash lets it be a dataclass default)."""

    __hash__ = object.__hash__


NO_COLS: Mapping[str, str] = _NoCols()


@record
class Record:
    _field_names: ClassVar[tuple[str, ...]] = ()  # set by `record`

    def model_copy(self, *, update: Mapping[str, Any] | None = None):
        """A copy with some fields changed (records are immutable); an unknown field name
        is a TypeError, as for `dataclasses.replace`."""
        if not update:
            return self
        values = {n: getattr(self, n) for n in self._field_names}
        values.update(update)
        return type(self)(**values)


@record
class SheetRow(Record):
    """A record read from a sheet row: knows where its cells are."""

    row: int = 0
    """Excel row number (1-based); 0 for records that did not come from a sheet."""
    cols: Mapping[str, str] = dc.field(default=NO_COLS, repr=False, compare=False)
    """field name -> column letter, shared by every row of the sheet."""

    def cell(self, field: str, fallback: str = "") -> str:
        if not self.row:
            return ""
        letter = self.cols.get(field) or self.cols.get(fallback) or "A"
        return f"{letter}{self.row}"


@record
class OrderLine(SheetRow):
    order_id: str
    line: Optional[int] = None
    """Blank until validation numbers it (it is then written back to the sheet)."""
    order_date: dt.date
    customer_id: str
    sku: str
    quantity: int
    unit_price: Optional[Decimal] = None
    requested_date: Optional[dt.date] = None
    priority: str = "Normal"
    warehouse: Optional[str] = None
    ship_method: Optional[str] = None
    notes: str = ""
    status_in: str = ""
    """What the Status cell said before this run (used for `Cancelled`)."""
    shipment_in: str = ""
    """What ordersheet's Shipment cell said before this run, when a dispatched line went
    missing from Orders (validation finds a line renamed or renumbered by it)."""

    @property
    def key(self) -> tuple[str, int]:
        return (self.order_id, self.line)


@record
class Product(SheetRow):
    sku: str
    description: str = ""
    list_price: Decimal
    weight: Decimal = Decimal(0)
    tax_class: str = "standard"
    active: bool = True


@record
class StockLevel(SheetRow):
    sku: str
    warehouse: str = "MAIN"
    on_hand: int = 0
    bin: str = ""
    reorder_point: Optional[int] = None
    reorder_qty: Optional[int] = None
    lead_time_days: Optional[int] = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sku, self.warehouse)


@record
class Customer(SheetRow):
    customer_id: str
    name: str = ""
    email: str = ""
    country: str = ""
    currency: str = ""
    """Blank means the base currency (resolved by the pipeline)."""
    credit_limit: Optional[Decimal] = None
    payment_terms_days: int = 30
    discount: Optional[Decimal] = None
    """Customer discount as a fraction (0.05 = 5 %)."""
    tax_exempt: bool = False
    on_hold: bool = False
    ship_to: str = ""
    bill_to: str = ""
    tax_id: str = ""
    """The customer's VAT or tax registration number, printed on invoices."""


@record
class PriceRule(SheetRow):
    sku: Optional[str] = None
    customer_id: Optional[str] = None
    min_qty: int = 1
    unit_price: Optional[Decimal] = None
    discount: Optional[Decimal] = None
    """Fraction (0.1 = 10 %)."""
    currency: str = ""
    valid_from: Optional[dt.date] = None
    valid_to: Optional[dt.date] = None


@record
class TaxRate(SheetRow):
    country: str
    tax_class: str
    rate: Decimal
    """Fraction (0.2 = 20 %)."""


@record
class FxRate(SheetRow):
    currency: str
    rate: Decimal
    """Units of `currency` per one base-currency unit."""


@record
class ShippingRate(SheetRow):
    carrier: str
    service: str
    country: str = "*"
    max_weight: Optional[Decimal] = None
    cost: Decimal = Decimal(0)
    transit_days: int = 0


@record
class Payment(SheetRow):
    payment_id: str
    date: dt.date
    customer_id: Optional[str] = None
    amount: Decimal
    currency: str = ""
    reference: str = ""


@record
class ReturnLine(SheetRow):
    order_id: str
    line: Optional[int] = None
    sku: Optional[str] = None
    quantity: int
    date: dt.date
    reason: str = ""
    condition: str = "Resellable"


class Settings(BaseModel):
    """One per book, from free-form Key/Value rows: validated by pydantic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_name: str = ""
    company_address: str = ""
    company_tax_id: str = ""
    """VAT or tax registration number, printed on invoices."""
    company_email: str = ""
    bank_details: str = ""
    """Bank, IBAN, BIC or other payment instructions, printed under the payment terms."""
    base_currency: str = "USD"
    invoice_prefix: str = "INV-"
    next_invoice_number: int = 1
    credit_note_prefix: str = "CN-"
    allocation_policy: Literal["fifo", "priority"] = "fifo"
    allow_partial: bool = True
    rounding_mode: Literal["half-up", "half-even"] = "half-up"
    tax_rounding: Literal["line", "invoice"] = "line"
    charge_shipping: bool = True
    return_window_days: int = 30
    restocking_fee: Decimal = Decimal(0)
    user: str = ""
    cells: dict[str, str] = {}
    """setting field -> A1 address of its Value cell (for issues and write-back)."""


# ---- what pricing hands to the later steps ------------------------------------------

Key = tuple[str, int]
"""(Order ID, Line): one order line."""


@dc.dataclass(frozen=True, slots=True)
class LinePrice:
    """One priced order line, in the customer's currency."""

    unit_price: Decimal
    """Up to 6 decimals."""
    net: Decimal
    tax_rate: Decimal
    """Fraction (0.2 = 20 %)."""
    tax: Decimal
    total: Decimal
    currency: str
    explain: str = ""


class Rates(Protocol):
    """The FX and tax look-ups of one book (built by `pricing`, passed in by `pipeline`,
    so credit and invoicing need no rule module of their own kind)."""

    def convert(self, amount: Decimal, src: str, dst: str) -> Optional[Decimal]:
        """`amount` from `src` into `dst`, exact; blank = base; None without a rate."""

    def tax_rate(self, customer: "Customer", tax_class: str) -> Optional[Decimal]:
        """Rate for the customer's country and `tax_class`; None when missing."""


# ---- records ordersheet keeps on its own sheets -------------------------------------


@record
class Reservation(SheetRow):
    order_id: str
    line: int
    sku: str
    warehouse: str
    quantity: int
    reserved_on: dt.date


@record
class Shipment(SheetRow):
    shipment_id: str
    order_id: str
    customer_id: str
    warehouse: str
    carrier: str = ""
    service: str = ""
    country: str = ""
    weight: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    planned_on: dt.date
    status: str = "Ready"
    shipped_on: Optional[dt.date] = None
    tracking_no: str = ""
    posted_on: Optional[dt.date] = None
    """When ordersheet took the shipment's stock out of the warehouse (dispatch posted).
    A shipment set to Shipped but not yet posted is posted on the next run, exactly once."""


@record
class ShipmentLine(SheetRow):
    shipment_id: str
    order_id: str
    line: int
    sku: str
    warehouse: str
    quantity: int


@record
class Invoice(SheetRow):
    invoice_no: str
    invoice_date: dt.date
    due_date: dt.date
    customer_id: str
    customer_name: str = ""
    order_id: str
    shipment_id: str = ""
    """Blank for an invoice typed in by hand (from before ordersheet, or for a service)."""
    currency: str
    net: Decimal
    tax: Decimal
    shipping: Decimal = Decimal(0)
    total: Decimal
    paid: Decimal = Decimal(0)
    balance: Decimal
    status: str = "Open"


@record
class InvoiceLine(SheetRow):
    invoice_no: str
    order_id: str
    line: Optional[int] = None
    sku: str
    description: str = ""
    quantity: int
    unit_price: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@record
class LedgerEntry(SheetRow):
    timestamp: dt.datetime
    operation: str
    sku: str
    warehouse: str
    field: Literal["On Hand", "Reserved"]
    change: int
    before: int
    after: int
    order_id: str = ""
    line: Optional[int] = None


@record
class AuditEntry(SheetRow):
    timestamp: dt.datetime
    user: str
    operation: str
    details: str


@record
class OrderBook(Record):
    """Everything read from one workbook, typed. Sheets that are absent are empty tuples
    and named in `present` so rules can tell "no Tax Rates sheet" from "no matching rate"."""

    orders: tuple[OrderLine, ...] = ()
    products: tuple[Product, ...] = ()
    inventory: tuple[StockLevel, ...] = ()
    customers: tuple[Customer, ...] = ()
    price_rules: tuple[PriceRule, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    fx_rates: tuple[FxRate, ...] = ()
    shipping_rates: tuple[ShippingRate, ...] = ()
    payments: tuple[Payment, ...] = ()
    returns: tuple[ReturnLine, ...] = ()
    settings: Settings = dc.field(default_factory=Settings)
    reservations: tuple[Reservation, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    shipment_lines: tuple[ShipmentLine, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    invoice_lines: tuple[InvoiceLine, ...] = ()
    ledger: tuple[LedgerEntry, ...] = ()
    present: frozenset[str] = frozenset()
    """Names of the contract sheets that exist in the book (e.g. "Tax Rates")."""
    taken_ids: frozenset[str] = frozenset()
    """Document numbers (SHP-00007, INV-00012) on rows that are not records (a row that
    could not be read): never issued again."""

    def __post_init__(self) -> None:
        # Callers (and tests) may pass lists; the book keeps tuples so `+` and sharing work.
        for f in _BOOK_TUPLES:
            v = getattr(self, f)
            if type(v) is not tuple:
                object.__setattr__(self, f, tuple(v))
        for f in ("present", "taken_ids"):
            if type(getattr(self, f)) is not frozenset:
                object.__setattr__(self, f, frozenset(getattr(self, f)))


_BOOK_TUPLES = tuple(f.name for f in dc.fields(OrderBook)
                     if f.name not in ("settings", "present", "taken_ids"))
