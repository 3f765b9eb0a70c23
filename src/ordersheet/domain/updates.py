"""Customer updates (issue 23): what each customer has not been told yet, and the words.

Owns:
- the events a customer hears about, one message per customer, event and order (every
  line of the order in one message, never one per line): `confirmed` (the order is
  priced and reserved in full or in part), `backordered` (units short, with the date
  they are expected when Inventory has Lead Time Days), `dispatched` (one per dispatched
  shipment: carrier, service, Tracking No, expected delivery from the Transit Days of its
  Shipping Rates row), `invoiced` (one per invoice ordersheet issued: number, total, due
  date; the entry point attaches the PDF) and `overdue` (one reminder per invoice the
  receivables rule calls Overdue: `receivables.status_of`) and `cancelled` (lines of an
  order the customer was told was confirmed were cancelled, with the reason);
- "not told yet": an event is told once the Communication Log (a posted record the tool
  keeps) holds it as Sent or Drafted (a draft is the user's to send). A Failed send is
  not told, so the next run tries again; nothing a user can retype says otherwise;
- the wording: the Message Templates sheet (Event, Subject, Body), `{name}` placeholders
  filled by a tiny substitution of our own (`render`), never `str.format` on user text:
  no attribute access, no format specs, and a customer's text (a name, a note) is put in
  as it is, never read as a template. `{{` and `}}` are literal braces. An unknown
  placeholder is an issue at its cell (`unknown_placeholder`) and that event waits;
- a customer without an Email: an issue (`missing_email`) instead of a message.

Pure: the run's state, the log and the as-of date in, messages and issues out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote

from . import money
from .carriers import choose_rate
from .issues import Issue, error, warning
from .models import CommEntry, Customer, Invoice, MessageTemplate, OrderBook, OrderLine
from .receivables import credited, status_of

TEMPLATES_SHEET = "Message Templates"
CUSTOMERS_SHEET = "Customers"
EVENTS = ("confirmed", "backordered", "dispatched", "invoiced", "overdue", "cancelled")
"""In the order a customer would hear of them."""
TOLD = ("Sent", "Drafted")
"""Communication Log outcomes after which an event is not sent again."""
SENT, DRAFTED, FAILED = "Sent", "Drafted", "Failed"
CUT_NOTE = "\r\n[...]"
MAILTO_LIMIT = 2000
"""Characters of a `mailto:` link (Excel keeps a hyperlink's address under 2,080)."""

FIELDS: dict[str, str] = {
    "customer_name": "the customer's Name (else their Customer ID)",
    "customer_id": "Customer ID",
    "order_id": "Order ID",
    "order_date": "Order Date",
    "lines": "the lines the message is about, one a line",
    "order_total": "the order's total with its currency (confirmed)",
    "currency": "the order's or invoice's currency",
    "expected_date": "when backordered units are expected (Lead Time Days)",
    "shipment_id": "Shipment ID (dispatched)",
    "carrier": "carrier (dispatched)",
    "service": "carrier service (dispatched)",
    "tracking_no": "Tracking No (dispatched)",
    "shipped_on": "the day it left (dispatched)",
    "expected_delivery": "shipped on + Transit Days of its Shipping Rates row",
    "invoice_no": "Invoice No (invoiced, overdue)",
    "invoice_date": "Invoice Date",
    "invoice_total": "the invoice's Total with its currency",
    "due_date": "Due Date",
    "balance": "what is still open on the invoice, with its currency",
    "days_overdue": "days past the Due Date (overdue)",
    "reason": "why the lines were cancelled (cancelled: the Cancel Reason column, or the "
              "--reason of a cancel run in the same run), else blank",
    "company_name": "Settings Company Name",
    "company_email": "Settings Company Email",
    "today": "the as-of date of the run",
}
"""Every placeholder a template may use (one a message does not fill is blank)."""

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "confirmed": (
        "Order {order_id} confirmed",
        "Dear {customer_name},\n\nthank you for your order {order_id} of {order_date}. "
        "We confirm:\n{lines}\n\nOrder total: {order_total}\n\nKind regards,\n{company_name}"),
    "backordered": (
        "Order {order_id}: some items are delayed",
        "Dear {customer_name},\n\nsome items of your order {order_id} are not in stock "
        "yet:\n{lines}\n\nWe expect them by {expected_date} and will send them as soon as "
        "they arrive.\n\nKind regards,\n{company_name}"),
    "dispatched": (
        "Order {order_id} is on its way",
        "Dear {customer_name},\n\nyour order {order_id} left our warehouse on {shipped_on} "
        "with {carrier} {service}.\nTracking number: {tracking_no}\nExpected delivery: "
        "{expected_delivery}\n\n{lines}\n\nKind regards,\n{company_name}"),
    "invoiced": (
        "Invoice {invoice_no} for order {order_id}",
        "Dear {customer_name},\n\nplease find attached invoice {invoice_no} of "
        "{invoice_date} for your order {order_id}:\n{lines}\n\nTotal: {invoice_total}, due "
        "on {due_date}.\n\nKind regards,\n{company_name}"),
    "overdue": (
        "Reminder: invoice {invoice_no} is overdue",
        "Dear {customer_name},\n\nour invoice {invoice_no} of {invoice_date} (order "
        "{order_id}) was due on {due_date}; {balance} is still open. If you have paid in "
        "the meantime, please ignore this reminder.\n\nKind regards,\n{company_name}"),
    "cancelled": (
        "Order {order_id}: cancelled",
        "Dear {customer_name},\n\nwe have cancelled the following of your order {order_id} "
        "of {order_date}:\n{lines}\n\nKind regards,\n{company_name}"),
}
"""The wording `ordersheet new` puts on the Message Templates sheet, and what an event
without a row there is sent with."""


def default_template_rows() -> list[list[str]]:
    """[Event, Subject, Body] rows of the default templates, as the sheet shows them."""
    return [[event.capitalize(), *DEFAULT_TEMPLATES[event]] for event in EVENTS]


# ---- templates -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    """A subject or body cut into text and placeholder names: ("text", ...) or
    ("field", name)."""

    parts: tuple[tuple[str, str], ...]

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder replaced by its value, as it is: a value is never
        read for placeholders itself."""
        return "".join(v if kind == "text" else values.get(v, "") for kind, v in self.parts)


def compile_template(text: str) -> tuple[Template, list[str]]:
    """`text` as a `Template`, and the placeholders in it that are not in `FIELDS` (as
    typed, e.g. `{name.upper}` or `{order_id:>9}`: attribute access and format specs are
    not placeholders). Matched case-insensitively, spaces inside the braces ignored."""
    parts: list[tuple[str, str]] = []
    unknown: list[str] = []
    pos = 0
    for mt in _TOKEN.finditer(text):
        if mt.start() > pos:
            parts.append(("text", text[pos:mt.start()]))
        pos = mt.end()
        token = mt.group()
        if token in ("{{", "}}"):
            parts.append(("text", token[0]))
            continue
        name = mt.group(1).strip().lower()
        if name in FIELDS:
            parts.append(("field", name))
        else:
            unknown.append(token)
            parts.append(("text", token))
    if pos < len(text):
        parts.append(("text", text[pos:]))
    return Template(tuple(parts)), unknown


@dataclass(frozen=True)
class Wording:
    subject: Template
    body: Template


def wordings(templates: Sequence[MessageTemplate]) -> tuple[dict[str, Wording], list[Issue]]:
    """Each event's wording: its Message Templates row, else the default. An event whose
    row has an unknown placeholder (or is blank) is left out: its messages wait until the
    row is fixed, rather than go out with words nobody chose."""
    issues: list[Issue] = []
    rows: dict[str, MessageTemplate] = {}
    for t in templates:
        event = t.event.strip().lower()
        if event not in EVENTS:
            issues.append(warning(
                "unknown_event", TEMPLATES_SHEET, t.cell("event"),
                f"Message Templates: '{t.event}' is not an event ordersheet sends (it sends "
                f"{', '.join(e.capitalize() for e in EVENTS)}); the row is not used"))
        elif event in rows:
            issues.append(warning(
                "duplicate_key", TEMPLATES_SHEET, t.cell("event"),
                f"Message Templates: {t.event} has a row already "
                f"({rows[event].cell('event')}), which is used; delete this one"))
        else:
            rows[event] = t
    out: dict[str, Wording] = {}
    for event in EVENTS:
        t = rows.get(event)
        if t is None:
            subject, body = DEFAULT_TEMPLATES[event]
            out[event] = Wording(compile_template(subject)[0], compile_template(body)[0])
            continue
        compiled, ok = {}, True
        for fld in ("subject", "body"):
            text = getattr(t, fld)
            compiled[fld], unknown = compile_template(text)
            if unknown:
                ok = False
                issues.append(error(
                    "unknown_placeholder", TEMPLATES_SHEET, t.cell(fld),
                    f"Message Templates: the {t.event} {fld} has {', '.join(unknown)}, which "
                    f"is not a placeholder (they are {', '.join('{' + f + '}' for f in FIELDS)};"
                    " write {{ and }} for a brace); no "
                    f"{t.event} message is made until it is fixed"))
            elif not text.strip():
                ok = False
                issues.append(error(
                    "missing_value", TEMPLATES_SHEET, t.cell(fld),
                    f"Message Templates: the {t.event} {fld} is empty; no {t.event} message "
                    "is made until it is filled in (or the row deleted: the default wording "
                    "is used then)"))
        if ok:
            out[event] = Wording(compiled["subject"], compiled["body"])
    return out, issues


# ---- what is due ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One update for one customer: the words, and what the log records of it."""

    customer_id: str
    customer_name: str
    email: str
    event: str
    order_id: str
    document: str
    """The shipment or invoice the message is about ("" for confirmed, backordered)."""
    subject: str
    body: str
    attach: str = ""
    """The invoice whose PDF goes with it."""

    @property
    def key(self) -> tuple[str, str, str]:
        return event_key(self.event, self.order_id, self.document)

    def preview(self, width: int = 120) -> str:
        """The body on one line, cut at `width` characters."""
        text = " ".join(self.body.split())
        return text if len(text) <= width else text[: width - 3] + "..."

    def mailto(self, limit: int = MAILTO_LIMIT) -> str:
        """A `mailto:` link that opens this message in a mail program; a body too long
        for a link is cut (with a note to say so) so the link stays under `limit`."""
        head = f"mailto:{quote(self.email, safe='@')}?subject={quote(self.subject, safe='')}"
        body = self.body.replace("\n", "\r\n")
        link = f"{head}&body={quote(body, safe='')}"
        while len(link) > limit and body:  # cut the text, never an escape in two
            body = body[: len(body) * 9 // 10]
            link = f"{head}&body={quote(body + CUT_NOTE, safe='')}"
        return link

    def logged(self, time: dt.datetime, outcome: str, detail: str = "") -> CommEntry:
        return CommEntry(time=time, customer_id=self.customer_id, email=self.email,
                         event=self.event.capitalize(), order_id=self.order_id,
                         document=self.document, subject=self.subject, outcome=outcome,
                         detail=detail)


def event_key(event: str, order_id: str, document: str) -> tuple[str, str, str]:
    return (event.strip().lower(), order_id.strip().upper(), document.strip().upper())


def told(log: Iterable[CommEntry]) -> set[tuple[str, str, str]]:
    """The events the Communication Log says were told (Sent or Drafted)."""
    return {event_key(e.event, e.order_id, e.document) for e in log if e.outcome in TOLD}


@dataclass
class Due:
    messages: list[Message] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def by_event(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for msg in self.messages:
            counts[msg.event] += 1
        return dict(counts)


@dataclass(frozen=True)
class _Event:
    customer_id: str
    event: str
    order_id: str
    document: str
    values: dict[str, str]
    attach: str = ""


def due_updates(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
                today: dt.date) -> Due:
    """The messages due as of `today` on `book` (a run's state: its Communication Log,
    Message Templates, shipments, invoices), with `outcomes` the run's outcome of each
    order line by Excel row (status, price, reserved, backordered, shipped)."""
    words, issues = wordings(book.message_templates)
    done = told(book.communication_log)
    customers = {c.customer_id.upper(): c for c in book.customers}
    events = [e for e in _events(book, lines, outcomes, customers, today)
              if event_key(e.event, e.order_id, e.document) not in done]
    due = Due(issues=issues)
    no_email: dict[str, Customer] = {}
    for e in events:
        cust = customers.get(e.customer_id.upper())
        if cust is None or e.event not in words:
            continue  # an unknown customer's order is invalid; a bad template waits
        if not cust.email.strip():
            no_email.setdefault(cust.customer_id, cust)
            continue
        values = dict(e.values, customer_name=cust.name or cust.customer_id,
                      customer_id=cust.customer_id,
                      company_name=book.settings.company_name,
                      company_email=book.settings.company_email, today=_date(today))
        w = words[e.event]
        due.messages.append(Message(
            cust.customer_id, cust.name, cust.email.strip(), e.event, e.order_id, e.document,
            # a subject is one line, whatever the values hold
            " ".join(w.subject.fill(values).split()), w.body.fill(values), e.attach))
    for cust in no_email.values():
        waiting = sorted({e.event for e in events if e.customer_id.upper() ==
                          cust.customer_id.upper()}, key=EVENTS.index)
        due.issues.append(warning(
            "missing_email", CUSTOMERS_SHEET, cust.cell("email", "customer_id"),
            f"customer {cust.customer_id} has no Email, so they are not told "
            f"({', '.join(waiting)}); fill it in and the next notify sends what is due"))
    return due


def _events(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
            customers: Mapping[str, Customer], today: dt.date) -> list[_Event]:
    out: list[_Event] = []
    out += _order_events(book, lines, outcomes, today)
    out += _cancel_events(book, lines, outcomes)
    out += _dispatch_events(book)
    out += _invoice_events(book, today)
    order_of = {e: i for i, e in enumerate(EVENTS)}
    out.sort(key=lambda e: (e.customer_id.upper(), e.order_id, order_of[e.event], e.document))
    return out


SERVED = frozenset({"Reserved", "Partially Reserved", "Partially Shipped", "Shipped",
                    "Invoiced", "Backordered", "Returned", "Partially Returned"})
"""Line statuses of an order being served (not invalid, held or cancelled). A returned
line was served: it must not silence its order, whose exchange line (issue 20) may wait
for stock and is then owed a backorder notice."""


def _order_events(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
                  today: dt.date) -> list[_Event]:
    """`confirmed` and `backordered`, one each per order."""
    by_order: dict[str, list[tuple[OrderLine, Any]]] = defaultdict(list)
    for ln in lines:
        o = outcomes.get(ln.row)
        if o is not None and o.status != "Cancelled":
            by_order[ln.order_id].append((ln, o))
    products = {p.sku: p for p in book.products}
    lead = _lead_times(book)
    out = []
    for oid, pairs in by_order.items():
        if any(o.status not in SERVED for _, o in pairs):
            continue  # invalid, held, or only priced (not reserved yet)
        first = pairs[0][0]
        base = {"order_id": oid, "order_date": _date(first.order_date)}
        prices = [o.price for _, o in pairs]
        if all(p is not None for p in prices) and any(o.reserved or o.shipped for _, o in pairs):
            ccy = prices[0].currency
            total = sum((p.total for p in prices), Decimal(0))
            rows = []
            for ln, o in pairs:
                desc = _desc(products, ln.sku)
                short = f", {o.backordered} to follow" if o.backordered else ""
                rows.append(f"- {ln.quantity} x {ln.sku}{desc}: {money.money_text(o.price.total, ccy)}"
                            f"{short}")
            out.append(_Event(first.customer_id, "confirmed", oid, "", dict(
                base, lines="\n".join(rows), order_total=money.money_text(total, ccy), currency=ccy)))
        short_lines = [(ln, o) for ln, o in pairs if o.backordered]
        if short_lines:
            rows, dates = [], []
            for ln, o in short_lines:
                days = lead.get((ln.sku, (ln.warehouse or "").upper())) \
                    if ln.warehouse else lead.get((ln.sku, ""))
                when = today + dt.timedelta(days=days) if days is not None else None
                dates.append(when)
                rows.append(f"- {ln.sku}{_desc(products, ln.sku)}: {o.backordered} of "
                            f"{ln.quantity} to follow"
                            + (f", expected by {_date(when)}" if when else ""))
            expected = _date(max(dates)) if all(dates) else "a date we will confirm"
            out.append(_Event(first.customer_id, "backordered", oid, "", dict(
                base, lines="\n".join(rows), expected_date=expected)))
    return out


def _cancel_events(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any]
                   ) -> list[_Event]:
    """`cancelled`: an order the customer was told was confirmed, whose lines were
    cancelled since; one message per set of cancelled lines (its Document names them, so
    a line cancelled later gets a message of its own). An order never confirmed to the
    customer needs no notice."""
    confirmed = {k[1] for k in told(book.communication_log) if k[0] == "confirmed"}
    if not confirmed:
        return []
    by_order: dict[str, list[OrderLine]] = defaultdict(list)
    for ln in lines:
        o = outcomes.get(ln.row)
        if o is not None and o.status == "Cancelled" and ln.order_id.upper() in confirmed:
            by_order[ln.order_id].append(ln)
    if not by_order:
        return []
    products = {p.sku: p for p in book.products}
    out = []
    for oid, cut in by_order.items():
        cut.sort(key=lambda ln: ln.line or 0)
        reasons = dict.fromkeys(ln.cancel_reason for ln in cut if ln.cancel_reason)
        out.append(_Event(cut[0].customer_id, "cancelled", oid,
                          "lines " + ", ".join(str(ln.line) for ln in cut), dict(
            order_id=oid, order_date=_date(cut[0].order_date),
            lines="\n".join(f"- {ln.quantity} x {ln.sku}{_desc(products, ln.sku)}"
                            for ln in cut),
            reason="; ".join(reasons))))
    return out


def _lead_times(book: OrderBook) -> dict[tuple[str, str], int]:
    """(SKU, warehouse upper case) -> Lead Time Days; (SKU, "") -> the shortest of the
    SKU's warehouses (a line that may take from any)."""
    out: dict[tuple[str, str], int] = {}
    for x in book.inventory:
        if x.lead_time_days is None:
            continue
        out[(x.sku, x.warehouse.upper())] = x.lead_time_days
        any_ = out.get((x.sku, ""))
        out[(x.sku, "")] = x.lead_time_days if any_ is None else min(any_, x.lead_time_days)
    return out


def _dispatch_events(book: OrderBook) -> list[_Event]:
    products = {p.sku: p for p in book.products}
    lines_of: dict[str, list[Any]] = defaultdict(list)
    for sl in book.shipment_lines:
        lines_of[sl.shipment_id].append(sl)
    out = []
    for x in book.shipments:
        if x.posted_on is None or x.status.strip().lower() == "cancelled":
            continue
        shipped = x.shipped_on or x.posted_on
        rate = choose_rate([r for r in book.shipping_rates
                            if r.carrier.strip().lower() == x.carrier.strip().lower()],
                           x.country, x.weight, shipped, None, x.service) if x.service else None
        eta = _date(shipped + dt.timedelta(days=rate.transit_days)) if rate else ""
        rows = [f"- {sl.quantity} x {sl.sku}{_desc(products, sl.sku)}"
                for sl in lines_of.get(x.shipment_id, ())]
        out.append(_Event(x.customer_id, "dispatched", x.order_id, x.shipment_id, {
            "order_id": x.order_id, "shipment_id": x.shipment_id, "carrier": x.carrier,
            "service": x.service, "tracking_no": x.tracking_no, "shipped_on": _date(shipped),
            "expected_delivery": eta, "lines": "\n".join(rows)}))
    return out


def _invoice_events(book: OrderBook, today: dt.date) -> list[_Event]:
    """`invoiced` for each invoice ordersheet issued (one typed in from before the tool
    was sent by whoever wrote it), `overdue` for each invoice the receivables rule calls
    Overdue as of `today`. Credit notes are neither."""
    lines_of: dict[str, list[Any]] = defaultdict(list)
    for il in book.invoice_lines:
        lines_of[il.invoice_no].append(il)
    credits = credited(book.invoices)
    out = []
    for inv in book.invoices:
        if inv.credits_invoice:
            continue
        values = _invoice_values(inv, lines_of.get(inv.invoice_no, ()))
        if inv.shipment_id:
            out.append(_Event(inv.customer_id, "invoiced", inv.order_id, inv.invoice_no,
                              values, attach=inv.invoice_no))
        credit = credits.get(inv.invoice_no.upper(), Decimal(0))
        if status_of(inv, credit, today) == "Overdue":
            open_ = inv.balance
            values = dict(values, balance=money.money_text(open_, inv.currency),
                          days_overdue=str((today - inv.due_date).days))
            out.append(_Event(inv.customer_id, "overdue", inv.order_id, inv.invoice_no,
                              values, attach=inv.invoice_no))
    return out


def _invoice_values(inv: Invoice, lines: Sequence[Any]) -> dict[str, str]:
    rows = [f"- {il.quantity} x {il.sku}" + (f" {il.description}" if il.description else "")
            + f": {money.money_text(il.total, inv.currency)}" for il in lines]
    return {"order_id": inv.order_id, "invoice_no": inv.invoice_no,
            "invoice_date": _date(inv.invoice_date), "due_date": _date(inv.due_date),
            "invoice_total": money.money_text(inv.total, inv.currency), "currency": inv.currency,
            "balance": money.money_text(inv.balance, inv.currency), "lines": "\n".join(rows),
            "shipment_id": inv.shipment_id}


def _desc(products: Mapping[str, Any], sku: str) -> str:
    p = products.get(sku)
    return f" {p.description}" if p is not None and p.description else ""


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""
