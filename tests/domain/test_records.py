"""The record machinery (`domain/records.py`), on records of its own.

What it promises: a `@record` class is a frozen, slotted, keyword-only dataclass whose
generated `__init__` behaves exactly like the dataclass' own; `model_copy` changes only
what is asked; `build_rows`, `build_tuples` and `copies` make exactly the records keyword
calls make (defaults, default factories, `__post_init__`, the same TypeErrors), and what
they make is the class itself, as frozen as any other instance.
"""

from __future__ import annotations

import dataclasses as dc
import inspect
from typing import Mapping

import pytest

from ordersheet.domain.records import Record, build_rows, build_tuples, copies, record

WHERE = {"sku": "A", "qty": "C"}


def _declare(decorate):
    """The same record declarations, made by `decorate` (`record`, or the plain dataclass
    decorator it stands for)."""

    @decorate
    class Row(Record):
        row: int = 0
        where: Mapping[str, str] = dc.field(default_factory=dict, compare=False)

    @decorate
    class Part(Row):
        sku: str
        qty: int = 1
        note: str = ""
        tags: list = dc.field(default_factory=list)
        size: float

    @decorate
    class Box(Record):
        parts: tuple = ()
        labels: frozenset = frozenset()

        def __post_init__(self) -> None:
            # Callers may pass lists; the box keeps tuples (as OrderBook does).
            if type(self.parts) is not tuple:
                object.__setattr__(self, "parts", tuple(self.parts))

    return Part, Box


Part, Box = _declare(record)
PlainPart, PlainBox = _declare(dc.dataclass(frozen=True, slots=True, kw_only=True))


# ---- @record: the generated __init__ -------------------------------------------------


def test_the_generated_init_has_the_dataclass_signature():
    for ours, plain in ((Part, PlainPart), (Box, PlainBox)):
        got, expected = inspect.signature(ours), inspect.signature(plain)
        assert list(got.parameters) == list(expected.parameters)
        for f in dc.fields(ours):
            p, q = got.parameters[f.name], expected.parameters[f.name]
            assert p.kind is q.kind is inspect.Parameter.KEYWORD_ONLY, f.name
            # Required where the dataclass' own is; a plain default is the field's own.
            assert (p.default is p.empty) == (q.default is q.empty), f.name
            if f.default is not dc.MISSING:
                assert p.default is f.default, f.name
    assert [f.name for f in dc.fields(Part)] == ["row", "where", "sku", "qty", "note", "tags",
                                                "size"]
    assert Part._field_names == tuple(f.name for f in dc.fields(Part))


def test_it_builds_what_the_dataclass_init_builds():
    kw = dict(sku="A", size=2.5, row=7, where=WHERE, tags=["x"])
    ours, plain = Part(**kw), PlainPart(**kw)
    assert [getattr(ours, f) for f in Part._field_names] == \
        [getattr(plain, f) for f in Part._field_names]
    assert (ours.qty, ours.note, ours.row, ours.where) == (1, "", 7, WHERE)
    # A default factory runs once per record; a plain default is shared.
    a, b = Part(sku="A", size=1.0), Part(sku="B", size=1.0)
    assert a.tags == [] and a.tags is not b.tags and a.where is not b.where
    # __post_init__ runs.
    assert Box(parts=[1, 2]).parts == (1, 2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sku="A"), "size"),                                  # a required field missing
    (dict(sku="A", size=1.0, colour="red"), "colour"),        # not a field
])
def test_it_refuses_what_the_dataclass_init_refuses(kwargs, message):
    with pytest.raises(TypeError, match=message):
        Part(**kwargs)
    with pytest.raises(TypeError, match=message):
        PlainPart(**kwargs)


def test_fields_are_keyword_only():
    with pytest.raises(TypeError):
        Box((1, 2))  # type: ignore[misc]


# ---- frozen and slotted ---------------------------------------------------------------


def test_records_are_frozen_slotted_hashable_and_compare_by_their_compared_fields():
    p = Part(sku="A", size=1.0, row=2, where=WHERE)
    with pytest.raises(dc.FrozenInstanceError):
        p.qty = 3  # type: ignore[misc]
    with pytest.raises(dc.FrozenInstanceError):
        del p.note
    with pytest.raises((dc.FrozenInstanceError, AttributeError, TypeError)):
        p.colour = "red"  # type: ignore[attr-defined]
    assert not hasattr(p, "__dict__") and "sku" in Part.__slots__
    box = Box(parts=(1,))
    assert hash(box) == hash(Box(parts=[1])) and box == Box(parts=[1])
    # `where` does not take part in ==, like a sheet row's column letters.
    assert Part(sku="A", size=1.0, where=WHERE) == Part(sku="A", size=1.0, where={})
    assert Part(sku="A", size=1.0) != Part(sku="A", size=1.5)


def test_model_copy_changes_only_what_is_asked():
    p = Part(sku="A", size=1.0, row=2, where=WHERE, tags=["x"])
    q = p.model_copy(update={"qty": 5, "note": "rush"})
    assert type(q) is Part and (q.qty, q.note) == (5, "rush")
    assert (q.sku, q.size, q.row, q.where, q.tags) == ("A", 1.0, 2, WHERE, ["x"])
    assert (p.qty, p.note) == (1, "")
    assert p.model_copy() is p and p.model_copy(update={}) is p
    with pytest.raises(TypeError):
        p.model_copy(update={"colour": "red"})
    assert Box(parts=(1,)).model_copy(update={"parts": [2, 3]}).parts == (2, 3)


# ---- many records at once -------------------------------------------------------------


def test_build_rows_makes_the_records_keyword_calls_make():
    rows = [dict(sku="A", size=1.0, row=2, where=WHERE, qty=3),
            dict(sku="B", size=2.5, row=3, where=WHERE, qty=1)]
    built = build_rows(Part, {k: [r[k] for r in rows] for k in rows[0]})
    assert built == [Part(**r) for r in rows]
    # Fields the columns lack take their defaults; `where` is compared on its own.
    assert [(b.note, b.tags, b.where) for b in built] == [("", [], WHERE)] * 2
    assert built[0].tags is not built[1].tags
    assert build_rows(Part, {"sku": [], "size": []}) == []
    assert build_rows(Box, {"parts": [[1, 2]]}) == [Box(parts=(1, 2))]  # __post_init__
    assert build_rows(Box, {"parts": [[1, 2]]})[0].parts == (1, 2)


def test_build_rows_refuses_what_keyword_calls_refuse():
    with pytest.raises(TypeError, match="no field 'colour'"):
        build_rows(Part, {"sku": ["A"], "size": [1.0], "colour": ["red"]})
    with pytest.raises(TypeError, match="needs 'size'"):
        build_rows(Part, {"sku": ["A"]})


def test_build_tuples_takes_fields_from_rows_columns_and_constants():
    rows = [("A", 3), ("B", 1)]
    built = build_tuples(Part, ("sku", "qty"), rows, {"row": [2, 3]}, size=1.0, note="n")
    assert built == [Part(sku="A", qty=3, row=2, size=1.0, note="n"),
                     Part(sku="B", qty=1, row=3, size=1.0, note="n")]
    assert build_tuples(Part, ("sku", "size"), [("A", 1.0)]) == [Part(sku="A", size=1.0)]
    assert build_tuples(Part, ("sku", "size"), []) == []


def test_build_tuples_refuses_a_field_given_twice_unknown_or_missing():
    with pytest.raises(TypeError, match="'sku' twice"):
        build_tuples(Part, ("sku", "size"), [("A", 1.0)], sku="B")
    with pytest.raises(TypeError, match="'sku' twice"):
        build_tuples(Part, ("sku", "size"), [("A", 1.0)], {"sku": ["B"]})
    with pytest.raises(TypeError, match="no field 'colour'"):
        build_tuples(Part, ("sku", "colour"), [("A", "red")], size=1.0)
    with pytest.raises(TypeError, match="needs 'size'"):
        build_tuples(Part, ("sku",), [("A",)])


def test_built_records_are_the_frozen_class_itself():
    """The builders fill a record through a private mutable subclass, then make it the
    record's class: what comes out is exactly as frozen, hashable and comparable as a
    keyword-built one, and no filler object escapes."""
    for built in (build_rows(Box, {"parts": [(1,)]})[0],
                  build_tuples(Box, ("parts",), [((1,),)])[0],
                  copies([Box(parts=(9,))], {"parts": [(1,)]})[0]):
        assert type(built) is Box
        with pytest.raises(dc.FrozenInstanceError):
            built.parts = (2,)  # type: ignore[misc]
        with pytest.raises(dc.FrozenInstanceError):
            del built.labels
        assert hash(built) == hash(Box(parts=(1,))) and built == Box(parts=(1,))
        assert built.model_copy(update={"labels": frozenset("a")}) == \
            Box(parts=(1,), labels=frozenset("a"))


def test_one_filler_class_per_record_class():
    build_rows(Part, {"sku": ["A"], "size": [1.0]})
    build_tuples(Part, ("sku", "size", "qty"), [("A", 1.0, 2)])
    copies([Part(sku="A", size=1.0)], {"qty": [2]})
    assert len(Part.__subclasses__()) == 1


def test_copies_are_model_copies_and_carry_every_field_over():
    parts = [Part(sku="A", size=1.0, row=7, where=WHERE, note="a", tags=["t"]),
             Part(sku="B", size=2.0, row=8, where={}, qty=4)]
    update = {"note": ["x", "y"], "size": [3.0, 4.0]}
    got = copies(parts, update)
    assert got == [p.model_copy(update={k: v[n] for k, v in update.items()})
                   for n, p in enumerate(parts)]
    # Uncompared fields and untouched ones are carried over too.
    assert [(c.where, c.row, c.qty, c.tags) for c in got] == [(WHERE, 7, 1, ["t"]),
                                                              ({}, 8, 4, [])]
    assert copies([], {"note": []}) == []
    with pytest.raises(TypeError, match="no field 'colour'"):
        copies(parts, {"colour": ["red", "blue"]})
