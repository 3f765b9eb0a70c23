"""The PDF and the print sheet of one document say the same: every value the print sheet
shows is in the PDF's text as the sheet shows it, and every field, line, tax-summary row
and total of the content model is in both, at its cell on the sheet.

The sheet is filled the way a run fills it (ops applied by a workbook engine to the
template, or to a book without one) and read back the way Excel shows it: each cell's
value under its own number format, by `shown` below, written apart from the renderer's
own reckoning on purpose."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from pypdf import PdfReader

from ordersheet.book.layouts import INVOICE_LAYOUT, PACKING_SLIP_LAYOUT
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.plan import WritePlan
from ordersheet.book.print_sheet import document_ops
from ordersheet.book.raw import split_a1
from ordersheet.book.templates import build_invoice_template, build_packing_slip_template
from ordersheet.documents import model, pdf

from .samples import INVOICE, SHIPMENT, sample_book


def shown(value, fmt: str) -> str:
    """The text Excel shows for a cell read back by openpyxl (floats, ints, datetimes)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        assert fmt == "yyyy-mm-dd", fmt
        return value.date().isoformat()
    if fmt == "General":
        assert float(value).is_integer(), value
        return str(int(value))
    if fmt == "0":
        return f"{value:.0f}"
    if fmt == "0.00":
        return f"{value:.2f}"
    if fmt == "#,##0.00":
        return f"{value:,.2f}"
    if fmt == "#,##0.00####":
        whole, frac = f"{value:,.6f}".split(".")
        return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"
    if fmt == "0.00%":
        return f"{value * 100:.2f}%"
    if fmt == "#,##0":  # a JPY amount
        return f"{value:,.0f}"
    if fmt in ("#,##0.000", "#,##0.0#", "#,##0.000##"):  # KWD; a JPY, a KWD unit price
        least = fmt.count("0") - 1
        whole, frac = f"{value:,.{fmt.count('0') - 1 + fmt.count('#') - 3}f}".split(".")
        return f"{whole}.{frac.rstrip('0').ljust(least, '0')}"
    raise AssertionError(f"no reading for number format {fmt!r}")


def sheet_shows(book, doc_id: str, layout, template: bool, tmp_path
                ) -> tuple[dict[str, str], dict[str, str]]:
    """Cell address -> the text shown, for every cell the renderer wrote a value into; and
    the template's own texts (its labels)."""
    path = tmp_path / "print.xlsx"
    if template:
        (build_invoice_template if layout is INVOICE_LAYOUT else build_packing_slip_template)(path)
        blank = {c.coordinate: c.value for row in load_workbook(path)[layout.sheet].iter_rows()
                 for c in row}
    else:
        Workbook().save(path)
        blank = {}
    existing = {layout.sheet} if template else set()
    port = OpenpyxlBook(path)
    port.apply(WritePlan(document_ops(book, doc_id, existing)))
    port.save(path)
    ws = load_workbook(path)[layout.sheet]
    written = {c.coordinate: shown(c.value, c.number_format) for row in ws.iter_rows()
               for c in row if c.value is not None and c.value != blank.get(c.coordinate)}
    return written, {a: v for a, v in blank.items() if isinstance(v, str)}


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of white space made one space."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def in_pdf(text: str, pdf_says: str) -> bool:
    """Every line of `text`, as the PDF's font can draw it, is in the PDF's text."""
    return all(" ".join(pdf.clean_text(part).split()) in pdf_says
               for part in text.split("\n") if part.strip())


def check_labels(layout, labels: dict[str, str], template: dict[str, str]) -> None:
    """The template's label beside each field (the nearest text left of it on its row) and
    above each column is the model's, as in the PDF."""
    for key, addr in layout.fields.items():
        col, row = split_a1(addr)[1], split_a1(addr)[0]
        left = [template[a] for c in range(col - 1, 0, -1)
                if (a := f"{get_column_letter(c)}{row}") in template]
        if left:
            assert left[0] == labels[key], (key, addr, left[0])
    for columns, first in ((layout.line_columns, layout.lines_first_row),
                           (layout.summary_columns, layout.summary_first_row)):
        for key, letter in columns.items():
            assert template.get(f"{letter}{first - 1}") == labels[key], (key, letter)


def check_agreement(doc, layout, sheet: dict[str, str], pdf_says: str, pdf_columns) -> None:
    # 1. Everything the sheet shows, the PDF shows.
    for addr, text in sheet.items():
        assert in_pdf(text, pdf_says), f"sheet {addr} shows {text!r}; the PDF does not"
    # 2. Every field of the model, at its cell on the sheet and in the PDF.
    for key, addr in layout.fields.items():
        text = doc.text(key)
        assert sheet.get(addr, "") == text, (key, addr, sheet.get(addr), text)
        assert in_pdf(text, pdf_says), f"{key} {text!r} is not in the PDF"
    # 3. Each line: its cells on the sheet, and its values together on one PDF row.
    def rows(rows, first_row, columns, order):
        for i, row in enumerate(rows):
            for key, letter in columns.items():
                addr = f"{letter}{first_row + i}"
                assert sheet.get(addr, "") == row[key].text, (addr, sheet.get(addr), row[key])
            together = " ".join(pdf.clean_text(row[k].text) for k in order if row[k].text)
            assert " ".join(together.split()) in pdf_says, f"row {together!r} not in the PDF"

    rows(doc.lines, layout.lines_first_row, layout.line_columns, pdf_columns)
    if isinstance(doc, model.InvoiceDocument):
        assert doc.tax_summary
        rows(doc.tax_summary, layout.summary_first_row, layout.summary_columns,
             model.SUMMARY_COLUMNS)


@pytest.mark.parametrize("template", [True, False], ids=["template", "plain sheet"])
def test_invoice_pdf_and_print_sheet_show_the_same(tmp_path, template):
    book = sample_book()
    doc = model.document(book, INVOICE)
    # the case this test is about: several lines, two tax rates, shipping, not USD
    assert len(doc.lines) == 4 and doc.lines[-1]["sku"].text == "SHIPPING"
    assert len(doc.tax_summary) == 2 and doc.text("currency") == "EUR"
    sheet, labels = sheet_shows(book, INVOICE, INVOICE_LAYOUT, template, tmp_path)
    check_agreement(doc, INVOICE_LAYOUT, sheet, pdf_text(pdf.invoice_pdf(doc)),
                    model.INVOICE_COLUMNS)
    if template:
        check_labels(INVOICE_LAYOUT, model.INVOICE_LABELS, labels)


@pytest.mark.parametrize("template", [True, False], ids=["template", "plain sheet"])
def test_packing_slip_pdf_and_print_sheet_show_the_same(tmp_path, template):
    book = sample_book()
    doc = model.document(book, SHIPMENT)
    sheet, labels = sheet_shows(book, SHIPMENT, PACKING_SLIP_LAYOUT, template, tmp_path)
    check_agreement(doc, PACKING_SLIP_LAYOUT, sheet, pdf_text(pdf.packing_slip_pdf(doc)),
                    model.SLIP_COLUMNS)
    if template:
        check_labels(PACKING_SLIP_LAYOUT, model.SLIP_LABELS, labels)


def test_currencies_with_other_minor_units_agree_too(tmp_path):
    for ccy in ("JPY", "KWD"):
        book = sample_book(ccy=ccy)
        doc = model.document(book, INVOICE)
        sheet, _ = sheet_shows(book, INVOICE, INVOICE_LAYOUT, True, tmp_path)
        check_agreement(doc, INVOICE_LAYOUT, sheet, pdf_text(pdf.invoice_pdf(doc)),
                        model.INVOICE_COLUMNS)


@pytest.mark.parametrize("template", [True, False], ids=["template", "plain sheet"])
def test_credit_note_pdf_and_print_sheet_show_the_same(tmp_path, template):
    from decimal import Decimal

    from ordersheet.domain.returns import credit_note

    book = sample_book()
    inv = next(i for i in book.invoices if i.invoice_no == INVOICE)
    il = next(ln for ln in book.invoice_lines if ln.invoice_no == INVOICE)
    head, lines = credit_note("CN-00001", inv, il, 1, Decimal("0.1"), inv.invoice_date,
                              "half-up")
    book = book.model_copy(update={"invoices": book.invoices + (head,),
                                   "invoice_lines": book.invoice_lines + tuple(lines)})
    doc = model.document(book, "CN-00001")
    assert doc.title == "Credit Note"
    assert f"credits invoice {INVOICE}" in doc.text("payment_terms")
    sheet, _ = sheet_shows(book, "CN-00001", INVOICE_LAYOUT, template, tmp_path)
    assert sheet["F1"] == "CREDIT NOTE"
    check_agreement(doc, INVOICE_LAYOUT, sheet, pdf_text(pdf.invoice_pdf(doc)),
                    model.INVOICE_COLUMNS)
