"""Dispatch once per run: the pipeline posts the shipments a user marked Shipped before it
reserves (their stock leaves first), and a dispatch run then confirms the Ready ones.
A shipment the user both marked Shipped and named to `dispatch` is dispatched once, by
this run, and not reported as already dispatched."""

from __future__ import annotations

from ordersheet.domain import pipeline

from .factories import DAY, NOW, book, customer, line, product, stock


def test_a_shipment_marked_shipped_and_named_is_dispatched_once_without_a_warning():
    b = book(orders=(line("O1", 1, "A", 2, row=2),), products=(product("A"),),
             customers=(customer("C1"),), inventory=(stock("A", 10),))
    planned = pipeline.run(b, operation="ship", today=DAY, now=NOW).book
    (shp,) = planned.shipments
    marked = planned.model_copy(update={
        "shipments": (shp.model_copy(update={"status": "Shipped"}),)})

    r = pipeline.run(marked, operation="dispatch", today=DAY, now=NOW, dispatch=True,
                     dispatch_ids=[" shp-00001 "])

    assert r.dispatched == ("SHP-00001",)
    assert [i.code for i in r.issues] == []
    assert [(e.field, e.change) for e in r.ledger] == [("Reserved", -2), ("On Hand", -2)]
    assert r.book.inventory[0].on_hand == 8
