"""`models.build_rows` (records built a column at a time, as a sheet is read) makes the
same records as `cls(**row)` row by row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ordersheet.domain import models as m

COLS = {"order_id": "A", "quantity": "F"}


def test_build_rows_makes_the_records_keyword_construction_makes():
    rows = [dict(row=2, cols=COLS, order_id="SO-1", line=1, order_date=dt.date(2026, 11, 3),
                 customer_id="C1", sku="A-100", quantity=3, unit_price=Decimal("9.50")),
            dict(row=3, cols=COLS, order_id="SO-1", line=None, order_date=dt.date(2026, 11, 4),
                 customer_id="C2", sku="B-200", quantity=1, unit_price=None)]
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    built = m.build_rows(m.OrderLine, columns)
    expected = [m.OrderLine(**r) for r in rows]
    assert built == expected
    # Fields the columns lack take their defaults, exactly as keyword construction does.
    assert [(b.priority, b.notes, b.status_in, b.warehouse) for b in built] == \
        [("Normal", "", "", None)] * 2
    assert [b.cell("quantity") for b in built] == ["F2", "F3"]
    assert m.build_rows(m.OrderLine, {k: [] for k in rows[0]}) == []


def test_build_rows_runs_post_init_and_default_factories():
    book = m.build_rows(m.OrderBook, {"orders": [[]], "present": [["Orders"]]})[0]
    assert book == m.OrderBook(orders=[], present=["Orders"])
    assert isinstance(book.orders, tuple) and book.present == frozenset({"Orders"})


def test_build_rows_refuses_what_keyword_construction_refuses():
    with pytest.raises(TypeError, match="no field 'colour'"):
        m.build_rows(m.Product, {"sku": ["A"], "colour": ["red"]})
    with pytest.raises(TypeError, match="needs"):
        m.build_rows(m.FxRate, {"currency": ["EUR"]})


def test_one_column_is_enough():
    built = m.build_rows(m.Customer, {"customer_id": ["C1", "C2"]})
    assert [r.customer_id for r in built] == ["C1", "C2"]
    assert built == [m.Customer(customer_id="C1"), m.Customer(customer_id="C2")]


def test_build_tuples_takes_fields_from_rows_columns_and_constants():
    rows = [("SO-1", 1, "A-100", 3), ("SO-2", 2, "B-200", 1)]
    built = m.build_tuples(m.Reservation, ("order_id", "line", "sku", "quantity"), rows,
                           {"warehouse": ["MAIN", "EAST"]}, reserved_on=dt.date(2026, 11, 20))
    assert built == [
        m.Reservation(order_id="SO-1", line=1, sku="A-100", quantity=3, warehouse="MAIN",
                      reserved_on=dt.date(2026, 11, 20)),
        m.Reservation(order_id="SO-2", line=2, sku="B-200", quantity=1, warehouse="EAST",
                      reserved_on=dt.date(2026, 11, 20))]
    # One field from the rows alone, and no rows at all.
    one = m.build_tuples(m.Customer, ("customer_id",), [("C1",), ("C2",)])
    assert one == [m.Customer(customer_id="C1"), m.Customer(customer_id="C2")]
    assert m.build_tuples(m.Customer, ("customer_id",), []) == []


def test_built_records_are_the_frozen_class_itself():
    """The builders fill a record through a private mutable subclass, then make it a `cls`:
    what comes out must be exactly as immutable, hashable and comparable as `cls(...)`."""
    import dataclasses

    for built in (m.build_rows(m.Customer, {"customer_id": ["C1"]})[0],
                  m.build_tuples(m.Customer, ("customer_id",), [("C1",)])[0]):
        assert type(built) is m.Customer
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.customer_id = "C2"
        with pytest.raises(dataclasses.FrozenInstanceError):
            del built.name
        assert hash(built) == hash(m.Customer(customer_id="C1"))
        assert built.model_copy(update={"name": "Acme"}) == m.Customer(customer_id="C1",
                                                                       name="Acme")


def test_build_tuples_refuses_a_field_given_twice_or_unknown():
    with pytest.raises(TypeError, match="'sku' twice"):
        m.build_tuples(m.Product, ("sku", "list_price"), [("A", Decimal(1))], sku="B")
    with pytest.raises(TypeError, match="'sku' twice"):
        m.build_tuples(m.Product, ("sku", "list_price"), [("A", Decimal(1))], {"sku": ["B"]})
    with pytest.raises(TypeError, match="no field 'colour'"):
        m.build_tuples(m.Product, ("sku", "colour"), [("A", "red")], list_price=Decimal(1))


def test_one_filler_class_per_record_class():
    m.build_rows(m.Customer, {"customer_id": ["C1"]})
    m.build_tuples(m.Customer, ("customer_id", "name"), [("C1", "Acme")])
    assert len(m.Customer.__subclasses__()) == 1
