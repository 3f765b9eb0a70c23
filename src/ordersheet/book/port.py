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

    def apply(self, plan: WritePlan) -> None:
        """Apply every operation of the plan, one block write per operation."""


class WorkbookError(Exception):
    """The workbook cannot be read or written safely (CLI exit 2)."""


OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def sniff_file(path) -> None:
    """Refuse files that cannot be an .xlsx workbook, with a message a person understands."""
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise WorkbookError(f"{p}: no such file")
    if p.is_dir():
        raise WorkbookError(f"{p}: is a folder, not a workbook")
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise WorkbookError(f"{p}: cannot open ({e.strerror})")
    if head.startswith(OLE_MAGIC):
        raise WorkbookError(f"{p}: is password-protected or an old .xls file; "
                            "save it as an unprotected .xlsx workbook")
    if not head.startswith(b"PK"):
        raise WorkbookError(f"{p}: is not an .xlsx workbook")
