"""What the invoice and the packing slip say, whichever way they are rendered."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordersheet.documents import model
from ordersheet.domain import models as m
from ordersheet.documents.model import (amount_text, money_text, percent_text,
                                        unit_price_text, weight_text)

from .samples import INVOICE, SHIPMENT, sample_book

D = Decimal


@pytest.mark.parametrize("amount, ccy, shown", [
    ("1234.50", "USD", "1,234.50"), ("1235", "JPY", "1,235"), ("1.250", "KWD", "1.250"),
    ("0", "EUR", "0.00"), ("-12.5", "GBP", "-12.50"),
])
def test_amounts_show_their_currency_minor_unit(amount, ccy, shown):
    assert amount_text(D(amount), ccy) == shown
    assert money_text(D(amount), ccy) == f"{ccy} {shown}"


def test_prices_rates_and_weights_show_every_digit_and_at_least_two_decimals():
    assert [unit_price_text(D(x), "USD") for x in ("19.99", "0.0125", "24", "1E+1")] == [
        "19.99", "0.0125", "24.00", "10.00"]
    assert unit_price_text(D("1234.5"), "JPY") == "1,234.5"


@pytest.mark.parametrize("price, ccy, qty, net, shown", [
    ("329.249600", "EUR", 2, "658.50", "329.25"),   # converted: the cents say it all
    ("75.329600", "EUR", 4, "301.32", "75.33"),
    ("330.466392", "EUR", 7, "2313.26", "330.466"),  # 330.47 x 7 would be 2,313.29
    ("0.012500", "USD", 400, "5.00", "0.0125"),
    ("0.012345", "USD", 1000, "12.35", "0.0123"),    # never more than two extra digits
    ("33178.500000", "JPY", 3, "99536", "33,178.5"),  # 33,179 x 3 would be 99,537
    ("8938.500000", "JPY", 1, "8939", "8,939"),
    ("24", "EUR", 1, "24.00", "24.00"),
])
def test_a_worked_out_unit_price_shows_what_gives_the_lines_net_and_no_more(
        price, ccy, qty, net, shown):
    assert unit_price_text(D(price), ccy, typed=False, quantity=qty, net=D(net)) == shown


def test_a_unit_price_a_person_typed_shows_as_typed():
    goods = [("A-100", "Tent", "329.2496", "0.19", 2, 2, ""),
             ("B-200", "Bolt", "0.0125", "0.19", 400, 400, ""),
             ("C-300", "Map", "12.5", "0.07", 1, 1, "")]
    book = sample_book(goods=goods)
    worked_out = model.document(book, INVOICE)
    assert [ln["unit_price"].text for ln in worked_out.lines][:3] == ["329.25", "0.0125",
                                                                      "12.50"]
    typed = book.model_copy(update={
        "price_rules": (m.PriceRule(sku="A-100", currency="EUR", unit_price=D("329.2496")),),
        "orders": tuple(o.model_copy(update={"unit_price": D("12.50")}) if o.sku == "C-300"
                        else o for o in book.orders)})
    doc = model.document(typed, INVOICE)
    assert [ln["unit_price"].text for ln in doc.lines][:3] == ["329.2496", "0.0125", "12.50"]
    assert doc.lines[0]["unit_price"].value == D("329.2496")
    # a rule in another currency was converted: not typed in EUR
    usd_rule = book.model_copy(update={
        "price_rules": (m.PriceRule(sku="A-100", currency="USD", unit_price=D("329.2496")),)})
    assert model.document(usd_rule, INVOICE).lines[0]["unit_price"].text == "329.25"


def test_a_list_price_in_the_base_currency_is_typed():
    goods = [("A-100", "Tent", "10.1234", "0.19", 1, 1, "")]
    book = sample_book(ccy="USD", goods=goods)
    assert model.document(book, INVOICE).lines[0]["unit_price"].text == "10.12"
    listed = book.model_copy(update={"products": tuple(
        p.model_copy(update={"list_price": D("10.1234")}) for p in book.products)})
    assert model.document(listed, INVOICE).lines[0]["unit_price"].text == "10.1234"
    assert [percent_text(D(x)) for x in ("0.2", "0.075", "0", "0.08875", "0.20")] == [
        "20.00%", "7.50%", "0.00%", "8.875%", "20.00%"]
    assert [weight_text(D(x)) for x in ("12.5", "0.125", "3")] == ["12.50", "0.125", "3.00"]


# ---- invoice ---------------------------------------------------------------------------


def test_invoice_shows_its_header_lines_tax_by_rate_and_totals():
    book = sample_book()
    doc = model.document(book, INVOICE)
    (inv,) = book.invoices
    assert {k: doc.text(k) for k in model.INVOICE_FACTS} == {
        "invoice_no": "INV-00001", "invoice_date": "2026-11-20", "due_date": "2026-12-20",
        "currency": "EUR", "customer_id": "C1", "order_id": "O-77", "shipment_id": "SHP-00004",
        "shipped_on": "2026-11-02", "tracking_no": "1Z999"}
    assert doc.text("customer_name") == "Müller GmbH"
    assert doc.text("bill_to") == "Postfach 12 34\n20001 Hamburg"
    assert doc.text("company_address") == "1 Harbour Road\nBristol"
    assert [[ln[c].text for c in model.INVOICE_COLUMNS] for ln in doc.lines] == [
        ["A-100", "Anvil, large", "2", "1,234.50", "2,469.00", "19.00%", "469.11", "2,938.11"],
        ["B-200", "Bolt M8", "400", "0.0125", "5.00", "19.00%", "0.95", "5.95"],
        ["C-300", "Cookbook", "1", "24.00", "24.00", "7.00%", "1.68", "25.68"],
        ["SHIPPING", "Shipping: DHL Express", "1", "11.50", "11.50", "19.00%", "2.19",
         "13.69"],
    ]
    assert [[r[c].text for c in model.SUMMARY_COLUMNS] for r in doc.tax_summary] == [
        ["7.00%", "24.00", "1.68"], ["19.00%", "2,485.50", "472.25"]]
    # Net is the Invoices sheet's Net: the lines' sum, shipping included.
    assert [doc.text(k) for k in model.INVOICE_TOTALS] == ["2,509.50", "473.93", "2,983.43"]
    assert (doc.fields["net"].value, doc.fields["total"].value) == (inv.net, inv.total)
    assert sum(r["net"].value for r in doc.tax_summary) == inv.net
    assert sum(r["tax"].value for r in doc.tax_summary) == inv.tax
    assert doc.text("payment_terms") == (
        "Payment of EUR 2,983.43 due within 30 days, by 2026-12-20. "
        "Please quote invoice number INV-00001 with your payment.")


def test_invoice_says_what_was_issued_not_what_the_customer_record_says_now():
    book = sample_book(terms=30)
    (cust,) = book.customers
    (inv,) = book.invoices
    later = book.model_copy(update={
        "customers": (cust.model_copy(update={"name": "Müller AG", "payment_terms_days": 60}),),
        "invoices": (inv.model_copy(update={"paid": D("100"), "balance": inv.total - 100,
                                            "status": "Partially Paid"}),)})
    doc = model.document(later, INVOICE)
    assert doc.text("customer_name") == "Müller GmbH"
    assert "due within 30 days, by 2026-12-20" in doc.text("payment_terms")
    assert doc == model.document(book, INVOICE)  # a payment does not change the invoice


def test_invoice_customer_name_and_address_fallbacks():
    book = sample_book(bill_to="", ship_to="Hafenstraße 3\n\n  20457 Hamburg \r")
    doc = model.document(book, INVOICE)
    assert doc.text("bill_to") == "Hafenstraße 3\n20457 Hamburg"  # no bill-to: ship-to
    (inv,) = book.invoices
    unnamed = book.model_copy(update={"invoices": (inv.model_copy(update={"customer_name": ""}),)})
    assert model.document(unnamed, INVOICE).text("customer_name") == "Müller GmbH"
    gone = unnamed.model_copy(update={"customers": ()})
    doc = model.document(gone, INVOICE)
    assert (doc.text("customer_name"), doc.text("bill_to")) == ("C1", "")


@pytest.mark.parametrize("terms, says", [(0, "due on receipt, by 2026-11-20"),
                                         (1, "due within 1 day, by 2026-11-21")])
def test_payment_terms_sentence_reads_well_for_short_terms(terms, says):
    assert says in model.document(sample_book(terms=terms), INVOICE).text("payment_terms")


def test_invoice_in_yen_and_dinar_shows_their_digits():
    jpy = model.document(sample_book(ccy="JPY"), INVOICE)
    assert [jpy.lines[0][c].text for c in ("unit_price", "net")] == ["1,234.5", "2,469"]
    assert jpy.text("payment_terms").startswith(f"Payment of JPY {jpy.text('total')} due")
    kwd = model.document(sample_book(ccy="KWD"), INVOICE)
    assert kwd.lines[1]["net"].text == "5.000"


# ---- packing slip ----------------------------------------------------------------------


def test_packing_slip_shows_the_shipment_and_what_is_in_the_box():
    doc = model.document(sample_book(), SHIPMENT)
    assert {k: doc.text(k) for k in model.SLIP_FACTS} == {
        "shipment_id": "SHP-00004", "order_id": "O-77", "customer_id": "C1",
        "warehouse": "EAST", "planned_on": "2026-11-02", "shipped_on": "2026-11-02",
        "carrier": "DHL", "service": "Express", "tracking_no": "1Z999", "weight": "8.75"}
    assert (doc.text("customer_name"), doc.text("ship_to"), doc.text("country")) == (
        "Müller GmbH", "Hafenstraße 3\n20457 Hamburg", "DE")
    assert [[ln[c].text for c in model.SLIP_COLUMNS] for ln in doc.lines] == [
        ["A-100", "Anvil, large", "R1-S3", "5", "2", "Fragile – handle with care"],
        ["B-200", "Bolt M8", "B-07", "400", "400", ""],
        ["C-300", "Cookbook", "", "1", "1", ""],  # its only bin is in another warehouse
    ]
    assert doc.text("contents") == "3 lines, 403 units in this shipment."
    assert not any(k in doc.fields for k in ("net", "tax", "total", "unit_price"))


def test_packing_slip_fallbacks():
    book = sample_book(ship_to="", name="", goods=[("A-100", "Anvil", "1", "0", 1, 1, "")])
    (shp,) = book.shipments
    book = book.model_copy(update={"shipments": (shp.model_copy(update={"shipped_on": None}),)})
    doc = model.document(book, SHIPMENT)
    assert doc.text("ship_to") == "Postfach 12 34\n20001 Hamburg"  # no ship-to: bill-to
    assert doc.text("customer_name") == "C1"
    assert doc.text("shipped_on") == "" and doc.on == shp.planned_on
    assert doc.text("contents") == "1 line, 1 unit in this shipment."


def test_documents_are_found_by_invoice_number_or_shipment_id():
    book = sample_book()
    docs = model.documents(book, [" SHP-00004", "INV-00001 "])
    assert [(type(d).__name__, d.doc_id) for d in docs] == [
        ("PackingSlipDocument", "SHP-00004"), ("InvoiceDocument", "INV-00001")]
    with pytest.raises(model.DocumentNotFound):
        model.documents(book, ["INV-00001", "SHP-99999"])
