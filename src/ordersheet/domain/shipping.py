"""Shipment planning, carrier choice, dispatch and the warehouse/carrier views of shipments
(CONTRACT §4 "Shipping", §5 Shipments, Shipment Lines, Pick List).

This module owns:

- `plan_shipments`: turns reserved, not-yet-shipped quantities into `Ready` shipments (one
  per order and warehouse), numbered `SHP-00001`... without gaps, and keeps Ready
  shipments in step with the reservations behind them (grow, shrink, cancel);
- `choose_rate`: the carrier service for one shipment;
- `dispatch`: marks shipments Shipped and *posts* them exactly once (reservation consumed,
  On Hand lowered, Stock Ledger rows);
- `pick_list` and `carrier_export_rows`: read-only views for the warehouse and the carrier.

A shipment's status is `Ready` (planned, stock still reserved), `Shipped` (set by dispatch
or typed by a user; posted on the next run) or `Cancelled` (emptied because its
reservation was released; its number is never reused). `posted_on` is what makes dispatch
idempotent: a posted shipment's stock has left and is never taken out again.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from decimal import Decimal
from typing import Iterable, Optional, Sequence

from .issues import Issue, error, warning
from .models import (Customer, LedgerEntry, OrderBook, OrderLine, Reservation, Shipment,
                     ShipmentLine, ShippingRate, StockLevel)
from .records import build_tuples, copies

READY = "Ready"
SHIPPED = "Shipped"
CANCELLED = "Cancelled"
SHIPMENT_PREFIX = "SHP-"
NUMBER_WIDTH = 5
RATES_SHEET = "Shipping Rates"

_NUMBER = re.compile(r"^\s*SHP-(\d+)\s*$", re.IGNORECASE)
_POSTABLE = ("ready", "", "shipped")
"""Lower-case statuses an unposted shipment is posted with when dispatch marks every
Ready one: Ready (or blank) marked now, and Shipped set by a user."""

Key3 = tuple[str, int, str]
"""(order_id, line, warehouse): the unit a reservation and a shipment line share."""

ZERO = Decimal(0)
# `format_shipment_id` as a %-format: it runs once per planned shipment, and %-formatting
# an int is about twice as fast as an f-string with a nested width.
_ID_FORMAT = f"{SHIPMENT_PREFIX}%0{NUMBER_WIDTH}d"


# ---- small predicates ----------------------------------------------------------------


def _status(s: Shipment) -> str:
    return (s.status or "").strip().lower()


def is_ready(s: Shipment) -> bool:
    """Ready and not posted. A blank status counts as Ready (the sheet's default)."""
    return s.posted_on is None and _status(s) in ("ready", "")


def is_cancelled(s: Shipment) -> bool:
    return _status(s) == "cancelled"


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


# ---- carrier choice ------------------------------------------------------------------


def choose_rate(rates: Sequence[ShippingRate], country: str, weight: Decimal,
                planned_on: dt.date, requested_date: Optional[dt.date],
                ship_method: Optional[str]) -> ShippingRate | None:
    """The carrier service for one shipment, or None when no rate fits.

    Usable rates: Country is `country` or `*`, and Max Weight (blank = no limit) is at
    least `weight`. With a `ship_method` only rates whose Service matches it
    (case-insensitively) count, and the cheapest of them wins (a service is often listed
    once per weight bracket). Otherwise: the cheapest rate that arrives by
    `requested_date` (planned_on + Transit Days <= requested_date); no requested date:
    the cheapest overall; none arrives in time: the fastest (lowest Transit Days, then
    cheapest). Ties go to the country's own row over `*`, then to sheet order.
    """
    return _RateIndex(rates).choose(country, weight, planned_on, requested_date, ship_method)


class _RateIndex:
    """The Shipping Rates sheet arranged once per country for `choose_rate`.

    Planning asks for a rate once per shipment (tens of thousands of times) against the
    same few dozen rows. Per destination country the usable rows are kept sorted by the
    rule's own keys -- cheapest (Cost, Transit Days, own country first) and fastest
    (Transit Days, Cost, own country first) -- with a stable sort, so sheet order still
    breaks ties. The answer is then the first row in the right order that fits the
    weight (and the date): the same row `min` over the filtered rows would pick.

    Each such list comes with its `reach`: the running maximum of Max Weight (blank = no
    limit). The first row that carries a weight is the first whose reach is at least that
    weight, so bisection finds it instead of a walk over the lighter rows. With a
    requested date, the rows that arrive in time are those whose Transit Days are at most
    the days from planning to the requested date (planned_on + Transit Days <=
    requested_date, in whole days); they are kept per country and number of days.

    Everything but the weight is the same for all shipments of an order, so `candidates`
    (remembered per destination, dates and service) gives the rows to look in once, and
    each shipment only bisects them.
    """

    def __init__(self, rates: Sequence[ShippingRate]):
        self.rates = tuple(rates)
        self._countries: dict[str, tuple[_Rows, _Rows, dict[str, _Rows]]] = {}
        self._in_time: dict[tuple[str, int], _Rows] = {}
        self._candidates: dict[tuple, tuple[_Rows, _Rows | None]] = {}

    def _of(self, c: str) -> tuple[_Rows, _Rows, dict[str, _Rows]]:
        """(cheapest first, fastest first, cheapest first per lower-case Service) of the
        rows whose Country is `c`, `*` or blank."""
        got = self._countries.get(c)
        if got is None:
            rows = []
            for r in self.rates:
                rc = (r.country or "").strip().upper()
                if rc in ("*", "") or rc == c:
                    rows.append((r, 0 if rc == c else 1))
            cheapest = [r for r, _ in sorted(rows, key=lambda t: (t[0].cost, t[0].transit_days,
                                                                  t[1]))]
            fastest = [r for r, _ in sorted(rows, key=lambda t: (t[0].transit_days, t[0].cost,
                                                                 t[1]))]
            by_service: dict[str, list] = defaultdict(list)
            for r in cheapest:
                by_service[(r.service or "").strip().lower()].append(r)
            got = self._countries[c] = (_Rows(cheapest), _Rows(fastest),
                                        {k: _Rows(v) for k, v in by_service.items()})
        return got

    def choose(self, country: str, weight: Decimal, planned_on: dt.date,
               requested_date: Optional[dt.date],
               ship_method: Optional[str]) -> ShippingRate | None:
        return _first(self.candidates(country, planned_on, requested_date, ship_method),
                      weight)

    def candidates(self, country: str, planned_on: dt.date, requested_date: Optional[dt.date],
                   ship_method: Optional[str]) -> tuple[_Rows, _Rows | None]:
        """The rows to take the first that carries the weight from, and the rows to fall
        back on when none does (the fastest, when none arrives in time), else None."""
        key = (country, planned_on, requested_date, ship_method)
        got = self._candidates.get(key)
        if got is None:
            c = (country or "").strip().upper()
            cheapest, fastest, by_service = self._of(c)
            method = (ship_method or "").strip().lower()
            if method:
                got = (by_service.get(method, _NO_ROWS), None)
            elif requested_date is None:
                got = (cheapest, None)
            else:
                days = (requested_date - planned_on).days
                in_time = self._in_time.get((c, days))
                if in_time is None:
                    in_time = self._in_time[(c, days)] = _Rows(
                        [r for r in cheapest.rows if r.transit_days <= days])
                got = (in_time, fastest)
            self._candidates[key] = got
        return got


_NO_LIMIT = Decimal("Infinity")


class _Rows:
    """Rate rows in one order and their `reach` (see `_RateIndex`)."""

    __slots__ = ("rows", "reach")

    def __init__(self, rows: list[ShippingRate]):
        self.rows = rows
        self.reach: list[Decimal] = []
        top = None
        for r in rows:
            w = _NO_LIMIT if r.max_weight is None else r.max_weight
            top = w if top is None or w > top else top
            self.reach.append(top)

    def first(self, weight: Decimal) -> ShippingRate | None:
        """The first row whose Max Weight is blank or at least `weight`, else None."""
        k = bisect_left(self.reach, weight)
        return self.rows[k] if k < len(self.rows) else None


_NO_ROWS = _Rows([])


def _first(candidates: tuple[_Rows, _Rows | None], weight: Decimal) -> ShippingRate | None:
    """The rate `_RateIndex.choose` gives, from its `candidates`."""
    rows, fallback = candidates
    found = rows.first(weight)
    return found if found is not None or fallback is None else fallback.first(weight)


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
        self.rate_index = _RateIndex(book.shipping_rates)
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
    weights, rates_present, customers = p.weights, p.rates_present, p.customers
    candidates = p.rate_index.candidates

    for oid in sorted(todo, key=lambda o: (orders[o].order_date, o)):
        order = orders[oid]
        c = customers.get(order.customer_id)  # p.country, inlined
        country = c.country if c is not None and c.country else ""
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
            rate = _first(cands, weight) if rates_present else None
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
                f"for {_kg(failed[1])} kg from {failed[0]}; nothing of the order is shipped",
                oid))
            continue
        for wh, adds, i, weight, rate in staged:
            carrier = rate.carrier if rate else ""
            service = rate.service if rate else ""
            cost = rate.cost if rate else Decimal(0)
            if i is None:
                sid = _ID_FORMAT % next_no  # format_shipment_id, inlined
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


def _kg(weight: Decimal) -> str:
    """Plain decimal text, no exponent and no trailing zeros (`2.5`, `100`, `0`)."""
    return format(weight.normalize(), "f") if weight else "0"


# ---- dispatch --------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchResult:
    shipments: tuple[Shipment, ...]
    reservations: tuple[Reservation, ...]
    """Reservations left after the posted shipments consumed theirs (zeros dropped)."""
    inventory: tuple[StockLevel, ...]
    ledger: tuple[LedgerEntry, ...]
    dispatched: tuple[str, ...]
    """Shipment IDs posted by this call."""
    issues: tuple[Issue, ...]


def dispatch(book: OrderBook, reservations: Sequence[Reservation],
             shipments: Sequence[Shipment], shipment_lines: Sequence[ShipmentLine],
             select: Sequence[str] | None, today: dt.date, now: dt.datetime) -> DispatchResult:
    """Mark shipments Shipped and post every Shipped, unposted shipment exactly once.

    `select` None: every Ready shipment becomes Shipped; a list: only those Shipment IDs;
    an empty list: no status changes (only shipments a user already set to Shipped are
    posted). Posting consumes the shipment lines' reservations (oldest first), lowers
    On Hand, writes Stock Ledger rows and stamps Shipped On (unless typed) and Posted On.
    """
    ships = list(shipments)
    issues: list[Issue] = []
    # Shipments this call sets to Shipped. They are all posted below, and posting writes
    # the status again, so the record is copied once (not once to mark, once to post).
    marked: set[int] = set()

    if select is None:
        # Every Ready shipment is marked: unposted Ready (or blank) and Shipped ones are
        # posted, found in one pass without the set.
        to_post = [i for i, s in enumerate(ships)
                   if s.posted_on is None and (s.status or "").strip().lower() in _POSTABLE]
    else:
        index: dict[str, int] = {}
        for i, s in enumerate(ships):
            index.setdefault(s.shipment_id.strip().upper(), i)
        for sid in select:
            i = index.get((sid or "").strip().upper())
            if i is None:
                issues.append(warning("unknown_shipment", "Shipments", "",
                                      f"shipment '{sid}' is not on the Shipments sheet"))
                continue
            s = ships[i]
            if s.posted_on is not None:
                issues.append(warning("already_dispatched", "Shipments",
                                      s.cell("shipment_id"),
                                      f"shipment {s.shipment_id} was already dispatched on "
                                      f"{s.posted_on}", s.order_id))
            elif is_cancelled(s):
                issues.append(warning("shipment_cancelled", "Shipments", s.cell("status"),
                                      f"shipment {s.shipment_id} is cancelled and cannot be "
                                      "dispatched", s.order_id))
            else:
                marked.add(i)
        to_post = [i for i, s in enumerate(ships)
                   if s.posted_on is None and (i in marked or _status(s) == "shipped")]

    if not to_post:
        return DispatchResult(tuple(ships), tuple(reservations), tuple(book.inventory), (), (),
                              tuple(issues))

    # Reservations: remaining quantity per record, and per (order, line, warehouse) the
    # record behind it -- or, in `several`, the records oldest first, so consumption is
    # FIFO like the stock itself. Usually there is one: one dict operation each, no list.
    res = list(reservations)
    left = [r.quantity for r in res]
    res_of: dict[Key3, int] = {}
    several: dict[Key3, list[int]] = {}
    reserved_total: dict[tuple[str, str], int] = defaultdict(int)
    for n, r in enumerate(res):
        k = (r.order_id, r.line, r.warehouse)
        first = res_of.setdefault(k, n)
        if first != n:
            several.setdefault(k, [first]).append(n)
        reserved_total[(r.sku, r.warehouse)] += r.quantity
    for idx in several.values():
        idx.sort(key=lambda n: (res[n].reserved_on, n))

    stock = list(book.inventory)
    stock_at: dict[tuple[str, str], int] = {}
    for n, st in enumerate(stock):
        stock_at.setdefault(st.key, n)
    on_hand = [st.on_hand for st in stock]
    touched: set[int] = set()

    lines_of: dict[str, list[ShipmentLine]] = defaultdict(list)
    for sl in shipment_lines:
        lines_of[sl.shipment_id].append(sl)

    # Two ledger rows per posted line (a large run posts tens of thousands): kept as rows
    # of `_LEDGER` fields and built at the end, with the look-ups bound once.
    rows: list[tuple] = []
    posted: list[str] = []
    append, no_lines = rows.append, ()

    for i in to_post:
        s = ships[i]
        for sl in lines_of.get(s.shipment_id, no_lines):
            oid, ln_no, sku, wh, qty = sl.order_id, sl.line, sl.sku, sl.warehouse, sl.quantity
            at = (sku, wh)
            # Consume the reservation behind the line (less if it was cut meanwhile).
            k = (oid, ln_no, wh)
            n = res_of.get(k)
            if n is None:
                pass
            elif not several or k not in several:
                # One record: what the walk below does for it (q = min(left, qty)).
                q = left[n] if left[n] < qty else qty
                if q > 0:
                    left[n] -= q
                    rsku = res[n].sku
                    key = at if rsku == sku else (rsku, wh)
                    before = reserved_total[key]
                    reserved_total[key] = before - q
                    append((rsku, wh, "Reserved", -q, before, before - q, oid, ln_no))
            else:
                idx = several[k]
                want = qty
                taken: dict[str, int] = {}
                for n in idx:
                    if want <= 0:
                        break
                    q = min(left[n], want)
                    if q > 0:
                        left[n] -= q
                        want -= q
                        rsku = res[n].sku
                        taken[rsku] = taken.get(rsku, 0) + q
                for rsku, q in taken.items():
                    before = reserved_total[(rsku, wh)]
                    reserved_total[(rsku, wh)] = before - q
                    append((rsku, wh, "Reserved", -q, before, before - q, oid, ln_no))
            # Lower On Hand; never below zero (the sheet was wrong, not the shipment).
            n = stock_at.get(at)
            before = on_hand[n] if n is not None else 0
            after = before - qty
            if after < 0:
                cell = stock[n].cell("on_hand") if n is not None else ""
                issues.append(warning(
                    "negative_stock", "Inventory", cell,
                    f"shipment {s.shipment_id} takes {qty} of {sku} from "
                    f"{wh} but On Hand is {before}; On Hand set to 0", s.order_id))
                after = 0
            if n is not None:
                on_hand[n] = after
                touched.add(n)
            if after != before:
                append((sku, wh, "On Hand", after - before, before, after, oid, ln_no))
        posted.append(s.shipment_id)

    # Every posted shipment becomes Shipped, posted today (a typed Shipped On stays).
    olds = [ships[i] for i in to_post]
    news = copies(olds, {"status": [SHIPPED] * len(olds),
                          "shipped_on": [s.shipped_on or today for s in olds],
                          "posted_on": [today] * len(olds)})
    for i, s in zip(to_post, news):
        ships[i] = s
    ledger = build_tuples(LedgerEntry, _LEDGER, rows, timestamp=now, operation="dispatch")

    new_res = tuple(r if left[n] == r.quantity else r.model_copy(update={"quantity": left[n]})
                    for n, r in enumerate(res) if left[n] > 0)
    lowered = sorted(n for n in touched if on_hand[n] != stock[n].on_hand)
    for n, st in zip(lowered, copies([stock[n] for n in lowered],
                                      {"on_hand": [on_hand[n] for n in lowered]})):
        stock[n] = st
    new_stock = tuple(stock)
    return DispatchResult(tuple(ships), new_res, new_stock, tuple(ledger), tuple(posted),
                          tuple(issues))


_LEDGER = ("sku", "warehouse", "field", "change", "before", "after", "order_id", "line")


# ---- views: pick list and carrier export ----------------------------------------------


@dataclass(frozen=True)
class PickRow:
    """One row of the Pick List sheet."""

    shipment_id: str
    warehouse: str
    bin: str
    sku: str
    description: str
    quantity: int
    order_id: str
    line: int


_DIGITS = re.compile(r"(\d+)")


def _bin_key(bin_: str) -> tuple:
    """Natural order (A-2 before A-10); blank bins last, so the walk ends at the unknowns."""
    b = (bin_ or "").strip()
    if not b:
        return (1, ())
    return (0, tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower())
                     for t in _DIGITS.split(b) if t))


def pick_list(shipments: Sequence[Shipment], shipment_lines: Sequence[ShipmentLine],
              book: OrderBook) -> list[PickRow]:
    """Every line of every Ready shipment, in one walk through each warehouse: sorted by
    warehouse, bin (natural order, blank last), SKU, then shipment, order and line."""
    ready = {s.shipment_id for s in shipments if is_ready(s)}
    bins = {st.key: st.bin for st in book.inventory}
    desc = {p.sku: p.description for p in book.products}
    rows = [PickRow(sl.shipment_id, sl.warehouse, bins.get((sl.sku, sl.warehouse), ""),
                    sl.sku, desc.get(sl.sku, ""), sl.quantity, sl.order_id, sl.line)
            for sl in shipment_lines if sl.shipment_id in ready and sl.quantity > 0]
    rows.sort(key=lambda r: (r.warehouse, _bin_key(r.bin), r.sku, r.shipment_id, r.order_id,
                             r.line))
    return rows


CARRIER_COLUMNS = ("Order Number", "Shipment ID", "Recipient Name", "Address", "Country",
                   "Email", "Weight (kg)", "Carrier", "Service")


def carrier_export_rows(shipments: Sequence[Shipment], book: OrderBook,
                        ids: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Rows for a carrier's batch-import CSV (label printing), one per shipment, all values
    text, keys in `CARRIER_COLUMNS` order:

    - Order Number: the shipment's Order ID (carriers print it as the reference);
    - Shipment ID: `SHP-00001`, to match tracking numbers back to the Shipments sheet;
    - Recipient Name: the customer's Name (Customer ID when the name is blank);
    - Address: the customer's Ship To, else Bill To, line breaks joined with ", ";
    - Country: the shipment's Country (ISO alpha-2), else the customer's;
    - Email: the customer's Email (for carrier delivery notifications);
    - Weight (kg): the shipment weight as plain decimal text (`2.5`);
    - Carrier, Service: as planned on the Shipments sheet.

    `ids` None: every Ready shipment; otherwise the shipments with those IDs (any status,
    matched case-insensitively; unknown IDs are skipped). Rows follow the Shipments sheet.
    """
    customers = {c.customer_id: c for c in book.customers}
    if ids is None:
        chosen = [s for s in shipments if is_ready(s)]
    else:
        wanted = {(i or "").strip().upper() for i in ids}
        chosen = [s for s in shipments if s.shipment_id.strip().upper() in wanted]
    rows = []
    for s in chosen:
        c = customers.get(s.customer_id)
        address = (c.ship_to or c.bill_to) if c else ""
        address = ", ".join(part.strip() for part in address.splitlines() if part.strip())
        rows.append(dict(zip(CARRIER_COLUMNS, (
            s.order_id, s.shipment_id, (c.name if c and c.name else s.customer_id), address,
            s.country or (c.country if c else ""), c.email if c else "", _kg(s.weight),
            s.carrier, s.service))))
    return rows
