"""Changes to what was agreed (issue 20): cancelling order lines, and edits to a line that
already left the warehouse.

Owns:
- which order lines are cancelled in a run (`cancellations`): those typed `Cancelled` in
  Status (their reason from the optional Cancel Reason column) and those a `cancel` asks
  for; a line with dispatched units cannot be cancelled (`already_shipped`, naming the
  shipment: record a return instead);
- what a cancellation releases (`release_cancelled`): the line's reservations, as Stock
  Ledger rows of operation `cancel` carrying the reason (the Ready shipments that stood on
  them are withdrawn by shipment planning's shrink, which keeps their numbers);
- edits to a dispatched line (`shipped_line_edits`): its SKU, a Quantity below what was
  dispatched, or the Warehouse of a line that left whole (from another one), are refused (`line_already_shipped`, at the edited cell) and the run goes on
  with the dispatched values. Dispatched values come from the posted Shipment Lines,
  never from a cell a user can retype.

An edit to a line not yet dispatched needs nothing here: reservation releases what a
lowered Quantity, a changed SKU or Warehouse no longer needs (`reservation`), shipment
planning shrinks the Ready shipments to match, and a changed Requested Date is read by the
next carrier choice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from .issues import Issue, error
from .models import Key, LedgerEntry, OrderBook, OrderLine, Reservation

CANCELLED = "Cancelled"


@dataclass(frozen=True)
class CancelRequest:
    """`ordersheet cancel BOOK ORDER_ID [--line N] [--reason TEXT]`."""

    order_id: str
    line: Optional[int] = None
    """None (or 0): every line of the order."""
    reason: str = ""


@dataclass(frozen=True)
class Cancellations:
    book: OrderBook
    """The book with each cancelled line's Status `Cancelled` (and its reason), and the
    refused typed cancellations served as usual."""
    reasons: dict[Key, str]
    """Every cancelled line (already cancelled before this run too) -> its reason."""
    new: tuple[Key, ...]
    """Lines the request cancels that were not cancelled before it."""
    refused: bool = False
    """The request was refused (an issue says why): nothing may be written."""
    issues: tuple[Issue, ...] = field(default=())


def dispatched_units(book: OrderBook) -> dict[Key, dict[str, int]]:
    """(Order ID, Line) -> {Shipment ID: units} of every shipment that left or was marked
    Shipped by a user (posted on the next run: it has left too)."""
    gone = {s.shipment_id for s in book.shipments
            if s.posted_on is not None or (s.status or "").strip().lower() == "shipped"}
    out: dict[Key, dict[str, int]] = defaultdict(dict)
    for sl in book.shipment_lines:
        if sl.shipment_id in gone and sl.quantity:
            got = out[(sl.order_id, sl.line)]
            got[sl.shipment_id] = got.get(sl.shipment_id, 0) + sl.quantity
    return dict(out)


def _shipped_text(ids: Mapping[str, int]) -> str:
    return ", ".join(f"{sid} ({n})" for sid, n in ids.items())


def cancellations(book: OrderBook, request: CancelRequest | None = None) -> Cancellations:
    """Which lines are cancelled in this run (see the module docstring)."""
    shipped = dispatched_units(book)
    issues: list[Issue] = []
    orders = list(book.orders)
    new: list[Key] = []
    refused = False
    if request is not None:
        oid = request.order_id.strip()
        want = request.line or None
        hits = [i for i, ln in enumerate(orders) if ln.order_id == oid
                and (want is None or ln.line == want)]
        what = f"order {oid}" + (f" line {want}" if want else "")
        if not hits:
            refused = True
            issues.append(error("unknown_order", "Orders", "",
                                f"cannot cancel {what}: it is not on the Orders sheet", oid))
        gone = {orders[i].key: shipped[orders[i].key] for i in hits if orders[i].key in shipped}
        if gone:
            refused = True
            for k, ids in gone.items():
                ln = next(orders[i] for i in hits if orders[i].key == k)
                issues.append(error(
                    "already_shipped", "Orders", ln.cell("status", "order_id"),
                    f"cannot cancel {what}: line {k[1]} was dispatched on "
                    f"{_shipped_text(ids)}; nothing was changed. Record a return on the "
                    "Returns sheet instead (`ordersheet returns`)", oid))
        if not refused:
            for i in hits:
                ln = orders[i]
                if ln.status_in != CANCELLED:
                    new.append(ln.key)
                    orders[i] = ln.model_copy(update={
                        "status_in": CANCELLED,
                        "cancel_reason": request.reason or ln.cancel_reason})
    reasons: dict[Key, str] = {}
    for i, ln in enumerate(orders):
        if ln.status_in != CANCELLED:
            continue
        ids = shipped.get(ln.key)
        if ids:  # (a line the request cancels has none: it was refused above)
            # Typed on a line that already left: refused, the line is served as before.
            issues.append(error(
                "already_shipped", "Orders", ln.cell("status", "order_id"),
                f"order {ln.order_id} line {ln.line} cannot be cancelled: it was dispatched "
                f"on {_shipped_text(ids)}. Record a return on the Returns sheet instead; "
                "the line keeps its status", ln.order_id))
            orders[i] = ln.model_copy(update={"status_in": ""})
            continue
        reasons[ln.key] = ln.cancel_reason
    if request is not None and refused:
        return Cancellations(book, {}, (), True, tuple(issues))
    return Cancellations(book.model_copy(update={"orders": tuple(orders)}), reasons,
                         tuple(new), False, tuple(issues))


def release_cancelled(reservations: Sequence[Reservation], reasons: Mapping[Key, str],
                      now: dt.datetime) -> tuple[tuple[Reservation, ...], tuple[LedgerEntry, ...]]:
    """The reservations of cancelled lines released: the Reservations left, and one Stock
    Ledger row (operation `cancel`, the reason) per line and stock level."""
    if not reasons:
        return tuple(reservations), ()
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for r in reservations:
        totals[(r.sku, r.warehouse)] += r.quantity
    released: dict[tuple[str, int, str, str], int] = {}
    kept = []
    for r in reservations:
        k = (r.order_id, r.line)
        if k in reasons and r.quantity > 0:
            rk = (r.order_id, r.line, r.sku, r.warehouse)
            released[rk] = released.get(rk, 0) + r.quantity
        else:
            kept.append(r)
    ledger = []
    for (oid, line, sku, wh), units in released.items():
        before = totals[(sku, wh)]
        totals[(sku, wh)] = before - units
        ledger.append(LedgerEntry(
            timestamp=now, operation="cancel", sku=sku, warehouse=wh, field="Reserved",
            change=-units, before=before, after=before - units, order_id=oid, line=line,
            reason=reasons[(oid, line)]))
    return tuple(kept), tuple(ledger)


def shipped_line_edits(book: OrderBook) -> tuple[OrderBook, tuple[Issue, ...]]:
    """Edits to a line with dispatched units that contradict what left: a changed SKU, a
    Quantity below the units dispatched, or a Warehouse the whole line did not leave from. Each is an error at the edited cell naming the
    dispatched values, and the line goes on with them (the order is not made Invalid:
    what left stays invoiced and its rest is served as before)."""
    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    if not posted:
        return book, ()
    sent: dict[Key, list] = defaultdict(list)
    for sl in book.shipment_lines:
        if sl.shipment_id in posted:
            sent[(sl.order_id, sl.line)].append(sl)
    issues: list[Issue] = []
    orders = list(book.orders)
    for i, ln in enumerate(orders):
        sls = sent.get((ln.order_id, ln.line)) if ln.line is not None else None
        if not sls:
            continue
        units = sum(sl.quantity for sl in sls)
        ids = ", ".join(dict.fromkeys(sl.shipment_id for sl in sls))
        sku = sls[0].sku
        update: dict = {}
        if ln.sku != sku:
            update["sku"] = sku
            issues.append(error(
                "line_already_shipped", "Orders", ln.cell("sku"),
                f"order {ln.order_id} line {ln.line} was dispatched as SKU {sku} ({units} "
                f"on {ids}); the SKU of a dispatched line cannot change, so the run uses "
                f"{sku}. Type {sku} back; for another product, record a return with an "
                "Exchange SKU or add a new line", ln.order_id))
        if isinstance(ln.quantity, int) and ln.quantity < units:
            update["quantity"] = units
            issues.append(error(
                "line_already_shipped", "Orders", ln.cell("quantity"),
                f"order {ln.order_id} line {ln.line}: {units} units were dispatched on "
                f"{ids}, more than the Quantity {ln.quantity} typed; the run uses {units}. "
                "To take units back, record a return on the Returns sheet", ln.order_id))
        left_from = list(dict.fromkeys(sl.warehouse for sl in sls))
        typed = (ln.warehouse or "").strip()
        if typed and units >= ln.quantity and typed.upper() not in {
                w.upper() for w in left_from}:
            # a line that left whole cannot have left from elsewhere
            update["warehouse"] = left_from[0] if len(left_from) == 1 else None
            issues.append(error(
                "line_already_shipped", "Orders", ln.cell("warehouse"),
                f"order {ln.order_id} line {ln.line} was dispatched from "
                f"{', '.join(left_from)} ({units} on {ids}); the Warehouse of a dispatched "
                f"line cannot change, so the run uses {', '.join(left_from)}. Type it back",
                ln.order_id))
        if update:
            orders[i] = ln.model_copy(update=update)
    if not issues:
        return book, ()
    return book.model_copy(update={"orders": tuple(orders)}), tuple(issues)


def audit_text(reasons: Mapping[Key, str], keys: Sequence[Key]) -> str:
    """`cancelled: SO-5 lines 1, 2 (customer changed mind)` for the Audit Log."""
    by_order: dict[str, list[int]] = defaultdict(list)
    for oid, line in keys:
        by_order[oid].append(line)
    parts = []
    for oid, lines in by_order.items():
        why = "; ".join(dict.fromkeys(reasons.get((oid, n), "") for n in lines if
                                      reasons.get((oid, n))))
        shown = ", ".join(str(n) for n in sorted(lines, key=lambda n: n or 0) if n is not None)
        parts.append(f"{oid}" + (f" line{'s' if len(lines) > 1 else ''} {shown}" if shown
                                 else "") + (f" ({why})" if why else ""))
    return "cancelled: " + ", ".join(parts)
