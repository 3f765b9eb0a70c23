"""The small interface every workbook engine implements (xlwings' engine idea: one thin
front, interchangeable engines chosen at the edge).

An engine subclasses `WorkbookPort` and implements `sheet_names`, `read` and `apply`. It
may also offer what it can do better than reading every sheet whole, by overriding a
capability whose default does it the plain way: `reading` (the sheets handed over one at
a time, the xlsx engine parses the next ones meanwhile). Callers use the capabilities as
declared here and never ask an engine what it has."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from collections.abc import Mapping

from .plan import WritePlan
from .raw import RawSheet


class WorkbookPort:
    # ---- what every engine implements ---------------------------------------------------

    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""
        raise NotImplementedError

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        """Read the data block of each named sheet (all sheets when None), each sheet once."""
        raise NotImplementedError

    def apply(self, plan: WritePlan) -> None:
        """Apply every operation of the plan, one block write per operation."""
        raise NotImplementedError

    # ---- what an engine may do better: the defaults read ---------------------------------

    def reading(self, names: list[str] | None = None
                ) -> AbstractContextManager[Mapping[str, RawSheet]]:
        """`read`'s sheets as a mapping inside a `with` block, so an engine can convert
        each sheet when it is looked up while it parses the others, and end that work when
        the block ends. By default: `read(names)`, all at once."""
        return nullcontext(self.read(names))



class WorkbookError(Exception):
    """The workbook cannot be read or written safely (CLI exit 2)."""
