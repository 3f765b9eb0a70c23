"""Returns, their credit notes and exchanges (CONTRACT §3 Returns, issue 20).

Owns:
- a Returns row's identity (`row_ids`): its values (Order ID, Line, SKU, Quantity, Date,
  Condition, Exchange SKU) and how many identical rows came before it, never its
  position, so sorting the sheet changes nothing and a processed row is never processed
  again (`ProcessedReturn`, kept in ordersheet's own records);
- whether a return is accepted: at most what was dispatched and not yet returned
  (`return_exceeds_shipped`), within Return Window Days of the invoice date
  (`return_window_expired`), of units already invoiced (`return_not_invoiced`);
- what an accepted return does: Resellable units go back On Hand in the warehouse they
  left from (a Stock Ledger row `return`), Damaged ones do not (a `return-damaged` row
  that changes nothing, so the ledger still says what came back); one credit note per
  invoice it credits (nearly always one): a row of Invoices with negative amounts,
  numbered Credit Note Prefix + its own gapless counter (`CN-00001`), `credits_invoice`
  naming the invoice, its lines in Invoice Lines at the invoice line's unit price and tax
  rate, in the invoice's currency, with the Restocking Fee % as a positive line;
- an exchange: the replacement order line (next Line of the same order, the returned
  line's unit price) that the next run reserves and ships like any other.

A return goes back to one warehouse: the newest one the line left from that still has as
many units out, else the one with most units out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

from . import money
from .invoicing import invoice_number, number_in_series
from .issues import Issue, error, warning
from .models import (Invoice, InvoiceLine, Key, LedgerEntry, OrderBook, OrderLine,
                     ProcessedReturn, ReturnLine, StockLevel)

ACCEPTED, REJECTED = "Accepted", "Rejected"
RESTOCKING_SKU = "RESTOCKING"
CONDITIONS = {"resellable": "Resellable", "damaged": "Damaged"}
ZERO = Decimal(0)


def row_ids(rows: Sequence[ReturnLine]) -> list[str]:
    """Each row's identity: its values, and `#2`, `#3` ... for a repeat of an identical
    row (two identical returns stay two returns, in any order)."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for r in rows:
        base = "|".join(str(v) for v in (
            r.order_id.strip().upper(), r.line if r.line is not None else "",
            (r.sku or "").strip().upper(), r.quantity, r.date.isoformat(),
            (r.condition or "").strip().lower(), (r.exchange_sku or "").strip().upper()))
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


@dataclass(frozen=True)
class ReturnsRun:
    processed: tuple[ProcessedReturn, ...]
    """Every accepted return after this run (the earlier ones, then this run's)."""
    new: tuple[ProcessedReturn, ...]
    inventory: tuple[StockLevel, ...]
    ledger: tuple[LedgerEntry, ...]
    credit_notes: tuple[Invoice, ...]
    credit_lines: tuple[InvoiceLine, ...]
    next_number: int
    """Settings Next Credit Note Number after this run."""
    exchanges: tuple[OrderLine, ...]
    """Replacement order lines to add to Orders (row 0: not on the sheet yet)."""
    row_status: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Excel row of each Returns row -> (Status, Credit Note) for its tool columns."""
    issues: tuple[Issue, ...] = ()


class _Line:
    """What one dispatched order line is, as the posted records say."""

    def __init__(self) -> None:
        self.sku = ""
        self.units = 0
        self.by_wh: dict[str, int] = {}  # warehouse -> units dispatched, first out first
        self.invoiced: list[tuple[Invoice, InvoiceLine]] = []


def _lines(book: OrderBook) -> dict[Key, _Line]:
    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    out: dict[Key, _Line] = defaultdict(_Line)
    for sl in book.shipment_lines:
        if sl.shipment_id in posted:
            x = out[(sl.order_id, sl.line)]
            x.sku = sl.sku
            x.units += sl.quantity
            x.by_wh[sl.warehouse] = x.by_wh.get(sl.warehouse, 0) + sl.quantity
    heads = {i.invoice_no: i for i in book.invoices if not i.credits_invoice}
    for il in book.invoice_lines:
        inv = heads.get(il.invoice_no)
        if inv is not None and il.line is not None and il.quantity > 0 \
                and (il.order_id, il.line) in out:
            out[(il.order_id, il.line)].invoiced.append((inv, il))
    for x in out.values():  # the newest invoice is credited first
        x.invoiced.sort(key=lambda p: (p[0].invoice_date, p[0].invoice_no), reverse=True)
    return dict(out)


def _credited(book: OrderBook) -> dict[tuple[str, Key], int]:
    """(credited Invoice No, order line) -> units its credit notes took back."""
    notes = {i.invoice_no: i.credits_invoice for i in book.invoices if i.credits_invoice}
    out: dict[tuple[str, Key], int] = defaultdict(int)
    for il in book.invoice_lines:
        target = notes.get(il.invoice_no)
        if target and il.line is not None and il.sku != RESTOCKING_SKU and il.quantity < 0:
            out[(target, (il.order_id, il.line))] -= il.quantity
    return out


def process_returns(book: OrderBook, today: dt.date, now: dt.datetime) -> ReturnsRun:
    """Accept or reject each Returns row not processed before (see the module docstring)."""
    settings = book.settings
    mode = settings.rounding_mode
    window = dt.timedelta(days=max(0, settings.return_window_days))
    lines = _lines(book)
    credited = _credited(book)
    done = {p.return_id: p for p in book.processed_returns}
    returned: dict[Key, int] = defaultdict(int)
    back_from: dict[tuple[Key, str], int] = defaultdict(int)
    for p in book.processed_returns:
        returned[(p.order_id, p.line)] += p.quantity
        back_from[((p.order_id, p.line), p.warehouse)] += p.quantity
    stock = {s.key: i for i, s in enumerate(book.inventory)}
    inventory = list(book.inventory)
    products = {p.sku: p for p in book.products}
    order_lines = {ln.key: ln for ln in book.orders if ln.line is not None}
    last_line: dict[str, int] = defaultdict(int)
    for ln in book.orders:
        if isinstance(ln.line, int):
            last_line[ln.order_id] = max(last_line[ln.order_id], ln.line)
    for k in lines:
        last_line[k[0]] = max(last_line[k[0]], k[1])
    for p in book.processed_returns:  # an exchange line stays taken, even if deleted
        last_line[p.order_id] = max(last_line[p.order_id], p.exchange_line)
    numbers = _Numbers(book)

    issues: list[Issue] = []
    new: list[ProcessedReturn] = []
    ledger: list[LedgerEntry] = []
    notes: list[Invoice] = []
    note_lines: list[InvoiceLine] = []
    exchanges: list[OrderLine] = []
    status: dict[int, tuple[str, str]] = {}

    ids = row_ids(book.returns)
    # A processed row no longer on the sheet as it was processed was deleted or edited: an
    # edited one must not be processed a second time under its new values.
    gone = [p for p in book.processed_returns if p.return_id not in set(ids)]
    gone_at = {(p.order_id, p.date): p for p in gone}
    claimed: set[str] = set()
    for rid, r in zip(ids, book.returns):
        if rid in done:
            status[r.row] = (ACCEPTED, done[rid].credit_notes)
            continue
        oid = r.order_id.strip()

        def reject(code: str, field_: str, message: str) -> None:
            issues.append(error(code, "Returns", r.cell(field_, "order_id"),
                                f"return of order {oid}: {message}; not processed", oid))
            status[r.row] = (REJECTED, "")

        was = gone_at.get((oid, r.date))
        if was is not None:
            claimed.add(was.return_id)
            reject("processed_return_edited", "quantity",
                   f"a return of this order dated {r.date} was processed as "
                   f"{was.credit_notes} ({was.quantity} x {was.sku}, line {was.line}, "
                   f"{was.condition}) and is no longer on the sheet as it was processed; "
                   "a processed return cannot change: type that row back as it was (for "
                   "more units, add a row of its own)")
            continue
        key = _which_line(r, oid, lines, returned)
        if key is None:
            what = f"line {r.line}" if r.line is not None else f"SKU {r.sku or '(blank)'}"
            reject("return_unknown_line", "line" if r.line is not None else "sku",
                   f"order {oid} has no dispatched {what}")
            continue
        x = lines[key]
        condition = CONDITIONS.get((r.condition or "resellable").strip().lower())
        if condition is None:
            reject("bad_value", "condition",
                   f"Condition '{r.condition}' is not Resellable or Damaged")
            continue
        left = x.units - returned[key]
        if r.quantity > left:
            reject("return_exceeds_shipped", "quantity",
                   f"{r.quantity} units of line {key[1]} ({x.sku}) is more than the {left} "
                   f"dispatched and not yet returned ({x.units} dispatched, "
                   f"{returned[key]} returned)")
            continue
        exchange = (r.exchange_sku or "").strip()
        if exchange and (exchange not in products or not products[exchange].active):
            reject("unknown_sku", "exchange_sku",
                   f"Exchange SKU '{exchange}' is not an active product on Products")
            continue
        take = _invoice_units(x, key, r.quantity, credited)
        if take is None:
            reject("return_not_invoiced", "quantity",
                   f"the returned units of line {key[1]} are not all invoiced yet (run "
                   "`ordersheet invoice` first)")
            continue
        late = [inv for inv, _, _ in take if r.date > inv.invoice_date + window]
        if late:
            inv = late[0]
            reject("return_window_expired", "date",
                   f"returned on {r.date}, more than the {window.days} Return Window Days "
                   f"after invoice {inv.invoice_no} of {inv.invoice_date}")
            continue
        # Accepted.
        wh = _warehouse(x, key, r.quantity, back_from)
        at = stock.get((x.sku, wh))
        on_hand = inventory[at].on_hand if at is not None else 0
        change = r.quantity if condition == "Resellable" and at is not None else 0
        if change:
            inventory[at] = inventory[at].model_copy(update={"on_hand": on_hand + change})
        ledger.append(LedgerEntry(
            timestamp=now, operation="return" if change else "return-damaged", sku=x.sku,
            warehouse=wh, field="On Hand", change=change, before=on_hand,
            after=on_hand + change, order_id=key[0], line=key[1],
            reason=r.reason or condition))
        cns = []
        for inv, il, units in take:
            no = numbers.next()
            cns.append(no)
            head, rows_ = credit_note(no, inv, il, units, settings.restocking_fee, today, mode)
            notes.append(head)
            note_lines += rows_
            credited[(inv.invoice_no, key)] += units
        exchange_line = 0
        if exchange:
            last_line[key[0]] += 1
            exchange_line = last_line[key[0]]
            exchanges.append(_exchange(order_lines.get(key), take[0][0], key, exchange_line,
                                       exchange, r.quantity, take[0][1].unit_price, x.sku,
                                       cns[0]))
        returned[key] += r.quantity
        back_from[(key, wh)] += r.quantity
        p = ProcessedReturn(return_id=rid, order_id=key[0], line=key[1], sku=x.sku,
                            quantity=r.quantity, condition=condition, warehouse=wh,
                            date=r.date, credit_notes=", ".join(cns),
                            exchange_line=exchange_line, processed_on=today)
        done[rid] = p
        new.append(p)
        status[r.row] = (ACCEPTED, p.credit_notes)

    for p in gone:
        if p.return_id not in claimed:
            issues.append(warning(
                "processed_return_missing", "Returns", "",
                f"the return of order {p.order_id} line {p.line} ({p.quantity} x {p.sku}, "
                f"{p.date}) processed as {p.credit_notes} is no longer on the Returns sheet; "
                "its credit note and stock movement stay", p.order_id))
    return ReturnsRun(book.processed_returns + tuple(new), tuple(new), tuple(inventory),
                      tuple(ledger), tuple(notes), tuple(note_lines), numbers.following,
                      tuple(exchanges), status, tuple(issues))


def _which_line(r: ReturnLine, oid: str, lines: dict[Key, _Line],
                returned: dict[Key, int]) -> Key | None:
    """The dispatched order line a return names: by Line, else the first of the order's
    dispatched lines of its SKU with units not yet returned (else the first of that SKU)."""
    if r.line is not None:
        return (oid, r.line) if (oid, r.line) in lines else None
    sku = (r.sku or "").strip().upper()
    mine = sorted(k for k, x in lines.items() if k[0] == oid and x.sku.upper() == sku)
    open_ = [k for k in mine if lines[k].units > returned[k]]
    return (open_ or mine or [None])[0]


def _invoice_units(x: _Line, key: Key, units: int, credited: dict[tuple[str, Key], int]
                   ) -> list[tuple[Invoice, InvoiceLine, int]] | None:
    """The invoice lines the return credits, newest invoice first, with the units each
    takes back; None when fewer units are invoiced and not yet credited."""
    out = []
    for inv, il in x.invoiced:
        free = il.quantity - credited.get((inv.invoice_no, key), 0)
        got = min(free, units)
        if got > 0:
            out.append((inv, il, got))
            units -= got
        if not units:
            return out
    return None


def _warehouse(x: _Line, key: Key, units: int, back_from: dict[tuple[Key, str], int]) -> str:
    out = {wh: n - back_from[(key, wh)] for wh, n in x.by_wh.items()}
    for wh in reversed(list(out)):
        if out[wh] >= units:
            return wh
    return max(out, key=lambda wh: out[wh])


def credit_note(no: str, inv: Invoice, il: InvoiceLine, units: int, fee_rate: Decimal,
                today: dt.date, mode: str) -> tuple[Invoice, list[InvoiceLine]]:
    """Credit note `no` for `units` of invoice line `il`: the units at the invoiced unit
    price and tax rate (negative), less the restocking fee (a positive line at the same
    rate), in the invoice's currency; Total = Net + Tax exactly."""
    ccy = inv.currency
    back = money.line_amounts(il.unit_price, units, il.tax_rate, ccy, mode)
    rows = [InvoiceLine(invoice_no=no, order_id=il.order_id, line=il.line, sku=il.sku,
                        description=il.description, quantity=-units,
                        unit_price=il.unit_price, net=-back.net, tax_rate=il.tax_rate,
                        tax=-back.tax, total=-back.total)]
    if fee_rate > ZERO:
        fee = money.quantize(back.net * fee_rate, ccy, mode)
        kept = money.line_amounts(fee, 1, il.tax_rate, ccy, mode)
        rows.append(InvoiceLine(
            invoice_no=no, order_id=il.order_id, line=il.line, sku=RESTOCKING_SKU,
            description=f"Restocking fee {fee_rate * 100:f}".rstrip("0").rstrip(".") + " %",
            quantity=1, unit_price=fee, net=kept.net, tax_rate=il.tax_rate, tax=kept.tax,
            total=kept.total))
    net = sum((r.net for r in rows), ZERO)
    tax = sum((r.tax for r in rows), ZERO)
    head = Invoice(invoice_no=no, invoice_date=today, due_date=today,
                   customer_id=inv.customer_id, customer_name=inv.customer_name,
                   order_id=inv.order_id, shipment_id="", currency=ccy, net=net, tax=tax,
                   shipping=ZERO, total=net + tax, paid=ZERO, balance=ZERO, status="Applied",
                   credits_invoice=inv.invoice_no)
    return head, rows


def _exchange(original: OrderLine | None, invoice: Invoice, key: Key, line: int, sku: str,
              units: int, price: Decimal, returned_sku: str, note: str) -> OrderLine:
    """The replacement line: the order's date and customer (as invoiced, should the returned
    line have left Orders), the returned line's unit price."""
    return OrderLine(
        order_id=key[0], line=line,
        order_date=original.order_date if original else invoice.invoice_date,
        customer_id=original.customer_id if original else invoice.customer_id, sku=sku,
        quantity=units,
        unit_price=price, warehouse=None,
        notes=f"exchange for {units} x {returned_sku} returned from line {key[1]} ({note})")


class _Numbers:
    """Credit note numbers: Credit Note Prefix + Next Credit Note Number, gapless, after
    every number of the series already on Invoices (typed ones too)."""

    def __init__(self, book: OrderBook) -> None:
        s = book.settings
        self.prefix = s.credit_note_prefix
        taken = {i.invoice_no for i in book.invoices} | set(book.taken_ids)
        used = [n for n in (number_in_series(self.prefix, t) for t in taken) if n is not None]
        self.following = max(s.next_credit_note_number, max(used, default=0) + 1)

    def next(self) -> str:
        no = invoice_number(self.prefix, self.following)
        self.following += 1
        return no


def audit_text(run: ReturnsRun) -> str:
    """`returns: 2 accepted (CN-00001..CN-00002), 1 rejected` for the Audit Log."""
    rejected = sum(1 for st, _ in run.row_status.values() if st == REJECTED)
    text = f"returns: {len(run.new)} accepted"
    if run.credit_notes:
        text += (f" ({run.credit_notes[0].invoice_no}..{run.credit_notes[-1].invoice_no})"
                 if len(run.credit_notes) > 1 else f" ({run.credit_notes[0].invoice_no})")
    if rejected:
        text += f", {rejected} rejected"
    if run.exchanges:
        text += f", {len(run.exchanges)} exchange line(s) added"
    return text
