"""Dispatch: shipments leave the warehouse (CONTRACT §4 "Shipping", "Ledger and audit").

`dispatch` marks shipments Shipped and *posts* each exactly once: the reservation behind
every shipment line is consumed, On Hand is lowered and both changes are Stock Ledger
rows; the shipment is stamped Shipped On and Posted On. What a shipment's status means is
`shipping`'s (planning makes the shipments dispatch posts).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from .issues import Issue, warning
from .models import LedgerEntry, OrderBook, Reservation, Shipment, ShipmentLine, StockLevel
from .records import build_tuples, copies
from .shipping import SHIPPED, Key3, is_cancelled, plain_status

_POSTABLE = ("ready", "", "shipped")
"""Lower-case statuses an unposted shipment is posted with when dispatch marks every
Ready one: Ready (or blank) marked now, and Shipped set by a user."""


REFUSALS = ("unknown_shipment", "already_dispatched", "shipment_cancelled")
"""The codes `dispatch` gives a shipment it was asked for and did not dispatch."""


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
                   if s.posted_on is None and plain_status(s) in _POSTABLE]
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
                   if s.posted_on is None and (i in marked or plain_status(s) == "shipped")]

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
