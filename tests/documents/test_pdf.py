"""Invoice and packing-slip PDFs: the page a customer and a packer read (what the
documents say is tested in test_model; that the print sheet says the same, in
test_renderings_agree)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from ordersheet.documents import model
from ordersheet.documents.pdf import (clean_text, document_pdf, invoice_pdf, packing_slip_pdf,
                                      pdfs)

from .samples import GOODS, INVOICE, SETTINGS, SHIPMENT, sample_book


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def many_goods(n: int):
    return [(f"SKU-{i:03d}", f"Widget number {i}", "19.99", "0.19", i, i, "")
            for i in range(1, n + 1)]


# ---- text as drawn ---------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("€5 – “quoted”…", "€5 – “quoted”…"),   # the embedded font draws them as typed
    ("Łódź Dvořák Ελλάδα Москва", "Łódź Dvořák Ελλάδα Москва"),
    ("tab\there", "tab here"),
    ("zero\u200bwidth\x07", "zerowidth"),      # invisible and control characters go
    ("two\nlines", "two\nlines"),
])
def test_clean_text_keeps_what_a_font_draws_and_drops_the_invisible(raw, shown):
    assert clean_text(raw) == shown


def test_clean_text_marks_what_no_font_here_draws():
    assert clean_text("東京 Ltd", frozenset("東京")) == "\ufffd\ufffd Ltd"


# ---- invoice ---------------------------------------------------------------------------


def test_invoice_pdf_is_one_page_with_the_document_on_it():
    doc = model.document(sample_book(), INVOICE)
    pdf = invoice_pdf(doc)
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    text = text_of(pdf)
    for expected in ("INVOICE", "BILL TO", "Invoice No INV-00001", "Tax summary",
                     "Total 2,983.43", "Invoice INV-00001", "Page 1 of 1"):
        assert expected in text, expected


def test_invoice_pdf_prints_european_names_and_signs_as_typed():
    settings = SETTINGS.model_copy(update={"company_name": "Northwind € Trading"})
    doc = model.document(sample_book(name="Łódź Trading Sp. z o.o.", settings=settings),
                         INVOICE)
    text = text_of(invoice_pdf(doc))
    assert "Łódź Trading Sp. z o.o." in text
    assert "Northwind € Trading" in text


def test_invoice_names_seller_and_buyer_as_accounts_payable_needs_them():
    text = " ".join(text_of(invoice_pdf(model.document(sample_book(), INVOICE))).split())
    for expected in ("Tax ID: GB123456789", "Email: billing@northwind.example",  # seller
                     "Müller GmbH Postfach 12 34 20001 Hamburg Tax ID: DE811234567",  # buyer
                     "Shipped On 2026-11-02", "Tracking No 1Z999",
                     "Bank details Barclays, Bristol IBAN GB33 BUKB 2020 1555 5555 55"):
        assert expected in text, expected


def test_a_book_without_company_details_prints_no_made_up_seller():
    doc = model.document(sample_book(settings=model.Settings()), INVOICE)
    text = text_of(invoice_pdf(doc))
    assert "My Company" not in text and "Tax ID: G" not in text and "Bank details" not in text


def test_long_invoice_flows_onto_more_pages_with_every_line():
    doc = model.document(sample_book(goods=many_goods(90)), INVOICE)
    pdf = invoice_pdf(doc)
    assert pages(pdf) >= 2
    text = text_of(pdf)
    assert all(f"SKU-{i:03d}" in text for i in range(1, 91))
    assert text.count("Unit Price") >= 2  # the table headings repeat on the next page
    assert f"Total {doc.text('total')}" in text
    assert f"Page {pages(pdf)} of {pages(pdf)}" in text


def test_a_description_longer_than_a_page_wraps_onto_the_next_pages():
    words = " ".join(f"word{i:03d}" for i in range(250))  # 2,000 characters
    goods = [("LONG-1", words, "10", "0.19", 1, 1, ""), ("UNBROKEN", "x" * 2000, "1", "0.19",
                                                          1, 1, "")]
    for doc_id in (INVOICE, SHIPMENT):
        doc = model.document(sample_book(goods=goods), doc_id)
        data = document_pdf(doc)
        assert pages(data) >= 2
        text = " ".join(text_of(data).split())
        assert re.findall(r"word\d{3}", text) == words.split()  # every word, in order
        assert "".join(re.findall(r"x{4,}", text)) == "x" * 2000
        assert f"Page {pages(data)} of {pages(data)}" in text
        # the headings are repeated on every page the lines table goes on to
        assert text.count("Description") >= pages(data) - 1


def test_the_same_document_renders_to_the_same_bytes():
    book = sample_book()
    for doc_id in (INVOICE, SHIPMENT):
        assert document_pdf(model.document(book, doc_id)) == \
            document_pdf(model.document(sample_book(), doc_id))


def test_pdfs_names_each_file_after_its_document():
    named = pdfs(sample_book(), [SHIPMENT, " INV-00001 "])
    assert [name for name, _ in named] == ["SHP-00004.pdf", "INV-00001.pdf"]
    with pytest.raises(model.DocumentNotFound):
        pdfs(sample_book(), ["INV-99999"])


# ---- packing slip ----------------------------------------------------------------------


def test_packing_slip_lists_what_is_in_the_box_and_no_prices():
    pdf = packing_slip_pdf(model.document(sample_book(), SHIPMENT))
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    text = " ".join(text_of(pdf).split())  # a long note wraps within its cell
    for expected in ("PACKING SLIP", "SHIP TO", "Checked", "Fragile – handle with care"):
        assert expected in text, expected
    assert "X9" not in text  # that bin is in another warehouse
    prices = {p for _, _, p, *_ in GOODS} | {"1,234.50", "12.50", "11.50", "EUR", "€",
                                              "Price", "Total", "%"}
    for price_text in prices:
        assert price_text not in text, price_text


# ---- what a person sees ----------------------------------------------------------------


def test_first_page_renders_to_a_real_image(tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; cannot render the PDF")
    book = sample_book()
    for name, doc_id in (("invoice", INVOICE), ("slip", SHIPMENT)):
        pdf = document_pdf(model.document(book, doc_id))
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
