"""The streaming pass over one edited worksheet (`_SheetWriter`): untouched rows are
copied as bytes, the rows of Orders that only get tool cells appended are checked and
assembled in bulk (`_bulk`), rows that already had the tool cells get them swapped
(`_swap_tail`), and any other touched row is merged cell by cell (`row_merge`)."""

from __future__ import annotations

import re
from itertools import repeat
from typing import Callable

from ..port import WorkbookError
from ..raw import col_index, col_letter
from .cells import (_cell_at, _join_cells, _render_column, _render_pieces, _row_columns,
                    _rows_width)
from .edits import _Edit
from .ooxml import MAX_ROW
from .row_merge import _PLAIN_CELL, _RowMerge, _SPANS
from .sheet_stream import _SheetStream
from .styles import _Styler
from .xmltext import _Lexer, _attrs, _set_attr, _start_re


_ROW_R = re.compile(rb'\sr="(\d+)"')


_LAST_REF = re.compile(rb'<c r="([A-Z]{1,3})\d')


_ROW_SPANS = re.compile(rb"""(<row\s[^>]*?)\sspans=(?:"[^"]*"|'[^']*')""")
"""`spans` in a row's start tag (one per tag: a second would fail the check after)"""


def _columns_from(c: int) -> bytes:
    """A regex matching the letters of every column from c on (to XFD)."""
    L = col_letter(c)
    k = len(L)
    alts = [L[:i] + f"[{chr(ord(L[i]) + 1)}-Z]" + "[A-Z]" * (k - i - 1)
            for i in range(k) if L[i] < "Z"]
    alts.append(L)
    if k < 3:
        alts.append(f"[A-Z]{{{k + 1},3}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _columns_before(c: int) -> bytes:
    """A regex matching the letters of every column left of column c (none for c = 1)."""
    L = col_letter(c)
    k = len(L)
    alts = [f"[A-Z]{{1,{k - 1}}}"] if k > 1 else []
    alts += [L[:i] + f"[A-{chr(ord(L[i]) - 1)}]" + "[A-Z]" * (k - i - 1)
             for i in range(k) if L[i] > "A"]
    return ("(?:" + "|".join(alts) + ")").encode() if alts else b"(?!)"


def _no_spans(attrs: bytes) -> bytes:
    """A row's attributes without `spans` (a hint of the columns it holds, which new
    cells would falsify); the usual form without a regex."""
    s = attrs.find(b' spans="')
    if s >= 0:
        q = attrs.find(b'"', s + 8)
        if q >= 0:
            out = attrs[:s] + attrs[q + 1:]
            if b"spans" not in out:
                return out
    return _SPANS.sub(b"", attrs)


def _row_number(attrs: bytes) -> str:
    m = _ROW_R.search(attrs)
    if m:
        return m.group(1).decode()
    return _attrs(attrs).get("r", "")


class _SheetWriter(_RowMerge):
    """One streaming pass over a worksheet part: untouched rows are copied as bytes; a
    touched row that only gets new cells right of its own (the tool columns on Orders,
    rows appended to a log) takes its new cells pre-rendered a chunk of rows at a time;
    any other touched row is merged cell by cell."""

    CHUNK = 4096

    def __init__(self, name: str, head: bytes, P: bytes, edit: _Edit, styler: _Styler,
                 date1904: bool):
        self.name = name
        self.head = head
        self.edit = edit
        self.styler = styler
        self.date1904 = date1904
        self.P = P
        self.lex = _Lexer(self.P)
        self.formula_removed = False
        self.fills: dict[tuple[int, int], str] = {}
        """(row, col) -> the fill a cell had when this pass marked it (`fill_token`)"""
        self._letters: dict[int, str] = {}
        self._cols: dict[bytes, int] = {}
        self._col_styles = self._read_col_styles()
        self._col_style: dict[int, int] = {}
        self._chunks: dict[int, list] = {}
        E = re.escape(P)
        self._cell_at = re.compile(rb"<" + E + rb"c(?=[\s/>])")
        self._row_open = b"<" + P + b"row"
        self._row_end = b"</" + P + b"row>"
        self._row_head = re.compile(rb"([ \t\r\n]*)<" + E + rb'row( r="(\d+)"[^>]*)>')
        self._row_nums = re.compile(rb"<" + E + rb'row r="(\d+)"')
        self.touched = edit.touched_rows()
        self.ti = 0
        self.last_r = 0
        self._special, self._fast_srcs = self._fast_sources()
        self._bad_cell: re.Pattern | None = None
        self._from_col: re.Pattern | None = None

    # -- helpers --
    def letters(self, c: int) -> str:
        s = self._letters.get(c)
        if s is None:
            s = self._letters[c] = col_letter(c)
        return s

    def col_of(self, letters: bytes) -> int:
        c = self._cols.get(letters)
        if c is None:
            c = self._cols[letters] = col_index(letters.decode())
        return c

    def _read_col_styles(self) -> list[tuple[int, int, int]]:
        out = []
        for m in _start_re(self.P, "col").finditer(self.head):
            at = _attrs(m.group(0))
            try:
                if at.get("style"):
                    out.append((int(at["min"]), int(at["max"]), int(at["style"])))
            except (KeyError, ValueError):
                pass
        return out

    def col_style(self, c: int) -> int:
        got = self._col_style.get(c)
        if got is None:
            got = 0
            for lo, hi, st in self._col_styles:
                if lo <= c <= hi:
                    got = st
                    break
            self._col_style[c] = got
        return got

    # -- which rows take pre-rendered cells --
    def _fast_sources(self) -> tuple[set[int], list[tuple[int, int, int, int]]]:
        """(rows that must be merged cell by cell, and the value sources whose other rows
        can take pre-rendered cells: (first row, end row, source index, first column)).
        Marked rows, single cells, header cells and rows two sources write are merged;
        `_soft` keeps, for marked rows and rows with single cells, their rightmost such
        column (such a row still takes the pre-rendered cells right of its own)."""
        e = self.edit
        special: set[int] = set(e.marks) | set(e.clears)
        soft: dict[int, int] = {}
        for rows in (e.marks, e.clears):
            for r, cols in rows.items():
                if cols:
                    soft[r] = max(soft.get(r, 0), max(cols))
        hard: set[int] = set()
        spans: list[tuple[int, int, int, int, bool]] = []
        for si, s in enumerate(e.sources):
            if s.kind == "header":
                special.update(s.cells)
                hard.update(s.cells)
            elif s.kind == "cells":
                special.update(s.cells)
                for r, cols in s.cells.items():
                    if cols:
                        soft[r] = max(soft.get(r, 0), max(cols))
            elif s.kind == "cols" and s.n:
                cols = [c for c, _, _ in s.cols]
                ok = bool(cols) and cols == sorted(set(cols))
                spans.append((s.first, s.first + s.n, si, cols[0] if cols else 1, ok))
            elif s.kind == "block" and s.n:
                ok = getattr(s.rows, "width", None) is not None or \
                    len(set(map(len, s.rows))) <= 1
                spans.append((s.first, s.first + s.n, si, 1, ok))
        for i, a in enumerate(spans):
            if not a[4]:
                special.update(range(a[0], a[1]))
                hard.update(range(a[0], a[1]))
            for b in spans[i + 1:]:
                special.update(range(max(a[0], b[0]), min(a[1], b[1])))
                hard.update(range(max(a[0], b[0]), min(a[1], b[1])))
        for r in hard:
            soft.pop(r, None)
        self._soft = soft
        if self.P:  # prefixed parts: every touched row is merged
            return special, []
        return special, [a[:4] for a in spans if a[4]]

    def _cover(self, r: int) -> tuple[int, int] | None:
        for first, end, si, first_col in self._fast_srcs:
            if first <= r < end:
                return si, first_col
        return None

    def _fast(self, r: int) -> tuple[int, int] | None:
        if r in self._special:
            return None
        for first, end, si, first_col in self._fast_srcs:
            if first <= r < end:
                return si, first_col
        return None

    def _chunk(self, si: int, k: int) -> list:
        """[chunk number, rendered columns, joined rows or None] of rows k*CHUNK... of
        source `si`: its cells rendered column by column, as `_render_column` does."""
        got = self._chunks.get(si)
        if got is not None and got[0] == k:
            return got
        src = self.edit.sources[si]
        lo = k * self.CHUNK
        n = min(self.CHUNK, src.n - lo)
        rs = list(map(str, range(src.first + lo, src.first + lo + n)))
        styler, d1904 = self.styler, self.date1904
        columns = []
        if src.kind == "cols":
            for c, values, fmt in src.cols:
                part = values[lo:lo + n]
                if len(part) < n:
                    part = list(part) + [None] * (n - len(part))
                base = self.col_style(c)
                columns.append(_render_pieces(
                    self.letters(c), rs, part,
                    [(a - lo, b - lo, f) for a, b, f in src.pieces(c, fmt, lo, lo + n)],
                    lambda f, b=base: lambda cls: styler.sa(b, f, cls, None), d1904))
        else:  # rows appended to a log: cell styles as `merge_row` gives them
            width = _rows_width(src.rows)
            values = _row_columns(src.rows, lo, lo + n, width)
            for j in range(width):
                fmt = src.fmts[j] if j < len(src.fmts) else None
                base = self.col_style(j + 1)
                columns.append(_render_column(
                    self.letters(j + 1), rs, values[j],
                    lambda cls, b=base, f=fmt: styler.sa(b, f, cls, None), d1904,
                    keep_empty=True))
        got = self._chunks[si] = [k, columns, None, rs]
        return got

    def _frag_chunk(self, si: int, k: int) -> list[bytes]:
        """Each row's new cells from source `si`, joined, for chunk k."""
        got = self._chunk(si, k)
        if got[2] is None:
            got[2] = _join_cells(got[3], got[1])
        return got[2]

    def _frag(self, si: int, r: int) -> bytes:
        """The new cells of row r from source `si`, joined."""
        i = r - self.edit.sources[si].first
        return self._frag_chunk(si, i // self.CHUNK)[i % self.CHUNK]

    def _column_text(self, where: tuple[int, int, int], c: int) -> str:
        """The new cell of an UpdateColumns value, from its chunk of rendered columns."""
        si, ci, i = where
        got = self._chunk(si, i // self.CHUNK)
        j = i % self.CHUNK
        return _cell_at(got[1][ci], j, got[3][j])

    def _cells_left_of(self, inner: bytes, first_col: int) -> bool:
        """Whether a row's cells all lie left of `first_col`, with nothing after them (the
        row then keeps its bytes and gets its new cells appended)."""
        k = inner.rfind(b"<c")
        if k < 0 or inner[k:k + 6] != b'<c r="':
            return False
        m = _LAST_REF.match(inner, k)
        if m is None or self.col_of(m.group(1)) >= first_col:
            return False
        return inner.endswith(b"</c>") or inner.endswith(b"/>")

    def _touched_row(self, r: int, attrs: bytes, inner: bytes, numbered: bool = True) -> bytes:
        """A touched row of the sheet, by the cheapest way that writes what `merge_row`
        writes: new cells appended after the row's own, or swapped for the old tool cells,
        or the marked cells merged and the new ones appended; else `merge_row`."""
        if not numbered or b"customFormat" in attrs:
            return self.merge_row(r, attrs, inner, numbered)
        fast = self._fast(r)
        if fast is not None:
            if not inner or self._cells_left_of(inner, fast[1]):
                new = inner + self._frag(fast[0], r)
            else:
                new = self._swap_tail(inner, fast[0], fast[1], r)
            if new is not None:
                tag = b"<row" + (_no_spans(attrs) if b"spans" in attrs else attrs) + b">"
                return tag + new + b"</row>"
        left = self._soft.get(r)
        if left is not None:
            # marks or single cells left of the tool columns: merge those, then append
            cover = self._cover(r)
            if cover is not None and left < cover[1] and (
                    not inner or self._cells_left_of(inner, cover[1])):
                return self.merge_row(r, attrs, inner, numbered, skip=cover[0],
                                      extra=self._frag(cover[0], r))
        return self.merge_row(r, attrs, inner, numbered)

    def _swap_tail(self, inner: bytes, si: int, first_col: int, r: int) -> bytes | None:
        """A row that already has the source's cells (a second run over Orders): its cells
        from `first_col` on replaced by the new ones, when that is exactly what merging
        them one by one gives: each old cell a plain value cell (no formula) in a column
        the new cells have, with the style the new cell gets. None otherwise."""
        if self._from_col is None:
            self._from_col = re.compile(rb'<c r="' + _columns_from(first_col) + rb"\d")
        m = self._from_col.search(inner)
        if m is None:
            return None
        tail = inner[m.start():]
        if b"<f" in tail or not tail.endswith((b"</c>", b"/>")):
            return None
        old = _PLAIN_CELL.findall(tail)
        n = tail.count(b"<c")
        if len(old) != n or tail.count(b"</c><c") + tail.count(b"/><c") != n - 1:
            return None
        head = inner[:m.start()]
        if not inner.startswith(b'<c r="%s%d"' % (self.letters(first_col).encode(), r),
                                m.start()):
            # merging reads every cell then, dropping any text between them
            k = head.count(b"<c")
            if k and (head.count(b"</c><c") + head.count(b"/><c") != k - 1 or
                      not head.endswith((b"</c>", b"/>")) or not head.startswith(b"<c")):
                return None
        frag = self._frag(si, r)
        pairs = _PLAIN_CELL.findall(frag)
        if pairs != old:  # not the same cells: each old one must have its new one
            new = dict(pairs)
            if any(new.get(letters) != s for letters, s in old):
                return None
        return head + frag

    def _insert(self, r: int) -> bytes:
        """A touched row the sheet does not have yet."""
        fast = self._fast(r)
        if fast is not None:
            frag = self._frag(fast[0], r)
            if frag:
                return b'<row r="%d">' % r + frag + b"</row>"
            if self.edit.sources[fast[0]].kind == "cols":
                return b""
        return self.merge_row(r, None, None)

    # -- the pass --
    def run(self, stream: _SheetStream, out: Callable[[bytes], None],
            head_edit: Callable[[bytes], bytes], tail_edit: Callable[[bytes], bytes]) -> None:
        P = self.P
        out(head_edit(stream.head))
        out(b"<" + P + b"sheetData>")
        for region in stream.rows():
            self._region(region, out)
        touched = self.touched
        while self.ti < len(touched):
            piece = self._insert(touched[self.ti])
            self.ti += 1
            if piece:
                out(piece)
        out(b"</" + P + b"sheetData>")
        out(tail_edit(stream.tail))

    def _out_of_order(self) -> WorkbookError:
        return WorkbookError(f"sheet {self.name!r}: its rows are out of order (damaged "
                             "sheet); open and save it in Excel first")

    def _region(self, data: bytes, out: Callable[[bytes], None]) -> None:
        """Whole rows: split at each row end, one regex match per row; a row the split
        cannot take goes through `_generic`."""
        touched, nt = self.touched, len(self.touched)
        ti, last_r = self.ti, self.last_r
        if ti < nt:
            nums = self._row_nums.findall(data)
            if nums and len(nums) == data.count(self._row_open):
                top = max(map(int, nums))
                if top < touched[ti]:  # appending below these rows (logs): copy them
                    out(data)
                    self.last_r = max(last_r, top)
                    return
                done = self._bulk(data, nums)
                if done is not None:
                    out(done)
                    return
        row_end, row_open = self._row_end, self._row_open
        pieces = data.split(row_end)
        rest = pieces.pop()
        parts: list[bytes] = []
        emit = parts.append
        match = self._row_head.match
        # the common case inline: one source of new cells right of every row's own
        if len(self._fast_srcs) == 1:
            ff, fe, fsi, fc = self._fast_srcs[0]
        else:
            ff = fe = fsi = fc = 0
        special, col_of, last_ref = self._special, self.col_of, _LAST_REF.match
        step = self.CHUNK
        frags: list[bytes] = []
        f_lo = f_hi = 0
        for piece in pieces:
            m = match(piece)
            if m is None or piece.find(row_open, m.end()) >= 0:
                self.ti, self.last_r = ti, last_r
                self._generic(piece + row_end, emit)
                ti, last_r = self.ti, self.last_r
                continue
            r = int(m.group(3))
            if r <= last_r or r > MAX_ROW:
                raise self._out_of_order()
            last_r = r
            if ti < nt and touched[ti] <= r:
                a = m.end(1)
                if a:
                    emit(piece[:a])
                while ti < nt and touched[ti] < r:
                    got = self._insert(touched[ti])
                    ti += 1
                    if got:
                        emit(got)
                if ti < nt and touched[ti] == r:
                    ti += 1
                    attrs = m.group(2)
                    e = m.end()
                    if ff <= r < fe and r not in special and b"customFormat" not in attrs:
                        if e == len(piece):
                            ok = True
                        else:
                            k = piece.rfind(b"<c")
                            ok = k >= e and piece.startswith(b'<c r="', k) and \
                                piece.endswith((b"</c>", b"/>"))
                            if ok:
                                ref = last_ref(piece, k)
                                ok = ref is not None and col_of(ref.group(1)) < fc
                        if ok:
                            i = r - ff
                            if not f_lo <= i < f_hi:
                                f_lo = i - i % step
                                frags = self._frag_chunk(fsi, f_lo // step)
                                f_hi = f_lo + len(frags)
                            if b"spans" in attrs:
                                emit(b"<row" + _no_spans(attrs) + b">")
                                emit(piece[e:])
                            else:
                                emit(piece[a:] if a else piece)
                            emit(frags[i - f_lo])
                            emit(row_end)
                            continue
                    emit(self._touched_row(r, attrs, piece[e:]))
                    continue
                emit(piece[a:] if a else piece)
            else:
                emit(piece)
            emit(row_end)
        self.ti, self.last_r = ti, last_r
        if rest.strip():
            self._generic(rest, emit)
        elif rest:
            emit(rest)
        out(b"".join(parts))

    def _bulk(self, data: bytes, nums: list[bytes]) -> bytes | None:
        """Whole rows that are all touched and numbered in order, whose cells all lie left
        of the one source of new cells (the tool columns of Orders on a first run): checked
        with a few C-level scans of the text and assembled by slice assignment, without a
        Python step per row. Rows that need more (marks, single cells, the header) go
        through `_touched_row`. None when the run is not that simple."""
        if len(self._fast_srcs) != 1:
            return None
        ff, fe, fsi, fc = self._fast_srcs[0]
        n = len(nums)
        rows = list(map(int, nums))
        r0 = rows[0]
        if r0 <= self.last_r or rows != list(range(r0, r0 + n)) or \
                self.touched[self.ti:self.ti + n] != rows or \
                data.count(b"<row") != n or b"customFormat" in data:
            return None
        pieces = data.split(b"</row>")
        rest = pieces.pop()
        if len(pieces) != n or rest.strip() or \
                not all(map(bytes.endswith, pieces, repeat((b"</c>", b"/>", b'">')))):
            return None  # something else than cells (or a row without an end tag)
        if self._bad_cell is None:  # a cell not of the form <c r="A1"... left of fc
            self._bad_cell = re.compile(rb'<c(?! r="' + _columns_before(fc) + rb"\d)")
        if self._bad_cell.search(data) is not None:
            return None
        if b"spans" in data:
            data = _ROW_SPANS.sub(rb"\1", data)
            if b"spans" in data:
                return None
            pieces = data.split(b"</row>")
            rest = pieces.pop()
        a, b = max(ff - r0, 0), min(fe - r0, n)
        others = self._special.intersection(rows)
        others.update(rows[:a])
        others.update(rows[b:])
        todo = sorted(others)  # in row order: chunk by chunk, styles made in order
        head = self._row_head.match
        frags: list[bytes] = [b""] * n
        merged: dict[int, bytes] = {}
        oi, i, step = 0, a, self.CHUNK
        while True:
            if i < b:  # the rows of one chunk of pre-rendered cells
                off = r0 + i - ff
                k, o = divmod(off, step)
                j = min(b, i + step - o)
                frags[i:j] = self._frag_chunk(fsi, k)[o:o + j - i]
            else:
                j = n
            while oi < len(todo) and todo[oi] - r0 < j:
                r = todo[oi]
                oi += 1
                piece = pieces[r - r0]
                m = head(piece)
                if m is None:
                    return None
                merged[r - r0] = piece[:m.end(1)] + self._touched_row(r, m.group(2),
                                                                      piece[m.end():])
            if j >= n:
                break
            i = j
        parts = [b"</row>"] * (3 * n)
        parts[0::3] = pieces
        parts[1::3] = frags
        for i, row in merged.items():
            parts[3 * i] = row
            parts[3 * i + 1] = parts[3 * i + 2] = b""
        parts.append(rest)
        self.ti += n
        self.last_r = rows[-1]
        return b"".join(parts)

    def _generic(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        """Row by row with the lexer's regex: rows closed by '/>', rows without a number,
        attributes in an unusual order."""
        touched, nt = self.touched, len(self.touched)
        ti, last_r = self.ti, self.last_r
        row_end = self.lex.row_end
        pos, b = 0, len(data)
        for m in self.lex.row_start.finditer(data):
            ra = _row_number(m.group(1))
            r = int(ra) if ra.isdigit() else last_r + 1
            if r <= last_r or r > MAX_ROW:
                raise self._out_of_order()
            last_r = r
            while ti < nt and touched[ti] < r:
                if pos < m.start():
                    emit(data[pos:m.start()])
                    pos = m.start()
                got = self._insert(touched[ti])
                ti += 1
                if got:
                    emit(got)
            if ti < nt and touched[ti] == r:
                if m.group(2):
                    inner, end = b"", m.end()
                else:
                    k = data.find(row_end, m.end(), b)
                    if k < 0:
                        raise WorkbookError(f"sheet {self.name!r}: a row is not closed")
                    inner, end = data[m.end():k], k + len(row_end)
                if pos < m.start():
                    emit(data[pos:m.start()])
                emit(self._touched_row(r, m.group(1), inner, ra.isdigit()))
                pos = end
                ti += 1
            elif not ra.isdigit():
                # a row without its number: number it, since rows inserted before it
                # would otherwise shift it
                if pos < m.start():
                    emit(data[pos:m.start()])
                emit(_set_attr(m.group(0), "r", str(r)))
                pos = m.end()
        if pos < b:
            emit(data[pos:b])
        self.ti, self.last_r = ti, last_r
