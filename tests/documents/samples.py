"""One small business's documents, made the way a run makes them (through
`issue_invoices`): an invoice in EUR (base currency USD) with goods at two tax rates and a
converted SHIPPING line, and the packing slip of the same shipment. Seller and buyer have
tax IDs, the seller an e-mail address and bank details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ordersheet.domain import models as m
from ordersheet.domain.invoicing import issue_invoices
from ordersheet.domain.models import LinePrice
from ordersheet.domain.rates import Rates

from ..domain.factories import DAY, book, customer, line, product, stock

D = Decimal
TODAY = dt.date(2026, 11, 20)
SETTINGS = m.Settings(company_name="Northwind Trading", company_address="1 Harbour Road\nBristol",
                      company_tax_id="GB123456789", company_email="billing@northwind.example",
                      bank_details="Barclays, Bristol\nIBAN GB33 BUKB 2020 1555 5555 55")
INVOICE = "INV-00001"
SHIPMENT = "SHP-00004"

# SKU, description, unit price, tax rate, quantity shipped, quantity ordered, notes
GOODS = [
    ("A-100", "Anvil, large", "1234.5", "0.19", 2, 5, "Fragile – handle with care"),
    ("B-200", "Bolt M8", "0.0125", "0.19", 400, 400, ""),
    ("C-300", "Cookbook", "24", "0.07", 1, 1, ""),
]


def sample_book(*, ccy: str = "EUR", goods=GOODS, name: str = "Müller GmbH",
                country: str = "DE", settings: m.Settings = SETTINGS, terms: int = 30,
                ship_to: str = "Hafenstraße 3\n20457 Hamburg",
                bill_to: str = "Postfach 12 34\n20001 Hamburg",
                tax_id: str = "DE811234567") -> m.OrderBook:
    """A book holding invoice INV-00001 of shipment SHP-00004, with everything both
    documents look up (customer, products, bins, order lines)."""
    cust = customer("C1", name=name, country=country, currency=ccy, payment_terms_days=terms,
                    ship_to=ship_to, bill_to=bill_to, tax_id=tax_id)
    products = tuple(product(sku, description=desc) for sku, desc, *_ in goods)
    ship = m.Shipment(shipment_id=SHIPMENT, order_id="O-77", customer_id="C1",
                      warehouse="EAST", carrier="DHL", service="Express", country=country,
                      weight=D("8.75"), cost=D("12.50"), planned_on=DAY, status="Shipped",
                      shipped_on=DAY, tracking_no="1Z999", posted_on=DAY)
    slines = tuple(m.ShipmentLine(shipment_id=SHIPMENT, order_id="O-77", line=i, sku=sku,
                                  warehouse="EAST", quantity=shipped)
                   for i, (sku, _, _, _, shipped, _, _) in enumerate(goods, 1))
    orders = tuple(line("O-77", i, sku, ordered, notes=notes)
                   for i, (sku, _, _, _, _, ordered, notes) in enumerate(goods, 1))
    bk = book(products=products, customers=(cust,), settings=settings, orders=orders,
              inventory=(stock("A-100", 9, warehouse="EAST", bin="R1-S3"),
                         stock("B-200", 900, warehouse="EAST", bin="B-07"),
                         stock("C-300", 9, warehouse="MAIN", bin="X9")),
              tax_rates=(m.TaxRate(country=country, tax_class="shipping", rate=D("0.19")),),
              fx_rates=(m.FxRate(currency="EUR", rate=D("0.92")),
                        m.FxRate(currency="JPY", rate=D("150")),
                        m.FxRate(currency="KWD", rate=D("0.307"))))
    prices = {ln.key: LinePrice(D(price), D(0), D(rate), D(0), D(0), ccy)
              for ln, (_, _, price, rate, *_) in zip(orders, goods)}
    r = issue_invoices([ship], slines, {ln.key: ln for ln in orders}, prices, bk, TODAY,
                       rates=Rates(bk))
    (inv,) = r.invoices
    return bk.model_copy(update={"shipments": (ship,), "shipment_lines": slines,
                                 "invoices": (inv,), "invoice_lines": r.lines})
