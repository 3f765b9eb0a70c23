"""Stock reservation (CONTRACT §4 "Reservation", "Ledger and audit").

Owns the Reservations sheet: which order line holds how many units of which SKU in which
warehouse. A run first releases what is no longer owed (lines gone, cancelled or held,
quantities lowered, stock counted lower), then tops up what is still missing in policy
order. Reservations already made stay, so a second run changes nothing. Every change to a
(SKU, warehouse) Reserved total is a Stock Ledger row, so replaying the ledger over the
opening figures reproduces Inventory.

Time is linear-ish in the number of lines and reservations: one sort of the lines, one
sort per over-committed line or stock level, dict joins everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

from .issues import Issue, warning
from .models import PRIORITIES, LedgerEntry, OrderBook, OrderLine, Reservation, StockLevel

Key = tuple[str, int]
"""(Order ID, Line): identifies an order line for good."""
StockKey = tuple[str, str]
"""(SKU, warehouse): identifies an Inventory row."""

_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_NORMAL = _PRIORITY_RANK["Normal"]

# Release phases, in the order they run (and their ledger rows appear).
_GONE, _LOWERED, _COUNTED = 0, 1, 2


@dataclass(frozen=True)
class ReserveResult:
    reservations: tuple[Reservation, ...]
    """The whole Reservations sheet after this run (kept + new, released removed)."""
    ledger: tuple[LedgerEntry, ...]
    issues: tuple[Issue, ...]


def reserved_by_stock(reservations: Sequence[Reservation]) -> dict[StockKey, int]:
    """Inventory's Reserved column: units reserved per (SKU, warehouse)."""
    out: dict[StockKey, int] = defaultdict(int)
    for r in reservations:
        out[(r.sku, r.warehouse)] += r.quantity
    return dict(out)


def replay_ledger(ledger: Sequence[LedgerEntry],
                  opening: Mapping[StockKey, tuple[int, int]]) -> dict[StockKey, tuple[int, int]]:
    """Apply the ledger's changes, in order, to opening (On Hand, Reserved) figures.

    Stock levels the opening does not know start at (0, 0), as a new Inventory row would.
    """
    out = dict(opening)
    for e in ledger:
        key = (e.sku, e.warehouse)
        on_hand, reserved = out.get(key, (0, 0))
        if e.field == "On Hand":
            on_hand += e.change
        else:
            reserved += e.change
        out[key] = (on_hand, reserved)
    return out


def policy_key(line: OrderLine, policy: str) -> tuple:
    """Serving order: fifo = Order Date, Order ID, Line; priority = High, Normal, Low first."""
    fifo = (line.order_date, line.order_id, line.line)
    if policy == "priority":
        return (_PRIORITY_RANK.get(line.priority, _NORMAL),) + fifo
    return fifo


def reserve(lines: Sequence[OrderLine], book: OrderBook, shipped: dict[tuple[str, int], int],
            today: dt.date, now: dt.datetime) -> ReserveResult:
    """Release what is no longer owed, then reserve what is still missing.

    `lines` are the lines to serve (valid, priced, not held, not cancelled); reservations
    of any other line are released. `shipped` counts units already dispatched per line:
    they are neither reserved nor needed any more.
    """
    settings = book.settings
    by_key: dict[Key, OrderLine] = {}
    for ln in lines:
        by_key.setdefault(ln.key, ln)  # a duplicate key is a validation error; first wins
    stock: dict[StockKey, StockLevel] = {}
    for s in book.inventory:
        stock.setdefault(s.key, s)
    capacity = {k: max(0, s.on_hand) for k, s in stock.items()}
    ordered = sorted(by_key.values(), key=lambda ln: policy_key(ln, settings.allocation_policy))
    rank = {ln.key: i for i, ln in enumerate(ordered)}

    def need(ln: OrderLine) -> int:
        return max(0, ln.quantity - shipped.get(ln.key, 0))

    recs = list(book.reservations)
    left = [r.quantity for r in recs]  # units each record still holds as releases are decided
    # (phase, order_id, line, sku, warehouse) -> units released; one ledger row each
    released: dict[tuple, int] = {}

    def release(i: int, units: int, phase: int) -> None:
        r = recs[i]
        left[i] -= units
        k = (phase, r.order_id, r.line, r.sku, r.warehouse)
        released[k] = released.get(k, 0) + units

    # 1. Reservations nobody may hold any more: the line is gone, cancelled, invalid or
    #    held; its SKU or Warehouse was changed; the Inventory row no longer exists.
    for i, r in enumerate(recs):
        ln = by_key.get((r.order_id, r.line))
        if (ln is None or r.quantity <= 0 or r.sku != ln.sku
                or (ln.warehouse and r.warehouse != ln.warehouse)
                or (r.sku, r.warehouse) not in capacity):
            release(i, r.quantity, _GONE)

    # 2. Quantity lowered (or partly dispatched): the line gives back its newest units.
    per_line: dict[Key, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        if left[i] > 0:
            per_line[(r.order_id, r.line)].append(i)
    for key, idxs in per_line.items():
        excess = sum(left[i] for i in idxs) - need(by_key[key])
        if excess > 0:
            for i in sorted(idxs, key=lambda i: (recs[i].reserved_on, i), reverse=True):
                units = min(left[i], excess)
                release(i, units, _LOWERED)
                excess -= units
                if not excess:
                    break

    # 3. Stock counted lower than what is reserved: the newest reservations give way, and
    #    among the same day's, the lines the policy serves last.
    per_stock: dict[StockKey, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        if left[i] > 0:
            per_stock[(r.sku, r.warehouse)].append(i)
    issues: list[Issue] = []
    for sk, idxs in per_stock.items():
        held = sum(left[i] for i in idxs)
        excess = held - capacity[sk]
        if excess <= 0:
            continue
        losers: dict[str, int] = {}
        newest = sorted(idxs, key=lambda i: (recs[i].reserved_on,
                                             rank[(recs[i].order_id, recs[i].line)], i),
                        reverse=True)
        for i in newest:
            units = min(left[i], excess)
            release(i, units, _COUNTED)
            losers[recs[i].order_id] = losers.get(recs[i].order_id, 0) + units
            excess -= units
            if not excess:
                break
        s = stock[sk]
        names = ", ".join(f"{oid} ({n})" for oid, n in losers.items())
        issues.append(warning(
            "reservation_released", "Inventory", s.cell("on_hand"),
            f"On Hand {s.on_hand} of SKU {s.sku} at {s.warehouse} is below the {held} units "
            f"reserved: {held - capacity[sk]} released from orders {names}",
            next(iter(losers)) if len(losers) == 1 else ""))

    totals: dict[StockKey, int] = defaultdict(int, reserved_by_stock(recs))
    ledger: list[LedgerEntry] = []

    def post(operation: str, sku: str, wh: str, change: int, order_id: str, line: int) -> None:
        before = totals[(sku, wh)]
        totals[(sku, wh)] = before + change
        ledger.append(LedgerEntry(timestamp=now, operation=operation, sku=sku, warehouse=wh,
                                  field="Reserved", change=change, before=before,
                                  after=before + change, order_id=order_id, line=line))

    for (_, oid, line_no, sku, wh), units in released.items():
        if units:
            post("release", sku, wh, -units, oid, line_no)

    # 4. Top up what is still missing, in policy order.
    kept: list[Reservation] = []
    line_reserved: dict[Key, int] = defaultdict(int)
    # (order_id, line, sku, warehouse) -> index in `kept` of its record dated today, so a
    # same-day top-up grows that record instead of adding a row.
    todays: dict[tuple, int] = {}
    for r, n in zip(recs, left):
        if n > 0:
            if n != r.quantity:
                r = r.model_copy(update={"quantity": n})
            if r.reserved_on == today:
                todays[(r.order_id, r.line, r.sku, r.warehouse)] = len(kept)
            kept.append(r)
            line_reserved[(r.order_id, r.line)] += n

    available = {k: capacity[k] - totals.get(k, 0) for k in capacity}
    sku_available: dict[str, int] = defaultdict(int)
    sku_warehouses: dict[str, list[str]] = defaultdict(list)
    for sku, wh in stock:  # Inventory sheet order is the warehouse order
        sku_available[sku] += available[(sku, wh)]
        sku_warehouses[sku].append(wh)
    # Per SKU, index of the first warehouse that may still have stock: unrestricted lines
    # drain warehouses front to back, so everything before it is empty.
    first_open: dict[str, int] = defaultdict(int)

    def take(ln: OrderLine, wh: str, units: int) -> None:
        sk = (ln.sku, wh)
        available[sk] -= units
        sku_available[ln.sku] -= units
        post("reserve", ln.sku, wh, units, ln.order_id, ln.line)
        k = (ln.order_id, ln.line, ln.sku, wh)
        at = todays.get(k)
        if at is None:
            todays[k] = len(kept)
            kept.append(Reservation(order_id=ln.order_id, line=ln.line, sku=ln.sku,
                                    warehouse=wh, quantity=units, reserved_on=today))
        else:
            kept[at] = kept[at].model_copy(update={"quantity": kept[at].quantity + units})

    for ln in ordered:
        missing = need(ln) - line_reserved[ln.key]
        if missing <= 0:
            continue
        if ln.warehouse:
            can = available.get((ln.sku, ln.warehouse), 0)
        else:
            can = sku_available.get(ln.sku, 0)
        units = min(missing, can) if settings.allow_partial else (missing if can >= missing else 0)
        if units and ln.warehouse:
            take(ln, ln.warehouse, units)
        elif units:
            whs, rest, j = sku_warehouses[ln.sku], units, first_open[ln.sku]
            while rest:
                got = min(rest, available[(ln.sku, whs[j])])
                if got:
                    take(ln, whs[j], got)
                    rest -= got
                if not available[(ln.sku, whs[j])]:
                    j += 1
            first_open[ln.sku] = j
        short = missing - units
        if short:
            where = f"SKU {ln.sku} at {ln.warehouse}" if ln.warehouse else f"SKU {ln.sku}"
            issues.append(warning(
                "backordered", "Orders", ln.cell("quantity"),
                f"{short} of {ln.quantity} units backordered ({where}: {can} available)",
                ln.order_id))

    return ReserveResult(tuple(kept), tuple(ledger), tuple(issues))
