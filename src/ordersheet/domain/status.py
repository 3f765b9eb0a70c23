"""Line status (CONTRACT §4 "Line status"): what a run says of each order line.

`line_outcomes` reads the state the steps left (reservations, shipments, invoices) and
gives every order line its Status -- the first that applies -- and the other Orders tool
columns (Price, Reserved, Backordered, Shipped, Shipment, Invoice), plus the units
backordered per SKU for the run summary. It changes no record.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, NamedTuple

from .issues import Issue, warning
from .models import Key, LinePrice, OrderBook, OrderLine
from .validation import CANCELLED


class LineOutcome(NamedTuple):
    """What a run says of one order line (the Orders tool columns). A named tuple: one is
    made per line, and a frozen dataclass costs several times more to build."""

    status: str
    price: LinePrice | None = None
    reserved: int = 0
    backordered: int = 0
    shipped: int = 0
    shipments: str = ""
    invoices: str = ""


def _add_id(ids_by_key: dict[Key, Any], k: Key, ids: Any, doc_id: str) -> None:
    """Line `k`, already on `ids` (one ID, or a list of them), is also on `doc_id`. A line
    is on one shipment and one invoice nearly always, so its one ID is kept as it is and
    only a second, different one makes a list."""
    if ids.__class__ is str:
        ids_by_key[k] = [ids, doc_id]
    elif doc_id not in ids:
        ids.append(doc_id)


def _units_and_ids(rows: Iterable[tuple[Key, str, int]]
                   ) -> tuple[dict[Key, int], dict[Key, str]]:
    """(line key, document ID, units that count) rows -> units per line, and the line's
    document IDs as text ("A, B": each document once, in sheet order)."""
    units: dict[Key, int] = {}
    ids_by_key: dict[Key, Any] = {}
    get, get_ids = units.get, ids_by_key.get
    for k, doc_id, qty in rows:
        if qty:
            units[k] = get(k, 0) + qty
        ids = get_ids(k)
        if ids is None:
            ids_by_key[k] = doc_id
        elif ids != doc_id:
            _add_id(ids_by_key, k, ids, doc_id)
    for k, ids in ids_by_key.items():
        if ids.__class__ is list:
            ids_by_key[k] = ", ".join(ids)
    return units, ids_by_key


def line_outcomes(lines, v, invalid_orders, holds, prices, state: OrderBook, reserve_ran: bool,
              priced: bool) -> tuple[dict[int, LineOutcome], dict[str, int]]:
    """Line status: the first that applies (CONTRACT §4 "Line status")."""
    # One pass over each sheet: units and IDs per (Order ID, Line).
    reserved: dict[Key, int] = {}
    get = reserved.get
    for r in state.reservations:
        k = (r.order_id, r.line)
        reserved[k] = get(k, 0) + r.quantity
    posted = {s.shipment_id for s in state.shipments if s.posted_on is not None}
    shipped, ship_ids = _units_and_ids(
        ((sl.order_id, sl.line), sl.shipment_id, sl.quantity if sl.shipment_id in posted else 0)
        for sl in state.shipment_lines)
    credit_notes = {i.invoice_no for i in state.invoices if i.credits_invoice}
    invoiced, inv_ids = _units_and_ids(
        ((il.order_id, il.line), il.invoice_no, il.quantity)
        for il in state.invoice_lines if il.line is not None
        and (not credit_notes or il.invoice_no not in credit_notes))
    returned: dict[Key, int] = {}
    for rt in state.processed_returns:  # what came back, as the tool recorded it
        k = (rt.order_id, rt.line)
        returned[k] = returned.get(k, 0) + rt.quantity
    out: dict[int, LineOutcome] = {}
    short: dict[str, int] = defaultdict(int)
    cancelled, invalid = LineOutcome("Cancelled"), LineOutcome("Invalid")  # immutable: shared
    invalid_rows = v.invalid_rows
    get_price, get_res, get_shp, get_inv = prices.get, reserved.get, shipped.get, invoiced.get
    get_sids, get_nos = ship_ids.get, inv_ids.get
    for ln in lines:
        row = ln.row
        if ln.status_in == CANCELLED:
            out[row] = cancelled
            continue
        # `v.is_valid(ln)` without the Cancelled test just done; `invalid_orders` holds
        # validation's invalid orders and those pricing added.
        oid = ln.order_id
        if row in invalid_rows or oid in invalid_orders:
            out[row] = invalid
            continue
        k = (oid, ln.line)
        price = get_price(k)
        if oid in holds:
            out[row] = LineOutcome(holds[oid], price)
            continue
        qty = ln.quantity
        res, shp, inv = get_res(k, 0), get_shp(k, 0), get_inv(k, 0)
        back = max(0, qty - res - shp) if (reserve_ran or res or shp) else 0
        if returned and shp and k in returned:
            status = "Returned" if returned[k] >= shp else "Partially Returned"
        elif shp >= qty:
            status = "Invoiced" if inv >= qty else "Shipped"
        elif shp > 0:
            status = "Partially Shipped"
        elif res >= qty:
            status = "Reserved"
        elif res > 0:
            status = "Partially Reserved"
        elif reserve_ran:
            status = "Backordered"
        elif priced:
            status = "Priced"
        else:
            status = "Valid"
        if back:
            short[ln.sku] += back
        out[row] = LineOutcome(status, price, res, back, shp, get_sids(k, ""), get_nos(k, ""))
    return out, dict(short)


SIBLINGS_SHOWN = 20
"""Lines of one invalid order that get a note of their own; the rest are counted."""


def sibling_issues(lines: Iterable[OrderLine], invalid_orders: Iterable[str],
                   issues: Iterable[Issue]) -> list[Issue]:
    """A bad line makes its whole order Invalid: each other line of that order is told why
    it waits ("order SO-5 has an invalid line: Orders!F7"), at its Order ID cell."""
    invalid = set(invalid_orders)
    first_bad: dict[str, Issue] = {}
    bad_rows: set[int] = set()
    for i in issues:
        if i.is_error and i.sheet == "Orders" and i.order_id in invalid:
            first_bad.setdefault(i.order_id, i)
            digits = "".join(ch for ch in i.cell if ch.isdigit())
            if digits:
                bad_rows.add(int(digits))
    if not first_bad:
        return []
    out: list[Issue] = []
    shown: dict[str, int] = defaultdict(int)
    for ln in lines:
        bad = first_bad.get(ln.order_id)
        if bad is None or ln.row in bad_rows or ln.status_in == CANCELLED:
            continue
        shown[ln.order_id] += 1
        if shown[ln.order_id] <= SIBLINGS_SHOWN:
            out.append(warning(
                "order_has_invalid_line", "Orders", ln.cell("order_id"),
                f"order {ln.order_id} has an invalid line: Orders!{bad.cell} "
                f"({bad.message}); this line waits until it is fixed", ln.order_id))
    return out
