"""Bottlenecks (issue 22): the orders waiting longest at each stage of the flow, with the
sheet and cell to look at. Owns what "waiting at a stage" means and since when:

| stage | an order is there when | waiting since | look at |
|---|---|---|---|
| Invalid | a line of it is Invalid | Order Date | the cell of its first error |
| On hold | it is On Hold or on Credit Hold | Order Date | the cell of the hold's issue |
| Backordered | a line has units backordered | Order Date | Inventory On Hand of the SKU |
| Ready, not dispatched | a shipment of it is Ready | Planned On | Shipments Status |
| Dispatched, not invoiced | a dispatched shipment has no invoice | Shipped On | Shipments ID |
| Unpaid past due | an invoice has a Balance past its Due Date | Due Date | Invoices Balance |

Each stage lists its `TOP` longest waits, oldest first. Changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .models import OrderBook, OrderLine

TOP = 10
STAGES = ("Invalid", "On hold", "Backordered", "Ready, not dispatched",
          "Dispatched, not invoiced", "Unpaid past due")
HOLDS = ("On Hold", "Credit Hold")
HOLD_CODES = ("customer_on_hold", "credit_limit_exceeded")


@dataclass(frozen=True)
class Waiting:
    stage: str
    order_id: str
    customer_id: str
    since: dt.date | None
    """None when the date itself was refused (an invalid line's Order Date)."""
    days: int
    sheet: str
    cell: str
    """A1 address, blank when the record has no row yet (see `field` and `index`)."""
    detail: str
    field: str = ""
    """The record field whose cell to look at, when `cell` is blank."""
    index: int = -1
    """Position of the record on its sheet (ordersheet's own sheets), when `cell` is blank."""


def bottlenecks(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
                issues: Iterable[Any], today: dt.date) -> list[Waiting]:
    """The longest waits at each stage, stage by stage (`STAGES` order)."""
    issues = list(issues)
    first_error: dict[str, Any] = {}
    holds: dict[str, Any] = {}
    for i in issues:
        if i.order_id and i.is_error:
            first_error.setdefault(i.order_id, i)
        if i.order_id and i.code in HOLD_CODES:
            holds.setdefault(i.order_id, i)
    stock_cell = {x.sku: x.cell("on_hand") for x in reversed(book.inventory)}
    out: dict[str, dict[str, Waiting]] = {s: {} for s in STAGES}

    def add(w: Waiting) -> None:
        have = out[w.stage].get(w.order_id)
        if have is None or w.days > have.days:
            out[w.stage][w.order_id] = w

    def days(since: dt.date | None) -> int:
        return max(0, (today - since).days) if since is not None else 0  # a refused date

    for ln in lines:
        o = outcomes.get(ln.row)
        if o is None:
            continue
        if o.status == "Invalid":
            i = first_error.get(ln.order_id)
            add(Waiting("Invalid", ln.order_id, ln.customer_id, ln.order_date,
                        days(ln.order_date), i.sheet if i else "Orders",
                        i.cell if i else ln.cell("order_id"),
                        i.message if i else "a line of this order is invalid"))
        elif o.status in HOLDS:
            i = holds.get(ln.order_id)
            add(Waiting("On hold", ln.order_id, ln.customer_id, ln.order_date,
                        days(ln.order_date), i.sheet if i else "Orders",
                        i.cell if i else ln.cell("customer_id"),
                        i.message if i else o.status))
        elif o.backordered:
            cell = stock_cell.get(ln.sku, "")
            add(Waiting("Backordered", ln.order_id, ln.customer_id, ln.order_date,
                        days(ln.order_date), "Inventory" if cell else "Orders",
                        cell or ln.cell("sku"),
                        f"{o.backordered} units of {ln.sku} backordered"))
    invoiced = {i.shipment_id for i in book.invoices if i.shipment_id}
    for k, s in enumerate(book.shipments):
        if s.status == "Ready" and s.posted_on is None:
            add(Waiting("Ready, not dispatched", s.order_id, s.customer_id, s.planned_on,
                        days(s.planned_on), "Shipments", s.cell("status"),
                        f"{s.shipment_id} planned on {s.planned_on}, Status Ready",
                        "status", k))
        elif s.posted_on is not None and s.shipment_id not in invoiced:
            since = s.shipped_on or s.posted_on
            add(Waiting("Dispatched, not invoiced", s.order_id, s.customer_id, since,
                        days(since), "Shipments", s.cell("shipment_id"),
                        f"{s.shipment_id} shipped on {since} has no invoice (see Issues)",
                        "shipment_id", k))
    for k, inv in enumerate(book.invoices):
        if not inv.credits_invoice and inv.balance > 0 and inv.due_date < today:
            add(Waiting("Unpaid past due", inv.order_id, inv.customer_id, inv.due_date,
                        days(inv.due_date), "Invoices", inv.cell("balance"),
                        f"{inv.invoice_no}: {inv.balance} {inv.currency} due {inv.due_date}",
                        "balance", k))
    rows: list[Waiting] = []
    for stage in STAGES:
        rows += sorted(out[stage].values(), key=lambda w: (-w.days, str(w.order_id or "")))[:TOP]
    return rows
