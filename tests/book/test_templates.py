"""The order-book template and the print layouts: built by code, committed as files.

If a test here says the committed files drifted, regenerate them with
`python -m ordersheet.book.templates` and commit the result.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ordersheet.book import schema as s
from ordersheet.book import templates as t
from ordersheet.book.load import load
from ordersheet.book.raw import block_from_grid, split_a1
from ordersheet.domain import models as m

REGENERATE = "workbook templates drifted from the builder: run `python -m ordersheet.book.templates`"


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a user sees of a workbook that the builder decides."""
    wb = load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames}
    for ws in wb:
        out[ws.title] = {
            "values": [list(r) for r in ws.iter_rows(values_only=True)],
            "formats": {c.coordinate: c.number_format for row in ws.iter_rows() for c in row
                        if c.number_format != "General"},
            "tables": {tb.displayName: (tb.ref, tb.tableStyleInfo.name) for tb in ws.tables.values()},
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.errorStyle)
                                  for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "print_area": ws.print_area,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        }
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    t.build_all(out)
    return out


@pytest.fixture(scope="module")
def book(built):
    return load_workbook(built / "order_book.xlsx")


# ---- the committed files are what the code builds --------------------------------------


@pytest.mark.parametrize("name", t.TEMPLATE_FILES)
def test_committed_template_equals_builder_output(built, name):
    committed = t.template_path(name)
    assert snapshot(committed) == snapshot(built / name), REGENERATE


def test_rebuild_is_byte_identical(tmp_path):
    a = t.build_order_book(tmp_path / "a.xlsx")
    b = t.build_order_book(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()


def test_main_regenerates_into_a_directory(tmp_path, capsys):
    assert t.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.TEMPLATE_FILES)
    assert "order_book.xlsx" in capsys.readouterr().out


def test_template_path_finds_committed_files_and_refuses_unknown_ones():
    assert t.template_path("invoice") == t.template_path("invoice.xlsx")
    assert t.template_path("order_book.xlsx").parent == t.templates_dir()
    with pytest.raises(FileNotFoundError):
        t.template_path("nope.xlsx")


# ---- the order book ---------------------------------------------------------------------


def test_sheets_in_contract_order(book):
    assert book.sheetnames == [
        "Start", "Orders", "Products", "Inventory", "Customers", "Price Rules", "Tax Rates",
        "FX Rates", "Shipping Rates", "Payments", "Returns", "Message Templates", "Settings",
        "Invoice",
        "Packing Slip", "_ordersheet_records"]
    assert book.active.title == "Start"
    assert book["_ordersheet_records"].sheet_state == "hidden"


def test_the_print_sheets_are_ordersheets_from_the_start(book):
    """A run fills the template's Invoice and Packing Slip sheets: its hidden record sheet
    says they are ordersheet's (a sheet of the user's with such a name is never written)."""
    from ordersheet.book.raw import block_from_grid
    from ordersheet.book.state import read_state

    ws = book["_ordersheet_records"]
    raw = block_from_grid(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
    state = read_state(raw)
    assert state.found and state.sheets == {"Invoice": "Invoice", "Packing Slip": "Packing Slip"}
    assert state.records == {}


@pytest.mark.parametrize("spec", t.DATA_SHEETS, ids=lambda sp: sp.name)
def test_data_sheet_headers_match_schema_and_form_a_table(book, spec):
    ws = book[spec.name]
    header = [c.value for c in ws[1]]
    assert [s.norm(h) for h in header] == [s.norm(h) for h in spec.headers]
    (table,) = ws.tables.values()
    assert table.displayName == t.table_name(spec.name)
    assert table.tableStyleInfo.name == "TableStyleMedium2"
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    assert (min_col, min_row, max_col) == (1, 1, len(spec.headers))
    # header + the one empty row an Excel Table needs, or the rows a new book starts with
    assert max_row == max(2, 1 + len(t.DEFAULT_ROWS.get(spec.name, [])))
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[chr(64 + j)].width >= 10 for j in range(1, len(header) + 1))


def test_orders_template_leaves_tool_columns_to_the_tool(book):
    header = {s.norm(c.value) for c in book["Orders"][1]}
    tool = {s.norm(c.header) for c in s.ORDER_TOOL_COLUMNS}
    assert not header & tool
    inv = {s.norm(c.value) for c in book["Inventory"][1]}
    assert not inv & {s.norm(c.header) for c in s.INVENTORY_TOOL_COLUMNS}


def test_table_names_are_unique(book):
    names = [tb.displayName for ws in book for tb in ws.tables.values()]
    assert len(names) == len(set(names)) == len(t.DATA_SHEETS) + 1  # + tblSettings


def _dv(ws, header: str):
    letter = next(c.column_letter for c in ws[1] if c.value == header)
    found = [dv for dv in ws.data_validations.dataValidation
             if str(dv.sqref) == f"{letter}2:{letter}{t.DV_LAST_ROW}"]
    assert len(found) == 1, f"{ws.title}!{header}: no dropdown over rows 2..{t.DV_LAST_ROW}"
    return found[0]


def test_orders_dropdowns(book):
    ws = book["Orders"]
    assert _dv(ws, "Priority").formula1 == '"High,Normal,Low"'
    assert _dv(ws, "Customer ID").formula1 == "'Customers'!$A$2:$A$5000"
    assert _dv(ws, "SKU").formula1 == "'Products'!$A$2:$A$5000"
    assert _dv(ws, "Customer ID").errorStyle == "warning"  # ordersheet reports unknown ids


@pytest.mark.parametrize("sheet,header", [
    ("Products", "Active"), ("Customers", "Tax Exempt"), ("Customers", "On Hold")])
def test_every_yes_no_column_has_a_dropdown(book, sheet, header):
    assert _dv(book[sheet], header).formula1 == '"Yes,No"'


@pytest.mark.parametrize("sheet", ["Products", "Tax Rates"])
def test_tax_class_dropdown(book, sheet):
    assert _dv(book[sheet], "Tax Class").formula1 == '"standard,reduced,zero,shipping"'


def test_every_bool_column_of_the_schema_has_a_yes_no_dropdown(book):
    for spec in t.DATA_SHEETS:
        for c in spec.cols:
            if c.parse is s.to_bool:
                assert _dv(book[spec.name], c.header).formula1 == '"Yes,No"', (spec.name, c.header)


@pytest.mark.parametrize("sheet,header,fmt", [
    ("Orders", "Order Date", "yyyy-mm-dd"), ("Orders", "Requested Date", "yyyy-mm-dd"),
    ("Orders", "Unit Price", "#,##0.00"), ("Orders", "Notes", "@"),
    ("Products", "List Price", "#,##0.00"), ("Customers", "Credit Limit", "#,##0.00"),
    ("Customers", "Discount %", "0.00%"), ("Tax Rates", "Rate %", "0.00%"),
    ("Price Rules", "Valid To", "yyyy-mm-dd"), ("Payments", "Amount", "#,##0.00"),
])
def test_number_formats_on_cells_and_whole_columns(book, sheet, header, fmt):
    ws = book[sheet]
    cell = next(c for c in ws[1] if c.value == header)
    assert ws.cell(2, cell.column).number_format == fmt
    assert ws.column_dimensions[cell.column_letter].number_format == fmt  # rows typed later


def test_settings_hold_every_key_with_its_default(book):
    ws = book["Settings"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:2] == ["Key", "Value"]
    assert {s.norm(r[0]) for r in rows[1:]} == set(s.SETTINGS_KEYS)
    settings, issues, where = s.parse_settings(block_from_grid("Settings", rows))
    # a new book's first run asks for the company's details (blank in the template)
    assert [(i.code, i.cell) for i in issues] == [("company_details_missing", "B2")]
    assert settings.model_dump(exclude={"cells"}) == m.Settings().model_dump(exclude={"cells"})
    assert set(where) == {key.field for key in s.SETTINGS}
    choices = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    policy_row = 1 + next(i for i, r in enumerate(rows) if r[0] == "Allocation Policy")
    assert choices[f"B{policy_row}"] == '"fifo,priority"'


def test_empty_template_loads_with_one_warning_asking_for_the_company(built):
    wb = load_workbook(built / "order_book.xlsx")
    raws = {ws.title: block_from_grid(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb}
    loaded = load(raws)
    assert [(i.code, i.sheet, i.cell, i.is_error) for i in loaded.issues] == [
        ("company_details_missing", "Settings", "B2", False)]
    assert "Company Name and Company Address" in loaded.issues[0].message
    assert len(loaded.book.orders) == 0 and len(loaded.book.products) == 0


def test_start_sheet_explains_workflow_and_routes(book):
    text = "\n".join(str(v) for r in book["Start"].iter_rows(values_only=True) for v in r if v)
    for phrase in ("Orders sheet", "Validate", "Process", "Shipped", "Dispatch", "Invoices",
                   "Issues sheet", "xlwings Lite", "add-in", "ordersheet run BOOK --dispatch"):
        assert phrase in text
    steps = [line for line in text.splitlines() if re.match(r"^\d\. ", line)]
    assert len(steps) == 5


# ---- print layouts ----------------------------------------------------------------------

INVOICE_FIELDS = {"company_name", "company_address", "company_tax_id", "company_email",
                  "invoice_no", "invoice_date", "due_date", "shipped_on", "tracking_no",
                  "customer_tax_id", "bank_details",
                  "customer_name", "bill_to", "customer_id", "order_id", "shipment_id",
                  "currency", "net", "tax", "total", "payment_terms"}
SLIP_FIELDS = {"company_name", "company_address", "shipment_id", "order_id", "planned_on",
               "shipped_on", "carrier", "service", "customer_name", "ship_to", "country",
               "weight", "customer_id", "warehouse", "tracking_no", "contents"}


def test_layouts_name_every_promised_field():
    assert set(t.INVOICE_LAYOUT.fields) == INVOICE_FIELDS
    assert list(t.INVOICE_LAYOUT.line_columns) == [
        "sku", "description", "quantity", "unit_price", "net", "tax_rate", "tax", "total"]
    assert set(t.PACKING_SLIP_LAYOUT.fields) == SLIP_FIELDS
    assert list(t.PACKING_SLIP_LAYOUT.line_columns) == [
        "sku", "description", "quantity", "bin", "ordered", "notes"]
    assert list(t.INVOICE_LAYOUT.summary_columns) == ["rate", "net", "tax"]
    assert t.INVOICE_LAYOUT.max_lines == t.PACKING_SLIP_LAYOUT.max_lines == 30


def test_layouts_have_a_cell_for_everything_the_documents_say():
    from ordersheet.documents import model

    from ..documents.samples import INVOICE, SHIPMENT, sample_book

    book = sample_book()
    for doc_id, layout, columns in ((INVOICE, t.INVOICE_LAYOUT, model.INVOICE_COLUMNS),
                                    (SHIPMENT, t.PACKING_SLIP_LAYOUT, model.SLIP_COLUMNS)):
        doc = model.document(book, doc_id)
        assert set(layout.fields) == set(doc.fields), layout.sheet
        assert set(layout.line_columns) == set(columns) == set(doc.lines[0]), layout.sheet
    assert set(t.INVOICE_LAYOUT.summary_columns) == set(model.SUMMARY_COLUMNS)


def test_packing_slip_shows_no_prices():
    money = {"unit_price", "net", "tax", "total", "tax_rate", "price"}
    assert not (set(t.PACKING_SLIP_LAYOUT.fields) | set(t.PACKING_SLIP_LAYOUT.line_columns)) & money


def test_line_cell_addresses():
    assert t.INVOICE_LAYOUT.line_cell("sku", 0) == f"A{t.INVOICE_LAYOUT.lines_first_row}"
    assert t.INVOICE_LAYOUT.line_cell("total", 29) == f"H{t.INVOICE_LAYOUT.lines_last_row}"
    with pytest.raises(IndexError):
        t.INVOICE_LAYOUT.line_cell("sku", 30)


@pytest.mark.parametrize("name,layout", [("invoice.xlsx", t.INVOICE_LAYOUT),
                                         ("packing_slip.xlsx", t.PACKING_SLIP_LAYOUT)])
def test_print_layout_sheet(built, name, layout):
    ws = load_workbook(built / name)[layout.sheet]
    min_col, min_row, max_col, max_row = range_boundaries(layout.print_area)
    assert ws.print_area == f"'{layout.sheet}'!" + "$%s$%d:$%s$%d" % (
        chr(64 + min_col), min_row, chr(64 + max_col), max_row)
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_margins.left == 0.5
    cells = list(layout.fields.values()) + [
        layout.line_cell(f, i) for f in layout.line_columns for i in (0, layout.max_lines - 1)]
    cells += [f"{letter}{layout.summary_first_row + i}"
              for letter in layout.summary_columns.values() for i in range(layout.max_summary)]
    assert len(set(cells)) == len(cells), "two fields share a cell"
    for ref in cells:
        row, col = split_a1(ref)
        assert min_row <= row <= max_row and min_col <= col <= max_col, ref
        assert ws[ref].value is None, f"{ref} is a field: the template leaves it empty"
        for rng in ws.merged_cells.ranges:  # only a merged range's top-left cell is writable
            if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
                assert (rng.min_row, rng.min_col) == (row, col), f"{ref} is inside {rng}"
    header_row = layout.lines_header_row
    for fld, letter in layout.line_columns.items():
        h = ws[f"{letter}{header_row}"]
        assert h.value and h.fill.fgColor.rgb.endswith("1F4E78") and h.font.bold
    assert ws[layout.fields["company_name"]].font.bold


@pytest.mark.parametrize("name,sheet", [("invoice.xlsx", "Invoice"),
                                        ("packing_slip.xlsx", "Packing Slip")])
def test_print_sheets_in_the_book_equal_the_standalone_templates(built, name, sheet):
    alone = snapshot(built / name)[sheet]
    in_book = snapshot(built / "order_book.xlsx")[sheet]
    assert alone == in_book
