"""AR aging (issue 21): what customers owe, by how long it is past due, as of a date.

Owns the AR Aging view: one row per customer and currency with the open balances of their
invoices in the buckets Current (not yet due), 1-30, 31-60, 61-90 and over 90 days past
the Due Date, the credit they have (payments not yet used, and what an invoice was paid or
credited beyond its total: a negative Balance is owed back, not a receivable), then a
total row per currency with its DSO (days sales outstanding) over the last 90 days:

    DSO = open receivables / invoiced in the last 90 days x 90

The formula is written beside the figure with the numbers it used. Balances are the
invoices' Balance as `receivables.settle` left it; nothing here rounds them (they are
sums of amounts already in the currency's minor unit; the DSO is shown to 0.1 day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from . import money
from .models import Customer, Invoice, ReconRow

ZERO = Decimal(0)
BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "over_90")
DSO_DAYS = 90


@dataclass(frozen=True)
class AgingRow:
    customer_id: str
    customer_name: str
    currency: str
    current: Decimal = ZERO
    d1_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    total: Decimal = ZERO
    credit: Decimal = ZERO
    dso: Decimal | None = None
    dso_formula: str = ""


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "d1_30"
    if days_past_due <= 60:
        return "d31_60"
    if days_past_due <= 90:
        return "d61_90"
    return "over_90"


def credits(rows: Iterable[ReconRow]) -> dict[tuple[str, str], Decimal]:
    """(Customer ID, currency) -> unapplied credit, from the Reconciliation rows."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.unapplied and r.customer_id:
            out[(r.customer_id, r.currency.upper())] += r.unapplied
    return {k: v for k, v in out.items() if v}


def aging(invoices: Sequence[Invoice], customers: Sequence[Customer],
          credit: dict[tuple[str, str], Decimal], today: dt.date, base: str = "USD"
          ) -> list[AgingRow]:
    """Each customer's row per currency (by currency, then Customer ID), each currency
    closed by its `Total` row with the DSO."""
    names = {c.customer_id: c.name for c in customers}
    sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    sales: dict[str, Decimal] = defaultdict(Decimal)
    over: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    since = today - dt.timedelta(days=DSO_DAYS)
    for inv in invoices:
        ccy = (inv.currency or base).upper()
        if since < inv.invoice_date <= today:
            sales[ccy] += inv.total  # credit notes (negative) lower the sales
        if inv.credits_invoice or not inv.balance:
            continue
        key = (inv.customer_id, ccy)
        if inv.balance < ZERO:  # paid or credited beyond its total: the customer's credit
            over[key] += -inv.balance
            continue
        sums[key][bucket((today - inv.due_date).days)] += inv.balance
    credit = {k: credit.get(k, ZERO) + over.get(k, ZERO) for k in {*credit, *over}}
    for key in credit:
        sums[key]  # a customer with credit only still gets a row
    rows: list[AgingRow] = []
    for ccy in sorted({c for _, c in sums}):
        total: dict[str, Decimal] = defaultdict(Decimal)
        for (cid, c) in sorted(k for k in sums if k[1] == ccy):
            b = sums[(cid, c)]
            amounts = {k: b.get(k, ZERO) for k in BUCKETS}
            row = AgingRow(cid, names.get(cid, ""), ccy, **amounts,
                           total=sum(amounts.values(), ZERO), credit=credit.get((cid, c), ZERO))
            rows.append(row)
            for k in (*BUCKETS, "total", "credit"):
                total[k] += getattr(row, k)
        sold = sales.get(ccy, ZERO)
        if sold > ZERO:
            dso = money.quantize_places(total["total"] / sold * DSO_DAYS, 1)
            formula = (f"DSO = open receivables / invoiced in the last {DSO_DAYS} days x "
                       f"{DSO_DAYS} = {money.quantize(total['total'], ccy)} / "
                       f"{money.quantize(sold, ccy)} x {DSO_DAYS} "
                       f"(as of {today:%Y-%m-%d})")
        else:
            dso, formula = None, (f"DSO: nothing invoiced in {ccy} in the last {DSO_DAYS} "
                                  f"days (as of {today:%Y-%m-%d})")
        rows.append(AgingRow("Total", "", ccy, **{k: total[k] for k in BUCKETS},
                             total=total["total"], credit=total["credit"], dso=dso,
                             dso_formula=formula))
    return rows


__all__ = ["AgingRow", "aging", "bucket", "credits", "BUCKETS", "DSO_DAYS"]
