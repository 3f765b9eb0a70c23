"""Credit control: customers on hold and credit limits (CONTRACT §4 "Credit").

Owns the decision which priced orders may not go on to reservation: every order of an
On Hold customer (`On Hold`), and the orders that would take a customer's exposure past
its Credit Limit (`Credit Hold`). Exposure, in the customer's currency, is the balance of
its open invoices plus what its orders would still invoice, counted oldest order first;
orders already reserved or shipped before this run count first and are never newly held,
so stock already promised is not snatched back by a later, smaller order.

Both holds are warnings, not errors: the order is kept as it is and goes on once the hold
is lifted or the limit allows.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import compress
from operator import attrgetter, not_
from typing import Sequence

from . import money
from .issues import Issue, warning
from .models import Key, LinePrice, OrderBook, OrderLine, Rates

ON_HOLD = "On Hold"
CREDIT_HOLD = "Credit Hold"

_CLOSED_INVOICES = {"paid", "credited"}

_LINE_ORDER = attrgetter("line", "row")
"""An order's lines in Line order (then row): the first is the one an Issue points at."""
_CUSTOMER_ID = attrgetter("customer_id")
_ORDER_ID = attrgetter("order_id")


def _sum_qty(rows) -> dict[Key, int]:
    out: dict[Key, int] = defaultdict(int)
    for r in rows:
        if r.line is not None:
            out[(r.order_id, r.line)] += r.quantity
    return out


def check_credit(lines: Sequence[OrderLine], prices: dict[Key, LinePrice],
                 book: OrderBook, *, rates: Rates) -> tuple[dict[str, str], list[Issue]]:
    """Return {order_id: "On Hold" | "Credit Hold"} for held orders, and the issues.

    `lines` are the priced, valid lines of the run; `prices` their prices; `rates` the
    book's FX look-up (open invoices in another currency count at today's rate)."""
    base = (book.settings.base_currency or "USD").upper()
    mode = book.settings.rounding_mode
    customers = {}
    for c in book.customers:
        customers.setdefault(c.customer_id, c)
    # Only On Hold customers and those with a Credit Limit can have an order held, so
    # only their lines are grouped into orders (a quarter of them in a big book); the
    # flags and the other lines' Order IDs come from C-level map/compress, not a Python
    # loop over every line.
    checked = {cid for cid, c in customers.items() if c.on_hold or c.credit_limit is not None}
    flags = list(map(checked.__contains__, map(_CUSTOMER_ID, lines)))
    orders: dict[str, list[OrderLine]] = defaultdict(list)
    for ln in compress(lines, flags):
        orders[ln.order_id].append(ln)
    # An order's customer is that of its first line (by Line, then row); an order that
    # also has lines of an unchecked customer is regrouped from all its lines, in order.
    mixed = set(map(_ORDER_ID, compress(lines, map(not_, flags)))).intersection(orders)
    if mixed:
        for oid in mixed:
            orders[oid] = []
        for ln in lines:
            if ln.order_id in mixed:
                orders[ln.order_id].append(ln)
    by_customer: dict[str, list[str]] = defaultdict(list)
    for oid, lns in orders.items():
        if len(lns) > 1:
            lns.sort(key=_LINE_ORDER)
        cid = lns[0].customer_id
        if cid in checked:
            by_customer[cid].append(oid)

    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    shipped = _sum_qty(sl for sl in book.shipment_lines if sl.shipment_id in posted)
    # Units invoiced: a credit note's lines (issue 20) take goods back, they do not make
    # the returned units owed again by the order.
    notes = {i.invoice_no for i in book.invoices if i.credits_invoice}
    invoiced = _sum_qty(il for il in book.invoice_lines if il.invoice_no not in notes)
    touched = ({r.order_id for r in book.reservations}
               | {sl.order_id for sl in book.shipment_lines})
    open_balance: dict[str, list] = defaultdict(list)
    for inv in book.invoices:
        if (inv.status or "").strip().lower() not in _CLOSED_INVOICES:
            open_balance[inv.customer_id].append(inv)

    holds: dict[str, str] = {}
    issues: list[Issue] = []

    def show(amount: Decimal, ccy: str) -> str:
        # Plain "1,100.00 USD": cheap enough for thousands of held orders (babel is not).
        return f"{money.quantize(amount, ccy, mode):,} {ccy}"

    def first(oid: str) -> OrderLine:
        return orders[oid][0]

    def oldest(oid: str) -> tuple:
        return (orders[oid][0].order_date, oid)

    for cid in sorted(by_customer):
        cust = customers[cid]
        oids = sorted(by_customer[cid], key=oldest)
        if cust.on_hold:
            where = f" (Customers row {cust.row})" if cust.row else ""
            for oid in oids:
                # An order that has already left in full has nothing left to hold.
                if all(shipped.get(ln.key, 0) >= ln.quantity for ln in orders[oid]):
                    continue
                holds[oid] = ON_HOLD
                issues.append(warning(
                    "customer_on_hold", "Orders", first(oid).cell("customer_id"),
                    f"customer {cid} is On Hold{where}; order {oid} is not reserved or "
                    "shipped until the hold is lifted", oid))
            continue
        if cust.credit_limit is None:
            continue
        ccy = (cust.currency or "").upper() or base
        limit = cust.credit_limit
        exposure = Decimal(0)
        for inv in open_balance.get(cid, ()):
            amount = inv.balance
            if (inv.currency or base).upper() != ccy:
                # An invoice in another currency counts at today's rate; without a rate
                # its balance still counts as written rather than not at all.
                amount = rates.convert(amount, inv.currency, ccy)
                amount = inv.balance if amount is None else amount
            exposure += amount
        invoices_open = exposure

        def remaining(oid: str) -> Decimal:
            total = Decimal(0)
            for ln in orders[oid]:
                k = (ln.order_id, ln.line)
                p = prices.get(k)
                if p is None or ln.quantity <= 0:
                    continue
                left = max(ln.quantity - invoiced.get(k, 0), 0)
                total += p.total * left / ln.quantity
            return total

        committed = [oid for oid in oids if oid in touched]
        rest = [oid for oid in oids if oid not in touched]
        for oid in committed:
            exposure += remaining(oid)
        over = False
        for oid in rest:
            total = remaining(oid)
            exposure += total
            over = over or exposure > limit
            if not over:
                continue
            holds[oid] = CREDIT_HOLD
            issues.append(warning(
                "credit_limit_exceeded", "Orders", first(oid).cell("customer_id"),
                f"order {oid} ({show(total, ccy)}) takes customer {cid}'s exposure to "
                f"{show(exposure, ccy)}, over the credit limit {show(limit, ccy)} (open "
                f"invoices {show(invoices_open, ccy)}); the order is on Credit Hold", oid))
    return holds, issues
