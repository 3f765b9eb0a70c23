"""Validation of order lines and master data (CONTRACT §4 "Validation", §6 codes).

Every check runs on every row: one bad row never hides the next. An order with any
error-severity issue is `Invalid` as a whole; every other order goes on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .issues import Issue, error
from .models import OrderBook, OrderLine

CANCELLED = "Cancelled"

_ROW_OF_CELL = re.compile(r"\d+$")


@dataclass(frozen=True)
class Validated:
    lines: tuple[OrderLine, ...]
    """Every order line, with Line numbers filled in."""
    invalid_orders: frozenset[str]
    invalid_rows: frozenset[int]
    """Excel rows that are invalid on their own (no Order ID to attach them to)."""
    numbered: frozenset[int]
    """Excel rows whose Line number ordersheet assigned (to write back)."""
    issues: tuple[Issue, ...]

    def is_valid(self, line: OrderLine) -> bool:
        return (line.order_id not in self.invalid_orders and line.row not in self.invalid_rows
                and line.status_in != CANCELLED)


def number_lines(lines: tuple[OrderLine, ...], skip_rows: frozenset[int] | set[int] = frozenset()
                 ) -> tuple[tuple[OrderLine, ...], frozenset[int]]:
    """Give lines without a Line number the next free number of their order, in sheet
    order. (Order ID, Line) then identifies a line for good, whatever the sorting.
    Rows in `skip_rows` (cells that failed to read, e.g. Line "abc") are left alone."""
    used: dict[str, set[int]] = defaultdict(set)
    for ln in lines:
        if isinstance(ln.line, int):
            used[ln.order_id].add(ln.line)
    out, numbered = [], set()
    for ln in lines:
        if not isinstance(ln.line, int) and ln.order_id and ln.row not in skip_rows:
            nxt = max(used[ln.order_id], default=0) + 1
            used[ln.order_id].add(nxt)
            ln = ln.model_copy(update={"line": nxt})
            numbered.add(ln.row)
        out.append(ln)
    return tuple(out), frozenset(numbered)


def _duplicates(records, key, sheet: str, field: str, label: str) -> list[Issue]:
    seen: dict = {}
    out = []
    for r in records:
        k = key(r)
        if k in seen:
            out.append(error("duplicate_key", sheet, r.cell(field),
                             f"{label} {'/'.join(map(str, k)) if isinstance(k, tuple) else k} "
                             f"appears again (first on row {seen[k]}); this row is ignored"))
        else:
            seen[k] = r.row
    return out


def dedupe(book: OrderBook) -> tuple[OrderBook, list[Issue]]:
    """Master data keys must be unique; the first row of a key wins."""
    issues: list[Issue] = []
    issues += _duplicates(book.products, lambda p: p.sku, "Products", "sku", "SKU")
    issues += _duplicates(book.customers, lambda c: c.customer_id, "Customers", "customer_id",
                          "Customer ID")
    issues += _duplicates(book.inventory, lambda s: s.key, "Inventory", "sku",
                          "SKU/Warehouse")

    def first(records, key):
        seen, out = set(), []
        for r in records:
            if key(r) not in seen:
                seen.add(key(r))
                out.append(r)
        return tuple(out)

    book = book.model_copy(update={
        "products": first(book.products, lambda p: p.sku),
        "customers": first(book.customers, lambda c: c.customer_id),
        "inventory": first(book.inventory, lambda s: s.key),
    })
    return book, issues


def validate(book: OrderBook, bad_rows: frozenset[int] | set[int] = frozenset(),
             prior_issues: list[Issue] | tuple[Issue, ...] = ()) -> Validated:
    """Check every order line against master data. `bad_rows` are Excel rows whose cells
    failed coercion at the boundary (their issues are in `prior_issues`)."""
    bad_cells = {i.cell for i in prior_issues if i.sheet == "Orders" and i.cell}
    # A cell address is column letters + row, so only the rows named in `bad_cells` need
    # their Line address built and looked up.
    bad_cell_rows = {int(m.group()) for c in bad_cells if (m := _ROW_OF_CELL.search(c))}
    bad_line_rows = {ln.row for ln in book.orders
                     if ln.row in bad_cell_rows and "line" in ln.cols
                     and ln.cell("line") in bad_cells}
    lines, numbered = number_lines(book.orders, bad_line_rows)
    issues: list[Issue] = []
    products = {p.sku: p for p in book.products}
    customers = {c.customer_id for c in book.customers}
    warehouses = {s.warehouse for s in book.inventory}
    services = {r.service.lower() for r in book.shipping_rates}
    has_rates = "Shipping Rates" in book.present

    invalid_orders: set[str] = set()
    invalid_rows: set[int] = set()
    for row in bad_rows:
        invalid_rows.add(row)
    for i in prior_issues:
        if i.is_error and i.sheet == "Orders" and i.order_id:
            invalid_orders.add(i.order_id)

    first_of: dict[str, OrderLine] = {}
    keys: dict[tuple[str, int], int] = {}
    for ln in lines:
        if ln.status_in == CANCELLED:
            continue
        oid = ln.order_id
        if not oid:
            invalid_rows.add(ln.row)
            continue
        found: list[Issue] = []
        if ln.row not in bad_rows or isinstance(ln.line, int):
            k = (oid, ln.line)
            if k in keys:
                found.append(error("duplicate_key", "Orders", ln.cell("line", "order_id"),
                                   f"order {oid} line {ln.line} appears again "
                                   f"(first on row {keys[k]})", oid))
            else:
                keys[k] = ln.row
        if ln.customer_id and ln.customer_id not in customers:
            found.append(error("unknown_customer", "Orders", ln.cell("customer_id"),
                               f"customer '{ln.customer_id}' is not on the Customers sheet", oid))
        if ln.sku:
            p = products.get(ln.sku)
            if p is None:
                found.append(error("unknown_sku", "Orders", ln.cell("sku"),
                                   f"SKU '{ln.sku}' is not on the Products sheet", oid))
            elif not p.active:
                found.append(error("inactive_sku", "Orders", ln.cell("sku"),
                                   f"SKU '{ln.sku}' is not active (Products row {p.row})", oid))
        if ln.warehouse and ln.warehouse not in warehouses:
            found.append(error("unknown_warehouse", "Orders", ln.cell("warehouse"),
                               f"warehouse '{ln.warehouse}' is not on the Inventory sheet", oid))
        if ln.ship_method and has_rates and ln.ship_method.lower() not in services:
            found.append(error("unknown_ship_method", "Orders", ln.cell("ship_method"),
                               f"ship method '{ln.ship_method}' is not a Service in "
                               "Shipping Rates", oid))
        if ln.requested_date and ln.order_date and ln.requested_date < ln.order_date:
            found.append(error("requested_before_order", "Orders", ln.cell("requested_date"),
                               f"requested date {ln.requested_date} is before the order date "
                               f"{ln.order_date}", oid))
        head = first_of.setdefault(oid, ln)
        if head is not ln:
            if ln.order_date and head.order_date and ln.order_date != head.order_date:
                found.append(error("conflicting_order", "Orders", ln.cell("order_date"),
                                   f"order {oid} has order date {head.order_date} on row "
                                   f"{head.row} but {ln.order_date} here", oid))
            if ln.customer_id and head.customer_id and ln.customer_id != head.customer_id:
                found.append(error("conflicting_order", "Orders", ln.cell("customer_id"),
                                   f"order {oid} is for customer {head.customer_id} on row "
                                   f"{head.row} but {ln.customer_id} here", oid))
        if found:
            invalid_orders.add(oid)
            issues.extend(found)
    return Validated(lines, frozenset(invalid_orders), frozenset(invalid_rows), numbered,
                     tuple(issues))
