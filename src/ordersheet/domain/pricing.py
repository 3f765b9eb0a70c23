"""Pricing: price rules, customer discounts, FX conversion and tax (CONTRACT §4 "Pricing").

Owns the unit price, Net, Tax and Total of every order line and the short "Price
Explained" text saying where the price came from. A `Pricer` indexes the price rules of
one book once (by (SKU, customer)) and uses the run's FX and tax rates (`models.Rates`,
built once per run and passed in), so pricing 100,000 lines is dict look-ups;
`price_lines` is what the pipeline calls, `unit_price_for` serves the Excel custom
function. The amounts of a line are `money.line_amounts`.

Rule resolution, in order: the most specific level with a candidate wins (customer+SKU,
SKU, customer, neither); within it the highest Min Qty; among those the lowest price in
the customer's currency; a remaining tie is broken by the rule's content and row, so the
result never depends on the order of any sheet. A Customers Discount % is a
customer-level rule with Min Qty 1. No rule: List Price.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from typing import Iterable, Mapping, NamedTuple, Optional, Sequence

from . import money
from .issues import Issue, error, warning
from .models import (Customer, Key, LinePrice, OrderBook, OrderLine, PriceLock, PriceRule,
                     Product, Rates)
from .records import build_tuples

ONE = Decimal(1)
_ZERO = Decimal(0)
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class _Rule:
    """A usable Price Rules row, or a customer's Discount % seen as a customer-level rule."""

    min_qty: int
    unit_price: Optional[Decimal]
    """Absolute price in `currency`; None for a discount rule."""
    discount: Optional[Decimal]
    currency: str
    valid_from: Optional[dt.date]
    valid_to: Optional[dt.date]
    source: str
    """'Price Rules row 7' or 'Customers row 4 discount'."""
    row: int
    currency_cell: str
    """A1 address of the rule's Currency cell (Price Rules), for `missing_fx_rate`."""

    def applies(self, qty: int, on: dt.date) -> bool:
        return (self.min_qty <= qty and (self.valid_from is None or self.valid_from <= on)
                and (self.valid_to is None or on <= self.valid_to))

    def content(self) -> tuple:
        """Deterministic tie-break that does not depend on where the row sits."""
        return (self.unit_price is None, self.currency, self.unit_price or 0,
                self.discount or 0, self.valid_from or dt.date.min,
                self.valid_to or dt.date.max, self.row, self.source)


@dataclass(frozen=True, slots=True)
class _Missing:
    """An FX rate a price needed but the FX Rates sheet does not have."""

    currency: str
    rule: Optional[_Rule] = None
    """The rule whose own currency lacks the rate; None when it is the customer's."""


class _Quote(NamedTuple):
    """A unit price before quantity and tax, or the rates it is missing. (A NamedTuple:
    immutable like the records, and about three times cheaper to make than a frozen
    dataclass; a run makes one per (rule, SKU, currency).)"""

    unit: Optional[Decimal]
    currency: str
    explain: str
    missing: tuple[_Missing, ...] = ()


def _blank(v: Optional[str]) -> Optional[str]:
    v = (v or "").strip()
    return v or None


def _show(amount: Decimal, currency: str) -> str:
    """Amount for the explanation: up to 6 decimals, at least the currency's minor units."""
    return _shown(money.quantize_unit_price(amount), currency)


def _shown(unit: Decimal, currency: str) -> str:
    """`_show` of an amount already through `money.quantize_unit_price` (half-up)."""
    text = format(unit, "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(money.minor_units(currency), "0")
    return f"{whole}.{frac}" if frac else whole


def _pct(fraction: Decimal) -> str:
    return format((fraction * 100).normalize(), "f") + "%"


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


class Pricer:
    """The pricing master data of one book, indexed once, with the run's `rates`."""

    def __init__(self, book: OrderBook, rates: Rates):
        self.rates = rates
        self.base = rates.base
        # the run's look-ups, bound once: a run calls them per line and rule
        self.rate, self.convert, self.tax_rate = rates.rate, rates.convert, rates.tax_rate
        self.mode = book.settings.rounding_mode
        self.issues: list[Issue] = []
        """Problems on the Price Rules sheet (unusable rules)."""
        self.products: dict[str, Product] = {}
        for p in book.products:
            self.products.setdefault(p.sku, p)
        self.customers: dict[str, Customer] = {}
        for c in book.customers:
            self.customers.setdefault(c.customer_id, c)
        self.rules: dict[tuple[Optional[str], Optional[str]], list[_Rule]] = defaultdict(list)
        for r in book.price_rules:
            rule = self._rule(r)
            if rule is not None:
                self.rules[(_blank(r.sku), _blank(r.customer_id))].append(rule)
        for c in self.customers.values():
            if c.discount:  # a 0 % discount is no rule: it would hide general rules
                self.rules[(None, c.customer_id)].append(_Rule(
                    1, None, c.discount, self.base, None, None,
                    f"Customers row {c.row} discount" if c.row else "customer discount",
                    c.row, ""))
        # Per key, the rules grouped by Min Qty, highest first: a line looks at the first
        # group whose Min Qty it meets and that has a rule valid on its date.
        self.rules_by_qty: dict[tuple, list[tuple[int, list[_Rule]]]] = {}
        # The same groups as (Min Qty, answer, rules): a group without validity dates has
        # one answer for every line that meets its Min Qty (all its rules apply), chosen
        # here once; a dated group's answer (None here) depends on the line's date.
        self._levels: dict[tuple, tuple[tuple[int, Optional[tuple], list[_Rule]], ...]] = {}
        for key, rules in self.rules.items():
            groups: dict[int, list[_Rule]] = defaultdict(list)
            for r in sorted(rules, key=lambda r: r.content()):
                groups[r.min_qty].append(r)
            self.rules_by_qty[key] = sorted(groups.items(), key=lambda g: -g[0])
            self._levels[key] = tuple(
                (min_qty, None if any(r.valid_from or r.valid_to for r in group)
                 else self._cheapest(group), group)
                for min_qty, group in self.rules_by_qty[key])
        # Per level, which SKUs and customers have rules, so the many lines no rule can
        # reach (usually most of them: a customer with a rule for one SKU does not reach
        # its other SKUs) skip the look-up in `_candidates` altogether (`reaches`).
        self._pair_skus = {sku for sku, cid in self.rules_by_qty
                           if sku is not None and cid is not None}
        self._sku_rules = {sku for sku, cid in self.rules_by_qty
                           if sku is not None and cid is None}
        self._customer_rules = {cid for sku, cid in self.rules_by_qty
                                if sku is None and cid is not None}
        self._general_rules = (None, None) in self.rules_by_qty
        self._groups: dict[tuple, tuple[_Rule, ...]] = {}
        self._quotes: dict[tuple, _Quote] = {}
        self._heads: dict[tuple[int, int], tuple[Decimal, str, str]] = {}
        self._fx_steps: dict[tuple[str, str], tuple[str, Decimal, Decimal]] = {}
        """(source, customer currency) -> (FX steps text, rate of the customer currency,
        rate of the source): only pairs with both rates."""
        self._list_texts: dict[int, str] = {}
        """id(product) -> its List Price as the explanation shows it (base currency)."""

    # ---- master data ------------------------------------------------------------------

    def _rule(self, r: PriceRule) -> Optional[_Rule]:
        where = f"Price Rules row {r.row}" if r.row else "price rule"
        if r.unit_price is None and r.discount is None:
            self.issues.append(warning(
                "bad_price_rule", "Price Rules", r.cell("unit_price"),
                f"{where} has neither Unit Price nor Discount %; it is ignored"))
            return None
        if r.unit_price is not None and r.discount is not None:
            self.issues.append(warning(
                "bad_price_rule", "Price Rules", r.cell("discount"),
                f"{where} has both Unit Price and Discount %; the Unit Price is used"))
        if r.valid_from and r.valid_to and r.valid_from > r.valid_to:
            self.issues.append(warning(
                "bad_price_rule", "Price Rules", r.cell("valid_to"),
                f"{where} ends ({r.valid_to}) before it starts ({r.valid_from}); "
                "it never applies"))
            return None
        absolute = r.unit_price is not None
        currency = ((r.currency or "").upper() or self.base) if absolute else self.base
        return _Rule(max(r.min_qty or 1, 1), r.unit_price,
                     None if absolute else r.discount, currency, r.valid_from, r.valid_to,
                     where, r.row, r.cell("currency", "unit_price"))

    def currency_of(self, customer: Optional[Customer]) -> str:
        return ((customer.currency or "").upper() if customer else "") or self.base

    # ---- rule resolution --------------------------------------------------------------

    def _applicable(self, key: tuple, levels: tuple, qty: int,
                    on: dt.date) -> tuple[_Rule, ...]:
        """The rules of one (SKU, customer) key that apply to (qty, date) with the highest
        Min Qty, cut down to those that can still be the cheapest. An undated group's
        answer is fixed (`_levels`); a dated one's is memoised per (key, Min Qty, date)."""
        for min_qty, fixed, rules in levels:
            if min_qty > qty:
                continue
            if fixed is not None:  # never empty: every rule of the group applies
                return fixed
            memo = (key, min_qty, on)
            found = self._groups.get(memo)
            if found is None:
                found = self._groups[memo] = self._cheapest(
                    [r for r in rules if r.applies(qty, on)])
            if found:
                return found
        return ()

    def _cheapest(self, rules: list[_Rule]) -> tuple[_Rule, ...]:
        """Of rules that tie on level and Min Qty, keep those that may be cheapest for
        some product: the largest discount, and the lowest absolute price (compared via
        the base currency; per currency when a rate is missing, so the line can say so)."""
        if len(rules) <= 1:
            return tuple(rules)
        out = []
        discounts = [r for r in rules if r.unit_price is None]
        if discounts:
            out.append(min(discounts, key=lambda r: (-r.discount, r.content())))
        best: dict[str, _Rule] = {}
        for r in rules:
            if r.unit_price is not None:
                b = best.get(r.currency)
                if b is None or (r.unit_price, r.content()) < (b.unit_price, b.content()):
                    best[r.currency] = r
        absolute = list(best.values())
        if len(absolute) > 1 and all(self.rate(r.currency) for r in absolute):
            absolute = [min(absolute, key=lambda r: (r.unit_price / self.rate(r.currency),
                                                     r.content()))]
        return tuple(out + absolute)

    def _candidates(self, sku: str, customer_id: Optional[str], qty: int,
                    on: dt.date) -> tuple[_Rule, ...]:
        """The most specific level's rules that may win (usually exactly one)."""
        # Levels in order: (SKU, customer), SKU, customer, general; a level is looked up
        # only when a rule names its SKU or customer there.
        levels = self._levels
        if customer_id and sku in self._pair_skus:
            key = (sku, customer_id)
            lv = levels.get(key)
            if lv:
                found = self._applicable(key, lv, qty, on)
                if found:
                    return found
        if sku in self._sku_rules:
            key = (sku, None)
            found = self._applicable(key, levels[key], qty, on)
            if found:
                return found
        if customer_id and customer_id in self._customer_rules:
            key = (None, customer_id)
            found = self._applicable(key, levels[key], qty, on)
            if found:
                return found
        if self._general_rules:
            key = (None, None)
            found = self._applicable(key, levels[key], qty, on)
            if found:
                return found
        return ()

    def reaches(self, sku: str, customer_id: Optional[str]) -> bool:
        """False when no rule can apply to (SKU, customer) at any quantity or date: the
        line then gets the list price (`_candidates` would find nothing)."""
        return (sku in self._sku_rules or customer_id in self._customer_rules
                or self._general_rules
                or (sku in self._pair_skus and (sku, customer_id) in self._levels))

    def _source(self, rule: Optional[_Rule], product: Product) -> tuple[Decimal, str]:
        """The exact price under `rule` (None: list price) in the currency it is set in."""
        if rule is None:
            return product.list_price, self.base
        if rule.unit_price is None:
            return product.list_price * (ONE - rule.discount), self.base
        return rule.unit_price, rule.currency

    def _missing(self, rule: Optional[_Rule], src: str, currency: str) -> list[_Missing]:
        out = []
        if src != currency and self.rate(src) is None:
            out.append(_Missing(src, rule))
        if src != currency and self.rate(currency) is None:
            out.append(_Missing(currency))
        return out

    def _quote_rule(self, rule: Optional[_Rule], product: Product, currency: str) -> _Quote:
        """The price of `product` under `rule` in `currency`, quantized to 6 decimals, with
        its explanation (which shows the exact price)."""
        # The price and text in the rule's own currency are the same for every customer
        # currency, and the FX steps the same for every product: each is built once.
        head_key = (id(rule), id(product))  # both live as long as the Pricer
        head = self._heads.get(head_key)
        if head is None:
            head = self._heads[head_key] = self._head(rule, product)
        amount, src, text = head
        if src == currency:
            return _Quote(money.quantize_unit_price(amount, self.mode), currency, text)
        fx = self._fx_steps.get((src, currency))
        if fx is None:
            missing = self._missing(rule, src, currency)
            if missing:
                return _Quote(None, currency, text, tuple(missing))
            fx = self._fx_steps[(src, currency)] = (
                self._steps(src, currency), self.rate(currency), self.rate(src))
        steps, r_dst, r_src = fx
        converted = amount * r_dst / r_src  # `self.convert`, with the rates looked up once
        unit = money.quantize_unit_price(converted, self.mode)
        # The text shows the price rounded half-up: the unit price itself in that mode.
        shown = _shown(unit, currency) if self.mode == "half-up" else _show(converted, currency)
        return _Quote(unit, currency, f"{text}; {steps} → {shown} {currency}")

    def _head(self, rule: Optional[_Rule], product: Product) -> tuple[Decimal, str, str]:
        """The exact price under `rule` in the currency it is set in, and its text."""
        amount, src = self._source(rule, product)
        if rule is None or rule.unit_price is None:  # from the list price, in base currency
            list_text = self._list_texts.get(id(product))
            if list_text is None:
                list_text = self._list_texts[id(product)] = _show(product.list_price, src)
        if rule is None:
            text = f"List Price {list_text} {src}"
        elif rule.unit_price is None:
            text = (f"{rule.source}: {_pct(rule.discount)} off list {list_text}"
                    f" → {_show(amount, src)} {src}")
        else:
            text = f"{rule.source}: {_show(amount, src)} {src}"
        if rule is not None and rule.min_qty > 1:
            text = text.replace(":", f" (min qty {rule.min_qty}):", 1)
        return amount, src, text

    def _steps(self, src: str, currency: str) -> str:
        """The FX steps from `src` to `currency` (both have a rate), e.g. "× 0.92 EUR/USD"."""
        steps = []
        if src != self.base:
            fx = self.rates.fx_row(src)
            steps.append(f"÷ {_rate_text(fx.rate)} {src}/{self.base}"
                         + (f" (FX Rates row {fx.row})" if fx.row else ""))
        if currency != self.base:
            fx = self.rates.fx_row(currency)
            steps.append(f"× {_rate_text(fx.rate)} {currency}/{self.base}"
                         + (f" (FX Rates row {fx.row})" if fx.row else ""))
        return " ".join(steps)

    def quote(self, sku: str, qty: int, customer: Optional[Customer], on: dt.date) -> _Quote:
        """Unit price of one line, quantized to 6 decimals, with its explanation."""
        cands = self._candidates(sku, customer.customer_id if customer else None, qty, on)
        return self._priced(cands, sku, self.currency_of(customer))

    def _priced(self, cands: tuple[_Rule, ...], sku: str, currency: str) -> _Quote:
        """The quote of `sku` in `currency` among candidate rules `cands`. Memoised per
        (candidates, SKU, currency): the candidates and rules live as long as the Pricer
        (`_levels`, `_groups`), so their ids are stable keys; one rule keys by itself."""
        memo = (None if not cands else id(cands[0]) if len(cands) == 1 else id(cands),
                sku, currency)
        q = self._quotes.get(memo)
        if q is None:
            q = self._quotes[memo] = self._ranked(cands, self.products[sku], currency)
        return q

    def _ranked(self, cands: tuple[_Rule, ...], product: Product, currency: str) -> _Quote:
        """The quote under the cheapest of `cands` (none: list price) in `currency`."""
        winner = cands[0] if cands else None
        if len(cands) > 1:
            ranked, missing = [], []
            for r in cands:
                amount, src = self._source(r, product)
                converted = self.convert(amount, src, currency)
                if converted is None:
                    missing += self._missing(r, src, currency)
                else:
                    ranked.append((converted, r.content(), r))
            if missing:
                # The lowest price cannot be told without every rate it needs.
                return _Quote(None, currency, "", tuple(dict.fromkeys(missing)))
            winner = min(ranked, key=lambda t: t[:2])[2]
        return self._quote_rule(winner, product, currency)


def _missing_fx_issues(q: _Quote, ln: OrderLine, base: str,
                       refused: Mapping[tuple[str, str], str]) -> list[Issue]:
    out = []
    for m in q.missing:
        cell = refused.get(("FX Rates", m.currency))
        if m.rule is not None and m.rule.currency_cell:
            why = (f"whose rate ({cell}) was refused" if cell
                   else "which has no rate on the FX Rates sheet")
            out.append(error(
                "missing_fx_rate", "Price Rules", m.rule.currency_cell,
                f"{m.rule.source} is in {m.currency}, {why} (order {ln.order_id} line "
                f"{ln.line} needs it)", ln.order_id))
        else:
            why = (f"{cell} was refused, so {m.currency} has no rate" if cell
                   else f"no FX rate for {m.currency} (units per 1 {base})")
            out.append(error(
                "missing_fx_rate", "Orders", ln.cell("customer_id"),
                f"{why} to price SKU {ln.sku} for customer {ln.customer_id}", ln.order_id))
    return out


def price_lines(lines: Iterable[OrderLine], book: OrderBook, rates: Rates,
                locked: Mapping[Key, PriceLock] | None = None
                ) -> tuple[dict[Key, LinePrice], list[Issue]]:
    """Price every valid line: unit price, Net, Tax, Total in the customer's currency,
    with the run's FX and tax `rates`.

    A line in `locked` (`locks_in_force`) keeps its locked unit price and currency; its
    Net, Tax and Total follow today's quantity and tax rate, and where today's rules give
    another price, its explanation says so. A line whose price needs a missing FX or tax
    rate gets an error Issue carrying its Order ID (the pipeline then makes the order
    Invalid) and no price; a locked line needs no FX rate."""
    p = Pricer(book, rates)
    issues: list[Issue] = list(p.issues)
    out: dict[Key, LinePrice] = {}
    seen: set[tuple[str, str, str]] = set()  # one fx issue per (order, sheet, cell)
    # Customer ID -> (currency, {Tax Class: rate}): one look-up per line finds both, and
    # the rates fill in as lines need them (a few thousand pairs for 100,000 lines).
    customers = p.customers
    by_customer = {cid: (p.currency_of(c), {}) for cid, c in customers.items()}
    # LinePrice memo: a LinePrice is a function of (quote, Quantity, rate), so equal lines
    # share one (immutable) record instead of rounding twice and building another. The
    # ids are stable keys: the Pricer's memo and `by_customer` keep quotes and rates alive.
    # Lines no rule can reach (most of them) get the list price: they are keyed by
    # (SKU, currency, Quantity, rate) and skip the quote look-up when the memo has them.
    priced: dict[tuple[int, int, int], LinePrice] = {}
    listed: dict[tuple[str, str, int, int], LinePrice] = {}
    mode = p.mode
    reaches, candidates, quote_of, tax_rate = p.reaches, p._candidates, p._priced, p.tax_rate
    product_of, customer_of = p.products.get, by_customer.get
    lock_of = locked.get if locked else None
    exchanges = {(r.order_id, r.exchange_line) for r in book.processed_returns
                 if r.exchange_line}
    quantize, line_amounts = money.quantize, money.line_amounts
    for ln in lines:
        sku, cid = ln.sku, ln.customer_id
        product = product_of(sku)
        info = customer_of(cid)
        if product is None or info is None:
            continue  # validation already reported the unknown SKU or customer
        ccy, cust_rates = info
        qty = ln.quantity
        tax_class = product.tax_class
        rate = cust_rates.get(tax_class, _UNSEEN)
        if rate is _UNSEEN:
            rate = cust_rates[tax_class] = tax_rate(customers[cid], tax_class)
        key = (ln.order_id, ln.line)
        lock = lock_of(key) if lock_of is not None else None
        try:
            if reaches(sku, cid):
                q = quote_of(candidates(sku, cid, qty, ln.order_date), sku, ccy)
                memo, cache = (id(q), qty, id(rate)), priced
            else:
                q = None
                memo, cache = (sku, ccy, qty, id(rate)), listed
            lp = cache.get(memo)
            if lp is None:
                if q is None:
                    q = quote_of((), sku, ccy)
                unit = q.unit
                if unit is not None:
                    # Without a tax rate the amounts are still worked out: a price too
                    # large to compute is reported as such first.
                    amounts = line_amounts(unit, qty, _ZERO if rate is None else rate, ccy,
                                           mode)
                    if rate is not None:
                        lp = cache[memo] = LinePrice(unit, amounts.net, rate, amounts.tax,
                                                     amounts.total, ccy, q.explain)
            ruled = lp  # what today's rules give, before any lock
            if lock is not None and rate is not None and (
                    lp is None or lp.unit_price != lock.unit_price
                    or lp.currency != lock.currency):
                lp = _locked_price(lock, qty, rate, mode, lp, p.base)
        except DecimalException:  # beyond 28 significant digits: no believable price
            issues.append(error(
                "price_out_of_range", "Orders", ln.cell("quantity"),
                f"{qty} × SKU {sku} is too large to price", ln.order_id))
            continue
        if lp is None:
            if q.unit is None and lock is None:
                for i in _missing_fx_issues(q, ln, p.base, book.refused):
                    if (i.order_id, i.sheet, i.cell) not in seen:
                        seen.add((i.order_id, i.sheet, i.cell))
                        issues.append(i)
            else:  # a price, locked or not, and no tax rate for it
                cust = customers[cid]
                row = f"Tax Rates row for country '{cust.country}' and tax class '{tax_class}'"
                cell = book.refused.get(("Tax Rates", f"{cust.country.upper()}/{tax_class}"))
                why = f"the {row} was refused ({cell})" if cell else f"no {row}"
                issues.append(error(
                    "missing_tax_rate", "Orders", ln.cell("sku"),
                    f"{why} (SKU {sku}, customer {cust.customer_id})", ln.order_id))
            continue
        typed = ln.unit_price
        # A typed Unit Price is the price agreed with the customer (as a sales order's
        # rate is in ERPNext and Odoo): it is used, and a difference from what the rules
        # give is reported. One equal to the computed price at the currency's minor units
        # is the same price as the sheet shows it (11.72 for 11.718 EUR), not a mismatch.
        # A locked line keeps its lock (clearing Price re-prices it).
        if typed is not None and ruled is not None:
            unit, shown_in = ruled.unit_price, ruled.currency
            if typed != unit and typed != quantize(unit, shown_in, mode):
                rules, why = f"{_show(unit, shown_in)} {shown_in}", ruled.explain
                if lock is None:
                    try:
                        a = line_amounts(typed, qty, lp.tax_rate, shown_in, mode)
                    except DecimalException:
                        issues.append(error(
                            "price_out_of_range", "Orders", ln.cell("unit_price"),
                            f"{qty} × {typed} is too large to price", ln.order_id))
                        continue
                    lp = LinePrice(typed, a.net, lp.tax_rate, a.tax, a.total, shown_in,
                                   _typed_text(typed, shown_in, rules, why))
                    used = "the typed price is used"
                elif lock.unit_price == typed and lock.currency == shown_in:
                    lp = LinePrice(lp.unit_price, lp.net, lp.tax_rate, lp.tax, lp.total,
                                   lp.currency, _typed_text(typed, shown_in, rules, why))
                    used = "the typed price is used"
                else:
                    used = "the price locked when the line was first reserved is used"
                # An exchange's replacement line carries the returned line's price, which
                # `returns` typed for it: agreed, not a slip to warn about on every run.
                if key not in exchanges or used != "the typed price is used":
                    issues.append(warning(
                        "price_mismatch", "Orders", ln.cell("unit_price"),
                        f"Unit Price {typed} differs from the computed price {rules} "
                        f"({why}); {used}", ln.order_id))
        out[key] = lp
    return out, issues


# ---- which price is invoiced: the price lock (CONTRACT §4 "Price lock") ---------------
#
# A line's price (unit price, currency, and the FX rate of that currency) is fixed when
# the line is first reserved, and its invoice uses exactly that: an FX rate or price rule
# edited between reserving and invoicing changes nothing. A line not yet reserved is
# re-priced on every run; clearing a reserved line's Price cell on Orders re-prices it
# (and locks the new price). The locks are ordersheet's own records, kept where nobody
# types (`_ordersheet_records`), not the Orders Price and Currency cells.


def locks_in_force(lines: Iterable[OrderLine], locks: Iterable[PriceLock]
                   ) -> dict[Key, PriceLock]:
    """The locks that hold in this run: all of `locks` but those of lines whose Price cell
    the user cleared (a cell ordersheet had filled in: `PriceLock.shown`)."""
    cleared = {ln.key for ln in lines if ln.price_cleared}
    out: dict[Key, PriceLock] = {}
    for x in locks:
        k = (x.order_id, x.line)
        if not (x.shown and k in cleared):
            out[k] = x
    return out


def lock_prices(locked: Mapping[Key, PriceLock], prices: Mapping[Key, LinePrice],
                lines: Sequence[OrderLine], state: OrderBook, rates: Rates,
                today: dt.date) -> tuple[PriceLock, ...]:
    """The locks after this run's steps. A line that is reserved or shipped in `state`,
    has a price and no lock in `locked` is locked at its price (this run's: it had no
    lock). A lock is kept while its line is on Orders, reserved or shipped; `shown` notes
    whether this run shows its price on Orders (the line has a price in `prices`)."""
    held = {(r.order_id, r.line) for r in state.reservations}
    held.update((sl.order_id, sl.line) for sl in state.shipment_lines)
    kept = []
    if locked:
        on_orders = {ln.key for ln in lines}
        for k, x in locked.items():
            if k in held or k in on_orders:
                shown = k in prices
                kept.append(x if x.shown == shown else x.model_copy(update={"shown": shown}))
    fx: dict[str, Optional[Decimal]] = {}  # a few currencies, 100,000 lines
    new = []
    for k, p in prices.items():
        if k in held and k not in locked:
            ccy = p.currency
            rate = fx[ccy] if ccy in fx else fx.setdefault(ccy, rates.rate(ccy))
            new.append((k[0], k[1], p.unit_price, ccy, rate))
    return tuple(kept) + tuple(build_tuples(
        PriceLock, ("order_id", "line", "unit_price", "currency", "fx_rate"), new,
        locked_on=today, shown=True))


def _typed_text(typed: Decimal, currency: str, rules: str, why: str) -> str:
    """Price Explained of a line priced at its typed Unit Price."""
    return f"Typed on Orders: {_show(typed, currency)} {currency}; price rules give {rules} ({why})"


def _locked_price(lock: PriceLock, qty: int, rate: Decimal, mode: str,
                  today: Optional[LinePrice], base: str) -> LinePrice:
    """The price of a line under `lock`, whose price differs from `today`'s (None: today's
    rules give none): the locked unit price and currency, this run's quantity and tax
    rate, and an explanation that says both."""
    ccy = lock.currency
    amounts = money.line_amounts(lock.unit_price, qty, rate, ccy, mode)
    fx = (f" at {_rate_text(lock.fx_rate)} {ccy}/{base}"
          if lock.fx_rate is not None and ccy != base else "")
    now = (f"{_show(today.unit_price, today.currency)} {today.currency}" if today is not None
           else "no price")
    text = (f"Price locked when first reserved ({lock.locked_on}): "
            f"{_show(lock.unit_price, ccy)} {ccy}{fx}; today's price rules give {now} "
            "(clear Price to re-price)")
    return LinePrice(lock.unit_price, amounts.net, rate, amounts.tax, amounts.total, ccy,
                     text)


def _whole(v) -> Optional[int]:
    """A quantity from a worksheet formula (10, 10.0, "10") as int; None if not whole."""
    if isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v).strip())
    except (DecimalException, ValueError):
        return None
    return int(d) if d.is_finite() and d == d.to_integral_value() else None


def unit_price_for(sku: str, quantity: int, customer_id: Optional[str], p: Pricer,
                   on: dt.date) -> tuple[Optional[Decimal], str, str]:
    """Price one hypothetical line with the master data of `p` (for the Excel custom
    function): (unit price or None, currency, explanation or the reason there is no
    price). A blank customer gets the general rules in the base currency."""
    if isinstance(on, dt.datetime):
        on = on.date()
    sku = (sku or "").strip()
    product = p.products.get(sku)
    if product is None:
        return None, "", f"SKU '{sku}' is not on the Products sheet"
    if not product.active:
        return None, "", f"SKU '{sku}' is not active"
    qty = _whole(quantity)
    if qty is None or qty < 1:
        return None, "", f"quantity must be a whole number above 0, found {quantity}"
    cust = None
    if _blank(customer_id):
        cust = p.customers.get(customer_id.strip())
        if cust is None:
            return None, "", f"customer '{customer_id}' is not on the Customers sheet"
    try:
        q = p.quote(sku, qty, cust, on)
    except DecimalException:
        return None, "", "the price is too large to compute"
    if q.unit is None:
        rates = ", ".join(sorted({m.currency for m in q.missing}))
        return None, q.currency, f"no FX rate for {rates} on the FX Rates sheet"
    return q.unit, q.currency, q.explain

