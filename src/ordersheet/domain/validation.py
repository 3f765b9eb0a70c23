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

from .issues import Issue, error, warning
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


def _dispatched(book: OrderBook) -> dict[str, list]:
    """Shipment ID -> its lines, for every dispatched (posted) shipment."""
    posted = {s.shipment_id for s in book.shipments if s.posted_on is not None}
    out: dict[str, list] = defaultdict(list)
    for sl in book.shipment_lines:
        if sl.shipment_id in posted:
            out[sl.shipment_id].append(sl)
    return out


def renamed_dispatched_lines(book: OrderBook
                             ) -> tuple[dict[int, Issue], set[tuple[str, int]]]:
    """Rows whose Order ID or Line was changed (or cleared) after the line was
    dispatched: the row still names the shipment in ordersheet's Shipment column, and that
    shipment holds a line of the same SKU that is no longer on Orders. Such a row is never
    served under its new key (it would ship and invoice the line a second time): an error
    at the changed cell, by Excel row; and the (Order ID, Line) keys those rows had."""
    rows = [ln for ln in book.orders if ln.shipment_in]
    if not rows:
        return {}, set()
    shipped = _dispatched(book)
    present = {(ln.order_id, ln.line) for ln in book.orders}
    out: dict[int, Issue] = {}
    claimed: set[tuple[str, int]] = set()
    for ln in rows:
        for sid in (x.strip() for x in ln.shipment_in.split(",")):
            sl = next((sl for sl in shipped.get(sid, ())
                       if (sl.order_id, sl.line) not in present and sl.sku == ln.sku
                       and (sl.order_id, sl.line) not in claimed), None)
            if sl is None:
                continue
            claimed.add((sl.order_id, sl.line))
            if ln.order_id != sl.order_id:
                what, cell = f"its Order ID was changed to '{ln.order_id}'", ln.cell("order_id")
            elif ln.line is None:
                what, cell = "its Line was cleared", ln.cell("line", "order_id")
            else:
                what, cell = f"its Line was changed to {ln.line}", ln.cell("line", "order_id")
            out[ln.row] = error(
                "posted_record_edited", "Orders", cell,
                f"this line was dispatched as order {sl.order_id} line {sl.line} "
                f"({sid}) and {what}; it is not served again under the new one: type "
                f"{sl.order_id} / {sl.line} back", ln.order_id)
            break
    return out, claimed


def missing_dispatched_lines(book: OrderBook, lines: tuple[OrderLine, ...],
                             explained: set[tuple[str, int]]) -> list[Issue]:
    """Order lines that were dispatched or invoiced but are on Orders no more: their
    records stay and they are never served again; one warning per order (at most 10, then
    one for the rest)."""
    present = {(ln.order_id, ln.line) for ln in lines}
    docs: dict[tuple[str, int], list[str]] = defaultdict(list)
    for sid, sls in _dispatched(book).items():
        for sl in sls:
            docs[(sl.order_id, sl.line)].append(sid)
    for il in book.invoice_lines:
        if il.line is not None:
            docs[(il.order_id, il.line)].append(il.invoice_no)
    by_order: dict[str, dict[int, list[str]]] = defaultdict(dict)
    for (oid, line), ids in docs.items():
        if (oid, line) not in present and (oid, line) not in explained:
            by_order[oid][line] = ids
    out: list[Issue] = []
    for oid in sorted(by_order)[:10]:
        got = by_order[oid]
        ids = sorted({x for v in got.values() for x in v})
        out.append(warning(
            "dispatched_line_missing", "Orders", "",
            f"order {oid} line(s) {', '.join(map(str, sorted(got)))} went out on "
            f"{', '.join(ids[:4])}{' ...' if len(ids) > 4 else ''} but are no longer on "
            "Orders: their records are kept and they are not served again (if they were "
            "renamed or renumbered, change them back)", oid))
    if len(by_order) > 10:
        rest = sorted(by_order)[10:]
        out.append(warning(
            "dispatched_line_missing", "Orders", "",
            f"{len(rest)} more orders that went out are no longer on Orders "
            f"({', '.join(rest[:5])} ...): their records are kept"))
    return out


INVISIBLE = {"\u200b": "U+200B zero-width space", "\u200c": "U+200C zero-width non-joiner",
             "\u200d": "U+200D zero-width joiner", "\ufeff": "U+FEFF byte-order mark",
             "\u00a0": "U+00A0 no-break space", "\u2060": "U+2060 word joiner"}


def shown_id(text: str) -> str:
    """An ID quoted for a message, with the characters nobody sees named: 'TENT⟨U+200B⟩-2P'
    (it contains a U+200B zero-width space), so a user can find why it does not match."""
    hidden = [c for c in dict.fromkeys(text) if c in INVISIBLE]
    if not hidden:
        return f"'{text}'"
    marked = "".join(f"⟨{INVISIBLE[c].split()[0]}⟩" if c in INVISIBLE else c for c in text)
    return (f"'{marked}' (it contains " + ", ".join(INVISIBLE[c] for c in hidden)
            + ", which cannot be seen: retype the ID)")


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
    renamed, was = renamed_dispatched_lines(book)
    lines, numbered = number_lines(book.orders, bad_line_rows | set(renamed))
    issues: list[Issue] = list(renamed.values())
    issues += missing_dispatched_lines(book, lines, was)
    products = {p.sku: p for p in book.products}
    customers = {c.customer_id for c in book.customers}
    warehouses = {s.warehouse for s in book.inventory}
    services = {r.service.lower() for r in book.shipping_rates}
    has_rates = "Shipping Rates" in book.present

    invalid_orders: set[str] = set()
    invalid_rows: set[int] = set()
    for row in bad_rows:
        invalid_rows.add(row)
    for i in list(prior_issues) + list(renamed.values()):
        if i.is_error and i.sheet == "Orders" and i.order_id:
            invalid_orders.add(i.order_id)
    invalid_rows |= {row for row, i in renamed.items() if not i.order_id}

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
                               _not_on(book, "Customers", cid, f"customer {shown_id(cid)}"),
                               oid))
        sku = ln.sku
        if sku and sku not in active:
            p = products.get(sku)
            if p is None:
                found.append(error("unknown_sku", "Orders", ln.cell("sku"),
                                   _not_on(book, "Products", sku, f"SKU {shown_id(sku)}"), oid))
            else:
                found.append(error("inactive_sku", "Orders", ln.cell("sku"),
                                   f"SKU '{sku}' is not active (Products row {p.row})", oid))
        wh = ln.warehouse
        if wh and wh not in warehouses:
            found.append(error("unknown_warehouse", "Orders", ln.cell("warehouse"),
                               f"warehouse {shown_id(wh)} is not on the Inventory sheet", oid))
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


def _not_on(book: OrderBook, sheet: str, key: str, what: str) -> str:
    """Why `key` is not found on master `sheet`: its row there was refused (and where), or
    it is not on the sheet at all."""
    cell = book.refused.get((sheet, key))
    if cell:
        return f"{what}: its {sheet} row was refused ({cell}); fix that cell"
    return f"{what} is not on the {sheet} sheet"
