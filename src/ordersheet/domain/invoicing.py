"""Invoicing of dispatched shipments (CONTRACT §4 "Invoicing", §5 Invoices / Invoice Lines).

Owns: one invoice per posted, not yet invoiced shipment; invoice numbering (prefix + a
five-digit counter, consecutive, consumed only by invoices actually produced); invoice
lines priced from this run's order-line prices (a reserved line's is its locked price, see
`pricing.lock_prices`); the optional SHIPPING line; tax rounding
per line or per invoice and rate; header totals that the lines sum to exactly.

A shipment that cannot be invoiced (a line without a price, a missing customer, no FX
rate for its shipping cost ...) is skipped with warning `not_invoiced` on the Shipments
sheet and takes no number, so it is invoiced by the first run after the cause is fixed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from decimal import Decimal
from typing import Any, Mapping, Sequence

from . import money
from .issues import Issue, error, warning
from .models import (Customer, Invoice, InvoiceLine, Key, LinePrice, OrderBook, OrderLine,
                     Rates, Settings, Shipment, ShipmentLine)
from .records import build_tuples

ZERO = Decimal(0)
SHIPPING_SKU = "SHIPPING"
SHIPPING_TAX_CLASS = "shipping"
NUMBER_DIGITS = 5

# One invoice per shipment and one line per shipment line (over 100,000 in a large run):
# invoices and lines are gathered as rows of `_INVOICE` / `_LINE` fields and built once at
# the end by `records.build_tuples`, a column at a time. A keyword call per record (let alone
# a dict splatted into `InvoiceLine(**d)`) goes through the class call, which packs the
# keywords into a dict and unpacks them again for `__init__`.


@dataclass(frozen=True)
class InvoiceRun:
    invoices: tuple[Invoice, ...]
    """New invoices only."""
    lines: tuple[InvoiceLine, ...]
    next_number: int
    issues: tuple[Issue, ...]


def invoice_number(prefix: str, n: int) -> str:
    """`INV-` and 1 -> `INV-00001` (numbers past 99999 simply grow a digit)."""
    return prefix + _NUMBER_FORMAT % n


# One %-format of the counter per invoice: about twice as fast as an f-string with a nested
# width.
_NUMBER_FORMAT = f"%0{NUMBER_DIGITS}d"


def issue_invoices(shipments: Sequence[Shipment], shipment_lines: Sequence[ShipmentLine],
                   order_lines: Mapping[Key, OrderLine], prices: Mapping[Key, LinePrice],
                   book: OrderBook, today: dt.date, *, rates: Rates) -> InvoiceRun:
    """Invoice each shipment of `shipments` (posted, not yet invoiced), in Shipment ID order.

    Invoice Date is `today`; Due Date adds the customer's Payment Terms Days. Numbers start
    at Settings' Next Invoice Number; `next_number` is the first number left unused.
    `rates` converts shipping costs into the invoice currency and gives the shipping tax.
    """
    settings = book.settings
    prefix = settings.invoice_prefix
    per_invoice = settings.tax_rounding == "invoice"
    lines_by_shipment: dict[str, list[ShipmentLine]] = defaultdict(list)
    for sl in shipment_lines:
        lines_by_shipment[sl.shipment_id].append(sl)
    drafter = _Drafter(order_lines, prices, book, rates)
    # Numbers already on the Invoices sheet (typed in by hand too, or on a row that could
    # not be read) are never handed out again, and numbering continues after the last of
    # them, even when a user set Next Invoice Number back by mistake.
    taken = {inv.invoice_no for inv in book.invoices} | set(book.taken_ids)
    number = settings.next_invoice_number
    used = [n for n in map(partial(_number_of, prefix), taken) if n is not None]
    last = max(used, default=0)
    taken_warning = None
    if shipments and last >= number:
        taken_warning = warning(
            "invoice_number_taken", "Settings", settings.cells.get("next_invoice_number", ""),
            f"Next Invoice Number {number} is not after {invoice_number(prefix, last)}, "
            "which is already on the Invoices sheet; numbering continues after it")
        number = last + 1
    invoices: list[tuple] = []  # rows of `_INVOICE` fields
    lines: list[tuple] = []  # rows of `_LINE` fields ...
    line_nos: list[str] = []  # ... and their Invoice No
    issues: list[Issue] = []
    due_dates: dict[int, dt.date] = {}  # per Payment Terms Days
    draft, lines_of = drafter.draft, lines_by_shipment.get

    for shp in sorted(shipments, key=_shipment_order):
        drafted = draft(shp, lines_of(shp.shipment_id, ()))
        if isinstance(drafted, Issue):
            issues.append(drafted)
            continue
        if isinstance(drafted, str):
            issues.append(warning("not_invoiced", "Shipments", shp.cell("shipment_id"),
                                  f"shipment {shp.shipment_id} was not invoiced: {drafted}",
                                  shp.order_id))
            continue
        customer, currency, rows, net, tax, shipping = drafted
        terms = customer.payment_terms_days
        due = due_dates.get(terms)
        if due is None:
            try:
                due = due_dates[terms] = today + dt.timedelta(days=terms)
            except OverflowError:  # a typo of many digits: no date that far exists
                issues.append(error(
                    "bad_payment_terms", "Customers", customer.cell("payment_terms_days"),
                    f"Payment Terms Days {terms:,} of customer {customer.customer_id} puts "
                    f"the due date past {dt.date.max}; shipment {shp.shipment_id} was not "
                    "invoiced", shp.order_id))
                continue
        if per_invoice:
            rows, tax = _invoice_rounded(rows, currency, settings)
        if taken_warning is not None:
            issues.append(taken_warning)
            taken_warning = None
        no = invoice_number(prefix, number)
        number += 1
        taken.add(no)
        lines += rows
        line_nos += [no] * len(rows)
        total = net + tax
        invoices.append((no, due, customer.customer_id, customer.name, shp.order_id,
                         shp.shipment_id, currency, net, tax, shipping, total, total))

    return InvoiceRun(
        tuple(build_tuples(Invoice, _INVOICE, invoices, invoice_date=today, paid=ZERO,
                           status="Open")),
        tuple(build_tuples(InvoiceLine, _LINE, lines, {"invoice_no": line_nos})),
        number if invoices else settings.next_invoice_number,
        tuple(issues))


_INVOICE = ("invoice_no", "due_date", "customer_id", "customer_name", "order_id",
            "shipment_id", "currency", "net", "tax", "shipping", "total", "balance")
_LINE = ("order_id", "line", "sku", "description", "quantity", "unit_price", "tax_rate",
         "net", "tax", "total")


# ---- building one invoice --------------------------------------------------------------


class _Drafter:
    """Drafts the lines of one shipment's invoice. Holds the run's look-ups, and remembers
    what repeats from invoice to invoice: the shipping cost in each currency, each
    customer's shipping tax rate, each service's line description, and the amounts of a
    line.

    The amounts of a line (`money.line_amounts`: Net, Tax, Total) depend only on (unit
    price, quantity, tax rate, currency) in a run, and a large run repeats each such key
    several times. The key's Decimals are ones pricing shares between lines (hashing a
    fresh Decimal costs as much as rounding it; a shared one hashes once), and equal keys
    give the very same amounts: `quantize` yields the value rounded to the currency's
    exponent, whatever exponent the inputs had. The one exception is zero, whose sign
    survives rounding (-0 x 2 rounds to -0.00, 0 x 2 to 0.00) while -0 == 0: a zero price
    or shipping cost is worked out afresh each time, and a zero rate's sign is part of the
    key."""

    def __init__(self, order_lines: Mapping[Key, OrderLine], prices: Mapping[Key, LinePrice],
                 book: OrderBook, rates: Rates):
        self.order_lines = order_lines
        self.prices = prices
        self.rates = rates
        self.settings = book.settings
        self.mode = book.settings.rounding_mode
        self.customers = {c.customer_id: c for c in book.customers}
        self.descriptions = {p.sku: p.description for p in book.products}
        self._cost: dict[tuple[Decimal, str], Decimal | None] = {}
        self._rate: dict[str, Decimal | None] = {}
        self._service: dict[tuple[str, str], str] = {}
        self._amounts: dict[tuple, money.LineAmounts] = {}

    def draft(self, shp: Shipment, sls: Sequence[ShipmentLine]
              ) -> tuple[Customer, str, list[tuple], Decimal, Decimal, Decimal] | str:
        """The lines of `shp`'s invoice as rows of `_LINE` fields, each line's tax rounded
        on its own, with the sums of their Net and Tax and the Shipping; or the reason it
        cannot be invoiced."""
        if not sls:
            return "it has no shipment lines"
        customer = self.customers.get(shp.customer_id)
        if customer is None:
            return f"customer {shp.customer_id!r} is not on the Customers sheet"
        prices, order_lines, descriptions = self.prices, self.order_lines, self.descriptions
        memo, mode, line_amounts = self._amounts, self.mode, money.line_amounts
        currency = ""
        rows: list[tuple] = []
        net = tax = shipping = ZERO  # summed in line order, as the sheet adds them up
        for sl in sls:
            oid, ln_no, qty = sl.order_id, sl.line, sl.quantity
            key = (oid, ln_no)
            price = prices.get(key)
            if price is None or key not in order_lines:
                return (f"order {oid} line {ln_no} has no price "
                        "(the order is invalid, cancelled or was not priced in this run)")
            if currency and price.currency != currency:
                return f"its lines are priced in {currency} and {price.currency}"
            currency = price.currency
            unit, rate = price.unit_price, price.tax_rate
            # The memo's key (see the class docstring); a zero price is never remembered.
            akey = (unit, qty, rate, currency) if rate else \
                (unit, qty, rate, currency, rate.is_signed())
            amounts = memo.get(akey) if unit else None
            if amounts is None:
                amounts = line_amounts(unit, qty, rate, currency, mode)
                if unit:
                    memo[akey] = amounts
            line_net, t, total = amounts
            rows.append((oid, ln_no, sl.sku, descriptions.get(sl.sku, ""), qty, unit, rate,
                         line_net, t, total))
            net += line_net
            tax += t

        settings = self.settings
        if settings.charge_shipping and shp.cost > 0:
            cost = self._shipping_cost(shp.cost, currency)
            if cost is None:
                return (f"no FX rate to convert its shipping cost from "
                        f"{settings.base_currency} to {currency}")
            if customer.tax_exempt:
                rate = ZERO
            else:
                rate = self._shipping_rate(customer)
                if rate is None:  # never a silent 0 %: the invoice waits for the rate
                    return error(
                        "missing_tax_rate", "Shipments", shp.cell("shipment_id"),
                        f"shipment {shp.shipment_id} was not invoiced: no Tax Rates row for "
                        f"country '{customer.country}' and tax class "
                        f"'{SHIPPING_TAX_CLASS}' to tax its shipping cost", shp.order_id)
            # One of the cost: Net is the converted cost itself (already rounded, so
            # rounding it again changes nothing); the key as above.
            akey = (cost, None, rate, currency, rate.is_signed())
            amounts = memo.get(akey) if cost else None
            if amounts is None:
                amounts = line_amounts(cost, 1, rate, currency, mode)
                if cost:
                    memo[akey] = amounts
            line_net, t, total = amounts
            rows.append((shp.order_id, None, SHIPPING_SKU,
                         self._description(shp.carrier, shp.service), 1, cost, rate,
                         line_net, t, total))
            net += line_net
            tax += t
            shipping += line_net
        return customer, currency, rows, net, tax, shipping

    def _shipping_cost(self, cost: Decimal, currency: str) -> Decimal | None:
        """`cost` (base currency) in `currency`, rounded; None without an FX rate. Keyed by
        value: equal costs round to the same amount however many zeros they were typed
        with."""
        key = (cost, currency)
        if key not in self._cost:
            settings = self.settings
            converted = self.rates.convert(cost, settings.base_currency, currency)
            self._cost[key] = (None if converted is None else
                               money.quantize(converted, currency, settings.rounding_mode))
        return self._cost[key]

    def _shipping_rate(self, customer: Customer) -> Decimal | None:
        cid = customer.customer_id
        if cid not in self._rate:
            self._rate[cid] = self.rates.tax_rate(customer, SHIPPING_TAX_CLASS)
        return self._rate[cid]

    def _description(self, carrier: str, service: str) -> str:
        key = (carrier, service)
        text = self._service.get(key)
        if text is None:
            both = " ".join(p for p in key if p)
            text = self._service[key] = f"Shipping: {both}" if both else "Shipping"
        return text


def _invoice_rounded(rows: Sequence[tuple], currency: str,
                     settings: Settings) -> tuple[list[tuple], Decimal]:
    """`rows` (drafted) with Tax Rounding `invoice`: one rounding per invoice and rate,
    shared out over that rate's lines so they still add up exactly (each line's Total
    follows), and the new sum of their Tax."""
    mode = settings.rounding_mode
    exact = [r[7] * r[6] for r in rows]  # net * tax rate
    rounded = [r[8] for r in rows]  # each line rounded on its own, as drafted
    unit = Decimal(1).scaleb(-money.minor_units(currency))
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_rate[r[6]].append(i)
    for rate, idx in by_rate.items():
        target = money.quantize(sum((rows[i][7] for i in idx), ZERO) * rate, currency, mode)
        # Per-line roundings differ from the invoice figure by a few minor units at most
        # (|diff| <= (n+1)/2 units); move one unit at a time onto the lines whose rounding
        # lost the most (largest remainder), or off those that gained the most.
        steps = int((target - sum((rounded[i] for i in idx), ZERO)) / unit)
        if not steps:
            continue
        sign = 1 if steps > 0 else -1
        order = sorted(idx, key=lambda i: -sign * (exact[i] - rounded[i]))
        for k in range(abs(steps)):
            rounded[order[k % len(order)]] += sign * unit
    tax = ZERO  # summed in line order
    for t in rounded:
        tax += t
    return [r[:8] + (t, r[7] + t) for r, t in zip(rows, rounded)], tax


def _number_of(prefix: str, invoice_no: str) -> int | None:
    """`INV-00041` -> 41 for prefix `INV-`; None for a number of another series."""
    if not invoice_no.startswith(prefix):
        return None
    digits = invoice_no[len(prefix):]
    return int(digits) if digits.isdigit() and digits.isascii() else None


def number_in_series(prefix: str, doc_no: str) -> int | None:
    """`CN-00007` -> 7 for prefix `CN-`: the numbering rule of invoices, for the other
    numbered documents on Invoices (credit notes)."""
    return _number_of(prefix, doc_no)


_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def _shipment_order(shp: Shipment) -> tuple[str, int, str]:
    """Shipment ID order with numbers compared as numbers (SHP-99999 before SHP-100000)."""
    sid = shp.shipment_id
    # The usual `SHP-00042` without the regex: what it matches when the ID ends in digits
    # after a dash (`.` in the pattern stops at a line break, so those take the regex).
    head, dash, digits = sid.rpartition("-")
    if dash and digits.isdecimal() and "\n" not in head:
        return (head + dash, int(digits), "")
    m = _TRAILING_NUMBER.match(sid)
    return (m.group(1), int(m.group(2)), "") if m else (sid, -1, sid)
