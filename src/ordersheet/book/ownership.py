"""Which sheets and columns are ordersheet's to write.

ordersheet writes only into sheets and columns it created (remembered in
`_ordersheet_records`, see `book.state`). A sheet or column of the user's that happens to
carry one of its names is left alone: ordersheet adds its own beside it, named
`Total (ordersheet)` or `Issues (ordersheet)`, and says so (`column_name_taken`,
`sheet_name_taken`).

Two kinds of book have no such record yet, and are read as they always were:
- a book an earlier ordersheet processed (it has an Audit Log): every sheet and column
  with one of ordersheet's names is ordersheet's;
- a new book: a sheet that reads as one of ordersheet's (its required columns are there,
  say invoices typed in before ordersheet) is taken over; any other is the user's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.issues import Issue, warning
from . import schema as s
from .layouts import INVOICE_SHEET, PACKING_SLIP_SHEET
from .raw import a1
from .state import ToolState

SUFFIX = " (ordersheet)"
VIEW_SHEETS = (s.ISSUES.name, s.PICK_LIST.name, INVOICE_SHEET, PACKING_SLIP_SHEET,
               s.CUSTOMER_UPDATES.name, s.AR_AGING.name)
"""Sheets ordersheet rebuilds from its records each time: never read back."""
TOOL_SHEETS = VIEW_SHEETS + (s.RESERVATIONS.name, s.SHIPMENTS.name, s.SHIPMENT_LINES.name,
                             s.INVOICES.name, s.INVOICE_LINES.name, s.STOCK_LEDGER.name,
                             s.AUDIT_LOG.name, s.COMMUNICATION_LOG.name, s.RECONCILIATION.name)
REPORT_SHEETS = ("Dashboard", "Reorder", "Bottlenecks")
"""The report's views (`book.dashboard`), decided only by a report (a user's own Reorder
sheet is not mentioned by every run); newer than every book without ordersheet's records,
so a sheet of one of these names there is always the user's."""
MAX_SHEET_NAME = 31


def distinct(name: str, taken: set[str], limit: int | None = None) -> str:
    """`name (ordersheet)`, or `name (ordersheet 2)` ... not in `taken` (compared
    case-insensitively, as Excel compares sheet names)."""
    lower = {t.casefold() for t in taken}
    k = 1
    while True:
        tail = SUFFIX if k == 1 else f" (ordersheet {k})"
        cand = (name[: limit - len(tail)] if limit else name) + tail
        if cand.casefold() not in lower:
            return cand
        k += 1


@dataclass
class Ownership:
    """Decides, and remembers in `state`, where ordersheet's sheets and columns are."""

    state: ToolState
    legacy: bool
    workbook: set[str]
    """Every sheet name in the book."""
    issues: list[Issue] = field(default_factory=list)
    _out: dict[str, str] = field(default_factory=dict)

    def find(self, name: str) -> str | None:
        """The book's own name of a sheet named like `name` (as a header is matched)."""
        if name in self.workbook:
            return name
        want = s.norm(name)
        return next((w for w in sorted(self.workbook) if s.norm(w) == want), None)

    def sheet_of(self, name: str) -> str | None:
        """The sheet ordersheet keeps contract sheet `name` on, if it has one in the book."""
        real = self.state.sheets.get(name)
        if real is not None:
            return real if real in self.workbook else None
        if self.legacy:
            return self.find(name)
        return None

    def take(self, name: str, real: str) -> None:
        """The user's sheet `real` is taken over as ordersheet's sheet `name`."""
        self.state.sheets[name] = real
        self._out[name] = real

    def out(self, name: str) -> str:
        """The name to write contract sheet `name` under, remembered as ordersheet's."""
        real = self.decide(name)
        self.state.sheets[name] = real
        return real

    def decide(self, name: str) -> str:
        """The name contract sheet `name` is (or would be) written under: decided once per
        run, before anything is written, so the reason is on the Issues sheet."""
        got = self._out.get(name)
        if got is not None:
            return got
        real = self.state.sheets.get(name)
        if real is None and self.legacy and name not in REPORT_SHEETS:
            real = self.find(name)
        if real is None:
            existing = self.find(name)
            if existing is None:
                real = name
            else:
                real = distinct(name, self.workbook | set(self._out.values()),
                                MAX_SHEET_NAME)
                self.issues.append(warning(
                    "sheet_name_taken", existing, "",
                    f"the sheet '{existing}' is not ordersheet's, so it is left as it is; "
                    f"ordersheet writes its {name} sheet as '{real}'"))
        self._out[name] = real
        return real

    def column(self, sheet: str, header: str, layout: s.SheetLayout,
               register: bool = True) -> tuple[str, int | None]:
        """(header ordersheet's column `header` has on `sheet`, its column if it is there).
        A column of the user's with that header is not ordersheet's: its own is then
        written as `header (ordersheet)`."""
        written = self.state.column(sheet, header)
        if written is not None:
            return written, layout.headers.get(s.norm(written))
        found = layout.headers.get(s.norm(header))
        if found is None or self.legacy:
            written = header
        else:
            written = _distinct_header(header, layout)
            if register:
                self.issues.append(warning(
                    "column_name_taken", layout.name, a1(layout.header_row, found),
                    f"the column '{header}' is yours, so ordersheet leaves it as it is and "
                    f"writes its own {header} in the column '{written}'"))
            found = layout.headers.get(s.norm(written))
        if register:
            self.state.columns.setdefault(sheet, {})[header] = written
        return written, found


def _distinct_header(header: str, layout: s.SheetLayout) -> str:
    k = 1
    while True:
        cand = header + (SUFFIX if k == 1 else f" (ordersheet {k})")
        if s.norm(cand) not in layout.headers:
            return cand
        k += 1


def sheet_reads_as(raw: Any, spec: s.SheetSpec) -> bool:
    """Does the user's sheet `raw` have every required column of `spec`?"""
    have = {s.norm(h) for h in raw.header}
    return all(s.norm(c.header) in have for c in spec.cols if c.required)


__all__ = ["Ownership", "distinct", "sheet_reads_as", "SUFFIX", "VIEW_SHEETS"]
