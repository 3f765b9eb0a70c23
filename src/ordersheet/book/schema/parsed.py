"""A sheet as read: where its columns are (`SheetLayout`) and its rows as records
(`ParsedSheet`, `Records`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Iterator, Sequence

from ...domain.issues import Issue
from .spec import SheetSpec


@dataclass
class SheetLayout:
    """Where a sheet's columns are, so results can be written back beside them."""

    name: str
    header_row: int
    first_col: int
    n_rows: int
    columns: dict[str, int] = field(default_factory=dict)
    """field -> 1-based Excel column."""
    headers: dict[str, int] = field(default_factory=dict)
    """normalised header -> 1-based Excel column (every column of the block)."""
    last_col: int = 0
    table: str | None = None

    def excel_row(self, i: int) -> int:
        return self.header_row + 1 + i


class Same(Sequence):
    """`n` times the same value (a column a sheet does not have: every row gets its default)."""

    __slots__ = ("value", "n")

    def __init__(self, value: Any, n: int):
        self.value, self.n = value, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.value] * len(range(*i.indices(self.n)))
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.value

    def __iter__(self) -> Iterator[Any]:
        return repeat(self.value, self.n)


class Records(Sequence):
    """The rows of a parsed sheet as dicts (field -> value, plus `row`, `cols` and `_i`),
    made afresh from the columns each time they are iterated: a 100,000-line sheet never
    holds 100,000 dicts at once, and a caller may pop keys from the dict it is given."""

    __slots__ = ("_keys", "_cols", "_n")

    def __init__(self, keys: tuple[str, ...], cols: tuple[Sequence[Any], ...], n: int):
        self._keys, self._cols, self._n = keys, cols, n

    def __len__(self) -> int:
        return self._n

    @property
    def by_column(self) -> dict[str, Sequence[Any]]:
        """The same rows as columns: key -> one value per row (what the dicts are made of)."""
        return dict(zip(self._keys, self._cols))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self._keys
        for values in zip(*self._cols):
            yield dict(zip(keys, values))

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return dict(zip(self._keys, (c[i] for c in self._cols)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Records, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Records({len(self)} rows: {', '.join(self._keys)})"


@dataclass
class ParsedSheet:
    spec: SheetSpec
    layout: SheetLayout
    records: Sequence[dict[str, Any]]
    """one dict per non-blank row: field -> value, plus 'row' (Excel row), 'cols' (field ->
    column letter, shared) and '_i' (index into the raw rows); see `Records`."""
    bad_rows: set[int]
    issues: list[Issue]
    usable: bool = True
    """False when a required column is missing: no row of this sheet can be trusted."""
    extra_cols: dict[str, int] = field(default_factory=dict)
    columns: dict[str, Sequence[Any]] = field(default_factory=dict)
    """The same values by column: field -> one value per record, in record order (every
    field of the spec, and each extra column the sheet has)."""
    index: Sequence[int] = ()
    """For each record, its index in the raw rows (`_i`; Excel row = header_row + 1 + i)."""
