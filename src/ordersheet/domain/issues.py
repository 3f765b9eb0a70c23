"""Issues: every problem ordersheet finds, as data with a stable code and a cell address.

An Issue prints like a compiler error (`Orders!E7: quantity must be ...`) and is what the
CLI lists, the Issues sheet holds and Excel shows as a cell note.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    ERROR = "Error"
    WARNING = "Warning"


class Issue(BaseModel):
    """One problem: where it is (sheet + A1 cell), how bad, which rule, which order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    severity: Severity
    sheet: str
    cell: str = ""
    order_id: str = ""
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def error(code: str, sheet: str, cell: str, message: str, order_id: str = "") -> Issue:
    return Issue(code=code, severity=Severity.ERROR, sheet=sheet, cell=cell,
                 order_id=order_id, message=message)


def warning(code: str, sheet: str, cell: str, message: str, order_id: str = "") -> Issue:
    return Issue(code=code, severity=Severity.WARNING, sheet=sheet, cell=cell,
                 order_id=order_id, message=message)


def sort_issues(issues: list[Issue]) -> list[Issue]:
    """Errors first, then by sheet and row order as a person reads them."""

    def key(i: Issue):
        letters = "".join(c for c in i.cell if c.isalpha())
        digits = "".join(c for c in i.cell if c.isdigit())
        col = 0
        for ch in letters:
            col = col * 26 + (ord(ch.upper()) - 64)
        return (0 if i.is_error else 1, i.sheet, int(digits or 0), col, i.code)

    return sorted(issues, key=key)
