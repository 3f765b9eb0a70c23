"""Carrier choice: which carrier service carries a shipment, from the Shipping Rates sheet
(CONTRACT §4 "Shipping").

This module owns:

- `choose_rate`: the rule -- the carrier service for one shipment (the order's Ship Method,
  else the cheapest that arrives by the Requested Date, else the fastest);
- `RateIndex`: the Shipping Rates sheet arranged once per planning run, so that shipment
  planning asks for a rate tens of thousands of times at the cost of a bisection each,
  and `rate_for_weight`, its answer for one weight. tests/domain/test_performance_shape.py
  holds it to the rule as written (`min` over the filtered rows).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from decimal import Decimal
from typing import Optional, Sequence

from .models import ShippingRate

RATES_SHEET = "Shipping Rates"


def choose_rate(rates: Sequence[ShippingRate], country: str, weight: Decimal,
                planned_on: dt.date, requested_date: Optional[dt.date],
                ship_method: Optional[str]) -> ShippingRate | None:
    """The carrier service for one shipment, or None when no rate fits.

    Usable rates: Country is `country` or `*`, and Max Weight (blank = no limit) is at
    least `weight`. With a `ship_method` only rates whose Service matches it
    (case-insensitively) count, and the cheapest of them wins (a service is often listed
    once per weight bracket). Otherwise: the cheapest rate that arrives by
    `requested_date` (planned_on + Transit Days <= requested_date); no requested date:
    the cheapest overall; none arrives in time: the fastest (lowest Transit Days, then
    cheapest). Ties go to the country's own row over `*`, then to sheet order.
    """
    return RateIndex(rates).choose(country, weight, planned_on, requested_date, ship_method)


class RateIndex:
    """The Shipping Rates sheet arranged once per country for `choose_rate`.

    Planning asks for a rate once per shipment (tens of thousands of times) against the
    same few dozen rows. Per destination country the usable rows are kept sorted by the
    rule's own keys -- cheapest (Cost, Transit Days, own country first) and fastest
    (Transit Days, Cost, own country first) -- with a stable sort, so sheet order still
    breaks ties. The answer is then the first row in the right order that fits the
    weight (and the date): the same row `min` over the filtered rows would pick.

    Each such list comes with its `reach`: the running maximum of Max Weight (blank = no
    limit). The first row that carries a weight is the first whose reach is at least that
    weight, so bisection finds it instead of a walk over the lighter rows. With a
    requested date, the rows that arrive in time are those whose Transit Days are at most
    the days from planning to the requested date (planned_on + Transit Days <=
    requested_date, in whole days); they are kept per country and number of days.

    Everything but the weight is the same for all shipments of an order, so `candidates`
    (remembered per destination, dates and service) gives the rows to look in once, and
    each shipment only bisects them.
    """

    def __init__(self, rates: Sequence[ShippingRate]):
        self.rates = tuple(rates)
        self._countries: dict[str, tuple[_Rows, _Rows, dict[str, _Rows]]] = {}
        self._in_time: dict[tuple[str, int], _Rows] = {}
        self._candidates: dict[tuple, tuple[_Rows, _Rows | None]] = {}

    def _of(self, c: str) -> tuple[_Rows, _Rows, dict[str, _Rows]]:
        """(cheapest first, fastest first, cheapest first per lower-case Service) of the
        rows whose Country is `c`, `*` or blank."""
        got = self._countries.get(c)
        if got is None:
            rows = []
            for r in self.rates:
                rc = (r.country or "").strip().upper()
                if rc in ("*", "") or rc == c:
                    rows.append((r, 0 if rc == c else 1))
            cheapest = [r for r, _ in sorted(rows, key=lambda t: (t[0].cost, t[0].transit_days,
                                                                  t[1]))]
            fastest = [r for r, _ in sorted(rows, key=lambda t: (t[0].transit_days, t[0].cost,
                                                                 t[1]))]
            by_service: dict[str, list] = defaultdict(list)
            for r in cheapest:
                by_service[(r.service or "").strip().lower()].append(r)
            got = self._countries[c] = (_Rows(cheapest), _Rows(fastest),
                                        {k: _Rows(v) for k, v in by_service.items()})
        return got

    def choose(self, country: str, weight: Decimal, planned_on: dt.date,
               requested_date: Optional[dt.date],
               ship_method: Optional[str]) -> ShippingRate | None:
        return rate_for_weight(self.candidates(country, planned_on, requested_date, ship_method),
                      weight)

    def candidates(self, country: str, planned_on: dt.date, requested_date: Optional[dt.date],
                   ship_method: Optional[str]) -> tuple[_Rows, _Rows | None]:
        """The rows to take the first that carries the weight from, and the rows to fall
        back on when none does (the fastest, when none arrives in time), else None."""
        key = (country, planned_on, requested_date, ship_method)
        got = self._candidates.get(key)
        if got is None:
            c = (country or "").strip().upper()
            cheapest, fastest, by_service = self._of(c)
            method = (ship_method or "").strip().lower()
            if method:
                got = (by_service.get(method, _NO_ROWS), None)
            elif requested_date is None:
                got = (cheapest, None)
            else:
                days = (requested_date - planned_on).days
                in_time = self._in_time.get((c, days))
                if in_time is None:
                    in_time = self._in_time[(c, days)] = _Rows(
                        [r for r in cheapest.rows if r.transit_days <= days])
                got = (in_time, fastest)
            self._candidates[key] = got
        return got


_NO_LIMIT = Decimal("Infinity")


class _Rows:
    """Rate rows in one order and their `reach` (see `RateIndex`)."""

    __slots__ = ("rows", "reach")

    def __init__(self, rows: list[ShippingRate]):
        self.rows = rows
        self.reach: list[Decimal] = []
        top = None
        for r in rows:
            w = _NO_LIMIT if r.max_weight is None else r.max_weight
            top = w if top is None or w > top else top
            self.reach.append(top)

    def first(self, weight: Decimal) -> ShippingRate | None:
        """The first row whose Max Weight is blank or at least `weight`, else None."""
        k = bisect_left(self.reach, weight)
        return self.rows[k] if k < len(self.rows) else None


_NO_ROWS = _Rows([])


def rate_for_weight(candidates: tuple[_Rows, _Rows | None], weight: Decimal) -> ShippingRate | None:
    """The rate `RateIndex.choose` gives, from its `candidates`."""
    rows, fallback = candidates
    found = rows.first(weight)
    return found if found is not None or fallback is None else fallback.first(weight)

