"""The content of each printed document, once: records in, what a reader sees out.

Owns, for the invoice and the packing slip: which fields, lines, tax summary, totals and
sentences a document shows, each as the text a reader sees (`Shown.text`) beside the typed
value behind it (`Shown.value`, for a spreadsheet cell that can hold the number itself);
the labels they carry; how amounts, prices, rates, quantities, weights and dates read
(`amount_text` ...); and the look-up of one document's records in an `OrderBook`.

The PDF (`documents.pdf`) and the print sheets (`book.print_sheet`) render these models
and add nothing of their own, so the two cannot disagree. Pure: no files, no clock.

Choices a reader of either rendering relies on:
- An invoice shows what was issued: the posted Customer Name, the posted dates (payment
  terms are counted from them), the posted totals. Net is the Invoices sheet's Net, so it
  includes the SHIPPING line, which is listed with the other lines. Payments received
  later (Paid, Balance, Status) are on the Invoices sheet, not on the document, so every
  copy of an invoice says the same.
- Amounts show their currency's minor unit (`1,234.50`, `1,235`, `1.250`); rates and
  weights show every digit they have, at least two decimals. A unit price typed by a
  person (on Orders, in Price Rules, or a List Price in its own currency) shows as typed;
  one the tool worked out (converted, discounted: `329.249600`) shows the fewest decimals,
  from the currency's minor unit to two more, at which Quantity x price gives the line's
  Net (`329.25`). Where a sentence names an amount, the ISO code goes in front
  (`EUR 1,234.50`): every rendering can draw it and no reader mistakes `$`.
- Seller and buyer are named as an accounts-payable clerk needs them: the company's
  address, tax ID and e-mail, the customer's tax ID, the shipped date and tracking number,
  and the company's bank details under the payment terms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from ..domain import money
from ..domain.money import amount_text, money_text  # noqa: F401 (documents' names for them)
from ..domain.models import (Customer, Invoice, InvoiceLine, OrderBook, OrderLine, Product,
                             Settings, Shipment, ShipmentLine)


class DocumentNotFound(LookupError):
    """The book has no invoice and no shipment with this ID."""


# ---- how values read -------------------------------------------------------------------


def _places(value: Decimal) -> int:
    """Decimal places `value` needs to be shown exactly (0.0125 -> 4, 20 -> 0)."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def unit_price_text(price: Decimal, currency: str, *, typed: bool = True,
                    quantity: Optional[int] = None, net: Optional[Decimal] = None,
                    mode: str = "half-up") -> str:
    """A unit price may carry more digits than its currency (0.0125 per piece). `typed`
    (a price a person typed): every digit it has, at least the minor unit's. Otherwise
    the fewest decimals, from the minor unit's to two more, at which `quantity` x the
    shown price rounds to `net` (with the Rounding Mode `mode`); at most two more."""
    shown, places = _shown_price(price, currency, typed, quantity, net, mode)
    return f"{shown:,.{places}f}"


def _shown_price(price: Decimal, currency: str, typed: bool, quantity: Optional[int],
                 net: Optional[Decimal], mode: str) -> tuple[Decimal, int]:
    """(the price as shown, its decimals): see `unit_price_text`."""
    minor = money.minor_units(currency)
    if typed:
        return price, max(minor, _places(price))
    for places in range(minor, minor + 2):
        shown = money.quantize_places(price, places, mode)
        if shown == price or (quantity is not None and net is not None
                              and money.quantize(shown * quantity, currency, mode) == net):
            return shown, places
    return money.quantize_places(price, minor + 2, mode), minor + 2


def percent_text(rate: Decimal) -> str:
    """0.2 -> `20.00%`, 0.08875 -> `8.875%`."""
    pct = rate * 100
    return f"{pct:.{max(2, _places(pct))}f}%"


def weight_text(kg: Decimal) -> str:
    """12.5 -> `12.50`, 0.125 -> `0.125` (kilograms; the label says so)."""
    return f"{kg:.{max(2, _places(kg))}f}"


def date_text(day: Optional[dt.date]) -> str:
    return day.isoformat() if day else ""


def address_lines(text: str) -> tuple[str, ...]:
    """An address typed in one cell: its lines, blank ones dropped, nothing invented."""
    return tuple(p.strip() for p in (text or "").replace("\r", "").split("\n") if p.strip())


@dataclass(frozen=True)
class Shown:
    """One value of a document: `text` is what every rendering shows; `value` is the typed
    value behind it (a Decimal, date or int), or None when the text is all there is."""

    text: str
    value: Any = None


def _text(s: str) -> Shown:
    return Shown(s or "")


def _amount(a: Decimal, ccy: str) -> Shown:
    return Shown(amount_text(a, ccy), a)


def _date(d: Optional[dt.date]) -> Shown:
    return Shown(date_text(d), d)


def _count(n: int) -> Shown:
    return Shown(str(n), n)


def _address(text: str) -> Shown:
    return Shown("\n".join(address_lines(text)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---- the documents ---------------------------------------------------------------------

Row = Mapping[str, Shown]
"""A line or a tax-summary row: column key -> value."""


@dataclass(frozen=True)
class Document:
    """What both renderings of one document show. `fields` are keyed like the print
    layout's cells (`invoice_no`, `net` ...); `lines` (and an invoice's `tax_summary`) are
    rows keyed by column. `title`, `doc_id` and `on` (the document's own date) name it."""

    title: str
    doc_id: str
    on: dt.date
    fields: Mapping[str, Shown]
    lines: tuple[Row, ...]

    def text(self, key: str) -> str:
        return self.fields[key].text


@dataclass(frozen=True)
class InvoiceDocument(Document):
    tax_summary: tuple[Row, ...] = ()
    """One row per tax rate, lowest rate first: `rate`, `net`, `tax`."""


@dataclass(frozen=True)
class PackingSlipDocument(Document):
    pass


LABELS: dict[str, str] = {
    "invoice_no": "Invoice No", "invoice_date": "Invoice Date", "due_date": "Due Date",
    "currency": "Currency", "customer_id": "Customer ID", "order_id": "Order ID",
    "shipment_id": "Shipment ID", "customer_name": "Customer", "bill_to": "Bill To",
    "ship_to": "Ship To", "net": "Net", "tax": "Tax", "total": "Total",
    "payment_terms": "Payment terms", "company_name": "Company", "company_address": "Address",
    "company_tax_id": "Tax ID", "company_email": "Email", "customer_tax_id": "Tax ID",
    "bank_details": "Bank details",
    "warehouse": "Warehouse", "planned_on": "Planned On", "shipped_on": "Shipped On",
    "carrier": "Carrier", "service": "Service", "tracking_no": "Tracking No",
    "weight": "Weight (kg)", "country": "Country", "contents": "Contents",
    "tax_summary": "Tax summary",
    "sku": "SKU", "description": "Description", "unit_price": "Unit Price",
    "tax_rate": "Tax %", "rate": "Tax %", "bin": "Bin", "ordered": "Ordered", "notes": "Notes",
}
"""Field and column key -> the label both renderings print beside or above it."""
INVOICE_LABELS = {**LABELS, "quantity": "Qty"}
SLIP_LABELS = {**LABELS, "quantity": "Shipped"}

INVOICE_FACTS = ("invoice_no", "invoice_date", "due_date", "currency", "customer_id",
                 "order_id", "shipment_id", "shipped_on", "tracking_no")
COMPANY_DETAILS = ("company_tax_id", "company_email")
"""Shown under the company's address on an invoice, each with its label."""
INVOICE_COLUMNS = ("sku", "description", "quantity", "unit_price", "net", "tax_rate", "tax",
                   "total")
SUMMARY_COLUMNS = ("rate", "net", "tax")
INVOICE_TOTALS = ("net", "tax", "total")
SLIP_FACTS = ("shipment_id", "order_id", "customer_id", "warehouse", "planned_on",
              "shipped_on", "carrier", "service", "tracking_no", "weight")
SLIP_COLUMNS = ("sku", "description", "bin", "ordered", "quantity", "notes")


def _company(settings: Settings) -> dict[str, Shown]:
    return {"company_name": _text(settings.company_name),
            "company_address": _address(settings.company_address)}


def _seller(settings: Settings) -> dict[str, Shown]:
    """The company as an invoice names it: name, address, tax ID, e-mail, bank details."""
    return {**_company(settings), "company_tax_id": _text(settings.company_tax_id),
            "company_email": _text(settings.company_email),
            "bank_details": _address(settings.bank_details)}


def payment_terms_text(invoice: Invoice) -> str:
    """The payment-terms sentence, from the invoice's own dates (never today's terms)."""
    days = (invoice.due_date - invoice.invoice_date).days
    due = invoice.due_date.isoformat()
    when = (f"on receipt, by {due}" if days <= 0
            else f"within {_plural(days, 'day')}, by {due}")
    return (f"Payment of {money_text(invoice.total, invoice.currency)} due {when}. "
            f"Please quote invoice number {invoice.invoice_no} with your payment.")


def credit_note_text(note: Invoice) -> str:
    """What a credit note says in place of payment terms: which invoice it credits, and
    by how much."""
    return (f"This credit note credits invoice {note.credits_invoice}: "
            f"{money_text(-note.total, note.currency)} is taken off what is owed on it. "
            "Nothing is to be paid on this document.")


def invoice_document(invoice: Invoice, lines: Sequence[InvoiceLine],
                     customer: Optional[Customer], settings: Settings,
                     shipment: Optional[Shipment] = None,
                     typed: Callable[[InvoiceLine], bool] = lambda ln: False
                     ) -> InvoiceDocument:
    """The invoice as issued: seller and buyer, its header, its lines, tax by rate, totals,
    payment terms and bank details. `shipment` (the one it invoices) gives the shipped
    date and tracking number; `typed` says whether a line's unit price was typed by a
    person (see `unit_price_text`)."""
    ccy = invoice.currency
    mode = settings.rounding_mode
    name = invoice.customer_name or (customer.name if customer else "") or invoice.customer_id
    fields = {
        **_seller(settings),
        "invoice_no": _text(invoice.invoice_no), "invoice_date": _date(invoice.invoice_date),
        "due_date": _date(invoice.due_date), "currency": _text(ccy),
        "customer_id": _text(invoice.customer_id), "order_id": _text(invoice.order_id),
        "shipment_id": _text(invoice.shipment_id), "customer_name": _text(name),
        "bill_to": _address((customer.bill_to or customer.ship_to) if customer else ""),
        "customer_tax_id": _text(customer.tax_id if customer else ""),
        "shipped_on": _date(shipment.shipped_on if shipment else None),
        "tracking_no": _text(shipment.tracking_no if shipment else ""),
        "net": _amount(invoice.net, ccy), "tax": _amount(invoice.tax, ccy),
        "total": _amount(invoice.total, ccy),
        "payment_terms": _text(credit_note_text(invoice) if invoice.credits_invoice
                               else payment_terms_text(invoice)),
    }
    rows = []
    for ln in lines:
        price, places = _shown_price(ln.unit_price, ccy, typed(ln), ln.quantity, ln.net, mode)
        rows.append({
            "sku": _text(ln.sku), "description": _text(ln.description),
            "quantity": _count(ln.quantity),
            "unit_price": Shown(f"{price:,.{places}f}", price),
            "net": _amount(ln.net, ccy),
            "tax_rate": Shown(percent_text(ln.tax_rate), ln.tax_rate),
            "tax": _amount(ln.tax, ccy), "total": _amount(ln.total, ccy),
        })
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for ln in lines:
        net, tax = by_rate.get(ln.tax_rate, (money.ZERO, money.ZERO))
        by_rate[ln.tax_rate] = (net + ln.net, tax + ln.tax)
    summary = tuple({"rate": Shown(percent_text(rate), rate), "net": _amount(net, ccy),
                     "tax": _amount(tax, ccy)}
                    for rate, (net, tax) in sorted(by_rate.items()))
    title = "Credit Note" if invoice.credits_invoice else "Invoice"
    return InvoiceDocument(title, invoice.invoice_no, invoice.invoice_date, fields,
                           tuple(rows), summary)


def packing_slip_document(shipment: Shipment, shipment_lines: Sequence[ShipmentLine],
                          order_lines: Mapping[tuple[str, int], OrderLine],
                          products: Mapping[str, Product], customer: Optional[Customer],
                          settings: Settings, bins: Mapping[tuple[str, str], str]
                          ) -> PackingSlipDocument:
    """What is in the box, never what it costs. `bins` maps (SKU, Warehouse) to the
    Inventory Bin; `order_lines` give the quantity ordered and the line's notes."""
    fields = {
        **_company(settings),
        "shipment_id": _text(shipment.shipment_id), "order_id": _text(shipment.order_id),
        "customer_id": _text(shipment.customer_id), "warehouse": _text(shipment.warehouse),
        "planned_on": _date(shipment.planned_on), "shipped_on": _date(shipment.shipped_on),
        "carrier": _text(shipment.carrier), "service": _text(shipment.service),
        "tracking_no": _text(shipment.tracking_no),
        "weight": Shown(weight_text(shipment.weight), shipment.weight),
        "customer_name": _text((customer.name if customer else "") or shipment.customer_id),
        "ship_to": _address((customer.ship_to or customer.bill_to) if customer else ""),
        "country": _text(shipment.country),
    }
    rows = []
    units = 0
    for sl in shipment_lines:
        product = products.get(sl.sku)
        ordered = order_lines.get((sl.order_id, sl.line))
        rows.append({
            "sku": _text(sl.sku), "description": _text(product.description if product else ""),
            "bin": _text(bins.get((sl.sku, sl.warehouse), "")),
            "ordered": _count(ordered.quantity) if ordered else _text(""),
            "quantity": _count(sl.quantity), "notes": _text(ordered.notes if ordered else ""),
        })
        units += sl.quantity
    fields["contents"] = _text(f"{_plural(len(rows), 'line')}, {_plural(units, 'unit')} "
                              "in this shipment.")
    return PackingSlipDocument("Packing Slip", shipment.shipment_id,
                               shipment.shipped_on or shipment.planned_on, fields, tuple(rows))


# ---- finding a document's records ------------------------------------------------------

AnyDocument = Union[InvoiceDocument, PackingSlipDocument]


def documents(book: OrderBook, doc_ids: Iterable[str]) -> list[AnyDocument]:
    """The document of each invoice number or shipment ID in `doc_ids`, in that order (an
    ID that is both is the invoice). Raises `DocumentNotFound` for an unknown ID.

    One pass over each record list keeps only the records these documents need (a run
    shows one document of a book with 100,000 lines: no index of the whole book)."""
    ids = [d.strip() for d in doc_ids]
    wanted = set(ids)
    invoices = {i.invoice_no: i for i in book.invoices if i.invoice_no in wanted}
    shipments = {x.shipment_id: x for x in book.shipments
                 if x.shipment_id in wanted and x.shipment_id not in invoices}
    for d in ids:
        if d not in invoices and d not in shipments:
            raise DocumentNotFound(d)
    inv_lines: dict[str, list[InvoiceLine]] = {d: [] for d in invoices}
    if invoices:
        for il in book.invoice_lines:
            if il.invoice_no in inv_lines:
                inv_lines[il.invoice_no].append(il)
    invoiced = {i.shipment_id for i in invoices.values() if i.shipment_id}
    their_shipments = {x.shipment_id: x for x in book.shipments if x.shipment_id in invoiced}
    shp_lines: dict[str, list[ShipmentLine]] = {d: [] for d in shipments}
    if shipments:
        for sl in book.shipment_lines:
            if sl.shipment_id in shp_lines:
                shp_lines[sl.shipment_id].append(sl)
    slines = [sl for sls in shp_lines.values() for sl in sls]
    ilines = [il for ils in inv_lines.values() for il in ils]
    keys = {(sl.order_id, sl.line) for sl in slines} | {(il.order_id, il.line) for il in ilines}
    order_ids = {k[0] for k in keys}
    skus = {sl.sku for sl in slines} | {il.sku for il in ilines}
    order_lines = {(ln.order_id, ln.line): ln for ln in book.orders
                   if ln.order_id in order_ids and (ln.order_id, ln.line) in keys}
    products = {p.sku: p for p in book.products if p.sku in skus}
    bins = {(x.sku, x.warehouse): x.bin for x in book.inventory if x.sku in skus}
    customer_ids = {r.customer_id for r in (*invoices.values(), *shipments.values())}
    customers = {c.customer_id: c for c in book.customers if c.customer_id in customer_ids}
    typed = _typed_prices(book, order_lines, products) if invoices else None
    out: list[AnyDocument] = []
    for d in ids:
        if d in invoices:
            inv = invoices[d]
            out.append(invoice_document(inv, inv_lines[d], customers.get(inv.customer_id),
                                        book.settings, their_shipments.get(inv.shipment_id),
                                        typed.for_currency(inv.currency) if typed else
                                        (lambda ln: False)))
        else:
            shp = shipments[d]
            out.append(packing_slip_document(shp, shp_lines[d], order_lines, products,
                                             customers.get(shp.customer_id), book.settings,
                                             bins))
    return out


@dataclass(frozen=True)
class _TypedPrices:
    """The unit prices people typed: on an order line, in a Price Rule (by SKU, blank for
    every SKU, and currency), and each List Price (in the base currency)."""

    on_lines: Mapping[tuple[str, int], Decimal]
    in_rules: Mapping[tuple[str, str], frozenset[Decimal]]
    list_prices: Mapping[str, Decimal]
    base: str

    def for_currency(self, ccy: str) -> Callable[[InvoiceLine], bool]:
        def typed(ln: InvoiceLine) -> bool:
            price = ln.unit_price
            return (self.on_lines.get((ln.order_id, ln.line or 0)) == price
                    or price in self.in_rules.get((ln.sku, ccy), ())
                    or price in self.in_rules.get(("", ccy), ())
                    or (ccy == self.base and self.list_prices.get(ln.sku) == price))
        return typed


def _typed_prices(book: OrderBook, order_lines: Mapping[tuple[str, Optional[int]], OrderLine],
                  products: Mapping[str, Product]) -> _TypedPrices:
    base = book.settings.base_currency
    rules: dict[tuple[str, str], set[Decimal]] = {}
    for r in book.price_rules:
        if r.unit_price is not None:
            rules.setdefault((r.sku or "", r.currency or base), set()).add(r.unit_price)
    return _TypedPrices(
        {(k[0], k[1] or 0): ln.unit_price for k, ln in order_lines.items()
         if ln.unit_price is not None},
        {k: frozenset(v) for k, v in rules.items()},
        {sku: p.list_price for sku, p in products.items()}, base)


def document(book: OrderBook, doc_id: str) -> AnyDocument:
    """The invoice or packing slip `doc_id` (an invoice number or a shipment ID)."""
    return documents(book, [doc_id])[0]
