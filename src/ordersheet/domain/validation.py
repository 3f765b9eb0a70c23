"""Validation of order lines and master data (CONTRACT §4 "Validation", §6 codes).

Every check runs on every row: one bad row never hides the next. An order with any
error-severity issue is `Invalid` as a whole; every other order goes on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import compress, repeat
from operator import attrgetter, not_

from .issues import Issue, error
from .models import OrderBook, OrderLine

CANCELLED = "Cancelled"

_ROW_OF_CELL = re.compile(r"\d+$")
_LINE, _ORDER_ID = attrgetter("line"), attrgetter("order_id")


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
    # Only orders with a line to number need their used numbers (usually a few hundred of
    # 100,000 lines); the lines without a number are found by a C-level map, so the
    # others are looked at once, outside Python bytecode, and left as they are.
    unnumbered = map(not_, map(isinstance, map(_LINE, lines), repeat(int)))
    todo = [i for i in compress(range(len(lines)), unnumbered)
            if lines[i].order_id and lines[i].row not in skip_rows]
    if not todo:
        return tuple(lines), frozenset()
    wanted = {lines[i].order_id for i in todo}
    used: dict[str, set[int]] = defaultdict(set)
    for ln in compress(lines, map(wanted.__contains__, map(_ORDER_ID, lines))):
        if isinstance(ln.line, int):
            used[ln.order_id].add(ln.line)
    out, numbered = list(lines), set()
    for i in todo:  # in sheet order
        ln = out[i]
        nxt = max(used[ln.order_id], default=0) + 1
        used[ln.order_id].add(nxt)
        out[i] = ln.model_copy(update={"line": nxt})
        numbered.add(ln.row)
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

    # Sets of the values that pass, so the usual line (every check passes) costs one
    # membership test per check; the messages are built only for a line that fails.
    active = {sku for sku, p in products.items() if p.active}
    methods_ok: dict[str, bool] = {}  # Ship Method as typed -> names a Service
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
        line_no = ln.line
        if ln.row not in bad_rows or isinstance(line_no, int):
            k = (oid, line_no)
            if k in keys:
                found.append(error("duplicate_key", "Orders", ln.cell("line", "order_id"),
                                   f"order {oid} line {line_no} appears again "
                                   f"(first on row {keys[k]})", oid))
            else:
                keys[k] = ln.row
        cid = ln.customer_id
        if cid and cid not in customers:
            found.append(error("unknown_customer", "Orders", ln.cell("customer_id"),
                               f"customer '{cid}' is not on the Customers sheet", oid))
        sku = ln.sku
        if sku and sku not in active:
            p = products.get(sku)
            if p is None:
                found.append(error("unknown_sku", "Orders", ln.cell("sku"),
                                   f"SKU '{sku}' is not on the Products sheet", oid))
            else:
                found.append(error("inactive_sku", "Orders", ln.cell("sku"),
                                   f"SKU '{sku}' is not active (Products row {p.row})", oid))
        wh = ln.warehouse
        if wh and wh not in warehouses:
            found.append(error("unknown_warehouse", "Orders", ln.cell("warehouse"),
                               f"warehouse '{wh}' is not on the Inventory sheet", oid))
        method = ln.ship_method
        if method and has_rates:
            ok = methods_ok.get(method)
            if ok is None:
                ok = methods_ok[method] = method.lower() in services
            if not ok:
                found.append(error("unknown_ship_method", "Orders", ln.cell("ship_method"),
                                   f"ship method '{method}' is not a Service in "
                                   "Shipping Rates", oid))
        on, wanted = ln.order_date, ln.requested_date
        if wanted and on and wanted < on:
            found.append(error("requested_before_order", "Orders", ln.cell("requested_date"),
                               f"requested date {wanted} is before the order date "
                               f"{on}", oid))
        head = first_of.setdefault(oid, ln)
        if head is not ln:
            if on and head.order_date and on != head.order_date:
                found.append(error("conflicting_order", "Orders", ln.cell("order_date"),
                                   f"order {oid} has order date {head.order_date} on row "
                                   f"{head.row} but {on} here", oid))
            if cid and head.customer_id and cid != head.customer_id:
                found.append(error("conflicting_order", "Orders", ln.cell("customer_id"),
                                   f"order {oid} is for customer {head.customer_id} on row "
                                   f"{head.row} but {cid} here", oid))
        if found:
            invalid_orders.add(oid)
            issues.extend(found)
    return Validated(lines, frozenset(invalid_orders), frozenset(invalid_rows), numbered,
                     tuple(issues))
