"""What every engine hands to `schema`: plain cell values of one sheet, with position.

Engines convert their library's cells to these Python values only: None (empty), str,
bool, int, float, `datetime.date`/`datetime.datetime`, or `CellError` for `#N/A`-style
error cells. Nothing else crosses this line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CellError:
    """An Excel error value such as `#N/A` or `#REF!`."""

    text: str = "#N/A"

    def __str__(self) -> str:
        return self.text


@dataclass
class RawSheet:
    """The data block of one sheet: its Excel Table if it has one, else the block under the
    first non-empty row. `header_row` and `first_col` are 1-based Excel positions;
    `rows[i]` is Excel row `header_row + 1 + i`."""

    name: str
    header_row: int
    first_col: int
    header: list[Any]
    rows: list[list[Any]]
    table: str | None = None
    last_col: int = 0
    """Rightmost used column of the whole sheet (1-based), for placing new columns."""
    extra: dict[str, Any] = field(default_factory=dict)


def col_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def a1(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


def split_a1(ref: str) -> tuple[int, int]:
    """`E7` -> (7, 5)."""
    ref = ref.replace("$", "")
    letters = "".join(c for c in ref if c.isalpha())
    digits = "".join(c for c in ref if c.isdigit())
    return int(digits), col_index(letters)


def _empty(v: Any) -> bool:
    return v is None or (v.__class__ is str and not v.strip())


TITLE_ROWS = 10
"""How many rows of titles (one filled cell each) may stand above a sheet's header."""


def _filled(row: list[Any]) -> int:
    return sum(1 for v in row if not _empty(v))


def _past_titles(grid: list[list[Any]], h: int) -> int:
    """The header row at or below `h`, the first non-empty row: a sheet may carry a title
    ("Orders 2026", one filled cell, often merged across) and a blank line or a subtitle
    above its header. Rows with one filled cell are skipped when a row with two or more
    follows within TITLE_ROWS; otherwise the first non-empty row is the header."""
    k = h
    while k < len(grid) and k - h < TITLE_ROWS:
        n = _filled(grid[k])
        if n >= 2:
            return k
        k += 1
    return h


WHOLE_GRID_SHEETS = frozenset({"bankstatement"})
"""Sheets read as pasted (the Bank Statement: a bank's preamble lines above its header),
whose whole grid is kept in `extra["grid"]`: the block under the first row would cut the
columns that row does not reach."""


def keep_whole_grid(raw: RawSheet, grid: list[list[Any]]) -> RawSheet:
    if "".join(raw.name.split()).lower() in WHOLE_GRID_SHEETS:
        raw.extra["grid"] = grid
    return raw


def block_from_grid(name: str, grid: list[list[Any]], origin_row: int = 1, origin_col: int = 1,
           table: str | None = None) -> RawSheet:
    """Find the header (first non-empty row, past any title rows) and the data rows under
    it in a grid whose top-left cell is (origin_row, origin_col). Trailing empty rows and columns are cut.
    Linear with small constants (it runs on 100,000-row sheets); rows are shared with
    `grid` where no padding is needed."""
    width = max(map(len, grid), default=0)
    last_col = origin_col - 1
    for j in range(width - 1, -1, -1):
        if any(j < len(r) and not _empty(r[j]) for r in grid):
            last_col = origin_col + j
            break
    h = 0
    while h < len(grid) and all(_empty(v) for v in grid[h]):
        h += 1
    if h == len(grid):
        return RawSheet(name, origin_row, origin_col, [], [], table, last_col)
    h = _past_titles(grid, h)
    header = list(grid[h])
    first = 0
    while first < len(header) and _empty(header[first]):
        first += 1
    end = len(header)
    while end > first and _empty(header[end - 1]):
        end -= 1
    n = end - first
    rows = []
    for r in grid[h + 1:]:
        if first == 0 and len(r) == n:
            rows.append(r)
        else:
            piece = r[first:end]
            if len(piece) < n:
                piece = piece + [None] * (n - len(piece))
            rows.append(piece)
    while rows and all(_empty(v) for v in rows[-1]):
        rows.pop()
    return RawSheet(name, origin_row + h, origin_col + first, header[first:end], rows,
                    table, last_col)
