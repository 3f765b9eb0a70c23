"""Stock and money conserve through returns (issue 20), for any mix of orders, dispatches,
returns (resellable, damaged, too many, late, repeated, sorted) and re-runs.

Runs the pipeline as the book would between runs (each run's state is the next run's
book; the Stock Ledger accumulates), and checks after every run:
- On Hand = opening On Hand - units dispatched + units returned Resellable, and the
  ledger replayed over the opening figures gives every (On Hand, Reserved);
- per order line: credited units <= invoiced units <= dispatched units, and what was
  returned never exceeds what was dispatched;
- credit note numbers are CN-00001 ... CN-n: unique, gapless, and never issued again by a
  re-run; each credit note's lines sum to its header;
- a second `returns` run accepts nothing new; an exchange's replacement line gets a Line
  of its own and is then served like any other.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordersheet.domain import models as m
from ordersheet.domain import pipeline
from ordersheet.domain.reservation import replay_ledger
from ordersheet.domain.returns import RESTOCKING_SKU

from ..domain.factories import DAY, NOW, book, customer, line, product, stock

SKUS = ("A", "B", "C")
OPENING = {"A": 6, "B": 4, "C": 9}
RCOLS = {"order_id": "A", "line": "B", "sku": "C", "quantity": "D", "date": "E",
         "reason": "F", "condition": "G", "exchange_sku": "H"}

orders_st = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=1,
                     max_size=5)
return_st = st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(1, 4),
                      st.sampled_from(["Resellable", "Damaged"]), st.integers(0, 40),
                      st.booleans(), st.sampled_from(["", "", "A", "C"]))


def _book(orders) -> m.OrderBook:
    return book(
        orders=[line(f"SO-{i + 1}", 1, sku, qty, row=i + 2) for i, (sku, qty) in enumerate(orders)],
        products=[product(s, "10") for s in SKUS],
        inventory=[stock(s, n) for s, n in OPENING.items()],
        customers=[customer("C1")],
        tax_rates=[m.TaxRate(country="US", tax_class="standard", rate=Decimal("0.2"))],
        settings=m.Settings(restocking_fee=Decimal("0.1"), return_window_days=30,
                            charge_shipping=False))


def _returns(rows, orders) -> tuple[m.ReturnLine, ...]:
    out = []
    for k, (i, _, qty, cond, days, by_sku, exchange) in enumerate(rows):
        oid = f"SO-{i % len(orders) + 1}"
        sku = orders[i % len(orders)][0]
        out.append(m.ReturnLine(order_id=oid, line=None if by_sku else 1,
                                sku=sku if by_sku else None, quantity=qty,
                                date=DAY + dt.timedelta(days=days), condition=cond,
                                exchange_sku=exchange, row=k + 2, cols=RCOLS))
    return tuple(out)


def _check(state: m.OrderBook, ledger: list[m.LedgerEntry]) -> None:
    posted = {s.shipment_id for s in state.shipments if s.posted_on is not None}
    sent: Counter = Counter()
    for sl in state.shipment_lines:
        if sl.shipment_id in posted:
            sent[(sl.order_id, sl.line)] += sl.quantity
    sent_sku: Counter = Counter()
    for sl in state.shipment_lines:
        if sl.shipment_id in posted:
            sent_sku[sl.sku] += sl.quantity
    back: Counter = Counter()
    returned: Counter = Counter()
    for p in state.processed_returns:
        returned[(p.order_id, p.line)] += p.quantity
        if p.condition == "Resellable":
            back[p.sku] += p.quantity
    inv = {s.sku: s.on_hand for s in state.inventory}
    for sku in SKUS:
        assert inv[sku] == OPENING[sku] - sent_sku[sku] + back[sku]
    reserved: Counter = Counter()
    for r in state.reservations:
        reserved[(r.sku, r.warehouse)] += r.quantity
    replay = replay_ledger(ledger, {(s, "MAIN"): (n, 0) for s, n in OPENING.items()})
    assert replay == {(s.sku, "MAIN"): (s.on_hand, reserved[(s.sku, "MAIN")])
                      for s in state.inventory}
    # money: credited <= invoiced <= dispatched, returned <= dispatched
    notes = {i.invoice_no: i for i in state.invoices if i.credits_invoice}
    invoiced: Counter = Counter()
    credited: Counter = Counter()
    for il in state.invoice_lines:
        if il.line is None or il.sku == RESTOCKING_SKU or il.sku == "SHIPPING":
            continue
        (credited if il.invoice_no in notes else invoiced)[(il.order_id, il.line)] += \
            abs(il.quantity)
    for k in set(invoiced) | set(credited) | set(returned):
        assert credited[k] <= invoiced[k] <= sent[k], k
        assert returned[k] == credited[k] <= sent[k], k
    # credit note numbers: CN-00001..CN-n, once each; lines sum to the header
    numbers = [i.invoice_no for i in state.invoices if i.credits_invoice]
    assert numbers == [f"CN-{n:05d}" for n in range(1, len(numbers) + 1)]
    by_note: dict[str, list[m.InvoiceLine]] = defaultdict(list)
    for il in state.invoice_lines:
        if il.invoice_no in notes:
            by_note[il.invoice_no].append(il)
    for no, head in notes.items():
        assert sum(il.total for il in by_note[no]) == head.total == head.net + head.tax
        assert head.total <= 0
    assert state.settings.next_credit_note_number == len(numbers) + 1


@settings(max_examples=int(os.environ.get("ORDERSHEET_FUZZ_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(orders=orders_st, first=st.lists(return_st, max_size=5),
       later=st.lists(return_st, max_size=4), sort=st.booleans())
def test_stock_and_money_conserve_through_returns(orders, first, later, sort):
    state = _book(orders)
    ledger: list[m.LedgerEntry] = []
    today = DAY + dt.timedelta(days=5)

    def step(op: str, returns_rows=None, dispatch: bool = False) -> pipeline.RunResult:
        nonlocal state
        if returns_rows is not None:
            state = state.model_copy(update={"returns": returns_rows})
        r = pipeline.run(state, operation=op, today=today, now=NOW, dispatch=dispatch)
        if not r.idle:
            # Orders is the user's sheet: as it was, plus the exchange lines appended to it
            added = tuple(ln.model_copy(update={"row": len(state.orders) + 2 + k})
                          for k, ln in enumerate(r.returns.exchanges if r.returns else ()))
            state = r.book.model_copy(update={"orders": tuple(state.orders) + added})
            ledger.extend(r.ledger)
        _check(state, ledger)
        return r

    step("run", dispatch=True)
    rows = _returns(first, orders)
    step("returns", rows)
    again = step("returns")
    assert not again.returns.new  # processed rows are never processed again
    rows = rows + _returns(later, orders)
    if sort:  # the user sorts the sheet: same rows, other order, other Excel rows
        rows = tuple(r.model_copy(update={"row": k + 2}) for k, r in
                     enumerate(sorted(rows, key=lambda r: (r.quantity, r.order_id),
                                      reverse=True)))
    step("returns", rows)
    assert not step("returns").returns.new
    step("run", dispatch=True)  # the exchange lines are served like any other
    keys = [ln.key for ln in state.orders]
    assert len(keys) == len(set(keys))  # each exchange took a Line of its own
    step("returns")
