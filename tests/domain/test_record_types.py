"""Every record a whole run produces has exactly the types its annotation says.

Records are plain frozen dataclasses (built ~800,000 times in a 100k-line run), so nothing
checks their types when they are built. This test does: it runs the sample business end
to end, twice (the second run reads what the first wrote), and validates every record of
the resulting book with pydantic in strict mode (no coercion: a float where a Decimal
belongs, a datetime where a date belongs, a str where an int belongs all fail).
"""

import dataclasses as dc
import datetime as dt
import functools
import typing
from decimal import Decimal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ordersheet import app
from ordersheet.book.templates import build_order_book
from ordersheet.book.xlsx import XlsxBook
from ordersheet.domain import models as m

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 9, 30)


@functools.cache
def _checker(cls: type, partial: bool = False) -> type[BaseModel]:
    """A strict pydantic model with the record's fields and annotations (`partial`: every
    field may be missing)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: (hints[f.name], None if partial else ...) for f in dc.fields(cls)}
    return create_model(f"Strict{cls.__name__}", __config__=ConfigDict(strict=True), **fields)


def _strict(rec, bad_cells: bool = False) -> None:
    """`bad_cells`: an order line whose row has unreadable cells (Invalid by validation):
    those cells are None; every cell that was read must still have its type."""
    values = {f.name: getattr(rec, f.name) for f in dc.fields(rec)}
    if bad_cells:
        values = {k: v for k, v in values.items() if v is not None}
    _checker(type(rec), bad_cells).model_validate(values)


def _records(book: m.OrderBook):
    for f in dc.fields(book):
        v = getattr(book, f.name)
        if isinstance(v, tuple):
            yield from v


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    path = tmp_path_factory.mktemp("types") / "book.xlsx"
    build_order_book(path, sample=True, today=TODAY)
    out = []
    for day, dispatch in ((TODAY, False), (TODAY + dt.timedelta(days=1), True)):
        port = XlsxBook(path)
        done = app.execute(port, "run", today=day, now=dt.datetime.combine(day, NOW.time()),
                           dispatch=dispatch)
        port.save()
        out.append(done)
    return out


def test_every_record_of_two_whole_runs_is_strictly_typed(runs):
    checked, kinds = 0, set()
    for done in runs:
        result = done.result
        recs = [*_records(result.book), *result.lines, *result.ledger, result.audit]
        kinds |= {type(r) for r in recs}
        bad = done.loaded.bad_order_rows
        assert bad, "the sample has order rows with unreadable cells"
        for r in recs:
            _strict(r, isinstance(r, m.OrderLine) and r.row in bad)
            checked += 1
    # the runs made (or read back) every kind of record the book keeps
    assert {m.OrderLine, m.Reservation, m.Shipment, m.ShipmentLine, m.Invoice,
            m.InvoiceLine, m.LedgerEntry, m.StockLevel, m.AuditEntry, m.Customer,
            m.Product, m.PriceRule, m.TaxRate, m.FxRate, m.ShippingRate} <= kinds
    assert checked > 1000


def test_strict_check_catches_a_float_amount_and_a_datetime_date():
    good = m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN", quantity=2,
                         reserved_on=TODAY)
    _strict(good)
    with pytest.raises(ValidationError):
        _strict(good.model_copy(update={"quantity": 2.0}))
    with pytest.raises(ValidationError):
        _strict(good.model_copy(update={"reserved_on": NOW}))
    inv_line = m.InvoiceLine(invoice_no="INV-1", order_id="O1", line=1, sku="A", quantity=1,
                             unit_price=Decimal("9.99"), net=Decimal("9.99"),
                             tax_rate=Decimal("0.2"), tax=Decimal("2.00"),
                             total=Decimal("11.99"))
    _strict(inv_line)
    with pytest.raises(ValidationError):
        _strict(inv_line.model_copy(update={"net": 9.99}))


def test_records_are_immutable_and_copies_change_only_what_is_asked():
    r = m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN", quantity=2,
                      reserved_on=TODAY)
    with pytest.raises(dc.FrozenInstanceError):
        r.quantity = 3  # type: ignore[misc]
    r2 = r.model_copy(update={"quantity": 3})
    assert (r.quantity, r2.quantity, r2.order_id, r2.reserved_on) == (2, 3, "O1", TODAY)
    assert r.model_copy() is r
    with pytest.raises(TypeError):
        m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN", quantity=2,
                      reserved_on=TODAY, colour="red")  # unknown field: refused
    book = m.OrderBook(orders=[], reservations=[r])  # lists become tuples
    assert book.reservations == (r,) and isinstance(book.orders, tuple)


def _record_classes():
    return [c for c in vars(m).values() if isinstance(c, type) and dc.is_dataclass(c)
            and issubclass(c, m.Record) and c not in (m.Record, m.SheetRow)]


def test_the_fast_init_has_the_dataclass_signature_and_defaults():
    import inspect

    classes = _record_classes()
    assert m.OrderLine in classes and m.OrderBook in classes and len(classes) >= 17
    for cls in classes:
        params = inspect.signature(cls).parameters
        fields = dc.fields(cls)
        assert list(params) == [f.name for f in fields], cls
        for f in fields:
            p = params[f.name]
            assert p.kind is inspect.Parameter.KEYWORD_ONLY
            if f.default is not dc.MISSING:
                assert p.default is f.default, (cls, f.name)
            elif f.default_factory is dc.MISSING:
                assert p.default is inspect.Parameter.empty, (cls, f.name)
    with pytest.raises(TypeError, match="reserved_on"):
        m.Reservation(order_id="O1", line=1, sku="A", warehouse="MAIN", quantity=2)
    # default_factory and __post_init__ still run
    assert isinstance(m.OrderBook().settings, m.Settings)
    assert m.OrderBook(present=["Orders"]).present == frozenset({"Orders"})
