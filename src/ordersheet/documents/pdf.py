"""The invoice and the packing slip as PDF bytes (fpdf2), drawn from their content model.

Owns the PDF layout only: A4 portrait, company block, address block, the document's facts,
a lines table that flows onto more pages (headings repeated) when it is long, and for
invoices the tax summary by rate, totals, payment terms and bank details. What a document
says comes from `documents.model`; nothing here picks, computes or formats a value. No
files, no clock (the PDF creation date is the document's own date), so the same document
renders to the same bytes.

Text is drawn in DejaVu Sans, embedded (`documents.fonts`), so names in Polish, Czech,
Greek or Russian print as typed; scripts DejaVu lacks (Japanese ...) come from a font
installed on the computer, and a character no font here can draw prints as U+FFFD and is
reported (`Rendered.missing`), never silently replaced.

The lines table is drawn here rather than with fpdf2's `table()`: that one refuses a row
taller than a page ("row too high": a 2,000-character description) and measured every
cell twice; this one wraps a long cell onto the next page and measures a cell only when
it does not fit on one line.

`render` draws many documents one by one and never lets one document's failure stop the
others: each comes back as PDF bytes or as the error that stopped it.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from ..domain.models import OrderBook
from . import fonts
from .model import (COMPANY_DETAILS, INVOICE_COLUMNS, INVOICE_FACTS, INVOICE_LABELS,
                    INVOICE_TOTALS, SLIP_COLUMNS, SLIP_FACTS, SLIP_LABELS, SUMMARY_COLUMNS,
                    AnyDocument, InvoiceDocument, PackingSlipDocument, documents)

FONT = fonts.FAMILY
MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN
"""Usable width of an A4 page in mm."""
GREY = (235, 235, 235)
RULE = (190, 190, 190)

# fpdf2 logs each glyph a font lacks; `Rendered.missing` reports them once, as an issue.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)


def clean_text(text: object, undrawable: frozenset[str] = frozenset()) -> str:
    """`text` as drawn: tabs become spaces, control and invisible formatting characters
    (a zero-width space) are dropped, and each character of `undrawable` becomes U+FFFD.
    Line breaks stay (they split a cell's lines)."""
    s = "" if text is None else str(text)
    if s.isprintable() and not (undrawable and not undrawable.isdisjoint(s)):
        return s  # the usual case: nothing to change
    out = []
    for ch in s:
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch in undrawable:
            out.append(fonts.REPLACEMENT)
        elif ch.isprintable() or unicodedata.category(ch) == "Zs":
            out.append(ch)
    return "".join(out)


def characters(doc: AnyDocument) -> set[str]:
    """Every character `doc` shows (the labels and headings are ASCII)."""
    texts = [doc.title, *(s.text for s in doc.fields.values())]
    rows = [*doc.lines, *(doc.tax_summary if isinstance(doc, InvoiceDocument) else ())]
    texts += [s.text for row in rows for s in row.values()]
    return set("".join(texts))


# ---- the page --------------------------------------------------------------------------


class _Page(FPDF):
    """A4 portrait in the document's fonts, with a footer naming the document and the
    page."""

    def __init__(self, doc: AnyDocument, plan: fonts.FontPlan) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.undrawable = plan.missing
        plan.attach(self)
        self.doc_label = self.clean(f"{doc.title} {doc.doc_id}")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 8)
        # The document's own date, not the clock: same document, same bytes.
        on = doc.on
        self.set_creation_date(dt.datetime(on.year, on.month, on.day, tzinfo=dt.timezone.utc))
        self.set_title(self.doc_label)
        self.set_author(self.clean(doc.text("company_name")))
        self.set_creator("ordersheet")
        self.add_page()

    def clean(self, text: object) -> str:
        return clean_text(text, self.undrawable)

    def footer(self) -> None:
        self.set_y(-MARGIN - 3)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(WIDTH / 2, 5, self.doc_label)
        self.cell(WIDTH / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)

    def text_line(self, text: str, *, size: float = 9, style: str = "", w: float = 0,
                  h: float = 4.6, align: str = "L", grey: bool = False) -> None:
        self.set_font(FONT, style, size)
        if grey:
            self.set_text_color(90)
        self.wrapped(w or WIDTH, h, self.clean(text), align, XPos.LMARGIN)
        self.set_text_color(0)

    def wrapped(self, w: float, h: float, text: str, align: str = "L",
                new_x: XPos = XPos.LEFT) -> None:
        """`text` in a box `w` wide, on as many lines as it needs, then on to the next
        line at `new_x`. One line is drawn as a plain cell: fpdf2's `multi_cell` costs
        ten times as much, and most texts fit."""
        if "\n" in text or self.get_string_width(text) > w - 2 * self.c_margin:
            self.multi_cell(w, h, text, align=align, new_x=new_x, new_y=YPos.NEXT)
        else:
            self.cell(w, h, text, align=align, new_x=new_x, new_y=YPos.NEXT)

    def heading(self, company: str, address: Sequence[str], details: Sequence[str],
                title: str) -> None:
        """Company block on the left (name, address, tax ID and e-mail), the document
        title on the right."""
        top = self.get_y()
        self.set_font(FONT, "B", 20)
        self.set_xy(MARGIN + WIDTH / 2, top)
        self.cell(WIDTH / 2, 9, self.clean(title.upper()), align="R")
        self.set_xy(MARGIN, top)
        self.text_line(company, size=14, style="B", w=WIDTH * 0.6, h=7)
        for part in address:
            self.text_line(part, w=WIDTH * 0.6)
        for part in details:
            self.text_line(part, size=8.5, w=WIDTH * 0.6, grey=True)
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
            self.cell(block_w - 3, 4.5, self.clean(label.upper()),
                      new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_text_color(0)
            for j, text in enumerate(lines):
                self.set_x(x)
                self.set_font(FONT, "B" if j == 0 else "", 9.5 if j == 0 else 9)
                self.wrapped(block_w - 3, 4.6, self.clean(text))
            bottom = max(bottom, self.get_y())
        x = MARGIN + WIDTH - facts_w
        self.set_y(top)
        for label, value in facts:
            self.set_x(x)
            self.set_font(FONT, "B", 9)
            self.cell(30, 5, self.clean(label))
            self.set_font(FONT, "", 9)
            self.wrapped(facts_w - 30, 5, self.clean(value), "R", XPos.LMARGIN)
        self.set_y(max(bottom, self.get_y()) + 6)

    # -- the lines table --

    LINE_H = 4.2
    PAD_Y = 0.8
    PAD_X = 1.5
    SIZE = 8.5
    KEEP_TOGETHER = 12
    """A row of at most this many lines moves to the next page whole."""

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]],
             widths: Sequence[float], aligns: Sequence[str], *,
             width: float = WIDTH) -> None:
        """A table: grey headings repeated on every page it spans, a rule under each row;
        a cell too long for its column wraps, and a row too tall for the rest of the page
        goes on over the next one."""
        scale = width / sum(widths)
        widths = [w * scale for w in widths]
        aligns = [a[0].upper() for a in aligns]
        saved_margin, self.c_margin = self.c_margin, self.PAD_X
        self._grid_headings(headings, widths, aligns)
        self.set_font(FONT, "", self.SIZE)
        for row in rows:
            cells = [self._cell_lines(self.clean(text), w) for text, w in zip(row, widths)]
            remaining = max(len(c) for c in cells)
            first = 0
            while remaining:
                room = int((self.page_break_trigger - self.get_y() - 2 * self.PAD_Y)
                           // self.LINE_H)
                # A row that fits on a page is never split; a taller one fills the rest
                # of this page (at least two of its lines) and goes on over the next.
                if room < remaining and (remaining <= self.KEEP_TOGETHER or room < 2):
                    self.add_page()
                    self._grid_headings(headings, widths, aligns)
                    self.set_font(FONT, "", self.SIZE)
                    continue
                take = min(room, remaining)
                self._grid_row([c[first:first + take] for c in cells], widths, aligns, take)
                first += take
                remaining -= take
        self.c_margin = saved_margin
        self.ln(4)

    def _cell_lines(self, text: str, w: float) -> list[str]:
        if "\n" not in text and self.get_string_width(text) <= w - 2 * self.c_margin:
            return [text]
        return self.multi_cell(w, self.LINE_H, text, dry_run=True,
                               output=MethodReturnValue.LINES) or [""]

    def _grid_headings(self, headings: Sequence[str], widths: Sequence[float],
                       aligns: Sequence[str]) -> None:
        self.set_font(FONT, "B", self.SIZE)
        self.set_fill_color(*GREY)
        cells = [[self.clean(h)] for h in headings]
        self._grid_row(cells, widths, aligns, 1, fill=True)

    def _grid_row(self, cells: Sequence[Sequence[str]], widths: Sequence[float],
                  aligns: Sequence[str], height_lines: int, fill: bool = False) -> None:
        x0, y0 = self.l_margin, self.get_y()
        h = height_lines * self.LINE_H + 2 * self.PAD_Y
        if fill:
            self.rect(x0, y0, sum(widths), h, style="F")
        x = x0
        for lines, w, align in zip(cells, widths, aligns):
            for i, text in enumerate(lines):
                if text:
                    self.set_xy(x, y0 + self.PAD_Y + i * self.LINE_H)
                    self.cell(w, self.LINE_H, text, align=align)
            x += w
        self.set_draw_color(*RULE)
        self.line(x0, y0 + h, x0 + sum(widths), y0 + h)
        self.set_draw_color(0)
        self.set_xy(x0, y0 + h)


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def _start(doc: AnyDocument, plan: fonts.FontPlan, details: Sequence[str] = ()) -> _Page:
    pdf = _Page(doc, plan)
    address = [p for p in doc.text("company_address").split("\n") if p]
    pdf.heading(doc.text("company_name"), address, details, doc.title)
    return pdf


def _facts(doc: AnyDocument, keys: Iterable[str], labels) -> list[tuple[str, str]]:
    """Label and text of each of `keys` that has a value (an empty one is left out)."""
    return [(labels[k], doc.text(k)) for k in keys if doc.text(k)]


def _party(doc: AnyDocument, address_key: str, *extra: str) -> list[str]:
    lines = [doc.text("customer_name")]
    lines += [p for p in doc.text(address_key).split("\n") if p]
    return lines + [doc.text(k) for k in extra if doc.text(k)]


# ---- invoice ---------------------------------------------------------------------------


def invoice_pdf(doc: InvoiceDocument, plan: Optional[fonts.FontPlan] = None) -> bytes:
    """The invoice as a PDF: one A4 page for a usual invoice, more when it has many lines."""
    labels = INVOICE_LABELS
    pdf = _start(doc, plan or fonts.plan(characters(doc)),
                 [f"{labels[k]}: {doc.text(k)}" for k in COMPANY_DETAILS if doc.text(k)])
    buyer = _party(doc, "bill_to")
    if doc.text("customer_tax_id"):
        buyer.append(f"{labels['customer_tax_id']}: {doc.text('customer_tax_id')}")
    pdf.columns([(labels["bill_to"], buyer)], _facts(doc, INVOICE_FACTS, labels))
    pdf.grid([labels[c] for c in INVOICE_COLUMNS],
             [[ln[c].text for c in INVOICE_COLUMNS] for ln in doc.lines],
             (24, 46, 11, 22, 20, 17, 18, 22),
             ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    # Tax summary (left) and totals (right) side by side, kept together on one page.
    summary = [[row[c].text for c in SUMMARY_COLUMNS] for row in doc.tax_summary]
    needed = 6 + 5.6 * max(len(summary) + 1, len(INVOICE_TOTALS)) + 20
    if pdf.get_y() + needed > pdf.page_break_trigger:
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
        pdf.cell(tw / 2, 6.5 if strong else 5.6, pdf.clean(labels[key]))
        pdf.cell(tw / 2, 6.5 if strong else 5.6, pdf.clean(doc.text(key)), align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(below_summary, pdf.get_y()) + 6)
    pdf.text_line(doc.text("payment_terms"), size=10, style="B")
    if doc.text("bank_details"):
        pdf.ln(2)
        pdf.text_line(labels["bank_details"], size=9, style="B")
        for part in doc.text("bank_details").split("\n"):
            pdf.text_line(part, size=9)
    return _output(pdf)


# ---- packing slip ----------------------------------------------------------------------


def packing_slip_pdf(doc: PackingSlipDocument,
                     plan: Optional[fonts.FontPlan] = None) -> bytes:
    """The packing slip of one shipment: what is in the box, never what it costs; a blank
    Checked column for the person who unpacks it."""
    labels = SLIP_LABELS
    pdf = _start(doc, plan or fonts.plan(characters(doc)))
    pdf.columns([(labels["ship_to"], _party(doc, "ship_to", "country"))],
                _facts(doc, SLIP_FACTS, labels))
    pdf.grid([labels[c] for c in SLIP_COLUMNS] + ["Checked"],
             [[ln[c].text for c in SLIP_COLUMNS] + [""] for ln in doc.lines],
             (26, 50, 18, 16, 16, 38, 16),
             ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT", "CENTER"))
    pdf.text_line(doc.text("contents"), size=9.5, style="B")
    return _output(pdf)


# ---- any document, many documents ------------------------------------------------------


def document_pdf(doc: AnyDocument, plan: Optional[fonts.FontPlan] = None) -> bytes:
    if isinstance(doc, InvoiceDocument):
        return invoice_pdf(doc, plan)
    return packing_slip_pdf(doc, plan)


def file_name(doc_id: str) -> str:
    """INV-00001 -> INV-00001.pdf."""
    return f"{doc_id}.pdf"


@dataclass(frozen=True)
class Rendered:
    """One document drawn, or the reason it could not be: `data` is the PDF (None when
    `error` says why not); `missing` the characters no font here draws (shown as
    U+FFFD)."""

    doc: AnyDocument
    data: Optional[bytes]
    missing: frozenset[str] = frozenset()
    error: str = ""

    @property
    def name(self) -> str:
        return file_name(self.doc.doc_id)


def render(docs: Sequence[AnyDocument], workers: int = 1) -> Iterator[Rendered]:
    """Each of `docs` as a PDF, in order, one at a time. The fonts for all of them are
    prepared first; a document that cannot be drawn comes back with its `error`, and the
    next one is drawn all the same. With `workers` > 1 and at least `PARALLEL_FROM`
    documents, they are drawn in that many processes (same bytes: see `_drawn`)."""
    chars = set().union(*(characters(d) for d in docs))
    _prepare(chars)
    if workers > 1 and len(docs) >= PARALLEL_FROM:
        yield from _in_processes(docs, workers, chars)
    else:
        for doc in docs:
            yield _drawn(doc)


PARALLEL_FROM = 48
"""Fewer documents than this are drawn in this process: starting processes would cost more
than it saves."""
_CHUNK = 16


def _prepare(chars: set[str]) -> None:
    try:
        fonts.plan(chars)
    except Exception:  # noqa: BLE001 - each document reports what failed when drawn
        pass


def _drawn(doc: AnyDocument) -> Rendered:
    try:
        plan = fonts.plan(characters(doc))
        return Rendered(doc, document_pdf(doc, plan), plan.missing)
    except Exception as e:  # noqa: BLE001 - one document never stops the others
        return Rendered(doc, None, error=f"{type(e).__name__}: {e}")


def _drawn_chunk(docs: Sequence[AnyDocument]) -> list[Rendered]:
    return [_drawn(doc) for doc in docs]


def _in_processes(docs: Sequence[AnyDocument], workers: int,
                  chars: set[str]) -> Iterator[Rendered]:
    """`docs` drawn by a pool of processes, in order, a chunk at a time. Drawing is pure
    (model in, bytes out) and each process prepares the fonts for all of `chars` once, so
    a document is the same bytes whichever process draws it. The workers leave Ctrl-C to
    this process, which cancels what is not drawn yet; a pool that breaks (a worker
    killed) leaves the rest to this process."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks = [docs[i:i + _CHUNK] for i in range(0, len(docs), _CHUNK)]
    done = 0
    try:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(chunks)),
                                   initializer=_start_worker, initargs=(chars,))
    except (OSError, NotImplementedError):  # no processes here (a sandbox)
        pool = None
    try:
        if pool is not None:
            for drawn in pool.map(_drawn_chunk, chunks):
                yield from drawn
                done += len(drawn)
    except (BrokenProcessPool, OSError):
        pass
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    for doc in docs[done:]:
        yield _drawn(doc)


def _start_worker(chars: set[str]) -> None:
    """A drawing process: Ctrl-C is the parent's to handle; fonts prepared once."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prepare(chars)


def pdfs(book: OrderBook, doc_ids: Iterable[str]) -> list[tuple[str, bytes]]:
    """(file name, PDF bytes) for each invoice number or shipment ID in `doc_ids`.
    Raises `model.DocumentNotFound` for an ID the book does not have."""
    return [(file_name(doc.doc_id), document_pdf(doc)) for doc in documents(book, doc_ids)]
