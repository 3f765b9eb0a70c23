"""The small interface every workbook engine implements (xlwings' engine idea: one thin
front, interchangeable engines chosen at the edge)."""

from __future__ import annotations

from typing import Protocol

from .plan import WritePlan
from .raw import RawSheet


class WorkbookPort(Protocol):
    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        """Read the data block of each named sheet (all sheets when None), each sheet once."""

    def row_counts(self, names: list[str]) -> dict[str, int]:
        """For each named sheet, the number of data rows `read` would give it
        (`len(read([name])[name].rows)`): for the log sheets ordersheet only appends to.
        An engine that can count without converting every cell does; the others read."""

    def apply(self, plan: WritePlan) -> None:
        """Apply every operation of the plan, one block write per operation."""


def rows_by_reading(port: WorkbookPort, names: list[str]) -> dict[str, int]:
    """`row_counts` for an engine that cannot count without reading the sheets (and for a
    port that has no `row_counts` at all)."""
    return {name: len(raw.rows) for name, raw in port.read(names).items()}


class WorkbookError(Exception):
    """The workbook cannot be read or written safely (CLI exit 2)."""

