"""The invoice and the packing slip as PDF bytes (fpdf2), drawn from their content model.

Owns the PDF layout only: A4 portrait, company block, address block, the document's facts,
a lines table that flows onto more pages (headings repeated) when it is long, and for
invoices the tax summary by rate, totals and payment terms. What a document says comes
from `documents.model`; nothing here picks, computes or formats a value. Pure: model in,
bytes out, no files, no clock (the PDF creation date is the document's own date), so the
same document renders to the same bytes. fpdf2 is pure Python, so this also runs in
Pyodide (xlwings Lite).

Only the PDF core font Helvetica is used (no font files to ship); it covers Latin-1 only,
so every text goes through `safe_text`: `€` becomes `EUR `, typographic quotes and dashes
become ASCII, accented letters outside Latin-1 lose their accent, anything else is `?`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Iterable, Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from ..domain.models import OrderBook
from .model import (INVOICE_COLUMNS, INVOICE_FACTS, INVOICE_LABELS, INVOICE_TOTALS,
                    SLIP_COLUMNS, SLIP_FACTS, SLIP_LABELS, SUMMARY_COLUMNS, AnyDocument,
                    InvoiceDocument, PackingSlipDocument, documents)

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


def _drawable(text: str) -> bool:
    try:
        text.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


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

    def heading(self, company: str, address: Sequence[str], title: str) -> None:
        """Company block on the left, the document title on the right."""
        top = self.get_y()
        self.set_font(FONT, "B", 20)
        self.set_xy(MARGIN + WIDTH / 2, top)
        self.cell(WIDTH / 2, 9, safe_text(title.upper()), align="R")
        self.set_xy(MARGIN, top)
        self.text_line(company, size=14, style="B", w=WIDTH * 0.6, h=7)
        for part in address:
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


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def _start(doc: AnyDocument) -> _Page:
    company = doc.text("company_name")
    pdf = _Page(doc.title, doc.doc_id, doc.on, company)
    address = [p for p in doc.text("company_address").split("\n") if p]
    pdf.heading(company, address, doc.title)
    return pdf


def _facts(doc: AnyDocument, keys: Iterable[str], labels) -> list[tuple[str, str]]:
    """Label and text of each of `keys` that has a value (an empty one is left out)."""
    return [(labels[k], doc.text(k)) for k in keys if doc.text(k)]


def _party(doc: AnyDocument, address_key: str, *extra: str) -> list[str]:
    lines = [doc.text("customer_name")]
    lines += [p for p in doc.text(address_key).split("\n") if p]
    return lines + [doc.text(k) for k in extra if doc.text(k)]


# ---- invoice ---------------------------------------------------------------------------


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as a PDF: one A4 page for a usual invoice, more when it has many lines."""
    labels = INVOICE_LABELS
    pdf = _start(doc)
    pdf.columns([(labels["bill_to"], _party(doc, "bill_to"))],
                _facts(doc, INVOICE_FACTS, labels))
    pdf.grid([labels[c] for c in INVOICE_COLUMNS],
             [[ln[c].text for c in INVOICE_COLUMNS] for ln in doc.lines],
             (24, 46, 11, 22, 20, 17, 18, 22),
             ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    # Tax summary (left) and totals (right) side by side, kept together on one page.
    summary = [[row[c].text for c in SUMMARY_COLUMNS] for row in doc.tax_summary]
    needed = 6 + 5.6 * max(len(summary) + 1, len(INVOICE_TOTALS)) + 20
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y()
    pdf.text_line(labels["tax_summary"], size=9, style="B")
    pdf.grid([labels[c] for c in SUMMARY_COLUMNS], summary, (20, 30, 30),
             ("RIGHT", "RIGHT", "RIGHT"), width=80)
    below_summary = pdf.get_y()
    pdf.set_y(top)
    tw = 78.0
    for key in INVOICE_TOTALS:
        strong = key == "total"
        pdf.set_x(MARGIN + WIDTH - tw)
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9.5)
        pdf.cell(tw / 2, 6.5 if strong else 5.6, safe_text(labels[key]))
        pdf.cell(tw / 2, 6.5 if strong else 5.6, safe_text(doc.text(key)), align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(below_summary, pdf.get_y()) + 6)
    pdf.text_line(doc.text("payment_terms"), size=10, style="B")
    return _output(pdf)


# ---- packing slip ----------------------------------------------------------------------


def packing_slip_pdf(doc: PackingSlipDocument) -> bytes:
    """The packing slip of one shipment: what is in the box, never what it costs; a blank
    Checked column for the person who unpacks it."""
    labels = SLIP_LABELS
    pdf = _start(doc)
    pdf.columns([(labels["ship_to"], _party(doc, "ship_to", "country"))],
                _facts(doc, SLIP_FACTS, labels))
    pdf.grid([labels[c] for c in SLIP_COLUMNS] + ["Checked"],
             [[ln[c].text for c in SLIP_COLUMNS] + [""] for ln in doc.lines],
             (26, 50, 18, 16, 16, 38, 16),
             ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "CENTER"))
    pdf.text_line(doc.text("contents"), size=9.5, style="B")
    return _output(pdf)


# ---- any document ----------------------------------------------------------------------


def document_pdf(doc: AnyDocument) -> bytes:
    return invoice_pdf(doc) if isinstance(doc, InvoiceDocument) else packing_slip_pdf(doc)


def pdfs(book: OrderBook, doc_ids: Iterable[str]) -> list[tuple[str, bytes]]:
    """(file name, PDF bytes) for each invoice number or shipment ID in `doc_ids`.
    Raises `model.DocumentNotFound` for an ID the book does not have."""
    return [(f"{doc.doc_id}.pdf", document_pdf(doc)) for doc in documents(book, doc_ids)]
