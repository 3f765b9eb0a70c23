"""Cell values and their XML: Excel serial dates, numbers as `<v>` text, one `<c>` element
for a plan value (`_cell_xml`, and `_cell_fast` with no calls on the hot path), and whole
columns of a chunk of rows rendered at once (`_render_column`) and joined into rows by
slice assignment (`_join`). A 100,000-line run writes about nine million cells: this is
the hot loop of a save. Strings are written as inline strings: text, never formulas."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any, Callable, Sequence

from .ooxml import MAX_TEXT
from .xmltext import _esc


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def _serial(v: dt.date, date1904: bool) -> int | float | None:
    """Excel serial of a date or datetime (None when Excel cannot show it)."""
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=None)
        d = v - (_EPOCH_1904 if date1904 else _EPOCH_1900)
        days: float | int = d.days + (d.seconds + d.microseconds / 1e6) / 86400
        whole = d.days
    else:
        whole = days = (v - (_EPOCH_1904 if date1904 else _EPOCH_1900).date()).days
    if not date1904 and whole < 61:  # Excel's 1900-02-29 that never was
        days -= 1
    if days < (0 if date1904 else 1):
        return None
    return days


def _from_serial(x: float, date1904: bool) -> dt.date | dt.datetime:
    if date1904:
        base = _EPOCH_1904
    elif x < 60:
        base = _EPOCH_1900 + dt.timedelta(days=1)
    elif x < 61:
        return dt.date(1900, 2, 28)
    else:
        base = _EPOCH_1900
    whole = math.floor(x)
    ms = round((x - whole) * 86_400_000)
    value = base + dt.timedelta(days=whole, milliseconds=ms)
    return value.date() if ms == 0 else value


def _number_text(v: Any) -> str | None:
    """The <v> text of a number, or None when it is not a finite number."""
    t = type(v)
    if t is int:
        return str(v)
    if t is float:
        return repr(v) if math.isfinite(v) else None
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        s = str(v)
        return s if "E" not in s else format(v, "f")
    return None


def _cell_xml(ref: str, s: int, v: Any, date1904: bool) -> str:
    """One <c> element for a plan value (None gives a styled empty cell)."""
    sa = f' s="{s}"' if s else ""
    t = type(v)
    if t is str and v:
        return _str_cell(ref, sa, v)
    if t is str:  # an empty string is an empty cell
        return f'<c r="{ref}"{sa}/>' if s else ""
    if t is bool:
        return f'<c r="{ref}"{sa} t="b"><v>{int(v)}</v></c>'
    if v is None:
        return f'<c r="{ref}"{sa}/>' if s else ""
    num = _number_text(v)
    if num is not None:
        return f'<c r="{ref}"{sa}><v>{num}</v></c>'
    if isinstance(v, dt.date):
        serial = _serial(v, date1904)
        if serial is not None:
            return f'<c r="{ref}"{sa}><v>{serial!r}</v></c>'
        return _str_cell(ref, sa, v.isoformat())
    return _str_cell(ref, sa, str(v))


def _str_cell(ref: str, sa: str, v: str) -> str:
    if len(v) > MAX_TEXT:
        v = v[:MAX_TEXT]
    sp = ' xml:space="preserve"' if v[:1].isspace() or v[-1:].isspace() else ""
    return f'<c r="{ref}"{sa} t="inlineStr"><is><t{sp}>{_esc(v)}</t></is></c>'


_NEEDS_ESC = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACES = " \t\r\n"


def _cell_fast(L: str, r: int, sa: str, v: Any, date1904: bool) -> str:
    """`_cell_xml` for the common value types with no calls on the hot path (the writer
    renders millions of cells); `sa` is the ready ' s="N"' attribute or ''."""
    c = v.__class__
    if c is str and v:
        if len(v) > MAX_TEXT:
            v = v[:MAX_TEXT]
        if _NEEDS_ESC.search(v) is not None:
            v = _esc(v)
        if v[0] in _SPACES or v[-1] in _SPACES:
            return f'<c r="{L}{r}"{sa} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
        return f'<c r="{L}{r}"{sa} t="inlineStr"><is><t>{v}</t></is></c>'
    if c is int:
        return f'<c r="{L}{r}"{sa}><v>{v}</v></c>'
    if c is Decimal and v.is_finite():
        t = str(v)
        if "E" in t:
            t = format(v, "f")
        return f'<c r="{L}{r}"{sa}><v>{t}</v></c>'
    if c is _DATE and not date1904:
        days = v.toordinal() - 693594  # date(1899, 12, 30)
        if days >= 61:
            return f'<c r="{L}{r}"{sa}><v>{days}</v></c>'
    return _cell_xml(f"{L}{r}", int(sa[4:-1]) if sa else 0, v, date1904)


_DATE = dt.date
_DATETIME = dt.datetime
_NONE = type(None)

Column = "list[str] | tuple[str, str, Sequence[str], str]"
"""A column of a chunk of rows, rendered (`_render_column`): each row's cell XML ('' for
no cell), or, when every row has a plain value, (head, mid, texts, tail) with the cell of
row r being head + r + mid + text + tail, so that whole rows are joined at once."""


def _render_column(L: str, rs: list[str], values: Sequence[Any], sa_of: Callable[[type], str],
                   date1904: bool, keep_empty: bool = False) -> Column:
    """Cell XML of one column for the rows numbered `rs` (row numbers as text); None and
    '' give no cell, or with `keep_empty` a styled empty cell when the value's style is not
    the default (as `_cell_xml` writes a single cell). A column of one plain type has its
    value texts made in one pass (`_PLAIN_COLUMN`); anything else goes cell by cell
    through `_cell_fast`. The writer renders millions of cells a chunk of rows at a time:
    this and `_join` are the hot loop of a save."""
    kinds = set(map(type, values))
    has_none = _NONE in kinds
    kinds.discard(_NONE)
    out = None
    if len(kinds) == 1:
        cls = kinds.pop()
        plain = _PLAIN_COLUMN.get(cls)
        got = plain(values, has_none, sa_of(cls), date1904) if plain is not None else None
        if got is not None:
            mid, texts, tail = got
            head = f'<c r="{L}'
            if not has_none and (cls is not str or "" not in values):
                return head, mid, texts, tail
            out = [f"{head}{r}{mid}{t}{tail}" if t else "" for r, t in zip(rs, texts)]
    elif not kinds:
        out = [""] * len(values)
    if out is None:
        out = [_cell_fast(L, r, sa_of(v.__class__), v, date1904)
               if v is not None and (v.__class__ is not str or v) else ""
               for r, v in zip(rs, values)]
    if keep_empty and "" in out:
        out = [t or _empty_cell(L, r, sa_of(v.__class__)) for r, t, v in zip(rs, out, values)]
    return out


def _render_pieces(L: str, rs: list[str], values: Sequence[Any], pieces: list[tuple[int, int, Any]],
                   sa_for: Callable[[Any], Callable[[type], str]], date1904: bool,
                   keep_empty: bool = False) -> Column:
    """`_render_column` of rows whose number format differs by piece: `pieces` are (start,
    stop, format) covering rows 0 ... len(rs) - 1 in order, `sa_for(format)` the style of
    a value class under it (a column whose JPY rows have their own format). One piece is
    `_render_column` itself; more are rendered once per format, the rows of each gathered
    and put back in place (a JPY line every few rows makes hundreds of pieces a chunk)."""
    if len(pieces) == 1:
        return _render_column(L, rs, values, sa_for(pieces[0][2]), date1904, keep_empty)
    rows_of: dict[Any, list[int]] = {}
    for a, b, fmt in pieces:
        rows_of.setdefault(fmt, []).extend(range(a, b))
    out: list[str] = [""] * len(rs)
    for fmt, rows in rows_of.items():
        part_rs = [rs[i] for i in rows]
        col = _render_column(L, part_rs, [values[i] for i in rows], sa_for(fmt), date1904,
                             keep_empty)
        if isinstance(col, tuple):
            head, mid, texts, tail = col
            col = [f"{head}{r}{mid}{t}{tail}" for r, t in zip(part_rs, texts)]
        for i, text in zip(rows, col):
            out[i] = text
    return out


def _empty_cell(L: str, r: str, sa: str) -> str:
    return f'<c r="{L}{r}"{sa}/>' if sa else ""


def _cell_at(col: Column, i: int, r: str) -> str:
    """The cell XML of row index i (row number r) of a rendered column."""
    if isinstance(col, tuple):
        head, mid, texts, tail = col
        return f"{head}{r}{mid}{texts[i]}{tail}"
    return col[i]


_NOT_PLAIN = bytes(range(32)) + b"&<>\x7f"
"""bytes a text needs escaped (or written as _xHHHH_) in XML, tab and line breaks included
(those count as edge whitespace too): such texts go cell by cell through `_cell_fast`"""


def _plain_texts(values: Sequence[Any], has_none: bool = True) -> bool:
    """Whether every non-empty text of a column can go into XML as it is: nothing to
    escape, no edge whitespace to preserve, within Excel's length limit. A few C-speed
    passes over the texts joined by '<' (which no plain text holds), not a regex per
    value."""
    present = list(filter(None, values)) if has_none else values
    if not present:
        return True
    try:
        joined = "<".join(present).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    if len(joined) - len(joined.translate(None, _NOT_PLAIN)) != len(present) - 1:
        return False
    if not joined.isascii() and (b"\xef\xbf\xbe" in joined or b"\xef\xbf\xbf" in joined):
        return False  # U+FFFE, U+FFFF
    if b" " in joined and (b"< " in joined or b" <" in joined or joined[:1] == b" " or
                           joined[-1:] == b" "):
        return False  # a text starting or ending with a space (other edge whitespace,
        # tab and line breaks, is in _NOT_PLAIN; `_cell_fast` preserves only those)
    if len(joined) <= MAX_TEXT:
        return True
    # A text of more than MAX_TEXT bytes covers a whole window of MAX_TEXT // 2 bytes
    # starting at a multiple of that: a '<' in every such window rules it out with a few
    # finds, instead of measuring every text (needed only when some window has none).
    w = MAX_TEXT // 2
    if all(joined.find(b"<", k, k + w) >= 0 for k in range(0, len(joined) - w + 1, w)):
        return True
    return max(map(len, present)) <= MAX_TEXT


_VALUE_MID, _VALUE_TAIL = "><v>", "</v></c>"
_TEXT_MID, _TEXT_TAIL = ' t="inlineStr"><is><t>', "</t></is></c>"


def _plain_str(values, has_none: bool, sa: str, _d1904: bool):
    if not _plain_texts(values, has_none):
        return None
    return f'"{sa}{_TEXT_MID}', values, _TEXT_TAIL


_SMALL_INTS: dict[int, str] = {}
"""0 ... 9999 -> '0' ... '9999', made once: quantities, line numbers and stock figures
are mostly small, and a look-up is several times cheaper than int to text"""


def _plain_int(values, has_none: bool, sa: str, _d1904: bool):
    if not _SMALL_INTS:
        _SMALL_INTS.update(zip(range(10_000), map(str, range(10_000))))
    # one C-level pass: None for a blank and for an int outside 0 ... 9999
    texts = list(map(_SMALL_INTS.get, values))
    if texts.count(None) != (values.count(None) if has_none else 0):
        texts = [str(v) if v is not None else None for v in values] if has_none else \
            list(map(str, values))
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_float(values, has_none: bool, sa: str, _d1904: bool):
    texts = [repr(v) if v is not None else None for v in values] if has_none else \
        list(map(repr, values))
    if "n" in "".join(filter(None, texts)):  # nan, inf: not numbers in a cell
        return None
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_decimal(values, has_none: bool, sa: str, _d1904: bool):
    texts = [str(v) if v is not None else None for v in values] if has_none else \
        list(map(str, values))
    joined = "".join(filter(None, texts))
    if "E" in joined or "N" in joined or "n" in joined or "I" in joined:
        return None  # exponent, NaN or Infinity: `_cell_fast` writes those cell by cell
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_date(values, _has_none: bool, sa: str, date1904: bool):
    """Dates and datetimes repeat a lot (a run stamps thousands of rows with one date):
    each distinct value is converted once."""
    serials = {v: _serial(v, date1904) for v in set(values) if v is not None}
    if None in serials.values():
        return None  # before Excel's first date: written as text, cell by cell
    texts: dict[Any, str | None] = {v: repr(s) for v, s in serials.items()}
    texts[None] = None
    return f'"{sa}{_VALUE_MID}', list(map(texts.__getitem__, values)), _VALUE_TAIL


_PLAIN_COLUMN: dict[type, Callable[..., tuple[str, Sequence[str], str] | None]] = {
    str: _plain_str, int: _plain_int, float: _plain_float, Decimal: _plain_decimal,
    _DATE: _plain_date, _DATETIME: _plain_date}


def _join(rs: list[str], columns: list[Column], tagged: bool) -> str:
    """The cells of every row, each row wrapped in its <row> element (`tagged`) or ended
    by NUL, as one text built without a Python step per cell: one list holds every piece
    of every row (a per-row template repeated, row numbers and value texts put in by
    slice assignment) and is joined once."""
    items: list[Any] = ['<row r="', rs, '">'] if tagged else []
    for col in columns:
        if isinstance(col, tuple):
            head, mid, texts, tail = col
            items += [head, rs, mid, texts, tail]
        else:
            items.append(col)
    items.append("</row>" if tagged else "\x00")
    template: list[Any] = []
    fills: list[tuple[int, Sequence[str]]] = []
    for it in items:
        if isinstance(it, str):
            if template and isinstance(template[-1], str):
                template[-1] += it
            else:
                template.append(it)
        else:
            fills.append((len(template), it))
            template.append(None)
    m = len(template)
    parts = template * len(rs)
    for k, seq in fills:
        parts[k::m] = seq
    return "".join(parts)


def _rows_width(rows: Sequence[Sequence[Any]]) -> int:
    width = getattr(rows, "width", None)
    if width is not None:
        return width
    return max(map(len, rows), default=0)


def _row_columns(rows: Sequence[Sequence[Any]], lo: int, hi: int,
                 width: int) -> list[Sequence[Any]]:
    """Columns 1..width of rows lo..hi-1 (short rows padded with None). A plan's rows may
    come as a record view with a `columns` method, which reads them straight off the
    records."""
    columns = getattr(rows, "columns", None)
    if columns is not None:
        got = list(columns(lo, hi))
    else:
        chunk = rows[lo:hi]
        if any(len(r) != width for r in chunk):
            chunk = [r if len(r) == width else list(r)[:width] + [None] * (width - len(r))
                     for r in chunk]
        got = list(zip(*chunk))
    n = hi - lo
    while len(got) < width:
        got.append([None] * n)
    return got


def _join_rows(rs: list[str], columns: list[Column]) -> str:
    """'<row r="N">cells</row>' for each row holding a cell, as one text."""
    if not columns:
        return ""
    if all(isinstance(col, list) and "" in col for col in columns):
        # some row may have no cell: it gets no element
        return "".join(f'<row r="{r}">{t}</row>'
                       for r, t in zip(rs, map("".join, zip(*columns))) if t)
    return _join(rs, columns, tagged=True)


def _join_cells(rs: list[str], columns: list[Column]) -> list[bytes]:
    """Each row's cells joined, as UTF-8: one join, one encode and one split per chunk of
    rows. (No cell text holds NUL: `_esc` writes control characters as _xHHHH_.)"""
    if not columns:
        return [b""] * len(rs)
    return _join(rs, columns, tagged=False).encode("utf-8").split(b"\x00")[:len(rs)]


_ROW_PREFIXED = re.compile(rb"<(/?)(c|v|is|t|f)(?=[\s/>])")


def _blank(v: Any) -> bool:
    return v is None or (v.__class__ is str and not v.strip())
