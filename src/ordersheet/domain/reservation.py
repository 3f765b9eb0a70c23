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
from operator import attrgetter
from typing import Callable, Mapping, Sequence

from .issues import Issue, warning
from .models import PRIORITIES, LedgerEntry, OrderBook, OrderLine, Reservation, StockLevel
from .records import build_tuples

_TAKEN = ("sku", "warehouse", "change", "before", "after", "order_id", "line")
"""A take, as gathered: the fields of its Stock Ledger row."""
_TAKEN_RESERVED = ("sku", "warehouse", "quantity", "order_id", "line")
"""The fields of the Reservation a take adds (the take without before and after)."""

Key = tuple[str, int]
"""(Order ID, Line): identifies an order line for good."""
StockKey = tuple[str, str]
"""(SKU, warehouse): identifies an Inventory row."""

_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_NORMAL = _PRIORITY_RANK["Normal"]

# Records made once per line go straight to the model's validator: the same validation
# and the same record as `Reservation(**fields)`, without BaseModel.__init__'s Python
# frame (about a third of each record's cost; a run makes one per reserved line).

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


def turn(policy: str) -> Callable[[OrderLine], tuple]:
    """Sort key giving the order lines are served in. fifo: Order Date, then Order ID, then
    Line; priority: High, Normal, Low, then fifo. (Order ID, Line) is unique, so the
    sheet's row order never matters."""
    if policy == "priority":
        return lambda ln: (_PRIORITY_RANK.get(ln.priority, _NORMAL), ln.order_date,
                           ln.order_id, ln.line)
    return attrgetter("order_date", "order_id", "line")


def reserve(lines: Sequence[OrderLine], book: OrderBook, shipped: dict[tuple[str, int], int],
            today: dt.date, now: dt.datetime) -> ReserveResult:
    """Release what is no longer owed, then reserve what is still missing.

    `lines` are the lines to serve (valid, priced, not held, not cancelled); reservations
    of any other line are released. `shipped` counts units already dispatched per line:
    they are neither reserved nor needed any more.
    """
    settings = book.settings
    # A duplicate (Order ID, Line) is a validation error; the first row wins.
    by_key: dict[Key, OrderLine] = {(ln.order_id, ln.line): ln for ln in reversed(lines)}
    policy_turn = turn(settings.allocation_policy)

    def need(k: Key) -> int:  # units still owed: ordered minus dispatched
        return by_key[k].quantity - shipped.get(k, 0)

    stock: dict[StockKey, StockLevel] = {}
    for s in book.inventory:
        stock.setdefault((s.sku, s.warehouse), s)
    capacity = {k: max(0, s.on_hand) for k, s in stock.items()}

    recs = book.reservations
    left = [r.quantity for r in recs]  # units each record still holds as releases are decided
    held: dict[StockKey, int] = defaultdict(int)  # Reserved per stock level, as releases go
    line_held: dict[Key, int] = defaultdict(int)
    # (phase, order_id, line, sku, warehouse) -> units released; one ledger row each
    released: dict[tuple, int] = {}

    def release(i: int, units: int, phase: int) -> None:
        r = recs[i]
        left[i] -= units
        held[(r.sku, r.warehouse)] -= units
        line_held[(r.order_id, r.line)] -= units
        k = (phase, r.order_id, r.line, r.sku, r.warehouse)
        released[k] = released.get(k, 0) + units

    # 1. Reservations nobody may hold any more: the line is gone, cancelled, invalid or
    #    held; its SKU or Warehouse was changed; the Inventory row no longer exists.
    gone: list[int] = []
    for i, r in enumerate(recs):
        sk, k, q = (r.sku, r.warehouse), (r.order_id, r.line), r.quantity
        held[sk] += q
        line_held[k] += q
        ln = by_key.get(k)
        if (ln is None or q <= 0 or r.sku != ln.sku or sk not in capacity
                or (ln.warehouse and r.warehouse != ln.warehouse)):
            gone.append(i)
    opening = dict(held)  # Inventory's Reserved before this run
    for i in gone:
        release(i, recs[i].quantity, _GONE)

    # 2. Quantity lowered (or partly dispatched): the line gives back its newest units.
    over = {k for k, n in line_held.items() if n > 0 and n > need(k)}
    for k, idxs in _group(recs, left, over, lambda r: (r.order_id, r.line)).items():
        excess = line_held[k] - need(k)
        for i in sorted(idxs, key=lambda i: (recs[i].reserved_on, i), reverse=True):
            units = min(left[i], excess)
            release(i, units, _LOWERED)
            excess -= units
            if not excess:
                break

    # 3. Stock counted lower than what is reserved: the newest reservations give way, and
    #    among the same day's, the lines the policy serves last.
    issues: list[Issue] = []
    over = {sk for sk, n in held.items() if n > capacity.get(sk, 0)}

    def newest_first(i: int) -> tuple:
        r = recs[i]
        return (r.reserved_on, policy_turn(by_key[(r.order_id, r.line)]), i)

    for sk, idxs in _group(recs, left, over, lambda r: (r.sku, r.warehouse)).items():
        before = held[sk]
        excess = before - capacity[sk]
        losers: dict[str, int] = {}
        for i in sorted(idxs, key=newest_first, reverse=True):
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
            f"On Hand {s.on_hand} of SKU {s.sku} at {s.warehouse} is below the {before} "
            f"units reserved: {before - capacity[sk]} released from orders {names}",
            next(iter(losers)) if len(losers) == 1 else ""))

    totals = defaultdict(int, opening)
    ledger: list[LedgerEntry] = []

    def post(operation: str, sku: str, wh: str, change: int, order_id: str, line: int) -> None:
        before = totals[(sku, wh)]
        totals[(sku, wh)] = before + change
        ledger.append(LedgerEntry(
            timestamp=now, operation=operation, sku=sku, warehouse=wh,
            field="Reserved", change=change, before=before, after=before + change,
            order_id=order_id, line=line))

    for (_, oid, line_no, sku, wh), units in released.items():
        if units:
            post("release", sku, wh, -units, oid, line_no)

    # 4. Top up what is still missing, in policy order.
    if released:
        kept = [r if n == r.quantity else r.model_copy(update={"quantity": n})
                for r, n in zip(recs, left) if n > 0]
    else:
        kept = list(recs)
    # (order_id, line, sku, warehouse) -> index in `kept` of its record dated today, so a
    # same-day top-up grows that record instead of adding a row. (Within one run a line
    # takes from each warehouse at most once, so new records never need merging.)
    todays = {(r.order_id, r.line, r.sku, r.warehouse): i
              for i, r in enumerate(kept) if r.reserved_on == today}

    # (SKU, warehouse) -> [units free, units reserved]: one look-up per take reads and
    # updates both the free stock and the ledger's running Reserved total (`totals`).
    levels: dict[StockKey, list[int]] = {}
    # SKU -> [units free in all its warehouses, index of the first warehouse that may
    # still have stock, [(warehouse, its `levels` cell), ...] in Inventory sheet order]:
    # unrestricted lines drain warehouses front to back, so everything before the index
    # is empty. One look-up per line finds all three.
    by_sku: dict[str, list] = {}
    for sk in stock:  # Inventory sheet order is the warehouse order
        cell = levels[sk] = [capacity[sk] - held.get(sk, 0), totals.get(sk, 0)]
        sku_state = by_sku.get(sk[0])
        if sku_state is None:
            sku_state = by_sku[sk[0]] = [0, 0, []]
        sku_state[0] += cell[0]
        sku_state[2].append((sk[1], cell))
    # One row per take: (sku, warehouse, units, before, after, order_id, line). The Stock
    # Ledger rows and the new Reservations are built from them at the end, a column at a
    # time (`records.build_tuples`): the same records as a keyword call each, without the
    # class call packing and unpacking keywords (~176,000 records in a 100k-line run).
    taken: list[tuple] = []  # fields `_TAKEN`
    grown: set[int] = set()  # rows that grew a record dated today instead of adding one

    def take(ln: OrderLine, wh: str, cell: list[int], units: int) -> None:
        before = cell[1]
        cell[0] -= units
        cell[1] = before + units
        taken.append((ln.sku, wh, units, before, before + units, ln.order_id, ln.line))
        at = todays.get((ln.order_id, ln.line, ln.sku, wh)) if todays else None
        if at is not None:
            kept[at] = kept[at].model_copy(update={"quantity": kept[at].quantity + units})
            grown.add(len(taken) - 1)

    partial = settings.allow_partial
    # (line, units still missing after its turn, units it took)
    short: list[tuple[OrderLine, int, int]] = []
    # Only lines still missing units take part, so a re-run sorts almost nothing. What a
    # line misses is known here already (only its own turn changes what it holds).
    # id(line) -> units missing, for the lines that miss less than their Quantity (none
    # on a first run: nothing dispatched or held yet); no per-line tuple key.
    missing_of: dict[int, int] = {}
    if shipped or line_held:
        wanting: list[OrderLine] = []
        held_get = line_held.get
        for k, ln in by_key.items():
            missing = need(k) - held_get(k, 0)
            if missing > 0:
                wanting.append(ln)
                if missing != ln.quantity:
                    missing_of[id(ln)] = missing
    else:
        wanting = [ln for ln in by_key.values() if ln.quantity > 0]
    wanting.sort(key=policy_turn)
    for ln in wanting:
        missing = missing_of.get(id(ln), ln.quantity) if missing_of else ln.quantity
        sku, wh = ln.sku, ln.warehouse
        sku_state = by_sku.get(sku)
        if wh:
            cell = levels.get((sku, wh))
            can = cell[0] if cell is not None else 0
        else:
            can = sku_state[0] if sku_state is not None else 0
        if partial:
            units = missing if missing < can else can
        else:
            units = missing if can >= missing else 0
        if units:
            sku_state[0] -= units
            if wh:
                take(ln, wh, cell, units)
            else:
                whs, rest, j = sku_state[2], units, sku_state[1]
                while rest:
                    wh_j, cell = whs[j]
                    got = rest if rest < cell[0] else cell[0]
                    if got:
                        take(ln, wh_j, cell, got)
                        rest -= got
                    if not cell[0]:
                        j += 1
                sku_state[1] = j
        if missing > units:
            short.append((ln, missing - units, units))

    # Told once every line has had its turn: "available" is what the line holds plus what
    # is still free for it, the same figure on a re-run, so the Issues sheet is stable too.
    for ln, n, took in short:
        if ln.warehouse:
            where = f"SKU {ln.sku} at {ln.warehouse}"
            cell = levels.get((ln.sku, ln.warehouse))
            free = cell[0] if cell is not None else 0
        else:
            sku_state = by_sku.get(ln.sku)
            where, free = f"SKU {ln.sku}", sku_state[0] if sku_state is not None else 0
        holds = line_held.get((ln.order_id, ln.line), 0) + took
        refused = book.refused.get(("Inventory", ln.sku))
        if refused:  # the stock there is not counted: say so, not only "short"
            where = f"an Inventory row of SKU {ln.sku} was refused ({refused}); {where}"
        issues.append(warning(
            "backordered", "Orders", ln.cell("quantity"),
            f"{n} of {ln.quantity} units backordered "
            f"({where}: {holds + free} available)", ln.order_id))

    ledger += build_tuples(LedgerEntry, _TAKEN, taken, timestamp=now, operation="reserve",
                           field="Reserved")
    fresh = [t for i, t in enumerate(taken) if i not in grown] if grown else taken
    kept += build_tuples(Reservation, _TAKEN_RESERVED, [t[:3] + t[5:] for t in fresh],
                         reserved_on=today)
    return ReserveResult(tuple(kept), tuple(ledger), tuple(issues))


def _group(recs: Sequence[Reservation], left: list[int], wanted: set, key) -> dict:
    """Indices of the records still holding units, grouped by `key`, for wanted keys only
    (one pass, and none at all when nothing is wanted)."""
    out: dict = defaultdict(list)
    if wanted:
        for i, r in enumerate(recs):
            if left[i] > 0:
                k = key(r)
                if k in wanted:
                    out[k].append(i)
    return out
