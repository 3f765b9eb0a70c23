"""Record declarations: one frozen record for every sheet of the order book and every
record ordersheet keeps (OrderLine, Product, Reservation, Shipment, Invoice ...).

Each is declared with `records.record` (frozen, slotted, keyword-only dataclasses; that
module says why, and how many records are built at once). Types are checked where values
enter: `book.schema` coerces every cell before a record is made, `Settings` (one per book,
built from free-form Key/Value rows) stays a pydantic model, and
tests/domain/test_record_types.py validates every record a whole run produces against
these annotations with pydantic in strict mode. Change a record with
`rec.model_copy(update={...})`.

Each input record remembers its Excel row and the sheet's column letters (`cols`, shared by
all rows of a sheet), so any later rule can point an Issue at the exact cell.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from decimal import Decimal
from typing import Literal, Mapping, Optional, Protocol

from pydantic import BaseModel, ConfigDict

from .records import Record, record

PRIORITIES = ("High", "Normal", "Low")


class _NoCols(dict):
    """The shared empty column map of records not read from a sheet (never mutated; the
    identity hash lets it be a dataclass default)."""

    __hash__ = object.__hash__


NO_COLS: Mapping[str, str] = _NoCols()


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
    price_cleared: bool = False
    """ordersheet's Price cell of this line was blank before this run (read only for a
    line with a locked price: the user cleared it to have the line re-priced)."""
    cancel_reason: str = ""
    """The optional Cancel Reason column: why a line typed `Cancelled` was cancelled
    (written to the Stock Ledger and Audit Log with its release)."""

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
    lead_time_days: Optional[int] = None
    """Days from ordering stock to having it (the reorder plan); blank: Inventory's."""
    supplier: str = ""
    """Who the SKU is bought from (purchase lists, one per supplier)."""


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
    invoice_no: str = ""
    """The user's own match: one or several invoice numbers, comma-separated (blank:
    ordersheet matches the payment itself)."""
    payer: str = ""
    """Who paid, as the bank names them (matched against Customers Name)."""


@record
class ReturnLine(SheetRow):
    order_id: str
    line: Optional[int] = None
    sku: Optional[str] = None
    quantity: int
    date: dt.date
    reason: str = ""
    condition: str = "Resellable"
    exchange_sku: str = ""
    """A replacement of this SKU is ordered for the returned units (`returns`)."""


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
    next_credit_note_number: int = 1
    allocation_policy: Literal["fifo", "priority"] = "fifo"
    allow_partial: bool = True
    rounding_mode: Literal["half-up", "half-even"] = "half-up"
    tax_rounding: Literal["line", "invoice"] = "line"
    charge_shipping: bool = True
    return_window_days: int = 30
    restocking_fee: Decimal = Decimal(0)
    user: str = ""
    smtp_host: str = ""
    """Where `ordersheet notify --send` delivers customer updates (blank: no sending)."""
    smtp_port: Optional[int] = None
    """Blank: 587 with SMTP TLS, else 25."""
    smtp_from: str = ""
    """The sender of customer updates (blank: Company Email)."""
    smtp_user: str = ""
    """The SMTP login (blank: SMTP From); its password only ever comes from the
    environment variable ORDERSHEET_SMTP_PASSWORD, never from the book."""
    smtp_tls: bool = True
    demand_window_days: int = 90
    """Days of order history the reorder plan averages demand over."""
    payment_tolerance: Decimal = Decimal(0)
    statement_day_first: bool = False
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
    """The FX and tax look-ups of one book, as the rule modules see them (built once per
    run by `rates.Rates`, passed in by `pipeline`)."""

    base: str
    """The base currency (Settings), upper case."""

    def rate(self, currency: str) -> Optional[Decimal]:
        """Units of `currency` per base unit; None without a usable FX rate."""

    def fx_row(self, currency: str) -> Optional[FxRate]:
        """The FX Rates row used for `currency`, for explanations."""

    def convert(self, amount: Decimal, src: str, dst: str) -> Optional[Decimal]:
        """`amount` from `src` into `dst`, exact; blank = base; None without a rate."""

    def tax_rate(self, customer: "Customer", tax_class: str) -> Optional[Decimal]:
        """Rate for the customer's country and `tax_class`; None when missing."""


@record
class PriceLock(Record):
    """The price a line was first reserved at (CONTRACT §4 "Price lock"), which its
    invoice uses. Kept by ordersheet in its own records (`_ordersheet_records`), on no
    sheet a user types into."""

    order_id: str
    line: int
    unit_price: Decimal
    currency: str
    fx_rate: Optional[Decimal]
    """Units of `currency` per base-currency unit on FX Rates when the line was locked
    (1 for the base currency; None when FX Rates had no rate and none was needed)."""
    locked_on: dt.date
    shown: bool = True
    """The last run that wrote prices showed this one in the line's Price cell on Orders
    (so a blank cell there next time is one the user cleared, not one ordersheet left
    blank for an invalid or cancelled line)."""


@record
class ProcessedReturn(Record):
    """A Returns row ordersheet accepted (`returns`), kept in its own records
    (`_ordersheet_records`), on no sheet a user types into: the row is never processed
    again, however the Returns sheet is sorted, and what came back is read from here."""

    return_id: str
    """The row's identity (`returns.row_ids`): its values, not its position."""
    order_id: str
    line: int
    sku: str
    quantity: int
    condition: str
    """`Resellable` or `Damaged`."""
    warehouse: str
    """Where the units went back On Hand (Resellable), or would have (Damaged)."""
    date: dt.date
    credit_notes: str
    """The credit note(s) it produced (`CN-00001`)."""
    exchange_line: int = 0
    """The Line of the replacement order line it added (0: no exchange)."""
    processed_on: dt.date


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
    credits_invoice: str = ""
    """On a credit note (negative amounts, numbered with the Credit Note Prefix): the
    invoice it credits. Blank on an invoice."""


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
class ReconRow(SheetRow):
    """A Reconciliation row: part of a payment applied to an invoice (or written off, or
    left unapplied), as posted by one `reconcile`. Rows are never changed: a later match
    that differs reverses the payment's rows (negative amounts) and posts the new ones."""

    payment_id: str
    date: dt.date
    """The payment's date."""
    customer_id: str = ""
    invoice_no: str = ""
    applied: Decimal = Decimal(0)
    """Applied to the invoice (for a write-off: the difference written off)."""
    rule: str
    unapplied: Decimal = Decimal(0)
    """What of the payment is left, unapplied (credit on the customer or not matched)."""
    note: str = ""
    currency: str = ""
    posted_on: Optional[dt.date] = None
    """The as-of date of the run that posted the row."""


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
    reason: str = ""
    """Why, for a change a person asked for: a cancellation's or a return's reason."""


@record
class AuditEntry(SheetRow):
    timestamp: dt.datetime
    """When the run happened, by the clock."""
    user: str
    operation: str
    details: str
    business_date: Optional[dt.date] = None
    """The as-of date the run worked with (`--today`); None on rows from before it was
    recorded."""


@record
class MessageTemplate(SheetRow):
    """A row of Message Templates: the wording of one kind of customer update."""

    event: str
    subject: str = ""
    body: str = ""


@record
class CommEntry(SheetRow):
    """A Communication Log row (a posted record): one message to a customer, drafted,
    sent or failed. `document` names what the message was about besides the order (a
    shipment or invoice number; blank for order-level events)."""

    time: dt.datetime
    """When it was drafted or sent, by the clock."""
    customer_id: str
    email: str = ""
    event: str
    order_id: str = ""
    document: str = ""
    subject: str = ""
    outcome: str
    """Drafted, Sent or Failed."""
    detail: str = ""


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
    reconciliation: tuple[ReconRow, ...] = ()
    """Reconciliation rows posted so far (`payments.reconcile`)."""
    price_locks: tuple[PriceLock, ...] = ()
    """The locked prices of reserved and shipped lines (`pricing.lock_prices`)."""
    message_templates: tuple[MessageTemplate, ...] = ()
    """The Message Templates sheet: the wording of customer updates (`updates`)."""
    communication_log: tuple[CommEntry, ...] = ()
    """Every customer update drafted or sent (a posted record, `updates`)."""
    processed_returns: tuple[ProcessedReturn, ...] = ()
    """The Returns rows accepted so far (`returns.process_returns`)."""
    present: frozenset[str] = frozenset()
    """Names of the contract sheets that exist in the book (e.g. "Tax Rates")."""
    taken_ids: frozenset[str] = frozenset()
    """Document numbers (SHP-00007, INV-00012) on rows that are not records (a row that
    could not be read): never issued again."""
    refused: Mapping[tuple[str, str], str] = dc.field(default_factory=dict)
    """Master rows left out because a cell of theirs was refused: (sheet, key) -> that
    cell as `Sheet!A1`. Keys: a Products or Inventory SKU, a Customer ID, an FX Rates
    currency, a Tax Rates `COUNTRY/tax class`. A rule that misses such a row names the
    refused cell instead of calling the key unknown."""

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
                     if f.name not in ("settings", "present", "taken_ids", "refused"))
