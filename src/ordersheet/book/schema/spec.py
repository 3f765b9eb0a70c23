"""The sheet contract's types: a column (`Col`) and a sheet (`SheetSpec`), and how wide a
column is wherever ordersheet writes it (`column_width`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .coerce import to_text


@dataclass(frozen=True)
class Col:
    field: str
    header: str
    parse: Callable[[Any], Any] = to_text
    required: bool = False
    default: Any = None
    fmt: str | None = None
    """Excel number format for writing ("date", "money", "int", "pct", "text")."""
    also: tuple[str, ...] = ()
    """Other headers the column is found under when its own is absent (`Qty` for
    Quantity), in order of preference: the names other systems export it under, each one
    unambiguous on its sheet (README "Headers from other systems")."""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    cols: tuple[Col, ...]
    key: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def col(self, field_name: str) -> Col:
        for c in self.cols:
            if c.field == field_name:
                return c
        raise KeyError(field_name)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.cols]


T, D, MNY = "text", "date", "money"


WIDTH_OF_FIELD: dict[str, int] = {
    # what the cells typically hold
    "description": 40, "customer_name": 30, "name": 30, "email": 30, "ship_to": 44,
    "bill_to": 44, "notes": 40, "reference": 32, "reason": 28, "explain": 50,
    "message": 90, "details": 70,
    # tool columns: a status word, one or more document numbers, an issue code
    "status": 20, "shipment": 22, "invoice": 22, "code": 26, "sheet": 16, "severity": 10,
    "order_id": 14, "shipment_id": 13, "invoice_no": 13, "sku": 14, "tracking_no": 20,
    "carrier": 14, "service": 14, "operation": 12, "user": 14, "currency": 10,
}
"""Columns whose content has a typical width, by field (wherever the field appears)."""
WIDTH_OF_FORMAT: dict[str, int] = {
    "date": 13, "datetime": 20, "money": 14, "price": 14, "pct": 11, "int": 10, "text": 40,
}
"""Every other column, by its number format: `yyyy-mm-dd hh:mm:ss` needs 20 characters
where Excel's default 8.43 shows `###`, `#,##0.00` up to 9,999,999.99 needs 14."""


def column_width(col: Col, header: str | None = None) -> float:
    """The width (in characters) of column `col` under `header` (default: its own) on the
    template's sheets, on ordersheet's own sheets and for the columns it adds to Orders and
    Inventory: by field, else by number format, else 12; never narrower than the header."""
    base = WIDTH_OF_FIELD.get(col.field) or WIDTH_OF_FORMAT.get(col.fmt or "", 12)
    return float(max(base, len(header if header is not None else col.header) + 4))
