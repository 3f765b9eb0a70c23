"""Reorder planning (issue 22): for each SKU and warehouse, how long the stock lasts and
how much to buy. Owns the formulas of the Reorder sheet and of the purchase lists.

Per Inventory row (SKU, Warehouse), as of `today`:
- Demand: units of order lines (not cancelled, not invalid) whose Order Date falls in the
  last `Demand Window Days` (Settings, default 90) days, today included, counted at the
  warehouse that reserved or shipped them; units nothing has served yet count at the
  line's Warehouse, else at the SKU's first warehouse on Inventory (the one reservation
  tries first). Daily demand d = demand / window; sigma = the standard deviation of the
  units ordered per day over the window (days without orders count as 0).
- Lead time L: Products `Lead Time Days`, else Inventory's, else 0 (said so).
- Safety stock SS = ceil(1.65 x sigma x sqrt(L)) (about a 95 % chance of not running out
  during the lead time, for demand that varies day to day like the window's).
- Reorder point ROP: Inventory `Reorder Point` when given, else ceil(d x L + SS).
- Available = On Hand - Reserved; Backlog = units backordered; Position = Available -
  Backlog. Reorder when Position <= ROP (and there is demand, a backlog, or a Reorder
  Point of the user's).
- Suggested quantity: Inventory `Reorder Qty` when given, else enough to cover the backlog
  and the window's demand: max(Backlog + ceil(d x window) - max(Available, 0),
  ROP - Position, 0).
- Days of cover = Available / d (blank without demand); rows to reorder first, then the
  fewest days of cover.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Mapping, Optional, Sequence

from .models import OrderBook, OrderLine
from .money import quantize_places

SERVICE_Z = Decimal("1.65")
"""Standard normal quantile of a 95 % cycle service level."""
NOT_DEMAND = frozenset({"Cancelled", "Invalid"})


@dataclass(frozen=True)
class ReorderRow:
    sku: str
    warehouse: str
    description: str
    supplier: str
    on_hand: int
    reserved: int
    available: int
    backlog: int
    daily_demand: Decimal
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    days_of_cover: Optional[Decimal]
    reorder: bool
    suggested_qty: int
    why: str
    cell: str = ""
    """Inventory!On Hand of the row."""


def _ceil(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_CEILING))


def plan(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
         today: dt.date) -> list[ReorderRow]:
    """The Reorder sheet's rows, most urgent first (see the module docstring)."""
    window = max(1, book.settings.demand_window_days)
    first_day = today - dt.timedelta(days=window - 1)
    products = {p.sku: p for p in book.products}
    first_wh: dict[str, str] = {}
    for x in book.inventory:
        first_wh.setdefault(x.sku, x.warehouse)
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    served: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in book.reservations:
        reserved[(r.sku, r.warehouse)] += r.quantity
        served[(r.order_id, r.line)][r.warehouse] += r.quantity
    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    for sl in book.shipment_lines:
        if sl.shipment_id in posted:
            served[(sl.order_id, sl.line)][sl.warehouse] += sl.quantity
    daily: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    backlog: dict[tuple[str, str], int] = defaultdict(int)
    for ln in lines:
        o = outcomes.get(ln.row)
        status = o.status if o is not None else ""
        if status in NOT_DEMAND:
            continue
        home = ln.warehouse or first_wh.get(ln.sku, "")
        if o is not None and o.backordered:
            backlog[(ln.sku, home)] += o.backordered
        if ln.order_date is None or not first_day <= ln.order_date <= today:
            continue
        day = (ln.order_date - first_day).days
        left = ln.quantity
        for wh, n in served.get(ln.key, {}).items():
            daily[(ln.sku, wh)][day] += n
            left -= n
        if left > 0:
            daily[(ln.sku, home)][day] += left
    rows = [_row(x, products.get(x.sku), reserved[x.key], backlog[x.key],
                 daily.get(x.key, {}), window) for x in book.inventory]
    rows.sort(key=lambda r: (not r.reorder, r.days_of_cover is None,
                             r.days_of_cover or 0, r.sku, r.warehouse))
    return rows


def _row(x, product, reserved: int, backlog: int, per_day: Mapping[int, int],
         window: int) -> ReorderRow:
    total = sum(per_day.values())
    d = Decimal(total) / window
    var = (sum((Decimal(per_day.get(k, 0)) - d) ** 2 for k in range(window)) / window
           if total else Decimal(0))
    sigma = var.sqrt()
    why = []
    if product is not None and product.lead_time_days is not None:
        lead = product.lead_time_days
    elif x.lead_time_days is not None:
        lead = x.lead_time_days
    else:
        lead = 0
        why.append("no Lead Time Days on Products or Inventory: taken as 0")
    safety = _ceil(SERVICE_Z * sigma * Decimal(lead).sqrt())
    if x.reorder_point is not None:
        rop = x.reorder_point
        why.append("Reorder Point from Inventory")
    else:
        rop = _ceil(d * lead + safety)
    available = x.on_hand - reserved
    position = available - backlog
    reorder = position <= rop and (total > 0 or backlog > 0 or x.reorder_point is not None)
    qty = 0
    if reorder:
        if x.reorder_qty is not None:
            qty = x.reorder_qty
            why.append("Reorder Qty from Inventory")
        else:
            qty = max(backlog + _ceil(d * window) - max(available, 0), rop - position, 0)
        why.insert(0, f"position {position} (available {available} - backlog {backlog}) "
                      f"is at or below the reorder point {rop}")
    cover = quantize_places(Decimal(max(available, 0)) / d, 1) if total else None
    return ReorderRow(
        x.sku, x.warehouse, product.description if product else "",
        product.supplier if product else "", x.on_hand, reserved, available, backlog,
        quantize_places(d, 2), lead, safety, rop, cover, reorder, qty, "; ".join(why),
        x.cell("on_hand"))


def purchase_lists(rows: Sequence[ReorderRow]) -> dict[str, list[ReorderRow]]:
    """Supplier -> the rows to order from them (suggested quantity above 0), in the
    Reorder sheet's order; a SKU without a Supplier goes under ''."""
    out: dict[str, list[ReorderRow]] = {}
    for r in rows:
        if r.reorder and r.suggested_qty > 0:
            out.setdefault(r.supplier, []).append(r)
    return out
