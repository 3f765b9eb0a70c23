"""The Invoice and Packing Slip print sheets: one document at a time, filled into the
layout from `workbook_templates/` (values only; the template carries the styling).

The book never grows a sheet per document: showing another invoice rewrites the same
cells. A sheet missing from a user's book is created plain, with labels.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain import money
from ..domain.models import OrderBook
from . import plan as p
from .raw import split_a1
from .layouts import INVOICE_LAYOUT, PACKING_SLIP_LAYOUT, PrintLayout


class DocumentNotFound(LookupError):
    pass


def _fill(layout: PrintLayout, header: dict[str, Any], lines: list[dict[str, Any]],
          sheet_exists: bool) -> list[p.Op]:
    cells: dict[tuple[int, int], Any] = {}
    for f, addr in layout.fields.items():
        cells[split_a1(addr)] = header.get(f)
    shown = lines
    if len(lines) > layout.max_lines:
        more = len(lines) - layout.max_lines + 1
        first_col = min(layout.line_columns.values())
        shown = lines[: layout.max_lines - 1] + [
            {"__note__": f"... and {more} more lines: see the PDF or the lines sheet"}]
    for i in range(layout.max_lines):
        row = layout.lines_first_row + i
        line = shown[i] if i < len(shown) else {}
        for f, letter in layout.line_columns.items():
            col = split_a1(f"{letter}1")[1]
            cells[(row, col)] = line.get(f)
        if "__note__" in line:
            cells[(row, split_a1(f"{first_col}1")[1])] = line["__note__"]
    if sheet_exists:
        return [p.SetCells(layout.sheet, cells)]
    # A book not made from the template: a plain sheet with labels, one block write.
    for f, addr in layout.fields.items():
        r, c = split_a1(addr)
        if c > 1 and (r, c - 1) not in cells:
            cells[(r, c - 1)] = f.replace("_", " ").title()
    for f, letter in layout.line_columns.items():
        cells[(layout.lines_header_row, split_a1(f"{letter}1")[1])] = f.replace("_", " ").title()
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    grid: list[list[Any]] = [[None] * width for _ in range(height)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    return [p.ReplaceSheet(layout.sheet, grid[0], grid[1:], [], None, None,
                           [14.0, 36.0] + [14.0] * (width - 2))]


def invoice_ops(state: OrderBook, invoice_no: str, sheet_exists: bool = True) -> list[p.Op]:
    inv = next((i for i in state.invoices if i.invoice_no == invoice_no), None)
    if inv is None:
        raise DocumentNotFound(invoice_no)
    cust = next((c for c in state.customers if c.customer_id == inv.customer_id), None)
    s = state.settings
    terms = (cust.payment_terms_days if cust else (inv.due_date - inv.invoice_date).days)
    header = {
        "company_name": s.company_name, "company_address": s.company_address,
        "invoice_no": inv.invoice_no, "invoice_date": inv.invoice_date, "due_date": inv.due_date,
        "currency": inv.currency, "customer_name": inv.customer_name or inv.customer_id,
        "bill_to": (cust.bill_to or cust.ship_to) if cust else "", "customer_id": inv.customer_id,
        "order_id": inv.order_id, "shipment_id": inv.shipment_id, "net": inv.net, "tax": inv.tax,
        "total": inv.total,
        "payment_terms": f"Payment due within {terms} days, by {inv.due_date:%Y-%m-%d}: "
                         f"{money.format_money(inv.total, inv.currency)}",
    }
    lines = [{"sku": il.sku, "description": il.description, "quantity": il.quantity,
              "unit_price": il.unit_price, "net": il.net, "tax_rate": il.tax_rate,
              "tax": il.tax, "total": il.total}
             for il in state.invoice_lines if il.invoice_no == invoice_no]
    return _fill(INVOICE_LAYOUT, header, lines, sheet_exists)


def packing_slip_ops(state: OrderBook, shipment_id: str, sheet_exists: bool = True) -> list[p.Op]:
    shp = next((x for x in state.shipments if x.shipment_id == shipment_id), None)
    if shp is None:
        raise DocumentNotFound(shipment_id)
    cust = next((c for c in state.customers if c.customer_id == shp.customer_id), None)
    products = {x.sku: x for x in state.products}
    bins = {(x.sku, x.warehouse): x.bin for x in state.inventory}
    s = state.settings
    header = {
        "company_name": s.company_name, "company_address": s.company_address,
        "shipment_id": shp.shipment_id, "order_id": shp.order_id, "planned_on": shp.planned_on,
        "shipped_on": shp.shipped_on, "carrier": shp.carrier, "service": shp.service,
        "weight": Decimal(shp.weight), "customer_name": (cust.name if cust else shp.customer_id),
        "ship_to": cust.ship_to if cust else "", "country": shp.country,
    }
    lines = [{"sku": sl.sku, "description": products[sl.sku].description if sl.sku in products
              else "", "quantity": sl.quantity, "bin": bins.get((sl.sku, sl.warehouse), "")}
             for sl in state.shipment_lines if sl.shipment_id == shipment_id]
    return _fill(PACKING_SLIP_LAYOUT, header, lines, sheet_exists)


def document_ops(state: OrderBook, doc_id: str, existing_sheets: set[str]) -> list[p.Op]:
    """Ops that show invoice or shipment `doc_id` on its print sheet."""
    doc = doc_id.strip()
    if any(i.invoice_no == doc for i in state.invoices):
        return invoice_ops(state, doc, INVOICE_LAYOUT.sheet in existing_sheets)
    if any(x.shipment_id == doc for x in state.shipments):
        return packing_slip_ops(state, doc, PACKING_SLIP_LAYOUT.sheet in existing_sheets)
    raise DocumentNotFound(doc)
