"""Which price is invoiced (CONTRACT §4 "Price lock"): a line's price is fixed when it is
first reserved, and its invoice uses exactly that; a line not yet reserved is re-priced on
every run; clearing a reserved line's Price cell re-prices it.

Each test runs the pipeline on a small book, edits the book as a user would between runs
(an FX rate, a price rule, the Price cell), and runs it again on the state the first run
left (what ordersheet reads back from its own records).
"""

from __future__ import annotations

import datetime as dt

from ordersheet.domain import models as m
from ordersheet.domain import pipeline, pricing

from .factories import DAY, NOW, D, book, customer, line, product, stock

NEXT = DAY + dt.timedelta(days=3)
PRICE_COLS = {"order_id": "A", "line": "B", "customer_id": "D", "sku": "E", "quantity": "F"}


def eur_book(on_hand: int = 10, rate: str = "0.9", **kw) -> m.OrderBook:
    """SKU A, List Price 10 USD; customer C1 pays in EUR; O1 line 1 orders 2."""
    kw.setdefault("orders", (line("O1", 1, "A", 2, row=2),))
    return book(products=(product("A", "10"),), customers=(customer("C1", currency="EUR"),),
                fx_rates=(m.FxRate(currency="EUR", rate=D(rate), row=2),),
                inventory=(stock("A", on_hand),), **kw)


def run(b: m.OrderBook, operation: str, today: dt.date = DAY, **kw) -> pipeline.RunResult:
    return pipeline.run(b, operation=operation, today=today,
                        now=dt.datetime.combine(today, NOW.time()), **kw)


def then(result: pipeline.RunResult, **edits) -> m.OrderBook:
    """The book the next run reads: this run's state, with the user's edits."""
    return result.book.model_copy(update=edits)


def price_of(result: pipeline.RunResult, row: int = 2) -> m.LinePrice:
    return result.outcomes[row].price


def test_an_fx_rate_edited_between_reserving_and_invoicing_leaves_the_invoiced_price():
    reserved = run(eur_book(), "reserve")
    assert price_of(reserved).unit_price == D(9)
    assert [(x.order_id, x.line, x.unit_price, x.currency, x.fx_rate, x.locked_on)
            for x in reserved.book.price_locks] == [("O1", 1, D(9), "EUR", D("0.9"), DAY)]

    edited = then(reserved, fx_rates=(m.FxRate(currency="EUR", rate=D("0.8"), row=2),))
    done = run(edited, "run", NEXT, dispatch=True)

    (il,) = done.book.invoice_lines
    assert (il.unit_price, il.net) == (D(9), D(18))
    assert (done.book.invoices[0].currency, done.book.invoices[0].total) == ("EUR", D(18))
    price = price_of(done)
    assert (price.unit_price, price.total) == (D(9), D(18))
    assert price.explain.startswith(f"Price locked when first reserved ({DAY}): 9.00 EUR "
                                    "at 0.9 EUR/USD; today's price rules give 8.00 EUR")
    assert done.book.price_locks == reserved.book.price_locks  # the lock itself is unchanged


def test_a_locked_line_needs_no_fx_rate_to_be_invoiced():
    reserved = run(eur_book(), "reserve")
    done = run(then(reserved, fx_rates=()), "run", NEXT, dispatch=True)
    assert not done.errors, done.errors
    assert [il.unit_price for il in done.book.invoice_lines] == [D(9)]
    assert "today's price rules give no price" in price_of(done).explain


def test_a_line_not_yet_reserved_is_repriced_on_every_run():
    short = run(eur_book(on_hand=0), "reserve")
    assert price_of(short).unit_price == D(9)
    assert short.outcomes[2].status == "Backordered" and short.book.price_locks == ()

    # The price rule changes, then the stock arrives: the line is priced by the new rule
    # and locked at that price when it is reserved.
    rule = m.PriceRule(sku="A", unit_price=D(11), currency="EUR", row=2)
    repriced = run(then(short, price_rules=(rule,), present=short.book.present | {"Price Rules"},
                        inventory=(stock("A", 10),)), "reserve", NEXT)
    assert price_of(repriced).unit_price == D(11)
    assert [(x.unit_price, x.locked_on) for x in repriced.book.price_locks] == [(D(11), NEXT)]


def test_clearing_the_price_cell_of_a_reserved_line_reprices_and_relocks_it():
    reserved = run(eur_book(), "reserve")
    cleared_line = reserved.book.orders[0].model_copy(update={"price_cleared": True})
    edited = then(reserved, orders=(cleared_line,),
                  fx_rates=(m.FxRate(currency="EUR", rate=D("0.8"), row=2),))
    done = run(edited, "run", NEXT, dispatch=True)

    assert price_of(done).unit_price == D(8)
    assert not price_of(done).explain.startswith("Price locked")
    assert [il.unit_price for il in done.book.invoice_lines] == [D(8)]
    assert [(x.unit_price, x.fx_rate, x.locked_on) for x in done.book.price_locks] == [
        (D(8), D("0.8"), NEXT)]


def test_a_price_cell_ordersheet_left_blank_is_not_a_cleared_one():
    """An order that went Invalid shows no price, so its Price cell is blank next time:
    that blank is ordersheet's, and the lock stays."""
    reserved = run(eur_book(), "reserve")
    typo = reserved.book.orders[0].model_copy(update={"customer_id": "C9"})
    invalid = run(then(reserved, orders=(typo,)), "price", NEXT)
    assert invalid.outcomes[2].status == "Invalid" and price_of(invalid) is None
    assert [x.shown for x in invalid.book.price_locks] == [False]

    fixed = reserved.book.orders[0].model_copy(update={"price_cleared": True})
    edited = then(invalid, orders=(fixed,),
                  fx_rates=(m.FxRate(currency="EUR", rate=D("0.8"), row=2),))
    again = run(edited, "price", NEXT)
    assert price_of(again).unit_price == D(9)
    assert [x.shown for x in again.book.price_locks] == [True]


def test_locks_in_force_drops_only_cleared_cells_ordersheet_had_filled():
    shown = m.PriceLock(order_id="O1", line=1, unit_price=D(9), currency="EUR",
                        fx_rate=D("0.9"), locked_on=DAY)
    hidden = m.PriceLock(order_id="O1", line=2, unit_price=D(9), currency="EUR",
                         fx_rate=D("0.9"), locked_on=DAY, shown=False)
    kept = m.PriceLock(order_id="O1", line=3, unit_price=D(9), currency="EUR",
                       fx_rate=D("0.9"), locked_on=DAY)
    lines = [line("O1", n, "A", 1, price_cleared=n < 3) for n in (1, 2, 3)]
    assert pricing.locks_in_force(lines, [shown, hidden, kept]) == {
        ("O1", 2): hidden, ("O1", 3): kept}


def test_a_lock_lasts_while_its_line_is_on_orders_reserved_or_shipped():
    reserved = run(eur_book(), "reserve")
    gone = run(then(reserved, orders=(), reservations=()), "price", NEXT)
    assert gone.book.price_locks == ()
    on_orders = run(then(reserved, reservations=()), "price", NEXT)
    assert [x.unit_price for x in on_orders.book.price_locks] == [D(9)]
