"""Payment matching (issue 21): which invoices each payment pays.

Owns the five matching rules, tried in this order for each payment, payments in date
order, invoices of the payment's currency only:

1. `manual`: the invoice numbers the user typed in the payment's Invoice No (one or
   several, comma-separated);
2. `reference`: invoice numbers found in its Reference (`INV-00041`, `INV 00041`,
   `inv-41` when only one invoice reads so);
3. `exact amount`: the customer (Customer ID, else a Payer or Reference naming a Customers
   Name, case and punctuation ignored) has exactly one open invoice whose balance is the
   amount;
4. `oldest first`: that customer's open invoices, oldest Due Date first, the last partly;
5. otherwise `unmatched`, listed for review with the closest open invoices.

What a payment leaves over is credit on its customer (`unapplied`); once every payment
has been matched, each customer's credit pays its open invoices, oldest first (`credit`),
so an overpayment pays the next invoice when there is one (on this run or a later one).
A difference of at most Settings Payment Tolerance left on the invoice a payment paid last
(or left of the payment) is written off (`write-off`). A payment named to an invoice in
another currency is not applied to it (`currency_mismatch`).

Matching is recomputed from the sheets on every run, and compared with the rows posted
before (`ReconRow`, never changed): a payment whose match is the same posts nothing, one
whose match changed (a manual Invoice No typed or cleared, an invoice credited ...) gets
its earlier rows reversed (rule `reversal`, the amounts negated) and its new rows posted.
So a second run posts nothing, and the rows always add up to the current match.

An invoice typed in by hand (no Shipment ID) keeps the Paid it was typed with: the first
reconcile posts it as a row of its own (`paid before ordersheet`, Payment ID
`OPENING-<Invoice No>`), and from then on it is settled like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

from . import money
from .issues import Issue, warning
from .models import Customer, Invoice, Payment, ReconRow

ZERO = Decimal(0)
MANUAL, REFERENCE, EXACT, OLDEST, CREDIT = (
    "manual", "reference", "exact amount", "oldest first", "credit")
WRITE_OFF, UNAPPLIED, UNMATCHED, MISMATCH, REVERSAL = (
    "write-off", "unapplied", "unmatched", "currency mismatch", "reversal")
OPENING = "paid before ordersheet"
"""The Paid of an invoice typed in by hand (no Shipment ID: from before ordersheet),
posted once as it was typed, so that what was paid before is not owed again."""

_NUMBER = re.compile(r"([A-Za-z]{1,12})[\s\-_#/.:]*(\d{1,12})\b")
"""An invoice number as people write it in a bank reference: letters, maybe a separator,
digits (`INV-00041`, `INV 00041`, `inv-41`, `inv#41`)."""
_WORDS = re.compile(r"[^\w]+")


def number_key(text: str) -> tuple[str, int] | None:
    """`INV-00041`, `inv 41` -> ('INV', 41): how an invoice number is recognised."""
    m = _NUMBER.fullmatch(text.strip())
    return (m.group(1).upper(), int(m.group(2))) if m else None


def _name_key(text: str) -> str:
    """`ACME Corp.` -> `acme corp`: a name with case and punctuation ignored."""
    return " ".join(w for w in _WORDS.split(text.casefold().replace("_", " ")) if w)


@dataclass
class Reconciliation:
    """What `reconcile` found: the rows to post now, what is applied to each invoice in
    total (every row, old and new), and one line per payment for the summary."""

    new_rows: list[ReconRow] = field(default_factory=list)
    applied: dict[str, Decimal] = field(default_factory=dict)
    """Invoice No -> applied and written off, over every posted row."""
    issues: list[Issue] = field(default_factory=list)
    outcome: dict[str, tuple[str, str, Decimal, Decimal]] = field(default_factory=dict)
    """Payment ID -> (matched | partly | unmatched, currency, amount, applied)."""
    credit: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    """(Customer ID, currency) -> unapplied credit left on the customer."""

    def summary(self) -> dict[str, dict[str, tuple[int, Decimal]]]:
        """Currency -> kind (matched, partly, unmatched) -> (payments, amount)."""
        out: dict[str, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
        for kind, ccy, amount, _applied in self.outcome.values():
            n, total = out[ccy].get(kind, (0, ZERO))
            out[ccy][kind] = (n + 1, total + amount)
        return dict(out)


def applied_to_invoices(rows: Iterable[ReconRow]) -> dict[str, Decimal]:
    """Invoice No (as written on the rows, upper case) -> Σ Applied: what `settle` takes."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.invoice_no:
            out[r.invoice_no.strip().upper()] += r.applied
    return dict(out)


@dataclass
class _Row:
    invoice_no: str
    applied: Decimal
    rule: str
    unapplied: Decimal = ZERO
    note: str = ""


@dataclass
class _Pay:
    p: Payment
    ccy: str
    customer: str
    left: Decimal
    rows: list[_Row] = field(default_factory=list)
    mismatched: bool = False
    held: bool = False
    """The user named an invoice that is not there: nothing is applied in its place."""


class _Matcher:
    def __init__(self, invoices: Sequence[Invoice], customers: Sequence[Customer],
                 tolerance: Decimal, base: str, mode: str):
        self.tolerance, self.base, self.mode = tolerance, base, mode
        credits: dict[str, Decimal] = defaultdict(Decimal)
        for i in invoices:
            if i.credits_invoice:
                credits[i.credits_invoice.strip().upper()] -= i.total
        self.invoices = [i for i in invoices if not i.credits_invoice]
        self.notes = {i.invoice_no.strip().upper(): i for i in invoices if i.credits_invoice}
        """Credit notes (issue 20) by number: on Invoices, but nothing to pay."""
        self.by_no = {i.invoice_no.strip().upper(): i for i in self.invoices}
        self.open = {i.invoice_no: i.total - credits.get(i.invoice_no.strip().upper(), ZERO)
                     for i in self.invoices}
        self.by_customer: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
        for i in sorted(self.invoices, key=lambda i: (i.due_date, i.invoice_date, i.invoice_no)):
            self.by_customer[(i.customer_id, (i.currency or base).upper())].append(i)
        self.by_key: dict[tuple[str, int], list[Invoice]] = defaultdict(list)
        for i in self.invoices:
            k = number_key(i.invoice_no)
            if k:
                self.by_key[k].append(i)
        self.customers = {c.customer_id.strip().upper(): c for c in customers}
        names: dict[str, list[str]] = defaultdict(list)
        for c in customers:
            if _name_key(c.name):
                names[_name_key(c.name)].append(c.customer_id)
        self.names = {k: v[0] for k, v in names.items() if len(v) == 1}
        """A name (`_name_key`) that is one customer's -> that Customer ID."""
        self.name_words = max((len(k.split()) for k in self.names), default=0)
        self.issues: list[Issue] = []
        self._closest: dict[str, list] | None = None

    # -- finding invoices and customers --
    def invoice(self, text: str, fuzzy: bool = True) -> Invoice | None:
        found = self.by_no.get(text.strip().upper())
        if found is None and fuzzy:
            k = number_key(text)
            cands = self.by_key.get(k, []) if k else []
            found = cands[0] if len(cands) == 1 else None
        return found

    def named_in_reference(self, ref: str) -> list[Invoice]:
        out: list[Invoice] = []
        for m in _NUMBER.finditer(ref or ""):
            inv = self.invoice(m.group(0))
            if inv is not None and inv not in out:
                out.append(inv)
        return out

    def customer_of(self, p: Payment) -> str:
        cid = (p.customer_id or "").strip().upper()
        if cid in self.customers:
            return self.customers[cid].customer_id
        for text in (p.payer, p.customer_id or ""):
            hit = self.names.get(_name_key(text)) if text else None
            if hit:
                return hit
        # a Customers Name anywhere in the reference: each run of its words looked up
        words = _name_key(p.reference or "").split()
        hits = {self.names[" ".join(words[k:k + n])]
                for n in range(1, min(self.name_words, len(words)) + 1)
                for k in range(len(words) - n + 1) if " ".join(words[k:k + n]) in self.names}
        return hits.pop() if len(hits) == 1 else ""

    def currency_of(self, p: Payment, customer: str) -> str:
        if p.currency:
            return p.currency.strip().upper()
        c = self.customers.get(customer.upper())
        return ((c.currency if c else "") or self.base).strip().upper()

    def open_invoices(self, customer: str, ccy: str) -> list[Invoice]:
        """The customer's invoices in `ccy` with something open, oldest Due Date first."""
        return [i for i in self.by_customer.get((customer, ccy), ())
                if self.open[i.invoice_no] > ZERO]

    # -- applying --
    def apply(self, pay: _Pay, inv: Invoice, rule: str) -> None:
        if (inv.currency or self.base).upper() != pay.ccy:
            self.mismatch(pay, inv)
            return
        amount = min(pay.left, self.open[inv.invoice_no])
        if amount <= ZERO:
            return
        self.open[inv.invoice_no] -= amount
        pay.left -= amount
        pay.rows.append(_Row(inv.invoice_no, amount, rule))
        pay.customer = pay.customer or inv.customer_id

    def mismatch(self, pay: _Pay, inv: Invoice) -> None:
        pay.mismatched = True
        self.issues.append(warning(
            "currency_mismatch", "Payments", pay.p.cell("currency", "amount"),
            f"payment {pay.p.payment_id} is in {pay.ccy} and invoice {inv.invoice_no} in "
            f"{inv.currency}: not applied to it (record the payment in {inv.currency}, or "
            "name an invoice in its currency)"))

    def match(self, pay: _Pay) -> None:
        p = pay.p
        typed = [t for t in re.split(r"[,;]+", p.invoice_no or "") if t.strip()]
        if typed:  # 1. the user's own match wins
            for t in typed:
                inv = self.invoice(t)
                if inv is None:
                    pay.held = True
                    note = self.notes.get(t.strip().upper())
                    where = (f"a credit note (it credits {note.credits_invoice}), not an "
                             "invoice to pay" if note is not None
                             else "which is not on the Invoices sheet")
                    self.issues.append(warning(
                        "unknown_invoice", "Payments", p.cell("invoice_no"),
                        f"payment {p.payment_id} names invoice '{t.strip()}', {where}: not "
                        "applied to it"))
                else:
                    self.apply(pay, inv, MANUAL)
            self.write_off(pay)
            return
        named = self.named_in_reference(p.reference)
        if named:  # 2.
            for inv in named:
                self.apply(pay, inv, REFERENCE)
            self.write_off(pay)
            return
        if not pay.customer:
            return
        cands = self.open_invoices(pay.customer, pay.ccy)
        if not cands:
            other = [i for i in self.invoices if i.customer_id == pay.customer
                     and self.open[i.invoice_no] > ZERO]
            if other:
                self.mismatch(pay, other[0])
            return
        exact = [i for i in cands if abs(self.open[i.invoice_no] - pay.left) <= self.tolerance]
        if len(exact) == 1:  # 3.
            self.apply(pay, exact[0], EXACT)
        else:  # 4.
            for inv in cands:
                if pay.left <= ZERO:
                    break
                self.apply(pay, inv, OLDEST)
        self.write_off(pay)

    def write_off(self, pay: _Pay) -> None:
        """A difference within the tolerance: what the payment's last invoice still owes,
        else what is left of the payment."""
        if self.tolerance <= ZERO or not pay.rows:
            return
        last = pay.rows[-1].invoice_no
        owed = self.open[last]
        if ZERO < owed <= self.tolerance:
            self.open[last] = ZERO
            pay.rows.append(_Row(last, owed, WRITE_OFF, note=(
                f"{owed} {pay.ccy} short, within the Payment Tolerance {self.tolerance}: "
                "written off")))
        elif ZERO < pay.left <= self.tolerance:
            pay.rows.append(_Row("", pay.left, WRITE_OFF, note=(
                f"{pay.left} {pay.ccy} paid over invoice {last}, within the Payment "
                f"Tolerance {self.tolerance}: written off")))
            pay.left = ZERO

    def candidates(self, pay: _Pay) -> str:
        """The (at most three) open invoices closest in amount to an unmatched payment,
        once matching is done: the open amounts of each currency are sorted once, and
        each payment looks around its own amount."""
        if self._closest is None:
            self._closest = defaultdict(list)
            for i in self.invoices:
                if self.open[i.invoice_no] > ZERO:
                    self._closest[(i.currency or self.base).upper()].append(
                        (self.open[i.invoice_no], i.due_date, i.invoice_no, i))
            for rows in self._closest.values():
                rows.sort(key=lambda r: r[:3])
        opens = self._closest.get(pay.ccy, [])
        k = bisect_left(opens, pay.left, key=lambda r: r[0])
        near = opens[max(k - 3, 0):k + 3]
        near.sort(key=lambda r: (abs(r[0] - pay.left), r[1], r[2]))
        return ", ".join(f"{i.invoice_no} ({i.customer_id}, {amount} open)"
                         for amount, _, _, i in near[:3])


def reconcile(payments: Sequence[Payment], invoices: Sequence[Invoice],
              customers: Sequence[Customer], posted: Sequence[ReconRow], *,
              today: dt.date, tolerance: Decimal = ZERO, base_currency: str = "USD",
              rounding_mode: str = "half-up") -> Reconciliation:
    """Match every payment to invoices (the module docstring says how) and return the rows
    to post on `today` so that the posted rows add up to this match."""
    mt = _Matcher(invoices, customers, tolerance, base_currency.upper(), rounding_mode)
    opening = _opening(mt, posted, today)
    issues: list[Issue] = []
    pays: list[_Pay] = []
    order = sorted(payments, key=lambda p: (p.date, p.row, p.payment_id))
    for p in order:
        if p.amount <= ZERO:
            issues.append(warning(
                "payment_not_positive", "Payments", p.cell("amount"),
                f"payment {p.payment_id} has the amount {p.amount}: only money received is "
                "matched (a refund or fee is left out)"))
            continue
        customer = mt.customer_of(p)
        ccy = mt.currency_of(p, customer)
        pay = _Pay(p, ccy, customer, money.quantize(p.amount, ccy, rounding_mode))
        mt.match(pay)
        pays.append(pay)
    for pay in pays:  # what is left is credit on the customer: it pays their open invoices
        if pay.left > ZERO and pay.customer and not pay.held:
            for inv in mt.open_invoices(pay.customer, pay.ccy):
                if pay.left <= ZERO:
                    break
                mt.apply(pay, inv, CREDIT)
    out = Reconciliation(new_rows=opening, issues=issues + mt.issues)
    by_payment: dict[str, list[ReconRow]] = defaultdict(list)
    for r in posted:
        if r.rule != OPENING:
            by_payment[r.payment_id.strip().upper()].append(r)
    seen: set[str] = set()
    for pay in pays:
        p = pay.p
        if pay.left > ZERO:
            rule = UNAPPLIED if pay.customer else UNMATCHED
            if pay.mismatched and not pay.rows:
                rule = MISMATCH
            note = ("credit on the customer: pays their next invoices" if rule == UNAPPLIED
                    else "")
            if pay.held:
                note = (f"Invoice No '{p.invoice_no.strip()}' names no invoice to pay (see "
                        "Issues): held until it is corrected")
            elif rule == UNMATCHED:
                cands = mt.candidates(pay)
                note = "no invoice or customer found" + (f"; closest: {cands}" if cands else "")
                out.issues.append(warning(
                    "payment_unmatched", "Payments", p.cell("payment_id"),
                    f"payment {p.payment_id} ({pay.left} {pay.ccy}) matches no invoice or "
                    f"customer: {note}. Type the Invoice No on Payments to match it"))
            pay.rows.append(_Row("", ZERO, rule, pay.left, note))
            if pay.customer:
                k = (pay.customer, pay.ccy)
                out.credit[k] = out.credit.get(k, ZERO) + pay.left
        used = sum((r.applied for r in pay.rows if r.rule != WRITE_OFF), ZERO)
        kind = "unmatched" if used == ZERO else ("partly" if pay.left > ZERO else "matched")
        out.outcome[p.payment_id] = (kind, pay.ccy, pay.p.amount, used)
        key = p.payment_id.strip().upper()
        seen.add(key)
        out.new_rows += _restate(pay, by_payment.get(key, []), today)
    for key, rows in by_payment.items():  # a payment that is no longer on the sheet
        if key not in seen:
            out.new_rows += _reversals(rows, today, "the payment is no longer on the Payments "
                                                    "sheet")
    out.applied = applied_to_invoices([*posted, *out.new_rows])
    return out


def _opening(mt: _Matcher, posted: Sequence[ReconRow], today: dt.date) -> list[ReconRow]:
    """The `OPENING` rows of hand-typed invoices with a Paid that no row names yet; what
    they paid (now or when posted before) is no longer open."""
    named = {r.invoice_no.strip().upper() for r in posted if r.invoice_no}
    for r in posted:  # posted before: paid then, so not open now
        if r.rule == OPENING:
            inv = mt.invoice(r.invoice_no, fuzzy=False)
            if inv is not None:
                mt.open[inv.invoice_no] -= r.applied
    out = []
    for inv in mt.invoices:
        if inv.shipment_id or inv.paid <= ZERO or inv.invoice_no.strip().upper() in named:
            continue
        amount = min(inv.paid, max(mt.open[inv.invoice_no], ZERO))
        mt.open[inv.invoice_no] -= amount
        out.append(ReconRow(payment_id=f"OPENING-{inv.invoice_no}", date=inv.invoice_date,
                            customer_id=inv.customer_id, invoice_no=inv.invoice_no,
                            applied=amount, rule=OPENING, currency=inv.currency,
                            posted_on=today, note="Paid as typed on Invoices before "
                                                  "ordersheet reconciled the invoice"))
    return [r for r in out if r.applied]


def _net(rows: Iterable) -> dict[tuple[str, bool], Decimal]:
    """(Invoice No, written off?) -> applied, and ('', False) -> unapplied, zeros left out."""
    out: dict[tuple[str, bool], Decimal] = defaultdict(Decimal)
    for r in rows:
        wo = WRITE_OFF in r.rule
        out[(r.invoice_no.strip().upper(), wo)] += r.applied
        if r.unapplied:
            out[("", False)] += r.unapplied
    return {k: v for k, v in out.items() if v}


def _restate(pay: _Pay, posted: list[ReconRow], today: dt.date) -> list[ReconRow]:
    """The rows that bring the payment's posted rows to `pay.rows`: none when they already
    add up to it; else a reversal of what was posted, then the new rows."""
    if _net(posted) == _net(pay.rows):
        return []
    p = pay.p
    if (p.invoice_no or "").strip():
        why = f"replaced by the manual match on Payments (Invoice No {p.invoice_no.strip()})"
    elif any(r.rule == MANUAL for r in posted):
        why = "the manual match was cleared: matched automatically again"
    else:
        why = "matched again: the payment or the invoices changed"
    out = _reversals(posted, today, why)
    for r in pay.rows:
        out.append(ReconRow(payment_id=p.payment_id, date=p.date, customer_id=pay.customer,
                            invoice_no=r.invoice_no, applied=r.applied, rule=r.rule,
                            unapplied=r.unapplied, note=r.note, currency=pay.ccy,
                            posted_on=today))
    return out


def _reversals(posted: list[ReconRow], today: dt.date, why: str) -> list[ReconRow]:
    """One row per (invoice, write-off or not) netting what was posted to zero."""
    if not posted:
        return []
    first = posted[0]
    out = []
    for (inv, wo), amount in _net(posted).items():
        unapplied = amount if inv == "" and not wo else ZERO
        applied = amount - unapplied
        shown = next((r.invoice_no for r in posted if r.invoice_no.strip().upper() == inv), "")
        out.append(ReconRow(payment_id=first.payment_id, date=first.date,
                            customer_id=first.customer_id, invoice_no=shown, applied=-applied,
                            rule=f"{REVERSAL} ({WRITE_OFF})" if wo else REVERSAL,
                            unapplied=-unapplied, note=f"reverses what was posted: {why}",
                            currency=first.currency, posted_on=today))
    return out


def open_balance(invoices: Sequence[Invoice], customer_id: str,
                 currency: str | None = None) -> Decimal:
    """Σ Balance of a customer's invoices (in one currency when given), as settled."""
    cid = customer_id.strip().upper()
    return sum((i.balance for i in invoices if i.customer_id.strip().upper() == cid
                and (currency is None or i.currency.upper() == currency.upper())), ZERO)


__all__ = ["reconcile", "Reconciliation", "applied_to_invoices", "number_key",
           "open_balance"]
