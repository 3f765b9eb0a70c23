"""One touched row merged cell by cell (`_RowMerge.merge_row`): new values put into the
row's own cells or between them, highlights restyled, formulas overwritten only when no
other cell depends on them. Every faster way `sheet_writer` has of writing a row must
give exactly these bytes (tests/book/test_xlsx_writer.py and test_save_fastpaths.py)."""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import islice
from operator import ge
from typing import Any

from .. import plan as p
from ..port import WorkbookError
from ..raw import split_a1
from .cells import _ROW_PREFIXED, _cell_fast
from .styles import CLEAR_TO, is_clear
from .xmltext import _attrs, _set_attr


_SPANS = re.compile(rb"""\sspans=(?:"[^"]*"|'[^']*')""")


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})\d+"')
"""the start of a cell with its reference first, as every writer puts it"""


_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="\w+")?(?:/>|>)')
"""a cell's column and style, in the usual attribute order"""


class _RowMerge:
    """Merging a touched row cell by cell: the plain rule every shortcut of
    `sheet_writer._SheetWriter` must write exactly (a mixin of that class, which holds the
    state these methods use: the edit, styler, prefix and column helpers)."""

    def render(self, r: int, c: int, value: Any, fmt: p.Fmt, base: int,
               action: str | None) -> bytes:
        if action is not None and not is_clear(action):  # a mark: note the fill it covers
            self._note_fill(r, c, base)
        sa = self.styler.sa(base, fmt, value.__class__, action)
        out = _cell_fast(self.letters(c), r, sa, value, self.date1904).encode("utf-8")
        return out if not self.P else _ROW_PREFIXED.sub(rb"<\1" + self.P + rb"\2", out)

    def merge_row(self, r: int, attrs: bytes | None, inner: bytes | None,
                  numbered: bool = True, skip: int = -1, extra: bytes = b"") -> bytes:
        """Row r merged cell by cell. `extra`: cells (of source `skip`, left out of the
        merge) that go after every other cell of the row."""
        edit = self.edit
        vals = edit.row_values(r, skip)
        marks = edit.marks.get(r)
        clears = edit.clears.get(r)
        actions: dict[int, str] = {}
        if clears:
            restore = edit.restore
            for c in clears:
                token = restore.get((r, c))
                actions[c] = "clear" if token is None else CLEAR_TO + token
        if marks:
            for c, (sev, _note) in marks.items():
                actions[c] = sev
        P = self.P
        row_base = 0
        if attrs is not None:
            if b"customFormat" in attrs:
                ra = _attrs(attrs)
                if ra.get("customFormat") in ("1", "true") and ra.get("s", "").isdigit():
                    row_base = int(ra["s"])
            tag = b"<" + P + b"row" + (_SPANS.sub(b"", attrs) if b"spans" in attrs
                                       else attrs) + b">"
            if not numbered:
                tag = _set_attr(tag, "r", str(r))
        else:
            tag = b"<" + P + b"row" + f' r="{r}"'.encode() + b">"
        new_cols = sorted(vals.keys() | actions.keys()) if actions else sorted(vals)
        if inner and not P and new_cols:
            spliced = self._splice(r, inner, new_cols, vals, actions, row_base)
            if spliced is not None:
                return b"".join((tag, spliced, extra, b"</row>"))
        pieces: list[bytes] = [tag]
        ni = 0
        trailer = b""
        if inner:
            prefix_end = self._untouched_prefix(inner, r, new_cols[0]) if new_cols else -1
            if prefix_end == len(inner):
                pieces.append(inner)  # every new cell lies right of the existing ones
                inner = b""
            elif prefix_end > 0:
                pieces.append(inner[:prefix_end])
                inner = inner[prefix_end:]
        if not inner and not actions and not P:
            # the hot path: only values, all new cells, in column order
            sa_of, d1904, letters = self.styler.sa, self.date1904, self._letters
            col_style = self._col_style
            texts = []
            for c in new_cols:
                v, fmt, _only, where = vals[c]
                if where is not None and not row_base:
                    texts.append(self._column_text(where, c))
                    continue
                base = row_base or col_style.get(c)
                if base is None:
                    base = self.col_style(c)
                if v is None and not base:
                    continue
                L = letters.get(c) or self.letters(c)
                texts.append(_cell_fast(L, r, sa_of(base, fmt, v.__class__, None), v, d1904))
            if attrs is None and not texts and not extra:
                return b""
            pieces.append("".join(texts).encode("utf-8"))
            pieces.append(extra)
            pieces.append(b"</row>")
            return b"".join(pieces)
        if inner:
            c = 0
            last_end = 0
            for m in self.lex.any_cell.finditer(inner):
                if ni >= len(new_cols) and not P:
                    rest = inner[m.start():]
                    n_cells = rest.count(b"<c")
                    if n_cells == rest.count(b'<c r="') and rest.endswith((b"</c>", b"/>")) \
                            and rest.count(b"</c><c") + rest.count(b"/><c") == n_cells - 1:
                        # nothing left to merge: the other cells stay as they are
                        pieces.append(rest)
                        last_end = len(inner)
                        break
                letters, digits, sidx, t, other, content = m.groups()
                has_ref = letters is not None
                if has_ref:
                    c = self.col_of(letters)
                    st = int(sidx) if sidx else 0
                else:
                    cr, cc, st, _t = self.lex.cell_attrs(other)
                    has_ref = cc > 0
                    c = cc or c + 1
                while ni < len(new_cols) and new_cols[ni] < c:
                    piece = self._new_cell(r, new_cols[ni], vals, actions, row_base)
                    if piece:
                        pieces.append(piece)
                    ni += 1
                raw = m.group(0)
                if ni < len(new_cols) and new_cols[ni] == c:
                    ni += 1
                    got = vals.get(c)
                    if got is not None and not (got[2] and _has_value(content)):
                        self._check_formula(r, c, content)
                        piece = self.render(r, c, got[0], got[1], st, actions.get(c))
                        if piece:
                            pieces.append(piece)
                    elif c in actions:
                        if not is_clear(actions[c]):
                            self._note_fill(r, c, st)
                        new_s = self.styler.mark(st, actions[c])
                        if new_s != st:
                            raw = self._restyle(raw, new_s)
                        pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                    else:
                        pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                else:
                    pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                last_end = m.end()
            trailer = inner[last_end:]
            if trailer.strip() and not trailer.lstrip().startswith(b"<"):
                trailer = b""
        while ni < len(new_cols):
            piece = self._new_cell(r, new_cols[ni], vals, actions, row_base)
            if piece:
                pieces.append(piece)
            ni += 1
        if extra:
            pieces.append(extra)
        if attrs is None and len(pieces) == 1:
            return b""
        pieces.append(trailer)
        pieces.append(b"</" + P + b"row>")
        return b"".join(pieces)

    def _splice(self, r: int, inner: bytes, new_cols: list[int], vals: dict[int, tuple],
                actions: dict[int, str], row_base: int) -> bytes | None:
        """The cells `merge_row` writes for a row whose own cells are the usual kind
        (`<c r="A7"...`, back to back, in column order, no formula), found by position
        instead of parsed one by one: each new column's cell is swapped in (or restyled,
        for a mark) where the row has one, else put between its neighbours; every other
        byte stays. Orders rows with a highlighted cell or a filled-in Line number, and
        Inventory rows whose On Hand changed, are merged this way. None when the row is
        not that simple (or when `merge_row` takes its appending path)."""
        n = inner.count(b"<c")
        if inner.count(b"</c><c") + inner.count(b"/><c") != n - 1 or b"<f" in inner or \
                not inner.startswith(b'<c r="') or not inner.endswith((b"</c>", b"/>")):
            return None
        refs = _CELL_REF.findall(inner)
        cols = list(map(self._cols.get, refs))
        if None in cols:
            cols = list(map(self.col_of, refs))
        if len(cols) != n or any(map(ge, cols, islice(cols, 1, None))):
            return None  # a cell written another way, or cells out of column order
        if not actions and cols[-1] < new_cols[0]:
            return None  # all new cells go after the row's own: `merge_row` appends them
        row = b'%d"' % r

        def start(i: int) -> int:  # where cell i begins (the row's end for i = n)
            return inner.find(b'<c r="' + refs[i] + row) if i < n else len(inner)

        pieces: list[bytes] = []
        at = 0  # bytes of `inner` already in `pieces`
        for c in new_cols:
            i = bisect_left(cols, c)
            cut = start(i)
            if cut < at:
                return None  # a cell numbered for another row
            pieces.append(inner[at:cut])
            at = cut
            if i == n or cols[i] != c:  # a cell the row does not have yet
                pieces.append(self._new_cell(r, c, vals, actions, row_base))
                continue
            at = start(i + 1)
            if at < cut:
                return None  # the next cell numbered for another row
            cell = inner[cut:at]
            m = _PLAIN_CELL.match(cell)
            if m is None:
                return None  # attributes in another order: merged cell by cell
            st = int(m.group(2)) if m.group(2) else 0
            got = vals.get(c)
            if got is not None:
                if got[2]:
                    return None  # written only into an empty cell: merged cell by cell
                pieces.append(self.render(r, c, got[0], got[1], st, actions.get(c)))
            else:
                if not is_clear(actions[c]):
                    self._note_fill(r, c, st)
                new_s = self.styler.mark(st, actions[c])
                pieces.append(cell if new_s == st else _restyle_plain(cell, m, new_s))
        pieces.append(inner[at:])
        return b"".join(pieces)

    def _untouched_prefix(self, inner: bytes, r: int, first_col: int) -> int:
        """Length of the leading run of `inner` holding only cells left of `first_col`
        (copied without parsing): all of it when the last cell lies left of it and
        nothing follows; -1 when unsure."""
        k = inner.rfind(b"<" + self.P + b"c")
        while k >= 0 and not self._cell_at.match(inner, k):
            k = inner.rfind(b"<" + self.P + b"c", 0, k)
        if k < 0:
            return -1
        m = self.lex.any_cell.match(inner, k)
        if m is None or m.group(1) is None:
            return -1
        if self.col_of(m.group(1)) < first_col:
            return len(inner) if not inner[m.end():].strip() else -1
        probe = b"<" + self.P + b'c r="' + self.letters(first_col).encode() + str(r).encode() \
            + b'"'
        k = inner.find(probe)
        return k if k > 0 else -1

    def _new_cell(self, r: int, c: int, vals, actions, row_base: int) -> bytes:
        base = row_base or self.col_style(c)
        got = vals.get(c)
        if got is not None:
            v, where, action = got[0], got[3], actions.get(c)
            if where is not None and action is None and not row_base and not self.P and (
                    (v is None and not base) or
                    (v is not None and (v.__class__ is not str or v))):
                # the column's own rendering, as the other rows of the chunk have it
                return self._column_text(where, c).encode("utf-8")
            return self.render(r, c, v, got[1], base, action)
        action = actions.get(c)
        if action is None or is_clear(action):  # nothing there to clear
            return b""
        return self.render(r, c, None, None, base, action)

    def _note_fill(self, r: int, c: int, s: int) -> None:
        """Remember the fill of cell (r, c), style `s`, as it is marked: the user's own,
        put back when the mark goes. A cell already showing a mark keeps what was noted
        when it was first marked (`render._marks` passes that on)."""
        if (r, c) not in self.fills and not self.styler.is_ours(s):
            self.fills[(r, c)] = self.styler.styles.fill_token(s)

    def _restyle(self, raw: bytes, s: int) -> bytes:
        k = raw.find(b">")
        tag = raw[:k + 1]
        new = _set_attr(tag, "s", str(s)) if s else _set_attr(tag, "s", None)
        return new + raw[k + 1:]

    def _with_ref(self, raw: bytes, r: int, c: int) -> bytes:
        k = raw.find(b">")
        return _set_attr(raw[:k + 1], "r", f"{self.letters(c)}{r}") + raw[k + 1:]

    def _check_formula(self, r: int, c: int, content: bytes | None) -> None:
        """Overwriting a formula cell: the calc chain must go; a shared formula's master
        must not leave other cells pointing at nothing."""
        if not content or b"<" + self.P + b"f" not in content:
            return
        self.formula_removed = True
        fm = re.search(rb"<" + re.escape(self.P) + rb"f(\s[^>]*)?/?>", content)
        if not fm or not fm.group(1):
            return
        fa = _attrs(fm.group(1))
        if fa.get("t") != "shared" or not fa.get("ref"):
            return
        try:
            a_, _, b_ = fa["ref"].partition(":")
            (r1, c1), (r2, c2) = split_a1(a_), split_a1(b_ or a_)
        except ValueError:
            return
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 2_000_000:
            bad = True
        else:
            bad = any(not self.edit.covered(rr, cc) for rr in range(r1, r2 + 1)
                      for cc in range(c1, c2 + 1) if (rr, cc) != (r, c))
        if bad:
            raise WorkbookError(
                f"{self.name}!{self.letters(c)}{r} holds a shared formula that cells "
                f"outside ordersheet's columns still use ({fa['ref']}); ordersheet will "
                "not break it: move that formula out of the column and run again")


def _restyle_plain(cell: bytes, m: re.Match, s: int) -> bytes:
    """`_SheetWriter._restyle` of a cell whose start tag `_PLAIN_CELL` matched (`m`),
    by slicing: the style's digits swapped, or its attribute dropped (s = 0) or put last
    in the tag, where `_set_attr` puts a new attribute."""
    if m.group(2) is not None:
        if not s:
            return cell[:m.start(2) - 4] + cell[m.end(2) + 1:]  # ' s="N"' dropped
        return b"%s%d%s" % (cell[:m.start(2)], s, cell[m.end(2):])
    end = m.end() - (2 if cell[m.end() - 2:m.end()] == b"/>" else 1)
    return b'%s s="%d"%s' % (cell[:end], s, cell[end:]) if s else cell


def _has_value(content: bytes | None) -> bool:
    if not content:
        return False
    return re.search(rb"<(?:[\w.\-]+:)?(?:v|is|f)(?=[\s/>])", content) is not None and \
        re.fullmatch(rb"\s*<(?:[\w.\-]+:)?v\s*/>\s*|\s*<(?:[\w.\-]+:)?v>\s*</(?:[\w.\-]+:)?v>\s*",
                     content) is None
