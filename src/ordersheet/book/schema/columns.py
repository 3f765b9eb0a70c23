"""Column-wise coercion: the fast paths of `parse_sheet`.

`parse_sheet` coerces a column at a time. A fast converter, chosen once per column by its
parser (`FAST`), handles the common cells inline (a clean str, an int, a date from the
reader) and marks every other cell `SLOW`; those cells, and only those, then go through the
full rules of `coerce` (`is_blank`, the column's parser, its Issue). A fast path must
return exactly what the parser returns for the cells it takes, and must never take a blank
cell, except None in an optional column, which gets the column default as the full rules
would give it. tests/book/test_schema.py holds every path against one cell at a time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, Callable

from ..raw import CellError
from .coerce import (SHOWN, Bad, is_blank, to_code, to_date, to_datetime, to_decimal,
                     to_lenient_text, to_lower_text, to_money, to_quantity, to_rate,
                     to_signed_money, to_text, to_whole)

SLOW: Any = object()
_E15 = 10**15
_date, _datetime = dt.date, dt.datetime
_STR, _INT, _DATE = frozenset({str}), frozenset({int}), frozenset({dt.date})
Put = Callable[[str, str], str]
"""dict.setdefault of the sheet's intern table: 100,000 order lines name a few hundred
customers and SKUs, and each record then holds the one shared string."""


def _strings(col: list[Any], types: set[type], put: Put) -> list[Any] | None:
    """A column of non-blank strings, stripped and interned in C; None if it is not one."""
    if types == _STR:
        stripped = list(map(str.strip, col))
        if "" not in stripped:
            return list(map(put, stripped, stripped))
    return None


def _fast_text(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    # floats: the tool's own Price/Net/Tax/Total columns, read back on every later run
    return _strings(col, types, put) or [
        none if v is None else put(t, t) if (k := v.__class__) is str and (t := v.strip())
        else str(v) if k is int
        else (str(int(v)) if v.is_integer() else format(v, SHOWN)) if k is float else SLOW
        for v in col]


def _fast_lenient(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return _strings(col, types, put) or [
        none if v is None else put(t, t) if (k := v.__class__) is str and (t := v.strip())
        else str(v) if k is int else SLOW for v in col]


def _fast_cased(case: Callable[[str], str]) -> Callable[..., list[Any]]:
    """The fast path of a text column stored stripped and in one case (`str.upper` for
    codes, `str.lower` for lower-case texts)."""
    def fast(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
        if types == _STR:
            texts = list(map(case, map(str.strip, col)))
            if "" not in texts:
                return list(map(put, texts, texts))
        return [none if v is None else put(t, t) if v.__class__ is str and (t := case(v.strip()))
                else SLOW for v in col]
    return fast


_fast_code, _fast_lower = _fast_cased(str.upper), _fast_cased(str.lower)


def _fast_whole(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _INT:
        return col
    return [none if v is None else v if v.__class__ is int else SLOW for v in col]


def _fast_quantity(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _INT and min(col) > 0 and max(col) <= 1_000_000_000:
        return col
    return [none if v is None else v if v.__class__ is int and 0 < v <= 1_000_000_000
            else SLOW for v in col]


def _fast_non_negative(places: int) -> Callable[..., list[Any]]:
    """The fast path of an amount (`to_money`, 12 places) or a rate (`to_rate`, 28): a
    float below 1e15 shows positionally unless it is tiny ('1e-05'), and then its exponent
    is minus the digits after the point."""
    def fast(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
        return [none if v is None else Decimal(v) if (k := v.__class__) is int and 0 <= v <= _E15
                else Decimal(r) if k is float and 0.0 <= v < 1e15
                and "e" not in (r := format(v, SHOWN))
                and ((p := r.find(".")) < 0 or len(r) - p <= places + 1) else SLOW for v in col]
    return fast


_fast_money, _fast_rate = _fast_non_negative(12), _fast_non_negative(28)


def _fast_decimal(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return [none if v is None else Decimal(v) if (k := v.__class__) is int
            else Decimal(format(v, SHOWN)) if k is float and -1e15 < v < 1e15 else SLOW
            for v in col]


def _fast_date(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    if types == _DATE:  # date cells as the reader gives them: nothing to do
        return col
    return [none if v is None else v if (k := v.__class__) is _date
            else v.date() if k is _datetime else SLOW for v in col]


def _fast_datetime(col: list[Any], types: set[type], none: Any, put: Put) -> list[Any]:
    return [none if v is None else v if v.__class__ is _datetime and not v.microsecond
            else SLOW for v in col]


FAST: dict[Callable[[Any], Any], Callable[..., list[Any]]] = {
    to_text: _fast_text, to_lenient_text: _fast_lenient, to_code: _fast_code,
    to_lower_text: _fast_lower, to_whole: _fast_whole, to_quantity: _fast_quantity,
    to_money: _fast_money, to_rate: _fast_rate, to_signed_money: _fast_decimal,
    to_decimal: _fast_decimal,
    to_date: _fast_date, to_datetime: _fast_datetime,
}
"""A column's parser -> its fast path."""
# Types whose equal values always coerce alike, so one result per distinct value serves
# every cell holding it (not float: 0.0 == -0.0; not Decimal: 1 == 1.0; int xor bool).
_MEMO_TYPES = frozenset({type(None), str, int, bool, dt.date, dt.datetime, CellError})


def memoised(parse: Callable[[Any], Any], col: list[Any], types: set[type],
             none: Any) -> list[Any] | None:
    """For a parser without a fast path (Priority, Yes/No, percent ...): parse each distinct
    value once when a long column holds few of them."""
    n = len(col)
    if n < 64:
        return None
    if not types <= _MEMO_TYPES or (int in types and bool in types):
        return None
    distinct = set(col)
    if len(distinct) * 16 > n:
        return None
    memo: dict[Any, Any] = {}
    for v in distinct:
        if v is None:
            memo[v] = none
        elif is_blank(v):
            memo[v] = SLOW
        else:
            try:
                memo[v] = parse(v)
            except Bad:
                memo[v] = SLOW  # each such cell gets its own Issue below
    return list(map(memo.__getitem__, col))


def column(rows: list[list[Any]], j: int, width: int | None) -> list[Any]:
    """Column `j` of `rows` (None where a row is too short); `width` is the length of every
    row when they are all alike, else None."""
    if width is not None:
        return list(map(itemgetter(j), rows)) if j < width else [None] * len(rows)
    return [r[j] if j < len(r) else None for r in rows]


def positions(values: list[Any], mark: Any) -> list[int]:
    """Where `mark` is in `values`, by identity, in C. (`list.index` would compare every
    value with `==` first: a Decimal compared with a foreign object goes through the
    numbers ABCs: 55 ms for a 134,000-row money column, against 8.5 ms this way.)"""
    return list(compress(range(len(values)), map(is_, values, repeat(mark))))


def blank_rows(rows: list[list[Any]], first: list[Any] | None) -> list[int]:
    """Indices of the rows whose every cell is blank. Candidates come from the first column
    (`first`, None when the rows have no cells), checked in full; the first column alone
    usually clears every row."""
    if first is None:
        return [i for i, r in enumerate(rows) if all(is_blank(v) for v in r)]
    types = set(map(type, first))
    if not any(t is type(None) or issubclass(t, str) for t in types):
        return []
    if types == {str}:
        stripped = list(map(str.strip, first))
        if "" not in stripped:
            return []
        cand = [i for i, t in enumerate(stripped) if not t]
    else:
        cand = [i for i, v in enumerate(first) if is_blank(v)]
    return [i for i in cand if all(is_blank(v) for v in rows[i])]
