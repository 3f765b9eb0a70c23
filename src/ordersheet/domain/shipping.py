"""Shipment planning (CONTRACT §4 "Shipping", §5 Shipments, Shipment Lines).

This module owns:

- `plan_shipments`: turns reserved, not-yet-shipped quantities into `Ready` shipments (one
  per order and warehouse), numbered `SHP-00001`... without gaps, and keeps Ready
  shipments in step with the reservations behind them (grow, shrink, cancel); each is
  rated by `carriers`;
- what a shipment's status means (`is_ready`, `is_cancelled`, `plain_status`: dispatch and
  the views read them too) and its number (`shipment_number`, `format_shipment_id`).

A shipment's status is `Ready` (planned, stock still reserved), `Shipped` (set by dispatch
or typed by a user; posted on the next run) or `Cancelled` (emptied because its
reservation was released; its number is never reused). `posted_on` is what makes dispatch
idempotent: a posted shipment's stock has left and is never taken out again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from decimal import Decimal
from typing import Sequence

from .carriers import RATES_SHEET, RateIndex, rate_for_weight
from .issues import Issue, error, warning
from .models import (Customer, OrderBook, OrderLine, Reservation, Shipment, ShipmentLine,
                     ShippingRate)
from .records import build_tuples

READY = "Ready"
SHIPPED = "Shipped"
CANCELLED = "Cancelled"
SHIPMENT_PREFIX = "SHP-"
NUMBER_WIDTH = 5

_NUMBER = re.compile(r"^\s*SHP-(\d+)\s*$", re.IGNORECASE)

Key3 = tuple[str, int, str]
"""(order_id, line, warehouse): the unit a reservation and a shipment line share."""

ZERO = Decimal(0)
# `format_shipment_id` as a %-format: it runs once per planned shipment, and %-formatting
# an int is about twice as fast as an f-string with a nested width.
_ID_FORMAT = f"{SHIPMENT_PREFIX}%0{NUMBER_WIDTH}d"


# ---- small predicates ----------------------------------------------------------------


def plain_status(s: Shipment) -> str:
    """The Status as the rules compare it: stripped, lower case (blank when empty)."""
    return (s.status or "").strip().lower()


def is_ready(s: Shipment) -> bool:
    """Ready and not posted. A blank status counts as Ready (the sheet's default)."""
    return s.posted_on is None and plain_status(s) in ("ready", "")


def is_cancelled(s: Shipment) -> bool:
    return plain_status(s) == "cancelled"


def status_issues(shipments: Sequence[Shipment]) -> list[Issue]:
    """A Status typed on a shipment not yet dispatched that means nothing to the rules
    (`Sent`): the shipment stays as it is, and the user is told which words work."""
    out = []
    for s in shipments:
        if s.posted_on is None and plain_status(s) not in ("", "ready", "shipped", "cancelled"):
            out.append(warning(
                "unknown_shipment_status", "Shipments", s.cell("status"),
                f"shipment {s.shipment_id}: Status {s.status.strip()!r} is not one of "
                f"{READY}, {SHIPPED}, {CANCELLED}; the shipment is left as it is (type "
                f"{SHIPPED} to dispatch it)", s.order_id))
    return out


def _holds_stock(s: Shipment) -> bool:
    """Unposted and not cancelled: its lines still stand on reserved stock (Ready, or
    Shipped by a user but not yet posted)."""
    return s.posted_on is None and not is_cancelled(s)


def shipment_number(shipment_id: str) -> int | None:
    """`SHP-00042` -> 42; anything else (a user's own ID) -> None."""
    m = _NUMBER.match(shipment_id or "")
    return int(m.group(1)) if m else None


def format_shipment_id(n: int) -> str:
    return _ID_FORMAT % n


# ---- planning --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipPlan:
    shipments: tuple[Shipment, ...]
    """The whole Shipments sheet after planning: existing records (all statuses, updated
    where they grew, shrank or were cancelled) followed by the new ones in number order."""
    shipment_lines: tuple[ShipmentLine, ...]
    new_ids: tuple[str, ...]
    issues: tuple[Issue, ...]


@dataclass
class _Order:
    """What carrier choice needs to know about one order (from its servable lines)."""

    order_id: str
    order_date: dt.date
    customer_id: str
    first: OrderLine
    method_line: OrderLine | None = None
    requested: dt.date | None = None

    @property
    def ship_method(self) -> str | None:
        return self.method_line.ship_method if self.method_line else None


def _orders(lines: Sequence[OrderLine]) -> tuple[dict[str, _Order], set[tuple[str, int]]]:
    """Each order's `_Order`, and the (order, line) keys of `lines`, in one pass.

    `first` is the order's lowest-numbered line and `method_line` its lowest-numbered line
    with a Ship Method (on equal numbers the earlier in `lines`): the lines a walk in
    (order, line) order meets first, found without sorting every line."""
    out: dict[str, _Order] = {}
    keys: set[tuple[str, int]] = set()
    for ln in lines:
        oid, no = ln.order_id, ln.line
        keys.add((oid, no))
        o = out.get(oid)
        if o is None:
            o = out[oid] = _Order(oid, ln.order_date, ln.customer_id, ln)
        elif no < o.first.line:
            o.first, o.order_date, o.customer_id = ln, ln.order_date, ln.customer_id
        method = ln.ship_method
        if method and method.strip() and (o.method_line is None or no < o.method_line.line):
            o.method_line = ln
        if ln.requested_date and (o.requested is None or ln.requested_date < o.requested):
            o.requested = ln.requested_date
    return out, keys


class _Planner:
    """Mutable working state of one `plan_shipments` call (lists indexed like the sheets,
    so every lookup is a dict hit and the whole plan stays linear)."""

    def __init__(self, book: OrderBook, today: dt.date):
        self.book = book
        self.today = today
        self.rates_present = RATES_SHEET in book.present
        self.rate_index = RateIndex(book.shipping_rates)
        self.weights = {p.sku: p.weight for p in book.products}
        self.customers: dict[str, Customer] = {c.customer_id: c for c in book.customers}
        self.ships: list[Shipment] = list(book.shipments)
        self.slines: list[ShipmentLine | None] = list(book.shipment_lines)
        self.ship_index: dict[str, int] = {}
        for i, s in enumerate(self.ships):
            self.ship_index.setdefault(s.shipment_id, i)
        self.lines_of: dict[str, list[int]] = defaultdict(list)
        for j, sl in enumerate(self.slines):
            self.lines_of[sl.shipment_id].append(j)
        self.changed: set[int] = set()

    def weight(self, sid: str) -> Decimal:
        total = Decimal(0)
        for j in self.lines_of.get(sid, ()):
            sl = self.slines[j]
            if sl is not None:
                total += sl.quantity * self.weights.get(sl.sku, Decimal(0))
        return total

    def country(self, customer_id: str, fallback: str = "") -> str:
        c = self.customers.get(customer_id)
        return c.country if c is not None and c.country else fallback

    def rate(self, country: str, weight: Decimal, order: _Order | None,
             fallback_method: str | None = None) -> ShippingRate | None:
        method = order.ship_method if order else fallback_method
        requested = order.requested if order else None
        return self.rate_index.choose(country, weight, self.today, requested, method)


def plan_shipments(lines: Sequence[OrderLine], reservations: Sequence[Reservation],
                   book: OrderBook, today: dt.date) -> ShipPlan:
    """Put every reserved quantity of a servable line that is not yet in a shipment into
    its order's Ready shipment for that warehouse (CONTRACT §4 "Shipping").

    `lines` are the servable order lines, `reservations` the current Reservations sheet,
    `book` supplies products (weights), customers (country), rates and the existing
    Shipments / Shipment Lines. Quantities in unposted shipments count as shipped-to-be;
    posted shipments no longer hold any reservation and are left alone.
    """
    p = _Planner(book, today)
    orders, servable = _orders(lines)

    reserved: dict[Key3, int] = {}
    sku_of: dict[Key3, str] = {}
    for r in reservations:
        k = (r.order_id, r.line, r.warehouse)
        got = reserved.get(k)
        if got is None:
            reserved[k] = r.quantity
            sku_of[k] = r.sku
        else:
            reserved[k] = got + r.quantity

    # Quantities already in unposted shipments, per (order, line, warehouse), remembering
    # which shipment-line records hold them (sheet order) so shrinking is a dict hit.
    held_by: dict[Key3, list[int]] = defaultdict(list)
    for j, sl in enumerate(p.slines):
        i = p.ship_index.get(sl.shipment_id)
        if i is not None and _holds_stock(p.ships[i]):
            held_by[(sl.order_id, sl.line, sl.warehouse)].append(j)

    # 1. Shrink: a Ready shipment may never hold more than is reserved (a reservation was
    #    released or cut). Newest lines give back first; Shipped-unposted ones cannot.
    held: dict[Key3, int] = {}
    for k, js in held_by.items():
        total = sum(p.slines[j].quantity for j in js)
        excess = total - reserved.get(k, 0)
        for j in reversed(js):
            if excess <= 0:
                break
            sl = p.slines[j]
            i = p.ship_index[sl.shipment_id]
            if not is_ready(p.ships[i]):
                continue
            cut = min(excess, sl.quantity)
            excess -= cut
            total -= cut
            p.slines[j] = sl.model_copy(update={"quantity": sl.quantity - cut}) \
                if cut < sl.quantity else None
            p.changed.add(i)
        held[k] = total

    # 2. What is still to ship, grouped per order and warehouse (plain dicts: a nested
    #    defaultdict costs a lambda call and a new defaultdict per order).
    todo: dict[str, dict[str, list[tuple[int, str, int]]]] = {}
    for k, qty in reserved.items():
        oid, ln_no, wh = k
        need = qty - held.get(k, 0)
        if need > 0 and (oid, ln_no) in servable:
            add = (ln_no, sku_of[k], need)
            by_wh = todo.get(oid)
            if by_wh is None:
                todo[oid] = {wh: [add]}
            elif wh in by_wh:
                by_wh[wh].append(add)
            else:
                by_wh[wh] = [add]

    # The order's open Ready shipment per warehouse (first on the sheet), to grow.
    ready_for: dict[tuple[str, str], int] = {}
    for i, s in enumerate(p.ships):
        if is_ready(s) and p.ship_index.get(s.shipment_id) == i:
            ready_for.setdefault((s.order_id, s.warehouse), i)

    issues: list[Issue] = []
    # New records as rows of `_NEW_SHIPMENT` / `_NEW_LINE` fields, built once at the end.
    new_ships: list[tuple] = []
    new_lines: list[tuple] = []
    next_no = max((n for n in map(shipment_number, chain(
        (s.shipment_id for s in p.ships), book.taken_ids)) if n is not None), default=0) + 1
    grown: set[int] = set()
    # Looked up once: the loop below runs once per order and warehouse.
    weights, rates_present = p.weights, p.rates_present
    candidates = p.rate_index.candidates

    for oid in sorted(todo, key=lambda o: (orders[o].order_date, o)):
        order = orders[oid]
        country = p.country(order.customer_id)
        if rates_present:  # the same for every shipment of the order but the weight
            cands = candidates(country, today, order.requested, order.ship_method)
        # Work out every shipment of the order first: one without a rate stops them all.
        staged: list[tuple[str, list[tuple[int, str, int]], int | None, Decimal,
                           ShippingRate | None]] = []
        failed: tuple[str, Decimal] | None = None
        by_wh = todo[oid]
        for wh in (sorted(by_wh) if len(by_wh) > 1 else by_wh):
            adds = by_wh[wh]
            adds.sort()
            i = ready_for.get((oid, wh)) if ready_for else None
            base = p.weight(p.ships[i].shipment_id) if i is not None else ZERO
            added = ZERO  # the same additions, in the same order, as sum(..., Decimal(0))
            for _, sku, q in adds:
                added += q * weights.get(sku, ZERO)
            weight = base + added
            rate = rate_for_weight(cands, weight) if rates_present else None
            if rates_present and rate is None:
                failed = (wh, weight)
                break
            staged.append((wh, adds, i, weight, rate))
        if failed is not None:
            ln = order.method_line or order.first
            cell = ln.cell("ship_method") if order.method_line else ln.cell("customer_id")
            how = f"service '{order.ship_method}'" if order.method_line else "any service"
            issues.append(error(
                "no_shipping_rate", "Orders", cell,
                f"no shipping rate for order {oid}: {how} to country '{country or '?'}' "
                f"for {kg_text(failed[1])} kg from {failed[0]}; nothing of the order is shipped",
                oid))
            continue
        for wh, adds, i, weight, rate in staged:
            carrier = rate.carrier if rate else ""
            service = rate.service if rate else ""
            cost = rate.cost if rate else Decimal(0)
            if i is None:
                sid = format_shipment_id(next_no)
                next_no += 1
                new_ships.append((sid, oid, order.customer_id, wh, carrier, service, country,
                                  weight, cost))
                for ln_no, sku, q in adds:
                    new_lines.append((sid, oid, ln_no, sku, wh, q))
                continue
            # A grown shipment is re-rated for its new weight as of today (it cannot leave
            # earlier); Planned On keeps the day it was first planned.
            s = p.ships[i]
            _grow(p, s.shipment_id, oid, wh, adds, new_lines)
            update: dict = {"weight": weight, "country": country or s.country}
            if p.rates_present:
                update.update(carrier=carrier, service=service, cost=cost)
            p.ships[i] = s.model_copy(update=update)
            grown.add(i)

    # 3. Shipments that only shrank: new weight and rate, or Cancelled when empty.
    for i in sorted(p.changed - grown):
        s = p.ships[i]
        if not any(p.slines[j] is not None for j in p.lines_of.get(s.shipment_id, ())):
            p.ships[i] = s.model_copy(update={"status": CANCELLED, "weight": Decimal(0),
                                              "cost": Decimal(0)})
            continue
        weight = p.weight(s.shipment_id)
        update = {"weight": weight}
        if p.rates_present:
            country = p.country(s.customer_id, s.country)
            # A lighter parcel always fits at least what it fitted before; if the sheet
            # changed and nothing fits any more, keep the carrier the shipment had.
            rate = p.rate(country, weight, orders.get(s.order_id), s.service or None)
            if rate is not None:
                update.update(carrier=rate.carrier, service=rate.service, cost=rate.cost)
        p.ships[i] = s.model_copy(update=update)

    planned = build_tuples(Shipment, _NEW_SHIPMENT, new_ships, planned_on=today, status=READY)
    planned_lines = build_tuples(ShipmentLine, _NEW_LINE, new_lines)
    return ShipPlan(tuple(p.ships) + tuple(planned),
                    tuple(sl for sl in p.slines if sl is not None) + tuple(planned_lines),
                    tuple(s.shipment_id for s in planned), tuple(issues))


_NEW_SHIPMENT = ("shipment_id", "order_id", "customer_id", "warehouse", "carrier", "service",
                 "country", "weight", "cost")
_NEW_LINE = ("shipment_id", "order_id", "line", "sku", "warehouse", "quantity")


def _grow(p: _Planner, sid: str, oid: str, wh: str, adds: list[tuple[int, str, int]],
          new_lines: list[tuple]) -> None:
    """Add quantities to an existing Ready shipment: the same (order, line) grows its
    Shipment Line, another line gets a new one."""
    line_at: dict[int, int] = {}
    for j in p.lines_of.get(sid, ()):
        sl = p.slines[j]
        if sl is not None:
            line_at.setdefault(sl.line, j)
    for ln_no, sku, q in adds:
        j = line_at.get(ln_no)
        if j is not None:
            sl = p.slines[j]
            p.slines[j] = sl.model_copy(update={"quantity": sl.quantity + q})
        else:
            new_lines.append((sid, oid, ln_no, sku, wh, q))  # a row of `_NEW_LINE`


def kg_text(weight: Decimal) -> str:
    """Plain decimal text, no exponent and no trailing zeros (`2.5`, `100`, `0`)."""
    return format(weight.normalize(), "f") if weight else "0"

