"""Invoice and packing-slip PDFs: what a customer and a packer read on the page."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ordersheet.documents import (invoice_pdf, money_text, packing_slip_pdf, percent_text,
                                  safe_text)
from ordersheet.domain import models as m
from ordersheet.domain.invoicing import issue_invoices
from ordersheet.domain.models import LinePrice
from ordersheet.domain.pricing import pricer_for

from .domain.factories import DAY, book, customer, line, product

D = Decimal
TODAY = dt.date(2026, 11, 20)
SETTINGS = m.Settings(company_name="Northwind Trading", company_address="1 Harbour Road\nBristol")


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def make_invoice(n_lines: int = 3, ccy: str = "USD", name: str = "Acme Corp",
                 country: str = "US"):
    """An invoice made the way a run makes it: through issue_invoices."""
    cust = customer("C1", name=name, country=country, currency=ccy,
                    ship_to="12 Main Street\nSpringfield", bill_to="PO Box 7\nSpringfield")
    products = [product(f"SKU-{i:03d}", description=f"Widget number {i}")
                for i in range(1, n_lines + 1)]
    bk = book(products=tuple(products), customers=(cust,), settings=SETTINGS,
              fx_rates=(m.FxRate(currency="EUR", rate=D("0.92")),
                        m.FxRate(currency="JPY", rate=D("150"))))
    ship = m.Shipment(shipment_id="SHP-00004", order_id="O-77", customer_id="C1",
                      warehouse="MAIN", carrier="UPS", service="Ground", cost=D("12.50"),
                      planned_on=DAY, status="Shipped", posted_on=DAY)
    slines = [m.ShipmentLine(shipment_id="SHP-00004", order_id="O-77", line=i,
                             sku=p.sku, warehouse="MAIN", quantity=i)
              for i, p in enumerate(products, 1)]
    orders = {(sl.order_id, sl.line): line("O-77", sl.line, sl.sku, sl.quantity)
              for sl in slines}
    unit = D("1234.5") if ccy == "JPY" else D("19.99")
    prices = {k: LinePrice(unit, D(0), D("0.2"), D(0), D(0), ccy) for k in orders}
    r = issue_invoices([ship], slines, orders, prices, bk, TODAY, rates=pricer_for(bk))
    (inv,) = r.invoices
    return inv, list(r.lines), cust


# ---- text made safe for the core font --------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("€5", "EUR 5"),
    ("5€", "5 EUR"),
    ("5 €", "5 EUR"),
    ("“quoted” – dash…", '"quoted" - dash...'),
    ("Łódź", "Lódz"),          # ó is Latin-1 and stays; Ł and ź lose what Helvetica lacks
    ("Müller £ ¥ é", "Müller £ ¥ é"),
    ("東京", "??"),
    ("tab\there", "tab here"),
])
def test_safe_text_keeps_latin1_and_replaces_the_rest(raw, shown):
    assert safe_text(raw) == shown
    safe_text(raw).encode("latin-1")


@pytest.mark.parametrize("amount, ccy, shown", [
    ("1234.50", "USD", "$1,234.50"),
    ("1234.50", "EUR", "EUR 1,234.50"),
    ("1235", "JPY", "¥1,235"),
    ("9.99", "GBP", "£9.99"),
    ("1234.50", "CHF", "CHF 1,234.50"),
    ("1234.50", "INR", "INR 1,234.50"),
    ("1.250", "KWD", "KWD 1.250"),
])
def test_money_text_shows_a_drawable_symbol_or_code(amount, ccy, shown):
    assert money_text(D(amount), ccy) == shown


def test_percent_text():
    assert [percent_text(D(x)) for x in ("0.2", "0.075", "0", "0.20")] == [
        "20 %", "7.5 %", "0 %", "20 %"]


# ---- invoice ---------------------------------------------------------------------------


def test_invoice_pdf_shows_number_customer_dates_lines_and_total():
    inv, lines, cust = make_invoice()
    pdf = invoice_pdf(inv, lines, cust, SETTINGS)

    assert pdf.startswith(b"%PDF")
    assert pages(pdf) == 1
    text = text_of(pdf)
    for expected in ("INVOICE", "Northwind Trading", "1 Harbour Road", "Acme Corp",
                     "PO Box 7", "12 Main Street", inv.invoice_no, "2026-11-20", "2026-12-20",
                     "O-77", "SHP-00004", "SKU-001", "Widget number 3", "Shipping: UPS Ground",
                     "Tax summary", "20 %",
                     "Payment due within 30 days, by 2026-12-20"):
        assert expected in text, expected
    # 1 + 2 + 3 = 6 x 19.99 = 119.94 + 12.50 shipping = 132.44 net, 20 % on goods only
    assert (inv.net, inv.tax, inv.total) == (D("132.44"), D("23.99"), D("156.43"))
    assert "$156.43" in text
    assert "$23.99" in text and "$12.50" in text


def test_invoice_pdf_in_euro_and_yen_uses_drawable_currency_text():
    inv, lines, cust = make_invoice(ccy="EUR", name="Łódź Trading Sp. z o.o.", country="PL")
    text = text_of(invoice_pdf(inv, lines, cust, SETTINGS.model_copy(
        update={"company_name": "Northwind € Trading"})))
    assert "Lódz Trading Sp. z o.o." in text
    assert "Northwind EUR Trading" in text
    assert f"EUR {inv.total:,.2f}" in text

    inv, lines, cust = make_invoice(ccy="JPY")
    text = text_of(invoice_pdf(inv, lines, cust, SETTINGS))
    assert f"¥{inv.total:,}" in text and "." not in f"{inv.total}"


def test_long_invoice_flows_onto_more_pages_with_every_line():
    inv, lines, cust = make_invoice(n_lines=90)
    pdf = invoice_pdf(inv, lines, cust, SETTINGS)
    assert pages(pdf) >= 2
    text = text_of(pdf)
    assert all(f"SKU-{i:03d}" in text for i in range(1, 91))
    assert text.count("Unit Price") >= 2  # the table headings repeat on the next page
    assert money_text(inv.total, "USD") in text
    assert f"Page {pages(pdf)} of {pages(pdf)}" in text


def test_invoice_pdf_without_customer_record_and_is_reproducible():
    inv, lines, _ = make_invoice()
    pdf = invoice_pdf(inv, lines, None, SETTINGS)
    assert "Acme Corp" in text_of(pdf)  # from the invoice's Customer Name
    assert pdf == invoice_pdf(inv, lines, None, SETTINGS)


# ---- packing slip ----------------------------------------------------------------------


def _slip(bins=None):
    products = {p.sku: p for p in (
        product("A-100", price="19.99", description="Anvil, large"),
        product("B-200", price="0.35", description="Bolt M8"),
        product("C-300", price="1250", description="Crate"))}
    ship = m.Shipment(shipment_id="SHP-00012", order_id="O-9", customer_id="C1",
                      warehouse="EAST", carrier="DHL", service="Express", country="DE",
                      weight=D("12.500"), cost=D("31.75"), planned_on=DAY,
                      tracking_no="1Z999")
    slines = [m.ShipmentLine(shipment_id="SHP-00012", order_id="O-9", line=i, sku=sku,
                             warehouse="EAST", quantity=q)
              for i, (sku, q) in enumerate((("A-100", 2), ("B-200", 40), ("C-300", 1)), 1)]
    orders = {("O-9", 1): line("O-9", 1, "A-100", 5, notes="Fragile – handle with care"),
              ("O-9", 2): line("O-9", 2, "B-200", 40),
              ("O-9", 3): line("O-9", 3, "C-300", 1)}
    cust = customer("C1", name="Müller GmbH", country="DE", currency="EUR",
                    ship_to="Hafenstraße 3\n20457 Hamburg")
    return packing_slip_pdf(ship, slines, orders, products, cust, SETTINGS, bins=bins)


def test_packing_slip_lists_what_is_in_the_box_and_no_prices():
    pdf = _slip(bins={("A-100", "EAST"): "R1-S3", ("B-200", "MAIN"): "X9"})
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    text = text_of(pdf)
    for expected in ("PACKING SLIP", "Northwind Trading", "Müller GmbH", "Hafenstraße 3",
                     "SHP-00012", "O-9", "DHL Express", "1Z999", "12.5 kg", "A-100",
                     "B-200", "C-300", "Anvil, large", "Bolt M8", "R1-S3",
                     "3 lines, 43 units", "Fragile - handle with care"):
        assert expected in text, expected
    assert "X9" not in text  # that bin is in another warehouse
    for price_text in ("19.99", "0.35", "1,250", "1250", "31.75", "$", "EUR", "€", "Price",
                       "Total"):
        assert price_text not in text, price_text


# ---- what a person sees ----------------------------------------------------------------


def test_first_page_renders_to_a_real_image(tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; cannot render the PDF")
    inv, lines, cust = make_invoice()
    for name, pdf in (("invoice", invoice_pdf(inv, lines, cust, SETTINGS)),
                      ("slip", _slip())):
        src = tmp_path / f"{name}.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile",
                        str(src), str(tmp_path / name)], check=True, timeout=60)
        png = tmp_path / f"{name}.png"
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000
        from PIL import Image

        with Image.open(png) as im:
            assert im.size[1] > im.size[0]  # A4 portrait
            grey = im.convert("L")
            dark = sum(grey.histogram()[:128])
            assert dark > 0.005 * grey.size[0] * grey.size[1]  # text was drawn
