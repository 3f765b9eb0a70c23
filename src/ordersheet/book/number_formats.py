"""Which number format a money cell of a currency gets on the sheets ordersheet writes.

The PDF shows an amount at its currency's minor unit (`1,235` JPY, `1,234.50` EUR, `1.250`
KWD) and a unit price from the minor unit to two more decimals (`documents.model`); the
sheets' cells say the same through their number format. A column has one format in the
schema (`Col.fmt`: `money`, `price`, made for two-decimal currencies); the rows of another
currency get theirs as runs (`plan.Run`), so a book in USD, EUR and GBP only costs one look
at its distinct currencies.

- An amount (Net, Tax, Total, Paid ...): `#,##0` for JPY, `#,##0.00` for USD, `#,##0.000`
  for KWD.
- A unit price of a two-decimal currency keeps `price` (`#,##0.00####`: what the price
  has, at least two decimals). Other currencies show the minor unit and up to two more
  decimals (`#,##0.000##` for KWD); a JPY price that is whole shows no decimal point
  (`#,##0`: Excel has no format that drops the point of `#,##0.##` for a whole number),
  one with a fraction shows one or two decimals (`#,##0.0#`).
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from typing import Any, Sequence

from ..domain.money import minor_units
from . import plan as p

_MONEY: dict[int, p.Fmt] = {0: "money0", 1: "money1", 2: "money", 3: "money3", 4: "money4"}
_PRICE: dict[int, p.Fmt] = {0: "price0", 1: "price1", 2: "price", 3: "price3", 4: "price4"}


def _places(currency: Any) -> int:
    return minor_units(currency) if isinstance(currency, str) and currency else 2


def money_fmt(currency: Any) -> p.Fmt:
    """The format of an amount in `currency` (`money` for a blank or unknown one)."""
    return _MONEY.get(_places(currency), "money")


def price_fmt(currency: Any, price: Any) -> p.Fmt:
    """The format of unit price `price` in `currency` (see the module's docstring)."""
    places = _places(currency)
    if places == 2 or places not in _PRICE:
        return "price"
    if places == 0 and (not isinstance(price, Decimal) or price == price.to_integral_value()):
        return "money0"  # a whole price (an int is one): no decimal point
    return _PRICE[places]


def runs(fmts: Sequence[p.Fmt], default: p.Fmt) -> list[p.Run]:
    """`fmts` (one per row) as runs of the rows whose format is not `default`."""
    out: list[p.Run] = []
    at = 0
    for fmt, group in groupby(fmts):
        n = len(list(group))
        if fmt != default:
            out.append((at, at + n, fmt))
        at += n
    return out


def money_runs(currencies: Sequence[Any]) -> list[p.Run]:
    """Runs of the rows (one currency per row) whose amounts are not `money`: one look at
    the distinct currencies when every one has two decimals."""
    fmt_of = {c: money_fmt(c) for c in set(currencies)}
    if all(f == "money" for f in fmt_of.values()):
        return []
    return runs(list(map(fmt_of.__getitem__, currencies)), "money")


def price_runs(currencies: Sequence[Any], prices: Sequence[Any]) -> list[p.Run]:
    """Runs of the rows whose unit price (`prices[i]` in `currencies[i]`) is not `price`."""
    two = {c: _places(c) == 2 for c in set(currencies)}
    if all(two.values()):
        return []
    return runs(["price" if two[c] else price_fmt(c, v) for c, v in zip(currencies, prices)],
                "price")


def column_runs(default: p.Fmt, currencies: Sequence[Any], values: Sequence[Any],
                money: list[p.Run] | None = None) -> list[p.Run]:
    """The runs of a money (`money`) or unit-price (`price`) column; none for others.
    `money`: the amounts' runs of these currencies when already worked out."""
    if default == "money":
        return money if money is not None else money_runs(currencies)
    if default == "price":
        return price_runs(currencies, values)
    return []
