"""Counting a sheet's rows without reading it.

ordersheet appends to its log sheets (Stock Ledger, Audit Log) and never uses what they
hold, yet they grow with every run (264,000 ledger rows after one 100,000-line run).
Reading one only to count its rows took longer than reading Orders. The count below
looks at the header (the head of the part) and at the last rows (its tail): worksheet
rows are stored in ascending order, so the last data row is in the tail unless the tail
holds only rows without values, and then the sheet is simply read."""

from __future__ import annotations

import re
from typing import Iterator

from ..port import WorkbookError
from ..raw import col_index
from .cells import _blank
from .limits import Limits, MiB
from .ooxml import MAX_ROW
from .package import _Package, _Sheet, _table_of
from .scan import _check_head
from .xmltext import _Lexer, _UNUSUAL, _prefix_of, _trusted, _unescape, _utf8, _xunescape


_COUNT_CHUNK = 4 * MiB
"""Inflated block size of the count; the head is one block, the tail the last two."""


class _SstPeek:
    """Shared strings parsed only as far as the highest index asked for."""

    def __init__(self, pkg: _Package, path: str | None, limits: Limits):
        self.pkg, self.path, self.limits = pkg, path, limits
        self.items: list[str] = []
        self._more: Iterator[re.Match] | None = None
        self._lex: _Lexer | None = None

    def get(self, i: int) -> str | None:
        if self.path is None:
            return None
        if self._more is None:
            data = _trusted(self.pkg.read(self.path, self.limits.max_shared_strings_bytes),
                            "shared strings")
            self._lex = _Lexer(_prefix_of(data, "sst"))
            self._more = self._lex.si.finditer(data)
        while len(self.items) <= i:
            m = next(self._more, None)
            if m is None:
                return None
            self.items.append(self._lex.text_of(m.group(1) or b""))  # type: ignore[union-attr]
        return self.items[i]


def _filled(lex: _Lexer, t: str | None, inner: bytes | None, sst: _SstPeek) -> bool | None:
    """Whether a cell holds a value `read` keeps (a `raw` value that is not None and not
    blank text); None where only reading the cell the way calamine does can tell."""
    if not inner:
        return False
    if t == "inlineStr":
        return bool(lex.text_of(inner).strip())
    vm = lex.v.search(inner)
    if vm is None:
        return False if t in (None, "n", "s", "str", "b") else None
    text = vm.group(1)
    if t is None or t == "n":
        try:
            float(text)
        except ValueError:
            return None
        return True
    if t == "s":
        try:
            s = sst.get(int(text))
        except ValueError:
            return None
        return None if s is None else bool(s.strip())
    if t == "str":
        return bool(_xunescape(_unescape(text)).strip())
    if t in ("b", "e"):
        return True
    return None


def _filled_cells(lex: _Lexer, data: bytes, a: int, b: int,
                  sst: _SstPeek) -> tuple[dict[int, list[tuple[int, bool]]], int] | None:
    """{row: [(col, filled)]} of the complete rows in data[a:b] and the last row number;
    None when a cell has no reference or an unusual value (the caller reads instead)."""
    rows: dict[int, list[tuple[int, bool]]] = {}
    last = 0
    for m in lex.any_cell.finditer(data, a, b):
        letters, digits, _s, t, other, inner = m.groups()
        if letters is None:
            r, c, _si, ty = lex.cell_attrs(other)
            if not r or not c:
                return None
        else:
            r, c, ty = int(digits), col_index(letters.decode()), t.decode() if t else None
        if r < last:
            return None  # rows out of order: the tail may not hold the last one
        last = r
        f = _filled(lex, ty, inner, sst)
        if f is None:
            return None
        rows.setdefault(r, []).append((c, f))
    return rows, last


def _count_rows(pkg: _Package, sheet: _Sheet, limits: Limits,
                sst: _SstPeek) -> tuple[int, int] | None:
    """(header row, data rows) exactly as `XlsxBook.read` would give them
    (`raw.header_row`, `len(raw.rows)`), from the head and the tail of the part only;
    None when that cannot be told for sure (then the caller reads the sheet)."""
    what = f"sheet {sheet.name!r}"
    head = b""
    tail: list[bytes] = []
    blocks = 0
    seam = b""
    for block in pkg.iter(sheet.path, _COUNT_CHUNK):
        if not blocks:
            _check_head(block, sheet, limits, what)
            if not _utf8(block):
                return None
            head = block
        # comments, CDATA or processing instructions: the regex tokens are not exact
        # ('!' and '?' are rare bytes: looking for them alone is a fast memchr)
        if (b"!" in block or b"?" in block) and _UNUSUAL.search(seam + block):
            return None
        seam = block[-8:]
        blocks += 1
        tail = tail[-1:] + [block]
    whole = blocks <= 2
    if whole:
        head = b"".join(tail)
    try:
        lex = _Lexer(_prefix_of(head, "worksheet"))
    except WorkbookError:
        return None
    m = re.search(rb"<" + re.escape(lex.P) + rb"sheetData(?=[\s/>])[^>]*?(/?)>", head)
    if m is None:
        return None
    a = m.end()
    if m.group(1):
        return None  # <sheetData/>: nothing to count, and reading it costs nothing
    table, (tr1, tc1, tr2, tc2) = _table_of(sheet)
    # The header: the first rows are enough, unless they hold no value (or not yet the
    # table's header row); then the whole head, which is every row when `whole`.
    head_rows: dict[int, list[tuple[int, bool]]] = {}
    for span in (65536, len(head)):
        b = head.rfind(lex.row_end, a, a + span)
        if b < 0:
            continue
        got = _filled_cells(lex, head, a, b + len(lex.row_end), sst)
        if got is None:
            return None
        head_rows, head_last = got
        if table is not None and table.header_rows:
            if head_last >= tr1:
                break
        elif any(f for cells in head_rows.values() for _, f in cells):
            break
    else:
        if not whole:
            return None
    if table is not None:
        names = list(table.columns)
        if table.header_rows:
            cells = dict(head_rows.get(tr1, ()))
            header = []
            for j, c in enumerate(range(tc1, tc2 + 1)):
                f = cells.get(c)
                if f is False:
                    return None  # blank text or no value: `read` may keep either
                header.append(True if f else j < len(names) and not _blank(names[j]))
            header_row = tr1
        else:
            header = [not _blank(x) for x in names]
            header_row = tr1 - 1
        if True not in header:
            return None
        lo = tc1 + header.index(True)
        hi = tc1 + len(header) - 1 - header[::-1].index(True)
        first, last_row = tr1 + (1 if table.header_rows else 0), tr2 - table.totals_rows
    else:
        filled = [r for r, cells in head_rows.items() if any(f for _, f in cells)]
        if not filled:
            return None
        header_row = min(filled)
        cols = [c for c, f in head_rows[header_row] if f]
        lo, hi = min(cols), max(cols)
        first, last_row = header_row + 1, MAX_ROW
    # The last data row: walk back from the end of the rows, one row at a time.
    data = head if whole else b"".join(tail)
    pos = data.rfind(b"</" + lex.P + b"sheetData>")
    stop = a if whole else 0
    if pos < stop:
        return None
    opener = b"<" + lex.P + b"row"
    later = MAX_ROW + 1
    while True:
        s = data.rfind(opener, stop, pos)
        while s >= 0 and data[s + len(opener):s + len(opener) + 1] not in b" \t\r\n/>":
            s = data.rfind(opener, stop, s)
        if s < 0:
            return (header_row, 0) if whole else None
        got = _filled_cells(lex, data, s, pos, sst)
        if got is None:
            return None
        rows, _ = got
        pos = s
        if not rows:
            continue  # a row without cells
        if len(rows) != 1:
            return None  # cells of several rows in one <row>
        (r, cells), = rows.items()
        if r >= later:
            return None  # rows out of order: the last one may be elsewhere
        later = r
        if r < first:
            return header_row, 0
        if r <= last_row and any(f and lo <= c <= hi for c, f in cells):
            return header_row, r - first + 1
