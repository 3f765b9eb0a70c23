"""The sheet contract's types: a column (`Col`) and a sheet (`SheetSpec`)."""

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
