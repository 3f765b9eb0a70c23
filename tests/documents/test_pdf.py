"""Invoice and packing-slip PDFs: the page a customer and a packer read (what the
documents say is tested in test_model; that the print sheet says the same, in
test_renderings_agree)."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from ordersheet.documents import model
from ordersheet.documents.pdf import document_pdf, invoice_pdf, packing_slip_pdf, pdfs, safe_text

from .samples import GOODS, INVOICE, SETTINGS, SHIPMENT, sample_book


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def many_goods(n: int):
    return [(f"SKU-{i:03d}", f"Widget number {i}", "19.99", "0.19", i, i, "")
            for i in range(1, n + 1)]


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


# ---- invoice ---------------------------------------------------------------------------


def test_invoice_pdf_is_one_page_with_the_document_on_it():
    doc = model.document(sample_book(), INVOICE)
    pdf = invoice_pdf(doc)
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    text = text_of(pdf)
    for expected in ("INVOICE", "BILL TO", "Invoice No INV-00001", "Tax summary",
                     "Total 2,983.43", "Invoice INV-00001", "Page 1 of 1"):
        assert expected in text, expected


def test_invoice_pdf_draws_what_its_font_cannot_as_text_it_can():
    settings = SETTINGS.model_copy(update={"company_name": "Northwind € Trading"})
    doc = model.document(sample_book(name="Łódź Trading Sp. z o.o.", settings=settings),
                         INVOICE)
    text = text_of(invoice_pdf(doc))
    assert "Lódz Trading Sp. z o.o." in text
    assert "Northwind EUR Trading" in text


def test_long_invoice_flows_onto_more_pages_with_every_line():
    doc = model.document(sample_book(goods=many_goods(90)), INVOICE)
    pdf = invoice_pdf(doc)
    assert pages(pdf) >= 2
    text = text_of(pdf)
    assert all(f"SKU-{i:03d}" in text for i in range(1, 91))
    assert text.count("Unit Price") >= 2  # the table headings repeat on the next page
    assert f"Total {doc.text('total')}" in text
    assert f"Page {pages(pdf)} of {pages(pdf)}" in text


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
    text = text_of(pdf)
    for expected in ("PACKING SLIP", "SHIP TO", "Checked", "Fragile - handle with care"):
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
