"""The order book users start from, and the invoice / packing-slip print layouts.

This module is the source of truth for `workbook_templates/`: `ordersheet new` calls
`build_order_book` directly, and `python -m ordersheet.book.templates` regenerates the
committed files (a test fails when they drift from what the code builds).

It owns:
- the input sheets of CONTRACT §3 as Excel Tables, headers taken from `schema` specs
  (never the tool-managed columns: ordersheet adds those itself), with number formats,
  widths, a frozen header row and dropdowns;
- the Settings sheet, one row per key of `schema.SETTINGS`, with its note and dropdown;
- the look of the Invoice and Packing Slip print sheets: labels, fonts, borders, widths
  and page setup around the cells `layouts` places each field in. The renderer
  (`print_sheet`) writes values only into those cells; every style lives here.

Builds are deterministic (fixed document timestamps and zip entry times), so regenerating
an unchanged template leaves the committed bytes alone.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..documents.model import INVOICE_LABELS, SLIP_LABELS
from ..domain import models as m
from ..domain.updates import default_template_rows
from . import schema as s
from .layouts import (INVOICE_LAYOUT, INVOICE_SHEET, PACKING_SLIP_LAYOUT,
                      PACKING_SLIP_SHEET, PrintLayout)
from .plan import NUMBER_FORMATS, RECORDS_SHEET, TABLE_STYLE
from .sample import sample_data

# ---- constants ------------------------------------------------------------------------

DV_LAST_ROW = 5000
"""Dropdowns cover rows 2..DV_LAST_ROW of their column (room to type, cheap to store)."""
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
"""Document created/modified stamp of every generated file: rebuilds are byte-identical."""

TEMPLATE_FILES = ("order_book.xlsx", "invoice.xlsx", "packing_slip.xlsx")
TAX_CLASSES = ("standard", "reduced", "zero", "shipping")
YES_NO_FIELDS = {
    s.PRODUCTS.name: ("active",),
    s.CUSTOMERS.name: ("tax_exempt", "on_hold"),
}

SETTINGS_HEADERS = ["Key", "Value", "Notes"]

DATA_SHEETS: tuple[s.SheetSpec, ...] = (
    s.ORDERS, s.PRODUCTS, s.INVENTORY, s.CUSTOMERS, s.PRICE_RULES, s.TAX_RATES, s.FX_RATES,
    s.SHIPPING_RATES, s.PAYMENTS, s.RETURNS, s.MESSAGE_TEMPLATES,
)
DEFAULT_ROWS: dict[str, list[list[Any]]] = {
    s.MESSAGE_TEMPLATES.name: default_template_rows(),
}
"""Rows a new book starts with on an input sheet: the wording of each customer update."""
START_SHEET = "Start"
SHEET_ORDER = ((START_SHEET,) + tuple(spec.name for spec in DATA_SHEETS)
               + (s.SETTINGS_SHEET, INVOICE_SHEET, PACKING_SLIP_SHEET))


def table_name(sheet: str) -> str:
    """`Price Rules` -> `tblPriceRules`."""
    return "tbl" + "".join(ch for ch in sheet if ch.isalnum())


# Formats beyond the schema's: weights and FX rates are plain decimals, not money.
_FORMAT_OVERRIDES = {
    ("Products", "weight"): "0.00",
    ("Shipping Rates", "max_weight"): "0.00",
    ("FX Rates", "rate"): "0.0000",
    ("Price Rules", "unit_price"): NUMBER_FORMATS["price"],
    ("Inventory", "reorder_point"): "0",
    ("Inventory", "reorder_qty"): "0",
    ("Inventory", "lead_time_days"): "0",
    ("Returns", "quantity"): "0",
    ("Customers", "payment_terms_days"): "0",
    ("Shipping Rates", "transit_days"): "0",
    ("Orders", "line"): "0",
    ("Returns", "line"): "0",
    ("Price Rules", "min_qty"): "0",
}


def column_format(spec: s.SheetSpec, col: s.Col) -> Optional[str]:
    if (spec.name, col.field) in _FORMAT_OVERRIDES:
        return _FORMAT_OVERRIDES[(spec.name, col.field)]
    return NUMBER_FORMATS.get(col.fmt) if col.fmt else None


# ---- print layouts --------------------------------------------------------------------


_INVOICE_LABELS = {  # label cell -> text; each label spans F:G, its value sits in H
    f"F{INVOICE_LAYOUT.fields[f][1:]}": INVOICE_LABELS[f]
    for f in ("invoice_no", "invoice_date", "due_date", "currency", "customer_id", "order_id",
              "shipment_id", "shipped_on", "tracking_no", "net", "tax", "total")
}
_INVOICE_PARTY_LABELS = {  # label cell in A -> text; the value sits right of it in B
    f"A{INVOICE_LAYOUT.fields[f][1:]}": INVOICE_LABELS[f]
    for f in ("company_tax_id", "company_email", "customer_tax_id")
}
_INVOICE_WIDTHS = {"A": 15, "B": 38, "C": 8, "D": 12, "E": 13, "F": 8, "G": 12, "H": 15}

_SLIP_LABELS = {  # label cell -> text; the value sits right of it in D
    f"C{PACKING_SLIP_LAYOUT.fields[f][1:]}": SLIP_LABELS[f]
    for f in ("shipment_id", "order_id", "planned_on", "shipped_on", "carrier", "service",
              "weight", "customer_id", "warehouse", "tracking_no")
}
_SLIP_WIDTHS = {"A": 18, "B": 40, "C": 12, "D": 20, "E": 10, "F": 30}

def _font(**kw: Any) -> Font:
    # Name the font: without it LibreOffice and PDF export fall back to a serif face.
    return Font(name="Calibri", **kw)


_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = _font(bold=True, color="FFFFFF")
_LABEL_FONT = _font(bold=True, color="404040")
_CAPTION_FONT = _font(bold=True, size=9, color="808080")
_THIN = Side(style="thin", color="BFBFBF")
_LINE_BORDER = Border(bottom=_THIN)
_TOTAL_BORDER = Border(top=Side(style="thin", color="000000"),
                       bottom=Side(style="double", color="000000"))
_TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)


def _page_setup(ws: Worksheet, print_area: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6,
                                  header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.print_area = print_area
    ws.sheet_view.showGridLines = False


def _company_block(ws: Worksheet, layout: PrintLayout, name_span: str, address_span: str,
                   title: str, title_span: str) -> None:
    name = ws[layout.fields["company_name"]]
    name.font = _font(bold=True, size=16, color="1F4E78")
    ws.merge_cells(name_span)
    addr = ws[layout.fields["company_address"]]
    addr.alignment = _TOP_LEFT
    addr.font = _font(color="404040")
    ws.merge_cells(address_span)
    first = title_span.split(":")[0]
    ws[first] = title
    ws[first].font = _font(bold=True, size=20, color="1F4E78")
    ws[first].alignment = Alignment(horizontal="right")
    ws.merge_cells(title_span)


def _labels(ws: Worksheet, labels: Mapping[str, str], span_to: str | None) -> None:
    for ref, text in labels.items():
        c = ws[ref]
        c.value = text
        c.font = _LABEL_FONT
        c.alignment = Alignment(horizontal="right")
        if span_to:
            ws.merge_cells(f"{ref}:{span_to}{c.row}")


def _lines_area(ws: Worksheet, layout: PrintLayout, labels: Mapping[str, str]) -> None:
    hr = layout.lines_header_row
    for fld, letter in layout.line_columns.items():
        h = ws[f"{letter}{hr}"]
        h.value = labels[fld]
        h.fill = _HEADER_FILL
        h.font = _HEADER_FONT
        numeric = fld in layout.formats
        h.alignment = Alignment(horizontal="right" if numeric else "left", vertical="center",
                                indent=1 if letter != "A" and not numeric else 0)
        for r in range(layout.lines_first_row, layout.lines_last_row + 1):
            c = ws[f"{letter}{r}"]
            c.border = _LINE_BORDER
            if numeric:
                # right-aligned even when written as text (a JPY amount under #,##0.00)
                c.number_format = layout.formats[fld]
                c.alignment = Alignment(horizontal="right", vertical="top")
            else:
                # indent: a text column right of a number column would touch its digits
                c.alignment = Alignment(vertical="top",
                                        wrap_text=fld in ("description", "notes"),
                                        indent=1 if letter != "A" else 0)
    ws.row_dimensions[hr].height = 20


def _tax_summary(ws: Worksheet, layout: PrintLayout, labels: Mapping[str, str]) -> None:
    """Caption, headings and rows of the tax summary, at the left of the totals."""
    hr = layout.summary_first_row - 1
    ws[f"A{hr}"] = labels["tax_summary"]
    ws[f"A{hr}"].font = _CAPTION_FONT
    for fld, letter in layout.summary_columns.items():
        h = ws[f"{letter}{hr}"]
        h.value = labels[fld]
        h.font = _LABEL_FONT
        h.alignment = Alignment(horizontal="right")
        h.border = _LINE_BORDER
        for r in range(layout.summary_first_row, layout.summary_first_row + layout.max_summary):
            ws[f"{letter}{r}"].alignment = Alignment(horizontal="right")


def _field_formats(ws: Worksheet, layout: PrintLayout) -> None:
    for fld, ref in layout.fields.items():
        if fld in layout.formats:
            ws[ref].number_format = layout.formats[fld]
            ws[ref].alignment = Alignment(horizontal="right")


def _draw_invoice(ws: Worksheet) -> None:
    lay = INVOICE_LAYOUT
    for letter, w in _INVOICE_WIDTHS.items():
        ws.column_dimensions[letter].width = w
    _company_block(ws, lay, "A1:D1", "A2:D4", "INVOICE", "F1:H1")
    _labels(ws, _INVOICE_LABELS, "G")
    for ref, text in _INVOICE_PARTY_LABELS.items():
        ws[ref] = text
        ws[ref].font = _font(bold=True, size=9, color="808080")
        value = ws[ref].offset(column=1)
        value.font = _font(color="404040")
        value.alignment = Alignment(horizontal="left")
        ws.merge_cells(f"{value.coordinate}:D{value.row}")
    ws["A7"] = INVOICE_LABELS["bill_to"]
    ws["A7"].font = _CAPTION_FONT
    ws[lay.fields["customer_name"]].font = _font(bold=True)
    ws.merge_cells("A8:D8")
    ws[lay.fields["bill_to"]].alignment = _TOP_LEFT
    ws.merge_cells("A9:D11")
    for fld in ("invoice_no", "currency", "customer_id", "order_id", "shipment_id",
                "tracking_no"):
        ws[lay.fields[fld]].alignment = Alignment(horizontal="right")
    _field_formats(ws, lay)
    _lines_area(ws, lay, INVOICE_LABELS)
    _tax_summary(ws, lay, INVOICE_LABELS)
    total = ws[lay.fields["total"]]
    total.font = _font(bold=True, size=12)
    total.border = _TOTAL_BORDER
    ws["F47"].font = _font(bold=True, size=12)
    ws["A49"] = INVOICE_LABELS["payment_terms"]
    ws["A49"].font = _CAPTION_FONT
    ws[lay.fields["payment_terms"]].alignment = _TOP_LEFT
    ws.merge_cells("A50:H51")
    ws["A52"] = INVOICE_LABELS["bank_details"]
    ws["A52"].font = _CAPTION_FONT
    ws[lay.fields["bank_details"]].alignment = _TOP_LEFT
    ws.merge_cells("A53:H55")
    _page_setup(ws, lay.print_area)


def _draw_packing_slip(ws: Worksheet) -> None:
    lay = PACKING_SLIP_LAYOUT
    for letter, w in _SLIP_WIDTHS.items():
        ws.column_dimensions[letter].width = w
    _company_block(ws, lay, "A1:B1", "A2:B4", "PACKING SLIP", "C1:F1")
    _labels(ws, _SLIP_LABELS, None)
    ws["A6"] = SLIP_LABELS["ship_to"]
    ws["A6"].font = _CAPTION_FONT
    ws[lay.fields["customer_name"]].font = _font(bold=True)
    ws[lay.fields["ship_to"]].alignment = _TOP_LEFT
    ws.merge_cells("A8:B9")
    for fld in ("shipment_id", "order_id", "carrier", "service", "customer_id", "warehouse",
                "tracking_no"):
        ws[lay.fields[fld]].alignment = Alignment(horizontal="right")
    _field_formats(ws, lay)
    _lines_area(ws, lay, SLIP_LABELS)
    ws[lay.fields["contents"]].font = _font(bold=True)
    ws["A45"] = "Packed by: ____________________"
    ws["C45"] = "Date: ______________"
    ws["A46"] = "Please check the contents against this slip and report any difference within 7 days."
    ws["A46"].font = _font(italic=True, size=9, color="808080")
    _page_setup(ws, lay.print_area)


# ---- data sheets ----------------------------------------------------------------------


def _data_validations(ws: Worksheet, spec: s.SheetSpec) -> None:
    letters = {c.field: get_column_letter(i + 1) for i, c in enumerate(spec.cols)}

    def rng(fld: str) -> str:
        return f"{letters[fld]}2:{letters[fld]}{DV_LAST_ROW}"

    def choice(values: Sequence[str], fld: str, strict: bool = True) -> None:
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                            allow_blank=True, errorStyle="stop" if strict else "warning",
                            error=f"Choose one of: {', '.join(values)}",
                            errorTitle=spec.col(fld).header)
        dv.add(rng(fld))
        ws.add_data_validation(dv)

    def ref(target: s.SheetSpec, target_field: str, fld: str) -> None:
        # Warning style: a new customer or SKU may be typed before its master row exists;
        # ordersheet's own validation reports it (unknown_customer / unknown_sku).
        col = get_column_letter(target.headers.index(target.col(target_field).header) + 1)
        dv = DataValidation(type="list",
                            formula1=f"'{target.name}'!${col}$2:${col}${DV_LAST_ROW}",
                            allow_blank=True, errorStyle="warning",
                            error=f"Not on the {target.name} sheet yet",
                            errorTitle=spec.col(fld).header)
        dv.add(rng(fld))
        ws.add_data_validation(dv)

    if spec is s.ORDERS:
        choice(m.PRIORITIES, "priority")
        ref(s.CUSTOMERS, "customer_id", "customer_id")
        ref(s.PRODUCTS, "sku", "sku")
    for fld in YES_NO_FIELDS.get(spec.name, ()):
        choice(("Yes", "No"), fld)
    if spec is s.PRODUCTS or spec is s.TAX_RATES:
        # Warning style: the list names the usual classes, a book may define its own.
        choice(TAX_CLASSES, "tax_class", strict=False)
    if spec is s.INVENTORY:
        ref(s.PRODUCTS, "sku", "sku")
    if spec is s.PRICE_RULES:
        ref(s.PRODUCTS, "sku", "sku")
        ref(s.CUSTOMERS, "customer_id", "customer_id")
    if spec is s.PAYMENTS:
        ref(s.CUSTOMERS, "customer_id", "customer_id")
    if spec is s.RETURNS:
        choice(("Resellable", "Damaged"), "condition")


def _write_table(ws: Worksheet, name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 formats: Sequence[Optional[str]], widths: Sequence[float]) -> None:
    ws.append(list(headers))
    for r in rows:
        if len(r) != len(headers):
            raise ValueError(f"{ws.title}: row {r!r} has {len(r)} values for {len(headers)} columns")
        ws.append(list(r))  # Decimal is written as its exact decimal text
    last_row = max(2, len(rows) + 1)  # an Excel Table needs one data row, even empty
    for j, (fmt, width) in enumerate(zip(formats, widths), start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = width
        if fmt:
            # Column style so rows typed below the table get the format too.
            ws.column_dimensions[letter].number_format = fmt
            for r in range(2, last_row + 1):
                ws.cell(r, j).number_format = fmt
    ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    table = Table(displayName=table_name(name), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showFirstColumn=False,
                                          showLastColumn=False, showRowStripes=True,
                                          showColumnStripes=False)
    ws.add_table(table)
    ws.freeze_panes = "A2"


def _data_sheet(ws: Worksheet, spec: s.SheetSpec, rows: Sequence[Sequence[Any]]) -> None:
    _write_table(ws, spec.name, spec.headers, rows,
                 [column_format(spec, c) for c in spec.cols],
                 [s.column_width(c) for c in spec.cols])
    _data_validations(ws, spec)


def _settings_sheet(ws: Worksheet, rows: Sequence[Sequence[Any]]) -> None:
    notes = {key.label: key.note for key in s.SETTINGS}
    full = [[r[0], r[1], notes.get(str(r[0]), "")] for r in rows]
    _write_table(ws, s.SETTINGS_SHEET, SETTINGS_HEADERS, full, [None, None, None],
                 [24.0, 36.0, 50.0])
    for i, key in enumerate(s.SETTINGS, start=2):
        cell = ws.cell(i, 2)
        cell.number_format = NUMBER_FORMATS[key.fmt]  # text: `INV-` etc. stay text
        cell.alignment = Alignment(horizontal="left")
        if key.choices:
            values = key.choices
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                allow_blank=True, errorStyle="stop",
                                error=f"Choose one of: {', '.join(values)}",
                                errorTitle=key.label)
            dv.add(f"B{i}")
            ws.add_data_validation(dv)


START_LINES: tuple[tuple[str, str], ...] = (
    ("title", "Order book"),
    ("text", "ordersheet checks, prices, reserves, ships and invoices the orders in this workbook,"),
    ("text", "and writes every result back into it."),
    ("", ""),
    ("heading", "How it works"),
    ("text", "1. Type orders on the Orders sheet, one row per line (keep Products, Inventory and Customers current)."),
    ("text", "2. Validate: every problem becomes a row on the Issues sheet (added by the first run, with the cell address) and a highlighted cell with a note."),
    ("text", "3. Process: prices the lines, reserves stock and plans shipments (Shipments, Pick List, Packing Slip)."),
    ("text", "4. When the goods leave, set the shipment's Status to Shipped on the Shipments sheet, or run Dispatch."),
    ("text", "5. Invoices: dispatched shipments are invoiced (Invoices, Invoice Lines; one is shown on the Invoice sheet)."),
    ("", ""),
    ("heading", "Three ways to run it"),
    ("text", "xlwings Lite (Excel on Windows, macOS or the web): the ordersheet buttons in the xlwings Lite task pane."),
    ("text", "Desktop Excel with Python: the ordersheet ribbon of the classic xlwings add-in."),
    ("text", "Command line: ordersheet run BOOK --dispatch   (or validate, price, reserve, ship, dispatch, invoice)"),
    ("", ""),
    ("heading", "Settings"),
    ("text", "Company name, base currency, invoice numbering and policies are on the Settings sheet."),
    ("text", "Columns ordersheet adds (Status, Price, Reserved, ...) are its own: edit the columns left of them."),
)


def _start_sheet(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 3
    ws.column_dimensions["B"].width = 120
    ws.sheet_view.showGridLines = False
    for i, (kind, text) in enumerate(START_LINES, start=1):
        if not text:
            continue
        c = ws.cell(i, 2, text)
        if kind == "title":
            c.font = _font(bold=True, size=18, color="1F4E78")
        elif kind == "heading":
            c.font = _font(bold=True, size=13, color="1F4E78")


# ---- workbooks ----------------------------------------------------------------------


def _save(wb: Workbook, path: str | Path) -> Path:
    """Save with fixed timestamps (document properties and zip entries) so the same
    workbook always gives the same bytes."""
    wb.properties.creator = "ordersheet"
    wb.properties.lastModifiedBy = "ordersheet"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    # ExcelWriter directly: openpyxl's save() stamps `modified` with the clock.
    ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    p = Path(path)
    p.write_bytes(out.getvalue())
    return p


def build_order_book(path: str | Path, sample: bool = False,
                     today: dt.date | None = None) -> Path:
    """Write a new order book: Start, the input sheets of CONTRACT §3 (Excel Tables),
    Settings, and the Invoice and Packing Slip print layouts. With `sample`, the tables
    hold the believable small business of `sample.sample_data(today)` (today: the clock)."""
    data = sample_data(today or dt.date.today()) if sample else {}
    wb = Workbook()
    _start_sheet(wb.active)
    wb.active.title = START_SHEET
    for spec in DATA_SHEETS:
        _data_sheet(wb.create_sheet(spec.name), spec, data.get(spec.name, [])
                    or DEFAULT_ROWS.get(spec.name, []))
    _settings_sheet(wb.create_sheet(s.SETTINGS_SHEET), data.get(s.SETTINGS_SHEET) or s.settings_rows())
    _draw_invoice(wb.create_sheet(INVOICE_SHEET))
    _draw_packing_slip(wb.create_sheet(PACKING_SLIP_SHEET))
    _records_sheet(wb, (INVOICE_SHEET, PACKING_SLIP_SHEET))
    wb.active = 0
    return _save(wb, path)


def _records_sheet(wb: Workbook, own_sheets: Sequence[str]) -> None:
    """ordersheet's hidden record sheet (`book.state`), saying the print sheets drawn here
    are its own: a run fills them in, and never takes a sheet of the user's for them."""
    from .state import ToolState, state_rows, HEADER

    ws = wb.create_sheet(RECORDS_SHEET)
    ws.sheet_state = "hidden"
    state = ToolState(sheets={name: name for name in own_sheets})
    for row in [HEADER] + state_rows(state, {}):
        ws.append(row)


def build_invoice_template(path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = INVOICE_SHEET
    _draw_invoice(ws)
    return _save(wb, path)


def build_packing_slip_template(path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = PACKING_SLIP_SHEET
    _draw_packing_slip(ws)
    return _save(wb, path)


BUILDERS = {
    "order_book.xlsx": build_order_book,
    "invoice.xlsx": build_invoice_template,
    "packing_slip.xlsx": build_packing_slip_template,
}


def _candidate_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    dirs = [here.parents[3] / "workbook_templates"]  # source checkout: repo/src/ordersheet/book
    try:
        from importlib.resources import files

        dirs.append(Path(str(files("ordersheet"))) / "workbook_templates")  # package data
    except (ImportError, ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return dirs


def templates_dir() -> Path:
    """The `workbook_templates/` directory (source checkout first, then package data)."""
    for d in _candidate_dirs():
        if d.is_dir():
            return d
    return _candidate_dirs()[0]


def template_path(name: str) -> Path:
    """Path of a committed template (`order_book.xlsx`, `invoice.xlsx`, `packing_slip.xlsx`,
    or the same without `.xlsx`)."""
    if not name.endswith(".xlsx"):
        name += ".xlsx"
    for d in _candidate_dirs():
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"no workbook template {name!r} in {', '.join(map(str, _candidate_dirs()))}")


def build_all(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [builder(out / name) for name, builder in BUILDERS.items()]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ordersheet.book.templates [DIR]`: regenerate the committed templates."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0]) if args else _candidate_dirs()[0]
    for p in build_all(out):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
