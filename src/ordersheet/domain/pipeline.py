"""The only module that chains the rules: settle invoices -> validate -> price -> credit ->
post dispatched shipments -> reserve -> plan shipments -> dispatch -> invoice ->
(reconcile: match payments), then each line's status.

`run` takes the whole order book plus the as-of date and clock reading, and returns the
new state of every record and one outcome per order line. It never reads a workbook and
never looks at the clock itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from . import (changes, credit, invoicing, payments, pricing, receivables, reservation,
               returns, shipping, status, validation)
from . import dispatch as dispatching  # (`dispatch` is `run`'s flag)
from .rates import Rates
from .issues import Issue, sort_issues
from .models import AuditEntry, Key, LedgerEntry, LinePrice, OrderBook, OrderLine
from .status import LineOutcome

DISPATCH_REFUSALS = dispatching.REFUSALS
"""Why a shipment named for dispatch was not dispatched (for the entry points)."""

STEPS = ("validate", "price", "reserve", "ship", "invoice", "reconcile")
"""Each step runs the ones before it."""

OPERATIONS = {
    "validate": "validate", "price": "price", "reserve": "reserve", "ship": "ship",
    "dispatch": "invoice", "invoice": "invoice", "run": "invoice", "reconcile": "reconcile",
    "notify": "invoice",  # customers are told what a run (without dispatch) leaves
    "report": "invoice",  # a run, then the Dashboard, Reorder and Bottlenecks views
    "cancel": "reserve",  # the freed stock goes to the lines waiting for it; nothing ships
    "returns": "invoice",  # what left is invoiced first: a return credits its invoice
}


@dataclass
class RunResult:
    operation: str
    steps: tuple[str, ...]
    lines: tuple[OrderLine, ...]
    numbered: frozenset[int]
    outcomes: dict[int, LineOutcome]
    """Excel row of the order line -> outcome."""
    issues: list[Issue]
    book: OrderBook
    """State after the run: inventory, reservations, shipments, invoices, settings."""
    ledger: tuple[LedgerEntry, ...] = ()
    audit: AuditEntry | None = None
    new_shipments: tuple[str, ...] = ()
    new_invoices: tuple[str, ...] = ()
    dispatched: tuple[str, ...] = ()
    shortfalls: dict[str, int] = field(default_factory=dict)
    """SKU -> units backordered, for the summary."""
    reconciliation: payments.Reconciliation | None = None
    """What `reconcile` matched (None when the step did not run)."""
    imported: object = None
    """What a bank statement added to Payments (set by the entry point, `book.statement`)."""
    cancelled: tuple[Key, ...] = ()
    """Order lines this run cancelled (a `cancel` request's, or typed, released now)."""
    refused: bool = False
    """A `cancel` request was refused: its issue says why, and nothing may be written."""
    returns: returns.ReturnsRun | None = None
    """What `returns` did with each Returns row (operation `returns` only)."""
    restore: bool = False
    """The book as read shows an edit of ordersheet's records to put back (set by the
    entry point, which read it): a run that reports `restored` must write."""

    @property
    def idle(self) -> bool:
        """Nothing to write: a `cancel` refused, or one that finds its lines cancelled
        already (a second `cancel` changes nothing), or `returns` that accepted no new
        return, rejected none and whose earlier steps changed nothing either (a second
        `returns` changes nothing; a rejected row is reported, and marked, on every run
        until it is fixed). Either writes all the same when the book has an edit of a
        record to put back (`restore`): its issue says the value was restored."""
        quiet_returns = self.returns is not None and not (
            self.returns.new or self.returns.issues or self.ledger or self.new_shipments
            or self.new_invoices)
        return self.refused or (not self.restore and (
            (self.operation == "cancel" and not self.cancelled) or quiet_returns))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for o in self.outcomes.values():
            counts[o.status] += 1
        return dict(counts)


def run(book: OrderBook, *, operation: str = "validate", today: dt.date, now: dt.datetime,
        user: str = "", dispatch: bool = False, dispatch_ids: Sequence[str] | None = None,
        bad_rows: Iterable[int] = (), prior_issues: Sequence[Issue] = (),
        cancel: changes.CancelRequest | None = None) -> RunResult:
    """Run `operation` (and every step it needs) on `book`. `today` is the business date
    the run works as of (`--today`), `now` when it ran by the clock (the Stock Ledger and
    Audit Log timestamps; the Audit Log records both). `user` is who ran it (the OS
    account); the Settings sheet's User, when given, names them instead. `cancel`: the
    order lines `ordersheet cancel` cancels (operation `cancel`)."""
    upto = OPERATIONS.get(operation, operation)
    steps = STEPS[: STEPS.index(upto) + 1]
    dispatch = dispatch or operation == "dispatch"
    issues: list[Issue] = list(prior_issues)

    # Invoices owe what the posted Reconciliation rows and credit notes leave (so credit
    # control sees payments); only `reconcile` matches new payments (README says why).
    book = book.model_copy(update={"invoices": settled(book.invoices, book.reconciliation,
                                                       today)})
    book, dup_issues = validation.dedupe(book)
    issues += dup_issues
    # What left the warehouse stays as it left; then which lines are cancelled.
    book, edit_issues = changes.shipped_line_edits(book)
    issues += edit_issues
    cancels = changes.cancellations(book, cancel)
    book = cancels.book
    issues += cancels.issues
    v = validation.validate(book, frozenset(bad_rows), prior_issues)
    issues += v.issues
    lines = v.lines
    invalid_orders = set(v.invalid_orders)
    holds: dict[str, str] = {}
    prices: dict[Key, LinePrice] = {}
    ledger: list[LedgerEntry] = []
    new_shipments: tuple[str, ...] = ()
    new_invoices: tuple[str, ...] = ()
    dispatched: tuple[str, ...] = ()
    reserve_ran = False

    # The lines the later steps serve: valid, not in an invalid order, not held. Filtered
    # again only when pricing or credit adds to those sets (no step changes the list).
    servable: list[OrderLine] = []

    if "price" in steps:
        rates = Rates(book)  # FX and tax look-ups: built once, passed to every step
        issues += rates.issues
        locked = pricing.locks_in_force(lines, book.price_locks)
        servable = [ln for ln in lines if v.is_valid(ln) and ln.order_id not in invalid_orders]
        prices, p_issues = pricing.price_lines(servable, book, rates, locked)
        issues += p_issues
        failed = {i.order_id for i in p_issues if i.is_error and i.order_id} - invalid_orders
        if failed:
            invalid_orders |= failed
            prices = {k: p for k, p in prices.items() if k[0] not in invalid_orders}
            servable = [ln for ln in servable if ln.order_id not in invalid_orders]
        # `reconcile` checks credit against the payments it is about to match (the posted
        # rows follow at its end), so the run that writes an invoice Paid does not hold
        # that customer's next order for it.
        seen = book if "reconcile" not in steps else book.model_copy(update={
            "invoices": settled(book.invoices, book.reconciliation
                                + tuple(_match(book, today).new_rows), today)})
        holds, c_issues = credit.check_credit(servable, prices, seen, rates=rates)
        issues += c_issues
        if holds:
            servable = [ln for ln in servable if ln.order_id not in holds]

    state = book
    if "reserve" in steps:
        # Shipments a user marked Shipped (or a dispatch run) leave the warehouse first.
        d = dispatching.dispatch(state, state.reservations, state.shipments,
                                 state.shipment_lines, [], today, now)
        state = state.model_copy(update={"shipments": d.shipments, "reservations": d.reservations,
                                         "inventory": d.inventory})
        ledger += d.ledger
        issues += [*d.issues, *shipping.status_issues(state.shipments)]
        dispatched += d.dispatched
        kept, released = changes.release_cancelled(state.reservations, cancels.reasons, now)
        state = state.model_copy(update={"reservations": kept})
        ledger += released
        shipped = _posted_quantities(state)
        r = reservation.reserve(servable, state, shipped, today, now)
        state = state.model_copy(update={"reservations": r.reservations})
        ledger += r.ledger
        issues += r.issues
        reserve_ran = True
        if released and "ship" not in steps:  # withdraw the Ready shipments they stood on
            sp = shipping.plan_shipments([], state.reservations, state, today)
            state = state.model_copy(update={"shipments": sp.shipments,
                                             "shipment_lines": sp.shipment_lines})

    if "ship" in steps:
        sp = shipping.plan_shipments(servable, state.reservations, state, today)
        state = state.model_copy(update={"shipments": sp.shipments,
                                         "shipment_lines": sp.shipment_lines})
        issues += sp.issues
        new_shipments = sp.new_ids
        if dispatch:
            # Each shipment is dispatched once per run: one the user marked Shipped and
            # names too was posted before reserving, and is not named "already
            # dispatched" now.
            done = {sid.upper() for sid in dispatched}
            select = ([sid for sid in dispatch_ids if (sid or "").strip().upper() not in done]
                      if dispatch_ids else None)
            d = dispatching.dispatch(state, state.reservations, state.shipments,
                                     state.shipment_lines, select, today, now)
            state = state.model_copy(update={"shipments": d.shipments,
                                             "reservations": d.reservations,
                                             "inventory": d.inventory})
            ledger += d.ledger
            issues += d.issues
            dispatched += d.dispatched

    if "price" in steps:  # lines reserved or shipped by now keep their price from here on
        state = state.model_copy(update={"price_locks": pricing.lock_prices(
            locked, prices, lines, state, rates, today)})

    if "invoice" in steps:
        invoiced_ships = {i.shipment_id for i in state.invoices}
        to_invoice = [s for s in state.shipments
                      if s.posted_on is not None and s.shipment_id not in invoiced_ships]
        by_key = {ln.key: ln for ln in lines}
        inv = invoicing.issue_invoices(to_invoice, state.shipment_lines, by_key, prices,
                                       state, today, rates=rates)
        issues += inv.issues
        new_invoices = tuple(i.invoice_no for i in inv.invoices)
        state = state.model_copy(update={
            "invoices": state.invoices + inv.invoices,
            "invoice_lines": state.invoice_lines + inv.lines,
            "settings": state.settings.model_copy(update={"next_invoice_number": inv.next_number}),
        })

    returned = None
    if operation == "returns":
        returned = returns.process_returns(state, today, now)
        issues += returned.issues
        ledger += returned.ledger
        state = state.model_copy(update={
            "inventory": returned.inventory,
            "invoices": state.invoices + returned.credit_notes,
            "invoice_lines": state.invoice_lines + returned.credit_lines,
            "processed_returns": returned.processed,
            "settings": state.settings.model_copy(
                update={"next_credit_note_number": returned.next_number}),
        })
    if "invoice" in steps:  # Paid, Balance, Status of each invoice after its credit notes
        state = state.model_copy(update={
            "invoices": settled(state.invoices, state.reconciliation, today)})
    matched = None
    if "reconcile" in steps:
        matched = _match(state, today)
        issues += matched.issues
        posted = state.reconciliation + tuple(matched.new_rows)
        state = state.model_copy(update={"reconciliation": posted,
                                         "invoices": settled(state.invoices, posted, today)})

    outcomes, shortfalls = status.line_outcomes(lines, v, invalid_orders, holds, prices, state,
                                                 reserve_ran, "price" in steps)
    issues = sort_issues(issues + status.sibling_issues(lines, invalid_orders, issues))
    counts = defaultdict(int)
    for o in outcomes.values():
        counts[o.status] += 1
    details = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items()))
    details += (f"; issues: {sum(1 for i in issues if i.is_error)} errors, "
                f"{sum(1 for i in issues if not i.is_error)} warnings")
    if new_shipments:
        details += f"; shipments planned: {len(new_shipments)}"
    if dispatched:
        details += f"; dispatched: {len(dispatched)}"
    if new_invoices:
        details += f"; invoices: {new_invoices[0]}..{new_invoices[-1]}"
    if matched is not None:
        details += f"; reconciliation rows: {len(matched.new_rows)}"
    cancelled = tuple(dict.fromkeys(
        [*cancels.new, *((e.order_id, e.line) for e in ledger if e.operation == "cancel")]))
    if cancelled:
        details += "; " + changes.audit_text(cancels.reasons, cancelled)
    if returned is not None:
        details += "; " + returns.audit_text(returned)
    audit = AuditEntry(timestamp=now, user=book.settings.user or user or "ordersheet",
                       operation=operation, details=details, business_date=today)
    return RunResult(operation, steps, lines, v.numbered, outcomes, issues, state,
                     tuple(ledger), audit, new_shipments, new_invoices, dispatched, shortfalls,
                     reconciliation=matched, cancelled=cancelled, refused=cancels.refused,
                     returns=returned)


def settled(invoices, rows, today: dt.date):
    """`receivables.settle` with what the Reconciliation rows `rows` apply to each invoice;
    an invoice typed in by hand that no row names yet keeps the Paid it was typed with
    (`payments.OPENING`)."""
    if not invoices:
        return invoices
    applied = payments.applied_to_invoices(rows)
    paid = {i.invoice_no: applied[k] if k in applied else i.paid for i in invoices
            if (k := i.invoice_no.strip().upper()) in applied
            or (not i.shipment_id and not i.credits_invoice and i.paid)}
    return receivables.settle(invoices, paid, today)


def _match(state: OrderBook, today: dt.date) -> payments.Reconciliation:
    """Every payment of `state` matched to its invoices as of `today`."""
    return payments.reconcile(
        state.payments, state.invoices, state.customers, state.reconciliation, today=today,
        tolerance=state.settings.payment_tolerance,
        base_currency=state.settings.base_currency,
        rounding_mode=state.settings.rounding_mode)


def _posted_quantities(state: OrderBook) -> dict[Key, int]:
    posted = {s.shipment_id for s in state.shipments if s.posted_on is not None}
    out: dict[Key, int] = {}
    for sl in state.shipment_lines:
        if sl.shipment_id in posted:
            k = (sl.order_id, sl.line)
            out[k] = out.get(k, 0) + sl.quantity
    return out
