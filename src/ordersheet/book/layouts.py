"""Print layouts of the Invoice and Packing Slip sheets: which cell holds which field.

Kept apart from `templates` (which draws them with openpyxl) so the renderer, which also
runs inside xlwings Lite, needs no spreadsheet library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .plan import NUMBER_FORMATS

INVOICE_SHEET = "Invoice"
PACKING_SLIP_SHEET = "Packing Slip"


@dataclass(frozen=True)
class PrintLayout:
    """Where each field of one printed document goes on its print sheet.

    `fields` maps a header field to its cell (`"invoice_no": "H3"`); `line_columns` maps a
    line field to its column letter; line i (0-based) of the document is written on row
    `lines_first_row + i`, at most `max_lines` lines. An invoice's tax summary is a second,
    smaller table laid out the same way (`summary_*`). The template styles every cell and
    writes every label; the renderer writes values only (and clears the unused rows).

    The summary's cells have no number format: a book made from a template older than the
    summary has General there, so they are written as the document's text, which reads the
    same under any format."""

    sheet: str
    fields: Mapping[str, str]
    lines_first_row: int
    line_columns: Mapping[str, str]
    max_lines: int
    print_area: str
    formats: Mapping[str, str]
    """field (header or line) -> Excel number format the template gives its cells."""
    summary_first_row: int = 0
    summary_columns: Mapping[str, str] = field(default_factory=dict)
    max_summary: int = 0
    title_cell: str = ""
    """Where the template prints the document's title (INVOICE): written on every show,
    so a credit note says CREDIT NOTE there and the next invoice INVOICE again."""

    @property
    def lines_header_row(self) -> int:
        return self.lines_first_row - 1

    @property
    def lines_last_row(self) -> int:
        return self.lines_first_row + self.max_lines - 1

    def line_cell(self, field: str, i: int) -> str:
        """A1 address of line field `field` on line `i` (0-based)."""
        if not 0 <= i < self.max_lines:
            raise IndexError(f"line {i} is outside the {self.max_lines} lines of {self.sheet}")
        return f"{self.line_columns[field]}{self.lines_first_row + i}"


_MONEY = NUMBER_FORMATS["money"]
_DATE = NUMBER_FORMATS["date"]

INVOICE_LAYOUT = PrintLayout(
    sheet=INVOICE_SHEET,
    fields={
        "company_name": "A1", "company_address": "A2",
        "company_tax_id": "B5", "company_email": "B6",
        "invoice_no": "H3", "invoice_date": "H4", "due_date": "H5", "currency": "H6",
        "customer_name": "A8", "bill_to": "A9", "customer_tax_id": "B12",
        "customer_id": "H8", "order_id": "H9", "shipment_id": "H10",
        "shipped_on": "H11", "tracking_no": "H12",
        "net": "H45", "tax": "H46", "total": "H47",
        "payment_terms": "A50", "bank_details": "A53",
    },
    lines_first_row=14,
    line_columns={"sku": "A", "description": "B", "quantity": "C", "unit_price": "D",
                  "net": "E", "tax_rate": "F", "tax": "G", "total": "H"},
    max_lines=30,
    print_area="A1:H55",
    formats={"invoice_date": _DATE, "due_date": _DATE, "shipped_on": _DATE, "net": _MONEY, "tax": _MONEY,
             "total": _MONEY, "quantity": "0", "unit_price": NUMBER_FORMATS["price"],
             "tax_rate": NUMBER_FORMATS["pct"]},
    summary_first_row=46,
    summary_columns={"rate": "C", "net": "D", "tax": "E"},
    max_summary=3,
    title_cell="F1",
)
PACKING_SLIP_LAYOUT = PrintLayout(
    sheet=PACKING_SLIP_SHEET,
    fields={
        "company_name": "A1", "company_address": "A2",
        "shipment_id": "D3", "order_id": "D4", "planned_on": "D5", "shipped_on": "D6",
        "carrier": "D7", "service": "D8", "weight": "D9",
        "customer_id": "D10", "warehouse": "D11", "tracking_no": "D12",
        "customer_name": "A7", "ship_to": "A8", "country": "A10",
        "contents": "A44",
    },
    lines_first_row=14,
    line_columns={"sku": "A", "description": "B", "quantity": "C", "bin": "D",
                  "ordered": "E", "notes": "F"},
    max_lines=30,
    print_area="A1:F46",
    formats={"planned_on": _DATE, "shipped_on": _DATE, "weight": "0.00", "quantity": "0",
             "ordered": "0"},
)
