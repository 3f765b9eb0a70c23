"""Use cases shared by the CLI and the Excel scripts: read a workbook through any engine,
run the pipeline, render one write plan, apply it; say what a run did (`run_summary`);
and write the PDFs of the book's documents (`write_pdfs`: each file whole, one failing
document an issue, never the end of the others). Entry points stay thin."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .book import load as loader
from .book.plan import ReplaceSheet, WritePlan
from .book.print_sheet import DocumentNotFound
from .book.port import WorkbookError, WorkbookPort
from .book.render import print_ops, records_op, render
from .domain import pipeline
from .domain.changes import CancelRequest
from .domain.issues import Issue, error, warning
from .domain.models import OrderBook
from .domain.pipeline import RunResult


__all__ = ["Outcome", "execute", "CancelRequest", "read_book", "show_document",
           "DocumentNotFound",
           "RunSummary", "run_summary", "issued_documents", "missing_pdfs", "PdfRun",
           "write_pdfs"]


@dataclass
class Outcome:
    result: RunResult
    plan: WritePlan
    loaded: loader.Loaded


def read_book(port: WorkbookPort) -> loader.Loaded:
    all_names = port.sheet_names()
    names = loader.sheets_to_read(all_names)
    # An engine that can hand the sheets over one at a time (`reading`, the xlsx engine)
    # parses the next ones while `load` converts the first.
    with cycle_collector_paused():  # 100k records are built here too
        with port.reading(names) as raws:
            loaded = loader.load(raws, all_names)
    if "Orders" not in loaded.sheet_names:
        raise WorkbookError("the workbook has no Orders sheet "
                            "(create one with `ordersheet new BOOK`)")
    return loaded


@contextmanager
def cycle_collector_paused():
    """A run on a big book makes hundreds of thousands of records that all outlive it;
    CPython's cycle collector would rescan the growing heap again and again while they are
    made, to free nothing (it doubled the time of a 50,000-line run). Reference counting
    still frees garbage meanwhile; the collector resumes afterwards, and stays off if the
    caller had it off. A process-wide switch, so it lives here at the edge, not in the
    domain."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def execute(port: WorkbookPort, operation: str, *, today: dt.date, now: dt.datetime,
            user: str = "", dispatch: bool = False,
            dispatch_ids: Sequence[str] | None = None, write: bool = True,
            cancel: CancelRequest | None = None) -> Outcome:
    """Run one operation end to end on `port` and apply the results to it (not when the
    run has nothing to write: `RunResult.idle`)."""
    with cycle_collector_paused():
        return _execute(port, operation, today, now, user, dispatch, dispatch_ids, write,
                        cancel)


def _execute(port, operation, today, now, user, dispatch, dispatch_ids, write,
             cancel=None) -> Outcome:
    loaded = read_book(port)
    result = pipeline.run(loaded.book, operation=operation, today=today, now=now, user=user,
                          dispatch=dispatch, dispatch_ids=dispatch_ids,
                          bad_rows=loaded.bad_order_rows, prior_issues=loaded.issues,
                          cancel=cancel)
    plan = render(result, loaded)
    if write and not result.idle:
        port.apply(plan)
    return Outcome(result, plan, loaded)


def show_document(port: WorkbookPort, doc_id: str, write: bool = True) -> WritePlan:
    """Show invoice or shipment `doc_id` on the Invoice / Packing Slip print sheet.
    Raises `DocumentNotFound` when the book has no such document."""
    loaded = read_book(port)
    plan = WritePlan(print_ops(loaded.book, doc_id, loaded))
    last = plan.ops[-1]
    plan.activate = last.name if isinstance(last, ReplaceSheet) else last.sheet  # type: ignore[union-attr]
    plan.add(records_op(loaded))  # the print sheet is ordersheet's from now on
    if write:
        port.apply(plan)
    return plan


# ---- PDFs of the book's documents ------------------------------------------------------


def issued_documents(book: OrderBook) -> list[str]:
    """Every document ordersheet issued, as `ordersheet pdf --all` writes them: each
    invoice of a shipment and each credit note, then the packing slip of each shipment not
    cancelled, in sheet
    order. (An invoice typed in by hand has no lines of ordersheet's: name it to get its
    PDF.)"""
    return ([i.invoice_no for i in book.invoices if i.shipment_id or i.credits_invoice]
            + [x.shipment_id for x in book.shipments if x.status != "Cancelled"])


def missing_pdfs(doc_ids: Sequence[str], folder: Path) -> list[str]:
    """Those of `doc_ids` without a PDF in `folder`: no file, or an empty one (what a
    crash of the whole machine may leave)."""
    from .documents.pdf import file_name

    try:
        present = {e.name for e in os.scandir(folder) if e.is_file() and e.stat().st_size}
    except (FileNotFoundError, NotADirectoryError):
        present = set()
    return [d for d in doc_ids if file_name(d) not in present]


@dataclass
class PdfRun:
    """What `write_pdfs` did: the files written, and an issue for each document that
    could not be made (`pdf_failed`, tried again next time) or lacks a font
    (`pdf_missing_glyphs`)."""

    written: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def write_pdfs(book: OrderBook, doc_ids: Sequence[str], folder: Path, *,
               target: Path | None = None,
               progress: Callable[[int, int], None] | None = None) -> PdfRun:
    """Write the PDF of each invoice or shipment in `doc_ids` into `folder` (or, for one
    document, into the file `target`), each file whole or not at all; `progress(done,
    total)` after each. A document that cannot be drawn is an issue, and the others are
    written all the same. Raises `DocumentNotFound` for an unknown ID, `WorkbookError`
    when the folder cannot take the files."""
    from .book import files
    from .documents import pdf
    from .documents.model import documents

    docs = documents(book, doc_ids)
    run = PdfRun()
    if not docs:
        return run
    files.make_folder(target.parent if target else folder, "PDFs:")
    files.remove_stale_files_in(target.parent if target else folder, ".pdf")
    rows = _document_rows(book, {d.doc_id for d in docs})
    for done, drawn in enumerate(pdf.render(docs, workers=pdf_workers()), 1):
        doc_id = drawn.doc.doc_id
        if drawn.data is None:
            run.issues.append(_pdf_issue(error, "pdf_failed", rows[doc_id], (
                f"{drawn.name} could not be made ({drawn.error}); the book is saved, and "
                f"the next run with --pdf (or `ordersheet pdf BOOK {doc_id}`) tries again")))
        else:
            path = target or folder / drawn.name
            files.write_file(path, drawn.data)
            run.written.append(path)
            if drawn.missing:
                run.issues.append(_pdf_issue(warning, "pdf_missing_glyphs", rows[doc_id],
                                             _missing_glyphs_text(drawn.name, doc_id,
                                                                  drawn.missing)))
        if progress:
            progress(done, len(docs))
    return run


def pdf_workers() -> int:
    """Processes that draw PDFs: `ORDERSHEET_PDF_WORKERS`, else one per CPU (at most 8;
    drawing is CPU work, and a batch of documents splits evenly)."""
    given = os.environ.get("ORDERSHEET_PDF_WORKERS", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    return max(1, min(os.cpu_count() or 1, 8))


def _document_rows(book: OrderBook, doc_ids: set[str]) -> dict[str, tuple[str, str, str]]:
    """Each document's (sheet, cell of its ID, Order ID): where its issue points."""
    rows = {x.shipment_id: ("Shipments", x.cell("shipment_id"), x.order_id)
            for x in book.shipments if x.shipment_id in doc_ids}
    rows.update({i.invoice_no: ("Invoices", i.cell("invoice_no"), i.order_id)
                 for i in book.invoices if i.invoice_no in doc_ids})
    return rows


def _pdf_issue(make, code: str, where: tuple[str, str, str], message: str) -> Issue:
    sheet, cell, order_id = where
    return make(code, sheet, cell, message, order_id)


def _missing_glyphs_text(name: str, doc_id: str, missing: frozenset[str]) -> str:
    chars = sorted(missing)
    shown = ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:10])
    more = f" and {len(chars) - 10} more" if len(chars) > 10 else ""
    return (f"{name}: no font on this computer draws {shown}{more}; they print as \ufffd. "
            "Install a font that has them (Japanese, Chinese, Korean: Noto Sans CJK) or name "
            f"its file in ORDERSHEET_FONTS, then run `ordersheet pdf BOOK {doc_id} --out "
            "FOLDER`")


@dataclass(frozen=True)
class RunSummary:
    """What a run did, in words: the same facts in the CLI and in Excel's output pane."""

    title: str
    """`ordersheet run: 7 order lines`"""
    statuses: list[tuple[str, int]] = field(default_factory=list)
    """Each line status with its number of order lines, the most lines first."""
    lines: list[str] = field(default_factory=list)
    """One fact a line: stock short, shipments planned and dispatched, invoices created,
    issues (details are on the Issues sheet)."""

    def text(self) -> str:
        """Plain text, the statuses beside the title (Excel's output pane)."""
        head = self.title
        if self.statuses:
            head += " (" + ", ".join(f"{status} {n}" for status, n in self.statuses) + ")"
        return "\n".join([head, *self.lines])


def run_summary(result: RunResult) -> RunSummary:
    """The summary of `result` that both entry points print."""
    statuses = sorted(result.status_counts().items(), key=lambda kv: -kv[1])
    lines = []
    unread = [i.message for i in result.issues
              if i.code == "missing_column" and i.sheet.lower() == "orders"]
    if unread:  # the sheet may well have lines: say why none were read
        lines.append("The Orders sheet was not read: " + "; ".join(unread) + ". Rename the "
                     "header, or map yours on Settings (Key: Column Map, Value: "
                     "Orders.<your header> = <column>).")
    elif not statuses:
        lines.append("No order lines on the Orders sheet yet: type some and run again.")
    if result.shortfalls:
        short = sorted(result.shortfalls.items(), key=lambda kv: -kv[1])[:10]
        lines.append("Short of stock (units backordered): "
                     + ", ".join(f"{sku} {n}" for sku, n in short))
    if result.new_shipments:
        lines.append(f"Shipments planned: {len(result.new_shipments)} "
                     f"({result.new_shipments[0]}..{result.new_shipments[-1]})")
    if result.dispatched:
        lines.append(f"Shipments dispatched: {len(result.dispatched)}")
    if result.new_invoices:
        lines.append(f"Invoices created: {len(result.new_invoices)} "
                     f"({result.new_invoices[0]}..{result.new_invoices[-1]})")
    if result.issues:
        parts = []
        for word, is_error in (("error", True), ("warning", False)):
            codes = Counter(i.code for i in result.issues if i.is_error is is_error)
            if codes:
                n = sum(codes.values())
                parts.append(f"{n} {word}{'s' if n != 1 else ''} ("
                             + ", ".join(f"{code} {k}" for code, k in codes.most_common()) + ")")
        lines.append("Issues: " + ", ".join(parts) + " - see the Issues sheet")
    return RunSummary(f"ordersheet {result.operation}: {sum(n for _, n in statuses)} order lines",
                      statuses, lines)
