"""Printable documents: the invoice and the packing slip as PDF bytes (fpdf2).

Owns the PDF layout only: A4 portrait, company block, addresses, document facts, a lines
table that flows onto more pages (headings repeated) when it is long, and for invoices the
tax summary by rate, totals and payment terms. Pure: records in, bytes out — no files, no
clock (the PDF creation date is the document's own date), so the same document renders to
the same bytes. fpdf2 is pure Python, so this also runs in Pyodide (xlwings Lite).

Only the PDF core font Helvetica is used (no font files to ship); it covers Latin-1 only,
so every text goes through `safe_text`: `€` becomes `EUR `, typographic quotes and dashes
become ASCII, accented letters outside Latin-1 lose their accent, anything else is `?`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from decimal import Decimal
from typing import Mapping, Optional, Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from .domain import money
from .domain.models import (Customer, Invoice, InvoiceLine, OrderLine, Product, Settings,
                            Shipment, ShipmentLine)

FONT = "Helvetica"
MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN
"""Usable width of an A4 page in mm."""
GREY = (235, 235, 235)
HEADINGS = FontFace(emphasis="BOLD", fill_color=GREY)

# Characters a Latin-1 core font cannot draw, with a readable stand-in. Currency signs
# become their ISO code so an amount never loses its currency.
_CURRENCY_SIGNS = {
    "€": "EUR", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND",
    "₱": "PHP", "₦": "NGN", "₴": "UAH", "₸": "KZT", "₿": "BTC",
}
# Letters that Unicode does not decompose into a Latin-1 base, and typography.
_STAND_INS = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "œ": "oe",
    "Œ": "OE", "ŋ": "ng", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"',
    "‹": "<", "›": ">", "–": "-", "—": "-", "‒": "-", "−": "-", "…": "...", "•": "*",
    "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u200b": "", "™": "TM", "\t": " ",
}


def safe_text(text: object) -> str:
    """`text` reduced to what Helvetica (Latin-1) can draw; never raises."""
    s = "" if text is None else str(text)
    if s.isprintable() and _drawable(s):  # the usual case: nothing to replace
        return s
    out: list[str] = []
    for i, ch in enumerate(s):
        if ch in _CURRENCY_SIGNS:
            # "€5" -> "EUR 5", "5€" -> "5 EUR": a code needs a space a symbol did not.
            code = _CURRENCY_SIGNS[ch]
            before = " " if out and out[-1][-1:].isalnum() else ""
            after = " " if s[i + 1:i + 2].isalnum() else ""
            out.append(before + code + after)
        elif ch in _STAND_INS:
            out.append(_STAND_INS[ch])
        elif ch == "\n":
            out.append(ch)
        elif not ch.isprintable():
            continue  # control characters draw as garbage
        elif _drawable(ch):
            out.append(ch)
        else:
            # "ź" -> "z", "Ő" -> "O": keep the base letter when it is drawable.
            base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                           if not unicodedata.combining(c))
            out.append(base if base and _drawable(base) else "?")
    return "".join(out)


def money_text(amount: Decimal, currency: str) -> str:
    """`$1,234.50`, `¥1,235`, `EUR 1,234.50`, `CHF 1,234.50` (symbol or code, drawable)."""
    s = money.format_money(amount, currency)
    code = currency.upper()
    symbol = money.currency_symbol(code)
    if symbol in _CURRENCY_SIGNS or not _drawable(symbol):
        s = s.replace(symbol, code, 1)
    # babel glues letter codes to the number ("CHF1,234.50"); a space reads better.
    for prefix in (code, symbol):
        i = s.find(prefix)
        if prefix.isalpha() and i >= 0 and s[i + len(prefix):i + len(prefix) + 1].isdigit():
            s = s[:i + len(prefix)] + " " + s[i + len(prefix):]
            break
    return safe_text(s)


def _drawable(text: str) -> bool:
    try:
        text.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def amount_text(amount: Decimal, currency: str) -> str:
    """A table figure without symbol, at the currency's minor unit (`1,234.50`, `1,235`)."""
    return f"{amount:,.{money.minor_units(currency)}f}"


def unit_price_text(amount: Decimal, currency: str) -> str:
    """Unit prices may carry more digits than the currency (0.0125 per piece)."""
    places = max(money.minor_units(currency), -amount.normalize().as_tuple().exponent)
    return f"{amount:,.{places}f}"


def percent_text(rate: Decimal) -> str:
    """0.2 -> `20 %`, 0.075 -> `7.5 %`."""
    return f"{format((rate * 100).normalize(), 'f')} %"


def number_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value else str(value)


# ---- the page --------------------------------------------------------------------------


class _Page(FPDF):
    """A4 portrait with a footer naming the document and the page."""

    def __init__(self, doc_title: str, doc_id: str, on: dt.date, author: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_label = safe_text(f"{doc_title} {doc_id}")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 8)
        # The document's own date, not the clock: same document, same bytes.
        self.set_creation_date(dt.datetime(on.year, on.month, on.day, tzinfo=dt.timezone.utc))
        self.set_title(self.doc_label)
        self.set_author(safe_text(author))
        self.set_creator("ordersheet")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-MARGIN - 3)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(WIDTH / 2, 5, self.doc_label)
        self.cell(WIDTH / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)

    def text_line(self, text: str, *, size: float = 9, style: str = "", w: float = 0,
                  h: float = 4.6, align: str = "L") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(w or WIDTH, h, safe_text(text), align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, company: str, address: str, title: str) -> None:
        """Company block on the left, the document title on the right."""
        top = self.get_y()
        self.set_font(FONT, "B", 20)
        self.set_xy(MARGIN + WIDTH / 2, top)
        self.cell(WIDTH / 2, 9, safe_text(title.upper()), align="R")
        self.set_xy(MARGIN, top)
        self.text_line(company, size=14, style="B", w=WIDTH * 0.6, h=7)
        for part in _address_lines(address):
            self.text_line(part, w=WIDTH * 0.6)
        self.set_y(max(self.get_y(), top + 12) + 4)

    def columns(self, blocks: Sequence[tuple[str, Sequence[str]]],
                facts: Sequence[tuple[str, str]]) -> None:
        """Address blocks side by side, then a label/value list at the right."""
        top = self.get_y()
        n = len(blocks)
        facts_w = 68.0
        block_w = (WIDTH - facts_w - 4) / max(n, 1)
        bottom = top
        for i, (label, lines) in enumerate(blocks):
            x = MARGIN + i * block_w
            self.set_xy(x, top)
            self.set_font(FONT, "B", 8)
            self.set_text_color(110)
            self.cell(block_w - 3, 4.5, safe_text(label.upper()),
                      new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_text_color(0)
            for j, text in enumerate(lines):
                self.set_x(x)
                self.set_font(FONT, "B" if j == 0 else "", 9.5 if j == 0 else 9)
                self.multi_cell(block_w - 3, 4.6, safe_text(text), align="L",
                                new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottom = max(bottom, self.get_y())
        x = MARGIN + WIDTH - facts_w
        self.set_y(top)
        for label, value in facts:
            self.set_x(x)
            self.set_font(FONT, "B", 9)
            self.cell(30, 5, safe_text(label))
            self.set_font(FONT, "", 9)
            self.multi_cell(facts_w - 30, 5, safe_text(value), align="R",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(bottom, self.get_y()) + 6)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
             widths: Sequence[float], aligns: Sequence[str], *, width: float = WIDTH,
             align: str = "LEFT") -> None:
        """A table with repeated headings on every page it spans."""
        self.set_font(FONT, "", 8.5)
        with self.table(col_widths=tuple(widths), width=width, align=align,
                        text_align=tuple(aligns), headings_style=HEADINGS,
                        borders_layout="HORIZONTAL_LINES", line_height=5.0,
                        repeat_headings=1, padding=(0.8, 1.5)) as table:
            head = table.row()
            for h in headings:
                head.cell(safe_text(h))
            for row in rows:
                r = table.row()
                for value in row:
                    r.cell(safe_text(value))
        self.ln(4)


def _address_lines(text: str) -> list[str]:
    """An address typed in one cell: line breaks kept, nothing invented."""
    return [p.strip() for p in (text or "").replace("\r", "").split("\n") if p.strip()]


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


# ---- invoice ---------------------------------------------------------------------------


def invoice_pdf(invoice: Invoice, lines: Sequence[InvoiceLine], customer: Optional[Customer],
                settings: Settings) -> bytes:
    """The invoice as a PDF: one A4 page for a usual invoice, more when it has many lines."""
    ccy = invoice.currency
    pdf = _Page("Invoice", invoice.invoice_no, invoice.invoice_date, settings.company_name)
    pdf.heading(settings.company_name, settings.company_address, "Invoice")

    name = (customer.name if customer else "") or invoice.customer_name or invoice.customer_id
    bill = _address_lines(customer.bill_to or customer.ship_to) if customer else []
    ship = _address_lines(customer.ship_to or customer.bill_to) if customer else []
    blocks = [("Bill to", [name, *bill])]
    if ship and ship != bill:
        blocks.append(("Ship to", [name, *ship]))
    pdf.columns(blocks, [
        ("Invoice No", invoice.invoice_no),
        ("Invoice Date", invoice.invoice_date.isoformat()),
        ("Due Date", invoice.due_date.isoformat()),
        ("Customer ID", invoice.customer_id),
        ("Order ID", invoice.order_id),
        ("Shipment ID", invoice.shipment_id),
        ("Currency", ccy),
    ])

    rows = [(ln.sku, ln.description, str(ln.quantity), unit_price_text(ln.unit_price, ccy),
             amount_text(ln.net, ccy), percent_text(ln.tax_rate), amount_text(ln.tax, ccy),
             amount_text(ln.total, ccy)) for ln in lines]
    pdf.grid(("SKU", "Description", "Qty", "Unit Price", "Net", "Tax Rate", "Tax", "Total"),
             rows, (24, 46, 11, 22, 20, 17, 18, 22),
             ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    # Tax summary (left) and totals (right) side by side when they fit on the page.
    by_rate: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for ln in lines:
        by_rate[ln.tax_rate][0] += ln.net
        by_rate[ln.tax_rate][1] += ln.tax
    summary = [(percent_text(rate), amount_text(net, ccy), amount_text(tax, ccy))
               for rate, (net, tax) in sorted(by_rate.items())]
    totals = [("Net", money_text(invoice.net - invoice.shipping, ccy))]
    if invoice.shipping:
        totals.append(("Shipping", money_text(invoice.shipping, ccy)))
    totals.append(("Tax", money_text(invoice.tax, ccy)))
    totals.append(("Total", money_text(invoice.total, ccy)))
    if invoice.paid:
        totals.append(("Paid", money_text(invoice.paid, ccy)))
        totals.append(("Balance due", money_text(invoice.balance, ccy)))

    needed = 6 + 5.6 * max(len(summary) + 1, len(totals)) + 20
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y()
    pdf.text_line("Tax summary", size=9, style="B")
    pdf.grid(("Rate", "Net", "Tax"), summary, (20, 30, 30), ("RIGHT", "RIGHT", "RIGHT"),
             width=80)
    below_summary = pdf.get_y()
    pdf.set_y(top)
    tw = 78.0
    for label, value in totals:
        strong = label in ("Total", "Balance due")
        pdf.set_x(MARGIN + WIDTH - tw)
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9.5)
        pdf.cell(tw / 2, 6.5 if strong else 5.6, safe_text(label))
        pdf.cell(tw / 2, 6.5 if strong else 5.6, value, align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(below_summary, pdf.get_y()) + 6)

    days = (invoice.due_date - invoice.invoice_date).days
    pdf.text_line(f"Payment due within {days} days, by {invoice.due_date.isoformat()}.",
                  size=10, style="B")
    pdf.text_line(f"Please quote invoice number {invoice.invoice_no} with your payment.")
    return _output(pdf)


# ---- packing slip ----------------------------------------------------------------------


def packing_slip_pdf(shipment: Shipment, shipment_lines: Sequence[ShipmentLine],
                     order_lines_by_key: Mapping[tuple[str, int], OrderLine],
                     products_by_sku: Mapping[str, Product], customer: Optional[Customer],
                     settings: Settings, *,
                     bins: Mapping[tuple[str, str], str] | None = None) -> bytes:
    """The packing slip of one shipment: what is in the box, never what it costs.

    `bins` maps (SKU, Warehouse) to the Inventory Bin, shown when known.
    """
    bins = bins or {}
    pdf = _Page("Packing Slip", shipment.shipment_id, shipment.shipped_on or shipment.planned_on,
                settings.company_name)
    pdf.heading(settings.company_name, settings.company_address, "Packing Slip")

    name = (customer.name if customer else "") or shipment.customer_id
    ship = _address_lines(customer.ship_to or customer.bill_to) if customer else []
    if shipment.country and shipment.country not in (ship[-1:] or [""])[0]:
        ship.append(shipment.country)
    carrier = " ".join(p for p in (shipment.carrier, shipment.service) if p)
    facts = [("Shipment ID", shipment.shipment_id), ("Order ID", shipment.order_id),
             ("Customer ID", shipment.customer_id), ("Warehouse", shipment.warehouse),
             ("Planned On", shipment.planned_on.isoformat())]
    if shipment.shipped_on:
        facts.append(("Shipped On", shipment.shipped_on.isoformat()))
    facts.append(("Carrier", carrier or "-"))
    if shipment.tracking_no:
        facts.append(("Tracking No", shipment.tracking_no))
    facts.append(("Weight", f"{number_text(shipment.weight)} kg"))
    pdf.columns([("Ship to", [name, *ship])], facts)

    rows = []
    notes = []
    units = 0
    for sl in shipment_lines:
        product = products_by_sku.get(sl.sku)
        order_line = order_lines_by_key.get((sl.order_id, sl.line))
        rows.append((str(sl.line), sl.sku, product.description if product else "",
                     bins.get((sl.sku, sl.warehouse), ""),
                     str(order_line.quantity) if order_line else "", str(sl.quantity), ""))
        units += sl.quantity
        if order_line and order_line.notes:
            notes.append(f"Line {sl.line}: {order_line.notes}")
    pdf.grid(("Line", "SKU", "Description", "Bin", "Ordered", "Shipped", "Checked"), rows,
             (12, 30, 64, 20, 18, 18, 18),
             ("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "CENTER"))
    pdf.text_line(f"{len(rows)} lines, {units} units in this shipment.", size=9.5, style="B")
    if notes:
        pdf.ln(2)
        pdf.text_line("Notes", style="B")
        for n in notes:
            pdf.text_line(n)
    return _output(pdf)
