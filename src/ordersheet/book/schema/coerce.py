"""Cell -> typed value: one parser per kind of column (CONTRACT §2).

This is where floats stop: every number becomes `Decimal` or `int` as Excel shows it (a
binary float to 15 significant digits, `shown`), every date a `datetime.date`. A cell
that cannot be read raises `Bad` with a stable code, which the sheet reader (`parse`)
turns into an Issue at the cell's address; a bad cell never reaches the user as an
exception.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ...domain import models as m
from ..raw import CellError


class Bad(Exception):
    """A cell that cannot be read as its column's type: its `code` and `message` become
    the Issue reported at the cell (or a custom function's answer in `excel`)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


SHOWN = ".15g"
"""Excel keeps numbers as binary floats and shows (and types back) 15 significant digits:
`format(v, SHOWN)` is the number as the user sees it in the cell."""


def shown(v: float) -> Decimal:
    """A finite binary float as Excel shows it: =1/1.0857 is 0.921064750851985 (not
    0.9210647508519849), a List Price of 8.030000000000001 is 8.03."""
    return Decimal(format(v, SHOWN))


_NUM_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_CURRENCY_MARKS = "$€£¥₹ \u00a0"


def to_decimal(v: Any) -> Decimal:
    """A number cell or number-as-text (`"1,234.50"`, `" 12 "`, `"$9.99"`) -> Decimal."""
    if isinstance(v, CellError):
        raise Bad("bad_number", f"the cell shows the error {v}")
    if isinstance(v, bool):
        raise Bad("bad_number", f"expected a number, found {v}")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise Bad("bad_number", "expected a number")
        return shown(v)
    if isinstance(v, Decimal):
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        raise Bad("bad_number", f"expected a number, found the date {v:%Y-%m-%d}")
    text = str(v).strip().strip(_CURRENCY_MARKS)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if not text or not _NUM_TEXT.match(text) or not any(c.isdigit() for c in text):
        raise Bad("bad_number", f"'{str(v)[:40]}' is not a number")
    try:
        d = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise Bad("bad_number", f"'{str(v)[:40]}' is not a number")
    return -d if negative else d


def to_whole(v: Any) -> int:
    d = to_decimal(v)
    if d != d.to_integral_value():
        raise Bad("bad_number", f"{d} is not a whole number")
    return int(d)


def to_quantity(v: Any) -> int:
    try:
        d = to_decimal(v)
    except Bad as b:
        raise Bad("bad_quantity", f"must be a whole number above 0 ({b.message})")
    if d != d.to_integral_value() or d <= 0:
        raise Bad("bad_quantity", f"must be a whole number above 0, found {d}")
    if d > 10**9:
        raise Bad("bad_quantity", f"{d} is not a believable quantity")
    return int(d)


def to_money(v: Any) -> Decimal:
    """An amount of 0 or more, to at most 12 decimal places."""
    return _non_negative(v, 12)


def to_rate(v: Any) -> Decimal:
    """An exchange rate: like an amount, to as many decimal places as a Decimal computes
    with (a rate is often a formula's result, =1/1.0857, and may be small: JPY -> USD)."""
    return _non_negative(v, 28)


def _non_negative(v: Any, places: int) -> Decimal:
    d = to_decimal(v)
    if d < 0:
        raise Bad("bad_number", f"amount {d} is negative")
    exponent = d.as_tuple().exponent
    if exponent < -places or exponent > 12 or d > Decimal(10) ** 15:  # type: ignore[operator]
        raise Bad("bad_number", f"amount {d} is not believable")
    return d


def to_signed_money(v: Any) -> Decimal:
    return to_decimal(v)


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def to_date(v: Any) -> dt.date:
    """Excel date cells, ISO text (`2026-11-03`, `2026-11-03T00:00:00.000Z` from Office.js),
    or a serial number from a cell without a date format."""
    if isinstance(v, CellError):
        raise Bad("bad_date", f"the cell shows the error {v}")
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        raise Bad("bad_date", f"expected a date, found {v}")
    if isinstance(v, (int, float)):
        if 10000 <= v <= 2958465 and float(v).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(v))
        raise Bad("bad_date", f"{v} is not a date")
    text = str(v).strip()
    mt = _ISO_DATE.match(text)
    if mt:
        try:
            return dt.date(int(mt.group(1)), int(mt.group(2)), int(mt.group(3)))
        except ValueError:
            pass
    raise Bad("bad_date", f"'{text[:40]}' is not a date (use a date cell or YYYY-MM-DD)")


def to_datetime(v: Any) -> dt.datetime:
    """A timestamp cell (the log sheets' Timestamp), to the second: Excel keeps a time as a
    fraction of a day, which comes back a microsecond off."""
    if isinstance(v, dt.datetime):
        return _to_second(v)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 10000 <= v <= 2958466:
        return _to_second(dt.datetime(1899, 12, 30) + dt.timedelta(days=float(v)))
    if isinstance(v, str):
        try:
            return _to_second(dt.datetime.fromisoformat(v.strip().rstrip("Z")))
        except ValueError:
            pass
    raise Bad("bad_date", f"'{str(v)[:40]}' is not a date and time")


def _to_second(v: dt.datetime) -> dt.datetime:
    if v.microsecond:
        v = v.replace(microsecond=0) + dt.timedelta(seconds=v.microsecond >= 500_000)
    return v.replace(tzinfo=None)


def to_percent(v: Any) -> Decimal:
    """A fraction: below 1 a number is a fraction, from 1 percent points; `10%` is 0.1."""
    if isinstance(v, str) and v.strip().endswith("%"):
        d = to_decimal(v.strip()[:-1])
        frac = d / 100
    else:
        d = to_decimal(v)
        frac = d if abs(d) < 1 else d / 100
    if frac < 0 or frac > 1:
        raise Bad("bad_number", f"{v} is not a percentage between 0 and 100")
    return frac


_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    text = str(v).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Bad("bad_value", f"'{str(v)[:40]}' is not Yes or No")


def to_text(v: Any) -> str:
    if isinstance(v, CellError):
        raise Bad("bad_value", f"the cell shows the error {v}")
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else format(v, SHOWN)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def to_code(v: Any) -> str:
    return to_text(v).upper()


def to_lower_text(v: Any) -> str:
    return to_text(v).lower()


def to_priority(v: Any) -> str:
    text = to_text(v).strip().lower()
    for p in m.PRIORITIES:
        if text == p.lower() or (text and p.lower().startswith(text)):
            return p
    raise Bad("bad_value", f"must be High, Normal or Low, found '{str(v)[:20]}'")


def to_lenient_text(v: Any) -> str:
    """Tool-managed cells are ours: read them back without raising."""
    return "" if v is None else str(v).strip()
