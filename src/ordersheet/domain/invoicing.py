"""Invoicing of dispatched shipments (CONTRACT §4 "Invoicing", §5 Invoices / Invoice Lines).

Owns: one invoice per posted, not yet invoiced shipment; invoice numbering (prefix + a
five-digit counter, consecutive, consumed only by invoices actually produced); invoice
lines priced from this run's order-line prices; the optional SHIPPING line; tax rounding
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
from decimal import Decimal
from typing import Mapping, Sequence

from . import money
from .issues import Issue, warning
from .models import (Customer, Invoice, InvoiceLine, Key, LinePrice, OrderBook, OrderLine,
                     Rates, Settings, Shipment, ShipmentLine)

ZERO = Decimal(0)
SHIPPING_SKU = "SHIPPING"
SHIPPING_TAX_CLASS = "shipping"
NUMBER_DIGITS = 5

# One invoice per shipment and one line per shipment line: records made that often go
# straight to the model's validator, the same validation and the same record as
# `InvoiceLine(**fields)` without BaseModel.__init__'s Python frame (a third of the cost).


@dataclass(frozen=True)
class InvoiceRun:
    invoices: tuple[Invoice, ...]
    """New invoices only."""
    lines: tuple[InvoiceLine, ...]
    next_number: int
    issues: tuple[Issue, ...]


def invoice_number(prefix: str, n: int) -> str:
    """`INV-` and 1 -> `INV-00001` (numbers past 99999 simply grow a digit)."""
    return f"{prefix}{n:0{NUMBER_DIGITS}d}"


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
    lines_by_shipment: dict[str, list[ShipmentLine]] = defaultdict(list)
    for sl in shipment_lines:
        lines_by_shipment[sl.shipment_id].append(sl)
    drafter = _Drafter(order_lines, prices, book, rates)
    # Numbers already on the Invoices sheet are never handed out again, even when a user
    # set Next Invoice Number back by mistake.
    taken = {inv.invoice_no for inv in book.invoices}

    number = settings.next_invoice_number
    invoices: list[Invoice] = []
    inv_lines: list[InvoiceLine] = []
    issues: list[Issue] = []
    warned_taken = False

    for shp in sorted(shipments, key=_shipment_order):
        draft = drafter.draft(shp, lines_by_shipment.get(shp.shipment_id, ()))
        if isinstance(draft, str):
            issues.append(warning("not_invoiced", "Shipments", shp.cell("shipment_id"),
                                  f"shipment {shp.shipment_id} was not invoiced: {draft}",
                                  shp.order_id))
            continue
        customer, currency, lines = draft
        no = invoice_number(prefix, number)
        while no in taken:
            if not warned_taken:
                warned_taken = True
                issues.append(warning(
                    "invoice_number_taken", "Settings",
                    settings.cells.get("next_invoice_number", ""),
                    f"invoice number {no} is already on the Invoices sheet; numbering "
                    "continues after the last one in use"))
            number += 1
            no = invoice_number(prefix, number)
        number += 1
        taken.add(no)
        inv, rows = _finish(no, shp, customer, currency, lines, settings, today)
        invoices.append(inv)
        inv_lines += rows

    return InvoiceRun(tuple(invoices), tuple(inv_lines), number, tuple(issues))


# ---- building one invoice --------------------------------------------------------------

_Draft = dict
"""An invoice line before numbering and tax: the `InvoiceLine` fields `order_id`, `line`
(None for SHIPPING), `sku`, `description`, `quantity`, `unit_price`, `net`, `tax_rate`.
A plain dict, so `_finish` adds the rest and hands it to the validator as it is."""


class _Drafter:
    """Drafts the untaxed lines of one shipment's invoice. Holds the run's look-ups, and
    remembers what repeats from invoice to invoice: the shipping cost in each currency,
    each customer's shipping tax rate, each service's line description."""

    def __init__(self, order_lines: Mapping[Key, OrderLine], prices: Mapping[Key, LinePrice],
                 book: OrderBook, rates: Rates):
        self.order_lines = order_lines
        self.prices = prices
        self.rates = rates
        self.settings = book.settings
        self.customers = {c.customer_id: c for c in book.customers}
        self.descriptions = {p.sku: p.description for p in book.products}
        self._cost: dict[tuple[Decimal, str], Decimal | None] = {}
        self._rate: dict[str, Decimal | None] = {}
        self._service: dict[tuple[str, str], str] = {}

    def draft(self, shp: Shipment, sls: Sequence[ShipmentLine]
              ) -> tuple[Customer, str, list[_Draft]] | str:
        """The untaxed lines of `shp`'s invoice, or the reason it cannot be invoiced."""
        settings = self.settings
        mode = settings.rounding_mode
        if not sls:
            return "it has no shipment lines"
        customer = self.customers.get(shp.customer_id)
        if customer is None:
            return f"customer {shp.customer_id!r} is not on the Customers sheet"
        prices, order_lines, descriptions = self.prices, self.order_lines, self.descriptions
        currency = ""
        drafts: list[_Draft] = []
        for sl in sls:
            key = (sl.order_id, sl.line)
            price = prices.get(key)
            if price is None or key not in order_lines:
                return (f"order {sl.order_id} line {sl.line} has no price "
                        "(the order is invalid, cancelled or was not priced in this run)")
            if currency and price.currency != currency:
                return f"its lines are priced in {currency} and {price.currency}"
            currency = price.currency
            unit = price.unit_price
            drafts.append({"order_id": sl.order_id, "line": sl.line, "sku": sl.sku,
                           "description": descriptions.get(sl.sku, ""),
                           "quantity": sl.quantity, "unit_price": unit,
                           "net": money.quantize(unit * sl.quantity, currency, mode),
                           "tax_rate": price.tax_rate})

        if settings.charge_shipping and shp.cost > 0:
            cost = self._shipping_cost(shp.cost, currency)
            if cost is None:
                return (f"no FX rate to convert its shipping cost from "
                        f"{settings.base_currency} to {currency}")
            rate = None if customer.tax_exempt else self._shipping_rate(customer)
            drafts.append({"order_id": shp.order_id, "line": None, "sku": SHIPPING_SKU,
                           "description": self._description(shp.carrier, shp.service),
                           "quantity": 1, "unit_price": cost, "net": cost,
                           "tax_rate": rate if rate is not None else ZERO})
        return customer, currency, drafts

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


def _finish(no: str, shp: Shipment, customer: Customer, currency: str, drafts: list[_Draft],
            settings: Settings, today: dt.date) -> tuple[Invoice, list[InvoiceLine]]:
    taxes = _taxes(drafts, currency, settings)
    lines = []
    net = tax = shipping = ZERO  # summed in line order, as the sheet adds them up
    for d, t in zip(drafts, taxes):
        d["invoice_no"], d["tax"], d["total"] = no, t, d["net"] + t
        lines.append(InvoiceLine(**d))
        net += d["net"]
        tax += t
        if d["line"] is None:
            shipping += d["net"]
    total = net + tax
    invoice = Invoice(
        invoice_no=no, invoice_date=today,
        due_date=today + dt.timedelta(days=customer.payment_terms_days),
        customer_id=customer.customer_id, customer_name=customer.name,
        order_id=shp.order_id, shipment_id=shp.shipment_id, currency=currency,
        net=net, tax=tax, shipping=shipping, total=total, paid=ZERO,
        balance=total, status="Open")
    return invoice, lines


def _taxes(drafts: Sequence[_Draft], currency: str, settings: Settings) -> list[Decimal]:
    """Tax of each line. `line`: each line rounded on its own. `invoice`: one rounding per
    invoice and rate, shared out over that rate's lines so they still add up exactly."""
    mode = settings.rounding_mode
    exact = [d["net"] * d["tax_rate"] for d in drafts]
    rounded = [money.quantize(x, currency, mode) for x in exact]
    if settings.tax_rounding != "invoice":
        return rounded

    unit = Decimal(1).scaleb(-money.minor_units(currency))
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for i, d in enumerate(drafts):
        by_rate[d["tax_rate"]].append(i)
    for rate, idx in by_rate.items():
        target = money.quantize(sum((drafts[i]["net"] for i in idx), ZERO) * rate, currency,
                                mode)
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
    return rounded


_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def _shipment_order(shp: Shipment) -> tuple[str, int, str]:
    """Shipment ID order with numbers compared as numbers (SHP-99999 before SHP-100000)."""
    m = _TRAILING_NUMBER.match(shp.shipment_id)
    return (m.group(1), int(m.group(2)), "") if m else (shp.shipment_id, -1, shp.shipment_id)
