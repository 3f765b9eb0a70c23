"""Read-only views of shipments for the warehouse and the carrier (CONTRACT §4 "Shipping",
§5 Pick List): `pick_list` (the Pick List sheet) and `carrier_export_rows` (a carrier's
batch-import CSV for label printing). They change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .models import OrderBook, Shipment, ShipmentLine
from .shipping import is_ready, kg_text


@dataclass(frozen=True)
class PickRow:
    """One row of the Pick List sheet."""

    shipment_id: str
    warehouse: str
    bin: str
    sku: str
    description: str
    quantity: int
    order_id: str
    line: int


_DIGITS = re.compile(r"(\d+)")


def _bin_key(bin_: str) -> tuple:
    """Natural order (A-2 before A-10); blank bins last, so the walk ends at the unknowns."""
    b = (bin_ or "").strip()
    if not b:
        return (1, ())
    return (0, tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower())
                     for t in _DIGITS.split(b) if t))


def pick_list(shipments: Sequence[Shipment], shipment_lines: Sequence[ShipmentLine],
              book: OrderBook) -> list[PickRow]:
    """Every line of every Ready shipment, in one walk through each warehouse: sorted by
    warehouse, bin (natural order, blank last), SKU, then shipment, order and line."""
    ready = {s.shipment_id for s in shipments if is_ready(s)}
    bins = {st.key: st.bin for st in book.inventory}
    desc = {p.sku: p.description for p in book.products}
    rows = [PickRow(sl.shipment_id, sl.warehouse, bins.get((sl.sku, sl.warehouse), ""),
                    sl.sku, desc.get(sl.sku, ""), sl.quantity, sl.order_id, sl.line)
            for sl in shipment_lines if sl.shipment_id in ready and sl.quantity > 0]
    rows.sort(key=lambda r: (r.warehouse, _bin_key(r.bin), r.sku, r.shipment_id, r.order_id,
                             r.line))
    return rows


CARRIER_COLUMNS = ("Order Number", "Shipment ID", "Recipient Name", "Address", "Country",
                   "Email", "Weight (kg)", "Carrier", "Service")


def carrier_export_rows(shipments: Sequence[Shipment], book: OrderBook,
                        ids: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Rows for a carrier's batch-import CSV (label printing), one per shipment, all values
    text, keys in `CARRIER_COLUMNS` order:

    - Order Number: the shipment's Order ID (carriers print it as the reference);
    - Shipment ID: `SHP-00001`, to match tracking numbers back to the Shipments sheet;
    - Recipient Name: the customer's Name (Customer ID when the name is blank);
    - Address: the customer's Ship To, else Bill To, line breaks joined with ", ";
    - Country: the shipment's Country (ISO alpha-2), else the customer's;
    - Email: the customer's Email (for carrier delivery notifications);
    - Weight (kg): the shipment weight as plain decimal text (`2.5`);
    - Carrier, Service: as planned on the Shipments sheet.

    `ids` None: every Ready shipment; otherwise the shipments with those IDs (any status,
    matched case-insensitively; unknown IDs are skipped). Rows follow the Shipments sheet.
    """
    customers = {c.customer_id: c for c in book.customers}
    if ids is None:
        chosen = [s for s in shipments if is_ready(s)]
    else:
        wanted = {(i or "").strip().upper() for i in ids}
        chosen = [s for s in shipments if s.shipment_id.strip().upper() in wanted]
    rows = []
    for s in chosen:
        c = customers.get(s.customer_id)
        address = (c.ship_to or c.bill_to) if c else ""
        address = ", ".join(part.strip() for part in address.splitlines() if part.strip())
        rows.append(dict(zip(CARRIER_COLUMNS, (
            s.order_id, s.shipment_id, (c.name if c and c.name else s.customer_id), address,
            s.country or (c.country if c else ""), c.email if c else "", kg_text(s.weight),
            s.carrier, s.service))))
    return rows
