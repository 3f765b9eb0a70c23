"""How fast could the domain be in pure Python? A lower bound for issue 9's domain target.

Issue 9 asks for all domain steps of a 100k-line `run --dispatch` in at most 1.0 x the
python-calamine read of Orders. This measures, in one process and against that floor, a
deliberately stripped run. It does the least a run must do per line to give what a run
gives, and leaves out every rule of the contract:

- one dict look-up for the product and one for the customer, and a whole-number check;
- a price memoised per (SKU, customer, quantity), taken from the list price with one tax
  rate;
- one stock figure per SKU taken down;
- one shipment and one invoice per order;
- a reservation, a shipment line, an invoice line, three ledger rows and an outcome per
  line, gathered as tuples.

Left out: validation messages, price rules, FX, credit, warehouses, shipping costs,
dedupe, invoice numbering and issues.

It is timed twice: with the records made by `records.build_tuples` (the domain's own
cheapest way), and with the tuples alone, as a column-shaped domain handing columns
straight to the writer would have them. Both are best of three, like the calamine floor.

    python -m benchmarks.lower_bound --lines 100000

Measured on this project's 2-core VM (2026-11-27, from commit 7b0d3a5 on), the tuples alone
take 0.95-1.15 x the floor and the records 1.3-1.7 x, at 10k and at 100k lines. Neither
figure has any rule of the contract in it yet. So no pure-Python domain meets 1.0 x; see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Sequence

from . import harness

TODAY, NOW = harness.TODAY, harness.NOW  # the harness's as-of date and clock
CENT = Decimal("0.01")
RATE = Decimal("0.2")


def minimal_run(book: Any, records: bool) -> tuple[Any, dict[int, Any]]:
    """The stripped run described in the module docstring, on a loaded `OrderBook`."""
    from ordersheet.domain.models import (Invoice, InvoiceLine, LedgerEntry, LinePrice,
                                          Reservation, Shipment, ShipmentLine)
    from ordersheet.domain.records import build_tuples
    from ordersheet.domain.status import LineOutcome

    products = {p.sku: p for p in book.products}
    customers = {c.customer_id: c for c in book.customers}
    stock: dict[str, int] = {}
    for s in book.inventory:
        stock[s.sku] = stock.get(s.sku, 0) + s.on_hand
    memo: dict[tuple, Any] = {}
    res: list[tuple] = []
    ledger: list[tuple] = []
    outcomes: dict[int, Any] = {}
    orders: dict[str, list] = {}
    invalid = LineOutcome("Invalid")
    for ln in book.orders:
        sku, cid, qty = ln.sku, ln.customer_id, ln.quantity
        p, c = products.get(sku), customers.get(cid)
        if p is None or c is None or qty.__class__ is not int or qty < 1:
            outcomes[ln.row] = invalid
            continue
        lp = memo.get((sku, cid, qty))
        if lp is None:
            unit = p.list_price
            net = (unit * qty).quantize(CENT, ROUND_HALF_UP)
            tax = (net * RATE).quantize(CENT, ROUND_HALF_UP)
            lp = memo[(sku, cid, qty)] = LinePrice(unit, net, RATE, tax, net + tax, "USD", "")
        have = stock.get(sku, 0)
        take = qty if have >= qty else have
        stock[sku] = have - take
        oid = ln.order_id
        res.append((oid, ln.line, sku, "MAIN", take, TODAY))
        ledger.append((NOW, "reserve", sku, "MAIN", "Reserved", take, have, have - take,
                       oid, ln.line))
        o = orders.get(oid)
        if o is None:
            o = orders[oid] = [cid, []]
        o[1].append((ln, lp, take))
    shipments: list[tuple] = []
    invoices: list[tuple] = []
    lines: list[tuple] = []
    ilines: list[tuple] = []
    for k, (oid, (cid, lns)) in enumerate(orders.items(), 1):
        sid, ino = "SHP-%05d" % k, "INV-%05d" % k
        shipments.append((sid, oid, cid, "MAIN", TODAY))
        net = tax = Decimal(0)
        for ln, lp, take in lns:
            lines.append((sid, oid, ln.line, ln.sku, "MAIN", take))
            ledger.append((NOW, "ship", ln.sku, "MAIN", "Reserved", -take, take, 0, oid,
                           ln.line))
            ledger.append((NOW, "ship", ln.sku, "MAIN", "On Hand", -take, take, 0, oid,
                           ln.line))
            ilines.append((ino, oid, ln.line, ln.sku, take, lp.unit_price, lp.tax_rate,
                           lp.net, lp.tax, lp.total))
            net += lp.net
            tax += lp.tax
            outcomes[ln.row] = LineOutcome("Invoiced", lp, 0, 0, take, sid, ino)
        invoices.append((ino, TODAY, TODAY, cid, oid, sid, "USD", net, tax, net + tax,
                         net + tax))
    rows = (res, ledger, shipments, lines, invoices, ilines)
    if not records:
        return rows, outcomes
    return (
        build_tuples(Reservation, ("order_id", "line", "sku", "warehouse", "quantity",
                                   "reserved_on"), res),
        build_tuples(LedgerEntry, ("timestamp", "operation", "sku", "warehouse", "field",
                                   "change", "before", "after", "order_id", "line"), ledger),
        build_tuples(Shipment, ("shipment_id", "order_id", "customer_id", "warehouse",
                                "planned_on"), shipments),
        build_tuples(ShipmentLine, ("shipment_id", "order_id", "line", "sku", "warehouse",
                                    "quantity"), lines),
        build_tuples(Invoice, ("invoice_no", "invoice_date", "due_date", "customer_id",
                               "order_id", "shipment_id", "currency", "net", "tax", "total",
                               "balance"), invoices),
        build_tuples(InvoiceLine, ("invoice_no", "order_id", "line", "sku", "quantity",
                                   "unit_price", "tax_rate", "net", "tax", "total"), ilines),
    ), outcomes


def measure(lines: int) -> dict[str, float]:
    """Seconds, best of 3 each, measured the way the harness measures its rows: its own
    calamine floor row, and the stripped run with the cycle collector paused as
    `app.execute` runs the domain."""
    from ordersheet import app, cli

    path = harness.book_for(lines)
    loaded = app.read_book(cli.open_book(path))

    def stripped(records: bool) -> Callable[[], Any]:
        def go():
            with app.cycle_collector_paused():
                return minimal_run(loaded.book, records)
        return go

    out = {"floor": harness.measure_floor(path, lines)[0]}
    for name, records in (("records", True), ("tuples", False)):
        out[name] = harness.Row(lines, f"stripped run, {name}", "domain")
        harness.measure(out[name], stripped(records), repeat=3, budget=math.inf)
    for row in out.values():
        if row.seconds is None:
            raise SystemExit(f"{row.name}: {row.error}")
    return {name: row.seconds for name, row in out.items()}


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.lower_bound",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=100_000)
    args = ap.parse_args(argv)
    got = measure(args.lines)
    f = got["floor"]
    print(f"{args.lines:,} lines: calamine read of Orders {f:.2f} s (the floor)")
    print(f"  stripped run, records made: {got['records']:.2f} s = "
          f"{got['records'] / f:.2f} x the floor")
    print(f"  stripped run, tuples only:  {got['tuples']:.2f} s = "
          f"{got['tuples'] / f:.2f} x the floor")


if __name__ == "__main__":
    main()
