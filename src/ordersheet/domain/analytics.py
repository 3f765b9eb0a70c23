"""The Dashboard's figures (issue 22): KPIs of the order book as of a date, each with the
one-line definition shown beside it, and the small tables its charts draw.

Owns what each KPI means. It reads the state a run left (`pipeline.RunResult`: the book,
every line's outcome, the issues, the Stock Ledger) and changes nothing. A KPI whose data
is not there yet says so in words (`n/a: no payments yet`), never fails. Percentages and
days are rounded in `money.quantize_places`, the one place that rounds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from .aging import DSO_DAYS, aging, credits
from .models import Invoice, LedgerEntry, OrderBook, OrderLine
from .money import quantize, quantize_places
from .returns import RESTOCKING_SKU, row_ids

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHIPPING_SKU = "SHIPPING"

PROGRESS = ("Invalid", "On Hold", "Credit Hold", "Valid", "Priced", "Backordered",
            "Partially Reserved", "Reserved", "Partially Shipped", "Shipped", "Invoiced",
            "Partially Returned", "Returned")
"""Line statuses from least to most advanced: an order's status is its least advanced
line's (cancelled lines aside)."""
NOT_SERVED = frozenset({"Cancelled", "Invalid", "On Hold", "Credit Hold", "Valid", "Priced"})
"""Lines that never reached reservation: left out of the fill rate."""
DISPATCHED = frozenset({"Shipped", "Invoiced", "Partially Returned", "Returned"})
AGE_BUCKETS = ((7, "0-7 days"), (14, "8-14 days"), (30, "15-30 days"), (60, "31-60 days"),
               (None, "over 60 days"))
TOP_N = 5


@dataclass(frozen=True)
class Figure:
    """One row of the Dashboard: a figure, its value and what it means."""

    section: str
    label: str
    value: Any
    """int, Decimal, or text (`n/a: ...`)."""
    unit: str = ""
    definition: str = ""


@dataclass(frozen=True)
class ChartData:
    """A small table a Dashboard chart draws: one value per category for each series."""

    key: str
    """`revenue`, `backorder_age`, `on_time`, `fill_rate`."""
    title: str
    kind: str
    """`bar` or `line`."""
    unit: str
    axis: str
    """What the categories are (`Month`, `Age`): the header of the chart's first column."""
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[Decimal, ...]], ...]
    """(series name, one value per category)."""


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    figures: tuple[Figure, ...]
    charts: tuple[ChartData, ...]

    def value(self, section: str, label: str) -> Any:
        """The value of one figure (tests and summaries); KeyError when absent."""
        for f in self.figures:
            if f.section == section and f.label == label:
                return f.value
        raise KeyError((section, label))


def pct(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """`part` of `whole` in percent, one decimal."""
    return quantize_places(Decimal(part) * HUNDRED / Decimal(whole), 1)


def month(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def percentile(values: Sequence[int], p: int) -> Decimal:
    """Nearest-rank percentile (`p` = 50 is the median of an odd count; of an even count,
    the mean of the two middle values)."""
    v = sorted(values)
    n = len(v)
    if p == 50:
        mid = n // 2
        return Decimal(v[mid]) if n % 2 else Decimal(v[mid - 1] + v[mid]) / 2
    rank = -(-p * n // 100)  # ceil(p/100 * n)
    return Decimal(v[max(rank, 1) - 1])


def dashboard(book: OrderBook, lines: Sequence[OrderLine], outcomes: Mapping[int, Any],
              issues: Iterable[Any], ledger: Sequence[LedgerEntry], today: dt.date
              ) -> Dashboard:
    """Every KPI of the Dashboard as of `today`. `book` is the state after the run,
    `outcomes` maps each order line's row to its outcome (`status.LineOutcome`: status,
    reserved, backordered, shipped), `ledger` is every Stock Ledger row (earlier runs'
    and this run's)."""
    figures: list[Figure] = []
    charts: list[ChartData] = []
    by_row = {ln.row: ln for ln in lines}
    status = {ln.row: outcomes[ln.row].status for ln in lines if ln.row in outcomes}
    figures += _statuses(lines, status)
    f, c = _fill_rate(lines, outcomes, ledger)
    figures += f
    charts.append(c)
    f, c = _on_time(book, lines)
    figures += f
    charts.append(c)
    figures += _cycle_time(book, lines, status)
    f, c = _backorders(by_row, outcomes, today)
    figures += f
    charts.append(c)
    f, c = _revenue(book.invoices)
    figures += f
    charts.insert(0, c)
    figures += _top(book)
    figures += _receivables(book, today)
    figures += _issues(issues)
    figures += _returns(book)
    return Dashboard(today, tuple(figures), tuple(charts))


# ---- orders and lines ------------------------------------------------------------------


def _statuses(lines: Sequence[OrderLine], status: Mapping[int, str]) -> list[Figure]:
    rank = {s: i for i, s in enumerate(PROGRESS)}
    line_counts: dict[str, int] = defaultdict(int)
    order_status: dict[str, str] = {}
    for ln in lines:
        st = status.get(ln.row)
        if st is None:
            continue
        line_counts[st] += 1
        if st == "Cancelled":
            order_status.setdefault(ln.order_id, "Cancelled")
            continue
        have = order_status.get(ln.order_id)
        if have in (None, "Cancelled") or rank.get(st, 0) < rank.get(have, 0):
            order_status[ln.order_id] = st
    order_counts: dict[str, int] = defaultdict(int)
    for st in order_status.values():
        order_counts[st] += 1
    order_def = ("orders by the status of their least advanced line (Invalid first, "
                 "Returned last); an order all of whose lines are cancelled is Cancelled")
    out = [Figure("Orders by status", st, n, "orders", order_def if k == 0 else "")
           for k, (st, n) in enumerate(_by_progress(order_counts))]
    out += [Figure("Lines by status", st, n, "lines",
                   "order lines by their Status on Orders" if k == 0 else "")
            for k, (st, n) in enumerate(_by_progress(line_counts))]
    if not lines:
        out.append(Figure("Orders by status", "Orders", "n/a: no orders yet"))
    return out


def _by_progress(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    order = {s: i for i, s in enumerate(PROGRESS + ("Cancelled",))}
    return sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def _first_reservations(ledger: Sequence[LedgerEntry]) -> dict[tuple[str, int], int]:
    """(Order ID, Line) -> units reserved by the first run that reserved any for it (the
    run is the Stock Ledger timestamp all its rows share)."""
    first: dict[tuple[str, int], dt.datetime] = {}
    units: dict[tuple[str, int], int] = defaultdict(int)
    for e in ledger:
        if e.field != "Reserved" or e.change <= 0 or e.line is None:
            continue
        k = (e.order_id, e.line)
        t = first.get(k)
        if t is None or e.timestamp < t:
            first[k] = e.timestamp
            units[k] = e.change
        elif e.timestamp == t:
            units[k] += e.change
    return dict(units)


FILL_DEF = ("order lines that reached reservation (not cancelled, invalid or held) whose "
            "first reserving run (Stock Ledger) reserved the whole quantity; units: units "
            "reserved by each line's first run / units ordered")


def _fill_rate(lines, outcomes, ledger) -> tuple[list[Figure], ChartData]:
    first = _first_reservations(ledger)
    n = filled = units = units_filled = 0
    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ln in lines:
        o = outcomes.get(ln.row)
        if o is None or o.status in NOT_SERVED:
            continue
        got = min(first.get(ln.key, 0), ln.quantity)
        n += 1
        units += ln.quantity
        units_filled += got
        m = by_month[month(ln.order_date)]
        m[1] += 1
        if got >= ln.quantity:
            filled += 1
            m[0] += 1
    months = tuple(sorted(by_month))
    chart = ChartData("fill_rate", "Fill rate at first attempt (lines, by order month)",
                      "line", "%", "Order month", months,
                      (("Fill rate %", tuple(pct(*by_month[k]) for k in months)),))
    if not n:
        na = "n/a: no order line reserved yet"
        return [Figure("Fill rate", "Lines filled at first attempt", na, "", FILL_DEF),
                Figure("Fill rate", "Units filled at first attempt", na)], chart
    return [Figure("Fill rate", "Lines filled at first attempt", pct(filled, n), "%",
                   FILL_DEF),
            Figure("Fill rate", "Units filled at first attempt", pct(units_filled, units), "%",
                   f"{units_filled} of {units} units")], chart


# ---- dispatch ---------------------------------------------------------------------------


def _dispatches(book: OrderBook) -> dict[tuple[str, int], list[dt.date]]:
    """(Order ID, Line) -> the Shipped On date of each dispatched shipment line."""
    shipped_on = {s.shipment_id: (s.shipped_on or s.posted_on) for s in book.shipments
                  if s.posted_on is not None}
    out: dict[tuple[str, int], list[dt.date]] = defaultdict(list)
    for sl in book.shipment_lines:
        d = shipped_on.get(sl.shipment_id)
        if d is not None and sl.quantity > 0:
            out[(sl.order_id, sl.line)].append(d)
    return out


ON_TIME_DEF = ("dispatched shipment lines whose Shipped On is on or before the line's "
               "Requested Date (lines without a Requested Date left out)")


def _on_time(book: OrderBook, lines) -> tuple[list[Figure], ChartData]:
    sent = _dispatches(book)
    n = on_time = 0
    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ln in lines:
        if ln.requested_date is None:
            continue
        for d in sent.get(ln.key, ()):
            n += 1
            m = by_month[month(d)]
            m[1] += 1
            if d <= ln.requested_date:
                on_time += 1
                m[0] += 1
    months = tuple(sorted(by_month))
    chart = ChartData("on_time", "On-time dispatch (by month shipped)", "line", "%",
                      "Month shipped", months,
                      (("On time %", tuple(pct(*by_month[k]) for k in months)),))
    value: Any = pct(on_time, n) if n else "n/a: nothing dispatched with a Requested Date yet"
    return [Figure("Dispatch", "On-time dispatch rate", value, "%" if n else "", ON_TIME_DEF)
            ], chart


def _cycle_time(book: OrderBook, lines, status: Mapping[int, str]) -> list[Figure]:
    sent = _dispatches(book)
    orders: dict[str, list[OrderLine]] = defaultdict(list)
    for ln in lines:
        if status.get(ln.row) not in (None, "Cancelled"):
            orders[ln.order_id].append(ln)
    days = []
    for oid, lns in orders.items():
        if all(status.get(ln.row) in DISPATCHED for ln in lns):
            last = max((d for ln in lns for d in sent.get(ln.key, ())), default=None)
            if last is not None:
                days.append((last - min(ln.order_date for ln in lns)).days)
    definition = ("days from Order Date to the last Shipped On of orders whose every line "
                  "is dispatched")
    if not days:
        na = "n/a: no order fully dispatched yet"
        return [Figure("Dispatch", "Order cycle time, median", na, "", definition),
                Figure("Dispatch", "Order cycle time, 90th percentile", na)]
    return [Figure("Dispatch", "Order cycle time, median", quantize_places(
                percentile(days, 50), 1), "days", definition),
            Figure("Dispatch", "Order cycle time, 90th percentile",
                   quantize_places(percentile(days, 90), 1), "days",
                   f"nearest rank, over {len(days)} orders")]


def _bucket(age: int) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or age <= limit:
            return label
    return AGE_BUCKETS[-1][1]  # pragma: no cover - the last bucket has no limit


def _backorders(by_row: Mapping[int, OrderLine], outcomes, today: dt.date
                ) -> tuple[list[Figure], ChartData]:
    units: dict[str, int] = {label: 0 for _, label in AGE_BUCKETS}
    total = 0
    oldest = None
    for row, o in outcomes.items():
        ln = by_row.get(row)
        if ln is None or not o.backordered:
            continue
        age = max(0, (today - ln.order_date).days)
        units[_bucket(age)] += o.backordered
        total += o.backordered
        oldest = age if oldest is None else max(oldest, age)
    chart = ChartData("backorder_age", "Backordered units by age", "bar", "units",
                      "Age", tuple(units),
                      (("Units", tuple(Decimal(v) for v in units.values())),))
    out = [Figure("Backorders", "Units backordered", total, "units",
                  "units ordered and neither reserved nor shipped, on lines being served")]
    out.append(Figure("Backorders", "Oldest backorder", oldest if oldest is not None
                      else "n/a: nothing backordered", "days" if oldest is not None else "",
                      "days since the Order Date of the oldest line with units backordered"))
    out += [Figure("Backorders", f"Units {label} old", n, "units",
                   "age = days since the Order Date" if k == 0 else "")
            for k, (label, n) in enumerate(units.items())]
    return out, chart


# ---- money -------------------------------------------------------------------------------


def _revenue(invoices: Sequence[Invoice]) -> tuple[list[Figure], ChartData]:
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for inv in invoices:  # credit notes carry negative amounts: they count negative
        net[(month(inv.invoice_date), inv.currency)] += inv.net
    months = tuple(sorted({m for m, _ in net}))
    currencies = sorted({c for _, c in net})
    chart = ChartData("revenue", "Revenue (Net invoiced) by month", "bar", "", "Month",
                      months,
                      tuple((cur, tuple(quantize(net.get((m, cur), ZERO), cur) for m in months))
                            for cur in currencies))
    definition = ("Net of invoices by Invoice Date (goods and shipping, before tax); credit "
                  "notes count negative")
    if not net:
        return [Figure("Revenue", "Revenue", "n/a: no invoices yet", "", definition)], chart
    out = []
    for k, (m, cur) in enumerate(sorted(net)):
        out.append(Figure("Revenue by month", m, quantize(net[(m, cur)], cur), cur,
                          definition if k == 0 else ""))
    return out, chart


def _base_amount(book: OrderBook, amount: Decimal, currency: str) -> Decimal | None:
    if currency == book.settings.base_currency.upper():
        return amount
    rate = next((r.rate for r in book.fx_rates if r.currency == currency), None)
    return amount / rate if rate else None


def _top(book: OrderBook) -> list[Figure]:
    units: dict[str, int] = defaultdict(int)
    for il in book.invoice_lines:
        if il.sku.upper() not in (SHIPPING_SKU, RESTOCKING_SKU):  # a charge, not a product
            units[il.sku] += il.quantity
    out = []
    top = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
    out += [Figure("Top SKUs", sku, n, "units", f"the {TOP_N} SKUs with the most units "
                   "invoiced (credit notes count negative)" if k == 0 else "")
            for k, (sku, n) in enumerate(top)]
    if not top:
        out.append(Figure("Top SKUs", "SKUs", "n/a: nothing invoiced yet"))
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for inv in book.invoices:
        net[(inv.customer_id, inv.currency)] += inv.net
    ranked = sorted(net.items(), key=lambda kv: (
        -(_base_amount(book, kv[1], kv[0][1]) or ZERO), kv[0]))[:TOP_N]
    out += [Figure("Top customers", cid, quantize(amount, cur), cur,
                   f"the {TOP_N} customers with the most Net invoiced (ranked in the base "
                   "currency by FX Rates)" if k == 0 else "")
            for k, ((cid, cur), amount) in enumerate(ranked)]
    if not ranked:
        out.append(Figure("Top customers", "Customers", "n/a: nothing invoiced yet"))
    return out


def _receivables(book: OrderBook, today: dt.date) -> list[Figure]:
    """Open balance, overdue and DSO per currency: the AR Aging sheet's totals
    (`aging.aging`, the one home of those figures), so the two never disagree."""
    invoices = [i for i in book.invoices if not i.credits_invoice]
    if not invoices:
        return [Figure("Receivables", "Overdue", "n/a: no invoices yet")]
    paid_any = bool(book.payments) or any(i.paid for i in invoices)
    count: dict[str, int] = defaultdict(int)
    for inv in invoices:
        if inv.balance > ZERO and inv.due_date < today:
            count[inv.currency.upper()] += 1
    totals = [r for r in aging(book.invoices, book.customers, credits(book.reconciliation),
                               today, book.settings.base_currency)
              if r.customer_id == "Total"]
    out = []
    for row in totals:
        cur = row.currency
        out.append(Figure("Receivables", f"Open balance {cur}", quantize(row.total, cur), cur,
                          "Balance still owed on invoices (Invoices sheet; AR Aging total)"))
        out.append(Figure("Receivables", f"Overdue {cur}",
                          quantize(row.total - row.current, cur), cur,
                          f"Balance of invoices past their Due Date ({count[cur]} invoices)"))
        dso_def = (f"days sales outstanding: open balance / Total invoiced (less credit "
                   f"notes) in the last {DSO_DAYS} days x {DSO_DAYS} (as on AR Aging)")
        if not paid_any:
            dso: Any = "n/a: no payments yet"
        elif row.dso is None:
            dso = f"n/a: nothing invoiced in the last {DSO_DAYS} days"
        else:
            dso = row.dso
        out.append(Figure("Receivables", f"DSO {cur}", dso,
                          "days" if isinstance(dso, Decimal) else "", dso_def))
    return out


# ---- issues and returns -------------------------------------------------------------------


def _issues(issues: Iterable[Any]) -> list[Figure]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for i in issues:
        counts[(i.code, i.severity.value)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = [Figure("Issues by code", code, n, sev, "rows on the Issues sheet with this code"
                  if k == 0 else "") for k, ((code, sev), n) in enumerate(ranked)]
    return out or [Figure("Issues by code", "Issues", 0, "", "rows on the Issues sheet")]


def _returns(book: OrderBook) -> list[Figure]:
    """Units of the accepted returns (ordersheet's own records of them, issue 20): a row
    `returns` rejected (too many units, no such line) brought nothing back. The reason is
    the one typed on the accepted row, while it is on the sheet."""
    if not book.processed_returns:
        return [Figure("Returns", "Returns rate", "n/a: no returns yet", "",
                       "units returned (accepted rows of Returns) / units dispatched, per SKU")]
    reasons = {rid: r.reason for rid, r in zip(row_ids(book.returns), book.returns)}
    shipped: dict[str, int] = defaultdict(int)
    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    for sl in book.shipment_lines:
        if sl.shipment_id in posted:
            shipped[sl.sku] += sl.quantity
    by_sku: dict[str, int] = defaultdict(int)
    by_reason: dict[str, int] = defaultdict(int)
    for p in book.processed_returns:
        by_sku[p.sku] += p.quantity
        by_reason[(reasons.get(p.return_id) or "").strip() or "(no reason)"] += p.quantity
    out = []
    for k, (sku, n) in enumerate(sorted(by_sku.items(), key=lambda kv: (-kv[1], kv[0]))):
        value: Any = pct(n, shipped[sku]) if shipped.get(sku) else "n/a: none dispatched"
        out.append(Figure("Returns rate by SKU", sku, value,
                          "%" if isinstance(value, Decimal) else "",
                          f"{n} units returned of {shipped.get(sku, 0)} dispatched"))
    total = sum(by_reason.values())
    for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(Figure("Returns by reason", reason, pct(n, total), "%",
                          f"{n} of {total} units returned"))
    return out
