"""Write small literal order books to .xlsx for whole-run tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.table import Table

HEAD = {
    "Orders": ["Order ID", "Line", "Order Date", "Customer ID", "SKU", "Quantity", "Unit Price",
               "Requested Date", "Priority", "Warehouse", "Ship Method", "Notes"],
    "Products": ["SKU", "Description", "List Price", "Weight", "Tax Class", "Active"],
    "Inventory": ["SKU", "Warehouse", "On Hand", "Bin"],
    "Customers": ["Customer ID", "Name", "Email", "Country", "Currency", "Credit Limit",
                  "Payment Terms Days", "Discount %", "Tax Exempt", "On Hold", "Ship To",
                  "Bill To"],
    "Settings": ["Key", "Value"],
}


def write_book(path: Path, sheets: dict[str, list[list[Any]]], tables: bool = False) -> Path:
    """`sheets[name]` = header row + data rows (header defaults from HEAD when the first
    row is not a header: pass rows only and the standard header is used)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        if name in HEAD and (not rows or rows[0] != HEAD[name]):
            rows = [HEAD[name]] + rows
        for r in rows:
            ws.append(r)
        if tables and len(rows) > 1:
            ref = f"A1:{ws.cell(1, len(rows[0])).column_letter}{len(rows)}"
            ws.add_table(Table(displayName="tbl" + name.replace(" ", ""), ref=ref))
    wb.save(path)
    return path


D1 = dt.date(2026, 11, 2)


def basic_book(path: Path, orders: list[list[Any]] | None = None, **extra) -> Path:
    """Two products, two customers, stock in MAIN; orders default to one good order."""
    sheets = {
        "Orders": orders if orders is not None else [
            ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, "first"],
        ],
        "Products": [["A-100", "Widget", 10, 1.5, "standard", "Yes"],
                     ["B-200", "Gadget", 25.5, 2, "standard", "Yes"],
                     ["Z-999", "Old thing", 5, 1, "standard", "No"]],
        "Inventory": [["A-100", "MAIN", 10, "A-01"], ["B-200", "MAIN", 3, "B-02"]],
        "Customers": [["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No",
                       "1 Main St", "1 Main St"],
                      ["C2", "Beta", "b@x.com", "US", "USD", None, 30, None, "No", "No", "", ""]],
    }
    sheets.update(extra)
    return write_book(path, sheets)


def with_cached_values(book: Path, values: dict[str, str]) -> None:
    """Give formulas openpyxl wrote the values Excel would have calculated and saved."""
    import re
    import zipfile

    data = {}
    with zipfile.ZipFile(book) as z:
        for n in z.namelist():
            data[n] = z.read(n)
    for n, b in data.items():
        if n.startswith("xl/worksheets/sheet"):
            for formula, value in values.items():
                b = re.sub(rb"(<f>" + re.escape(formula.encode()) + rb"</f>)<v\s*/?>(</v>)?",
                           rb"\1<v>" + value.encode() + rb"</v>", b)
            data[n] = b
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in data.items():
            z.writestr(n, b)
