"""The print sheets: where a document's values go, and how each is written so the sheet
shows the document's text (the comparison with the PDF is in
tests/documents/test_renderings_agree.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ordersheet.book.layouts import INVOICE_LAYOUT, PACKING_SLIP_LAYOUT
from ordersheet.book.plan import ReplaceSheet, SetCells
from ordersheet.book.print_sheet import DocumentNotFound, document_ops, excel_text
from ordersheet.book.raw import split_a1

from ..documents.samples import INVOICE, SHIPMENT, sample_book

D = Decimal


@pytest.mark.parametrize("value, fmt, shows", [
    (D("2469.00"), "#,##0.00", "2,469.00"), (D("2469"), "#,##0.00", "2,469.00"),
    (D("0.0125"), "#,##0.00####", "0.0125"), (D("24"), "#,##0.00####", "24.00"),
    (D("0.19"), "0.00%", "19.00%"), (D("0.08875"), "0.00%", "8.88%"),
    (D("8.75"), "0.00", "8.75"), (400, "0", "400"), (400, None, "400"),
    (dt.date(2026, 11, 20), "yyyy-mm-dd", "2026-11-20"),
    (D("8.75"), None, None), (dt.date(2026, 11, 20), None, None), (True, "0", None),
])
def test_excel_text_knows_the_formats_of_the_print_layouts(value, fmt, shows):
    assert excel_text(value, fmt) == shows


def _cells(ops):
    (op,) = ops
    assert isinstance(op, SetCells)
    return op.cells


def test_a_value_is_written_as_a_number_only_where_its_format_shows_the_documents_text():
    eur = _cells(document_ops(sample_book(), INVOICE, {"Invoice"}))
    assert eur[split_a1("H47")] == D("2983.43")  # #,##0.00 shows 2,983.43
    assert eur[split_a1("F14")] == D("0.19")  # 0.00% shows 19.00%
    assert eur[split_a1("H4")] == dt.date(2026, 11, 20)
    assert eur[split_a1("D46")] == "24.00"  # the summary is text in any book



def test_a_jpy_invoice_on_the_print_sheet_is_numbers_under_zero_decimal_formats():
    (op,) = document_ops(sample_book(ccy="JPY"), INVOICE, {"Invoice"})
    assert op.cells[split_a1("H47")] == D("5201")
    assert op.formats[split_a1("H47")] == "money0"  # #,##0 shows 5,201 as the PDF does
    assert {op.formats[split_a1(a)] for a in ("H45", "H46", "E14", "G14", "H14")} == {"money0"}
    assert split_a1("F14") not in op.formats  # a rate keeps the template's 0.00%
    (usd,) = document_ops(sample_book(), INVOICE, {"Invoice"})
    # cents again where a JPY invoice left `#,##0` behind
    assert usd.formats[split_a1("H47")] == "money"


def test_an_invoice_longer_than_the_sheet_ends_in_a_note():
    goods = [(f"SKU-{i:03d}", f"Widget {i}", "1", "0.19", 1, 1, "") for i in range(1, 41)]
    cells = _cells(document_ops(sample_book(goods=goods), INVOICE, {"Invoice"}))
    last = INVOICE_LAYOUT.lines_last_row
    assert cells[(last - 1, 1)] == "SKU-029"
    assert cells[(last, 1)] == "... and 12 more lines: see the PDF or the lines sheet"
    assert cells[(last, 8)] is None


def test_more_tax_rates_than_the_summary_has_rows_end_in_a_note():
    goods = [(f"SKU-{i}", "x", "1", rate, 1, 1, "")  # shipping is taxed at 19 % too
             for i, rate in enumerate(("0.05", "0.07", "0.10", "0.19"), 1)]
    cells = _cells(document_ops(sample_book(goods=goods), INVOICE, {"Invoice"}))
    first = INVOICE_LAYOUT.summary_first_row
    assert [cells[(first + i, 3)] for i in range(3)] == [
        "5.00%", "7.00%", "... and 2 more rates: see the PDF or the lines sheet"]


def test_every_document_cell_is_written_each_time_so_the_last_one_never_shows_through():
    book = sample_book()
    inv = _cells(document_ops(book, INVOICE, {"Invoice"}))
    slip = _cells(document_ops(book, SHIPMENT, {"Packing Slip"}))
    for layout, cells in ((INVOICE_LAYOUT, inv), (PACKING_SLIP_LAYOUT, slip)):
        wanted = {split_a1(a) for a in layout.fields.values()}
        wanted |= {(layout.lines_first_row + i, split_a1(f"{c}1")[1])
                   for c in layout.line_columns.values() for i in range(layout.max_lines)}
        assert wanted <= set(cells), layout.sheet


def test_a_book_without_the_print_sheet_gets_a_plain_one_and_unknown_ids_are_refused():
    (op,) = document_ops(sample_book(), INVOICE, set())
    assert isinstance(op, ReplaceSheet) and op.name == "Invoice"
    with pytest.raises(DocumentNotFound):
        document_ops(sample_book(), "INV-99999", {"Invoice"})
