"""Money: Decimal amounts, currency minor units, the ONE place that rounds, and the
amounts of a line (`line_amounts`: Net, Tax and Total, wherever a line is totalled).

Floats never reach this module's callers' money fields: amounts come in as `Decimal`
(the workbook boundary converts cell values through `str()`), and every amount that is
stored or shown goes through `quantize`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

ZERO = Decimal(0)
UNIT_PRICE_PLACES = 6
ROUNDING_MODES = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN}

# ISO 4217 minor units for the currencies whose digits differ from 2, used when babel is
# not importable (babel is pure Python and ships in Pyodide, so this is only a fallback).
_FALLBACK_DIGITS = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
}


@lru_cache(maxsize=None)
def minor_units(currency: str) -> int:
    """Number of decimal places of `currency` (USD 2, JPY 0, KWD 3)."""
    code = (currency or "").upper()
    try:
        from babel.numbers import get_currency_precision

        return int(get_currency_precision(code))
    except Exception:  # babel missing or unknown code: ISO table, else 2
        return _FALLBACK_DIGITS.get(code, 2)


@lru_cache(maxsize=None)
def _exponent(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


# (currency, mode) -> (exponent, rounding) for `quantize`: a run rounds a few amounts per
# order line, and one dict hit is cheaper than two cached calls and a look-up each time.
_QUANTUM: dict[tuple[str, str], tuple[Decimal, str]] = {}


def quantize(amount: Decimal, currency: str, mode: str = "half-up") -> Decimal:
    """Round `amount` to the minor unit of `currency` with the settings' Rounding Mode."""
    try:
        exponent, rounding = _QUANTUM[currency, mode]
    except KeyError:
        exponent, rounding = _QUANTUM[currency, mode] = (
            _exponent(minor_units(currency)), ROUNDING_MODES[mode])
    return amount.quantize(exponent, rounding=rounding)


def quantize_unit_price(amount: Decimal, mode: str = "half-up") -> Decimal:
    """Unit prices keep up to six decimals (a price per piece may be below a cent)."""
    q = amount.quantize(_exponent(UNIT_PRICE_PLACES), rounding=ROUNDING_MODES[mode])
    # A whole price drops its zeros; `normalize()` alone would turn 10 into 1E+1.
    return q.quantize(_exponent(0)) if q == q.to_integral_value() else q


class LineAmounts(NamedTuple):
    """Net, Tax and Total of one line, each in the currency's minor unit."""

    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(unit_price: Decimal, quantity: int, tax_rate: Decimal, currency: str,
                 mode: str) -> LineAmounts:
    """The amounts of a line, as the Orders sheet, the invoice lines and `LINE_TOTAL` show
    them: Net is unit price x quantity rounded to the currency's minor unit; Tax is that
    rounded Net x the tax rate (a fraction), rounded on its own; Total is Net + Tax,
    exactly. `mode` is the Settings' Rounding Mode. (A discount is already in the unit
    price: price rules and a customer's Discount % make the unit price, see `pricing`.)"""
    net = quantize(unit_price * quantity, currency, mode)
    tax = quantize(net * tax_rate, currency, mode)
    return LineAmounts(net, tax, net + tax)


def is_known_currency(code: str) -> bool:
    """True for an ISO 4217 code babel knows (three letters otherwise)."""
    if not code or len(code) != 3 or not code.isalpha():
        return False
    try:
        from babel.numbers import get_currency_name

        return get_currency_name(code.upper(), locale="en") != code.upper()
    except Exception:
        return True



def quantize_places(amount: Decimal, places: int, mode: str = "half-up") -> Decimal:
    """Round `amount` to `places` decimals: a unit price a document shows shorter than it is
    kept (six decimals) when fewer say the same (see `documents.model.unit_price_text`)."""
    return amount.quantize(_exponent(places), rounding=ROUNDING_MODES[mode])


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount at its currency's minor unit: `1,234.50`, `1,235` (JPY), `1.250` (KWD)."""
    return f"{amount:,.{minor_units(currency)}f}"


def money_text(amount: Decimal, currency: str) -> str:
    """An amount with its currency in words: `EUR 1,234.50` (documents, messages)."""
    return f"{currency.upper()} {amount_text(amount, currency)}"
