"""Read-only views of shipments: the Pick List and the carrier export (CONTRACT §4
"Shipping", §5 Pick List)."""

from __future__ import annotations

from ordersheet.domain import models as m
from ordersheet.domain.views import CARRIER_COLUMNS, PickRow, carrier_export_rows, pick_list

from .factories import DAY, D, customer, product, stock
from .test_shipping import _book


def test_pick_list_is_one_walk_through_each_warehouse():
    b = _book(products=(product("A", description="Anvil"), product("B", description="Bolt"),
                        product("C", description="Cog")),
              inventory=(stock("A", 9, bin="A-10"), stock("B", 9, bin="A-2"),
                         stock("C", 9, bin=""), stock("A", 9, "EAST", bin="Z-1")))
    mk = lambda sid, oid, wh, status="Ready": m.Shipment(   # noqa: E731
        shipment_id=sid, order_id=oid, customer_id="C1", warehouse=wh, planned_on=DAY,
        status=status)
    ships = [mk("SHP-00001", "O1", "MAIN"), mk("SHP-00002", "O2", "MAIN"),
             mk("SHP-00003", "O3", "EAST"), mk("SHP-00004", "O4", "MAIN", "Shipped")]
    sl = lambda sid, oid, n, sku, q, wh="MAIN": m.ShipmentLine(   # noqa: E731
        shipment_id=sid, order_id=oid, line=n, sku=sku, warehouse=wh, quantity=q)
    lines = [sl("SHP-00001", "O1", 1, "C", 1), sl("SHP-00001", "O1", 2, "A", 2),
             sl("SHP-00002", "O2", 1, "B", 3), sl("SHP-00002", "O2", 2, "A", 4),
             sl("SHP-00003", "O3", 1, "A", 5, "EAST"), sl("SHP-00004", "O4", 1, "B", 6)]
    assert pick_list(ships, lines, b) == [
        PickRow("SHP-00003", "EAST", "Z-1", "A", "Anvil", 5, "O3", 1),
        PickRow("SHP-00002", "MAIN", "A-2", "B", "Bolt", 3, "O2", 1),
        PickRow("SHP-00001", "MAIN", "A-10", "A", "Anvil", 2, "O1", 2),
        PickRow("SHP-00002", "MAIN", "A-10", "A", "Anvil", 4, "O2", 2),
        PickRow("SHP-00001", "MAIN", "", "C", "Cog", 1, "O1", 1),        # no bin: last
    ]


def test_carrier_export_rows():
    b = _book(customers=(customer("C1", name="Ada Ltd", email="ada@example.com",
                                  ship_to="1 Dock Rd\nPortsmouth", bill_to="PO Box 1"),
                         customer("C2", country="DE", bill_to="Hauptstr. 5")))
    s1 = m.Shipment(shipment_id="SHP-00001", order_id="O1", customer_id="C1", warehouse="MAIN",
                    carrier="UPS", service="Ground", country="US", weight=D("2.500"),
                    planned_on=DAY)
    s2 = m.Shipment(shipment_id="SHP-00002", order_id="O2", customer_id="C2", warehouse="MAIN",
                    country="DE", weight=D("10"), planned_on=DAY, status="Shipped",
                    posted_on=DAY)
    rows = carrier_export_rows([s1, s2], b)
    assert rows == [{"Order Number": "O1", "Shipment ID": "SHP-00001",
                     "Recipient Name": "Ada Ltd", "Address": "1 Dock Rd, Portsmouth",
                     "Country": "US", "Email": "ada@example.com", "Weight (kg)": "2.5",
                     "Carrier": "UPS", "Service": "Ground"}]
    assert list(rows[0]) == list(CARRIER_COLUMNS)
    picked = carrier_export_rows([s1, s2], b, ids=["shp-00002"])
    assert [(r["Shipment ID"], r["Recipient Name"], r["Address"], r["Weight (kg)"])
            for r in picked] == [("SHP-00002", "C2", "Hauptstr. 5", "10")]
