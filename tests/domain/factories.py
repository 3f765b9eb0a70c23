"""Build domain records from short literal rows, so tests read like the spreadsheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ordersheet.domain import models as m

D = Decimal
DAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 9, 0, 0)

ORDER_COLS = {"order_id": "A", "line": "B", "order_date": "C", "customer_id": "D", "sku": "E",
              "quantity": "F", "unit_price": "G", "requested_date": "H", "priority": "I",
              "warehouse": "J", "ship_method": "K", "notes": "L"}


def line(order_id: str, ln: int, sku: str, qty: int, *, customer: str = "C1",
         date: dt.date = DAY, row: int = 0, **kw) -> m.OrderLine:
    return m.OrderLine(order_id=order_id, line=ln, order_date=date, customer_id=customer,
                       sku=sku, quantity=qty, row=row, cols=ORDER_COLS, **kw)


def product(sku: str, price: str = "10", weight: str = "1", **kw) -> m.Product:
    return m.Product(sku=sku, list_price=D(price), weight=D(weight), **kw)


def stock(sku: str, on_hand: int, warehouse: str = "MAIN", **kw) -> m.StockLevel:
    return m.StockLevel(sku=sku, warehouse=warehouse, on_hand=on_hand, **kw)


def customer(cid: str = "C1", **kw) -> m.Customer:
    kw.setdefault("country", "US")
    return m.Customer(customer_id=cid, **kw)


def book(**kw) -> m.OrderBook:
    present = set(kw.pop("present", ()))
    for field, sheet in (("tax_rates", "Tax Rates"), ("fx_rates", "FX Rates"),
                         ("shipping_rates", "Shipping Rates"), ("price_rules", "Price Rules")):
        if kw.get(field):
            present.add(sheet)
    present |= {"Orders", "Products", "Inventory", "Customers"}
    return m.OrderBook(present=frozenset(present), **kw)
