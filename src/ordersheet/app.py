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
from .domain import money
from .domain.changes import CancelRequest
from .domain.issues import Issue, error, sort_issues, warning
from .domain.models import OrderBook
from .domain.pipeline import RunResult


__all__ = ["Outcome", "execute", "CancelRequest", "read_book", "show_document",
           "DocumentNotFound",
           "RunSummary", "run_summary", "issued_documents", "missing_pdfs", "PdfRun",
           "write_pdfs", "notify", "NotifyOutcome", "Deliver", "purchase_list_files",
           "dashboard_png"]


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
            statement=None, cancel: CancelRequest | None = None) -> Outcome:
    """Run one operation end to end on `port` and apply the results to it (not when the
    run has nothing to write: `RunResult.idle`). `statement` (`book.statement.Options`): a
    bank statement whose incoming payments are added to the Payments sheet first
    (`reconcile`); `cancel`: what `cancel` cancels."""
    with cycle_collector_paused():
        return _execute(port, operation, today, now, user, dispatch, dispatch_ids, write,
                        statement, cancel)


def _execute(port, operation, today, now, user, dispatch, dispatch_ids, write,
             statement=None, cancel=None) -> Outcome:
    loaded = read_book(port)
    if operation == "report":  # where its views go, said on this run's Issues sheet
        from .book.dashboard import claim_names

        loaded.issues.extend(claim_names(loaded))
    imported = None
    if operation == "reconcile":
        from .book import statement as bank

        imported = bank.import_payments(loaded, statement)
    result = pipeline.run(loaded.book, operation=operation, today=today, now=now, user=user,
                          dispatch=dispatch, dispatch_ids=dispatch_ids,
                          bad_rows=loaded.bad_order_rows, prior_issues=loaded.issues,
                          cancel=cancel)
    result.imported = imported
    result.restore = any(o.restore for o in loaded.owned.values())
    plan = render(result, loaded)
    if imported is not None and imported.op is not None:
        plan.ops.insert(0, imported.op)
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


def customer_statement(port: WorkbookPort, customer_id: str, today: dt.date):
    """The customer statement of `customer_id` as of `today` (`documents.statement`), from
    the book as read, its invoices settled as of `today`; None for an unknown customer."""
    from .documents import statement

    book = read_book(port).book
    book = book.model_copy(update={"invoices": pipeline.settled(
        book.invoices, book.reconciliation, today)})
    try:
        return statement.statement_document(book, customer_id, today)
    except statement.CustomerNotFound:
        return None


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


def _reconcile_lines(result: RunResult) -> list[str]:
    """The bank statement imported, and per currency the payments matched, partly matched
    and unmatched (count and amount)."""
    out = []
    got = result.imported
    if got is not None:
        line = (f"Bank statement {got.source}: {len(got.added)} payments added to Payments"
                + (f", {got.already} already there" if got.already else ""))
        if got.debits:
            line += f"; {got.debits} outgoing debits ({got.debit_total}) left out"
        out.append(line)
    rec = result.reconciliation
    if rec is None:
        return out
    for ccy, kinds in sorted(rec.summary().items()):
        parts = [f"{kind} {n} ({money.quantize(total, ccy):,} {ccy})" for kind in ("matched", "partly", "unmatched")
                 for n, total in [kinds.get(kind, (0, money.ZERO))]]
        out.append(f"Payments in {ccy}: " + ", ".join(parts))
    if not rec.outcome:
        out.append("No payments on the Payments sheet to match.")
    out.append(f"Reconciliation rows posted: {len(rec.new_rows)}")
    return out


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
    lines += _reconcile_lines(result)
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


# ---- customer updates (issue 23) --------------------------------------------------------

Deliver = Callable[[Sequence["updates.Message"], OrderBook], list[tuple[str, str]]]
"""How the messages leave: (Sent, Drafted or Failed, detail) per message (`mail.Postman`
on the command line); none: every message is Drafted (Excel's `mailto:` links)."""


@dataclass
class NotifyOutcome:
    """What `notify` did: the run, its messages and the Communication Log rows they got."""

    outcome: Outcome
    messages: list
    entries: list
    sheet: str
    """The Customer Updates sheet's name in this book."""

    def text(self) -> str:
        """`ordersheet notify: 3 messages (confirmed 2, invoiced 1): sent 2, drafted 0,
        failed 1`, then the issues' codes (the CLI and Excel's pane)."""
        from .domain.updates import EVENTS

        per_event = Counter(m.event for m in self.messages)
        outcomes = Counter(e.outcome for e in self.entries)
        n = len(self.messages)
        head = f"ordersheet notify: {n} message{'s' if n != 1 else ''}"
        if per_event:
            head += " (" + ", ".join(f"{e} {per_event[e]}" for e in EVENTS if per_event[e]) + ")"
        head += (f": sent {outcomes['Sent']}, drafted {outcomes['Drafted']}, "
                 f"failed {outcomes['Failed']}")
        return "\n".join([head, *run_summary(self.outcome.result).lines])


def notify(port: WorkbookPort, *, today: dt.date, now: dt.datetime, user: str = "",
           deliver: Deliver | None = None, write: bool = True) -> NotifyOutcome:
    """Tell customers what they have not been told: run the book (as `run` does, without
    dispatching), find the updates due (`domain.updates`), hand them to `deliver`, record
    each in the Communication Log (Sent and Drafted are never sent again; Failed is tried
    next time), and rebuild the Customer Updates sheet."""
    from .book import updates as view
    from .domain import updates

    with cycle_collector_paused():
        loaded = read_book(port)
        result = pipeline.run(loaded.book, operation="notify", today=today, now=now,
                              user=user, bad_rows=loaded.bad_order_rows,
                              prior_issues=loaded.issues)
        due = updates.due_updates(result.book, result.lines, result.outcomes, today)
        msgs = due.messages
        got = deliver(msgs, result.book) if deliver is not None and msgs else \
            [(updates.DRAFTED, "")] * len(msgs)
        entries = [msg.logged(now, outcome, detail) for msg, (outcome, detail) in zip(msgs, got)]
        issues = due.issues + [error(
            "send_failed", "Communication Log", "",
            f"the {e.event.lower()} message to {e.email} (order {e.order_id}) was not sent: "
            f"{e.detail}; the next notify tries again", e.order_id)
            for e in entries if e.outcome == updates.FAILED]
        result.issues = sort_issues(result.issues + issues)
        result.book = result.book.model_copy(update={
            "communication_log": result.book.communication_log + tuple(entries)})
        if result.audit is not None:
            told = Counter(e.outcome for e in entries)
            result.audit = result.audit.model_copy(update={
                "details": result.audit.details + "; messages: " + ", ".join(
                    f"{k.lower()} {told[k]}" for k in ("Sent", "Drafted", "Failed"))})
        op = view.view_op(loaded, msgs, entries)
        plan = render(result, loaded, extra=[op])
        plan.activate = plan.activate or op.name
        if write:
            port.apply(plan)
    return NotifyOutcome(Outcome(result, plan, loaded), msgs, entries, op.name)
# ---- the report's files: purchase lists, a picture of the Dashboard (issue 22) ----------

PURCHASE_COLUMNS = ("Supplier", "SKU", "Description", "Warehouse", "Quantity",
                    "Lead Time Days", "Available", "Backlog", "Reorder Point")


def purchase_list_files(result: RunResult, folder: Path) -> list[Path]:
    """One CSV per supplier in `folder` (`purchase-ACME.csv`; SKUs without a Supplier in
    `purchase-no-supplier.csv`): the Reorder sheet's suggestions to order. Nothing when
    Products has no Supplier column (every SKU's Supplier blank). Each file whole or not at
    all; formula-looking text is neutralised."""
    import csv
    import io
    import re

    from .book import files
    from .domain import reorder

    if not any(pr.supplier for pr in result.book.products):
        return []
    rows = reorder.plan(result.book, result.lines, result.outcomes,
                        result.audit.business_date if result.audit else dt.date.today())
    files.make_folder(folder, "--purchase-lists")
    written = []
    for supplier, items in reorder.purchase_lists(rows).items():
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(PURCHASE_COLUMNS)
        for r in items:
            w.writerow([csv_safe(v) for v in (
                supplier, r.sku, r.description, r.warehouse, r.suggested_qty,
                r.lead_time_days, r.available, r.backlog, r.reorder_point)])
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", supplier).strip("-.") or "no-supplier"
        path = folder / f"purchase-{slug}.csv"
        files.write_file(path, buf.getvalue().encode("utf-8"))
        written.append(path)
    return written


def csv_safe(value) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def dashboard_png(book_path: Path, target: Path, sheet: str = "Dashboard") -> None:
    """A PNG of the book's Dashboard, drawn by LibreOffice (`soffice --headless`, which
    draws the native charts as Excel would): straight to PNG where its build has the
    picture filter, else to PDF and the page to PNG by poppler's `pdftoppm`. A
    `WorkbookError` says what to install when neither is there. LibreOffice draws a copy of
    the book that shows only the Dashboard, fitted to one landscape page."""
    import shutil
    import subprocess
    import tempfile

    from .book import files

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise WorkbookError("--png needs LibreOffice (the `soffice` command) to draw the "
                            "Dashboard: install it (apt install libreoffice-calc, or from "
                            "libreoffice.org), or open the book in Excel and look at the "
                            "Dashboard sheet")
    with tempfile.TemporaryDirectory(prefix="ordersheet-png-") as tmp:
        folder = Path(tmp)
        only = folder / "dashboard.xlsx"
        _only_sheet(book_path, only, sheet)

        def convert(fmt: str) -> Path:
            cmd = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--headless", "--convert-to", fmt, "--outdir", tmp, str(only)]
            try:
                subprocess.run(cmd, capture_output=True, timeout=180, check=False)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise WorkbookError(f"LibreOffice could not draw the Dashboard: {e}") from None
            return folder / f"dashboard.{fmt}"

        made = convert("png")
        if not made.exists():  # a build without the picture filter (libreoffice-*-nogui)
            pdf, pdftoppm = convert("pdf"), shutil.which("pdftoppm")
            if not pdf.exists():
                raise WorkbookError("LibreOffice made no picture of the Dashboard")
            if pdftoppm is None:
                raise WorkbookError("--png: this LibreOffice draws PDFs only; install "
                                    "poppler-utils (pdftoppm) to turn the page into a PNG")
            subprocess.run([pdftoppm, "-png", "-r", "110", "-singlefile", "-f", "1", "-l", "1",
                            str(pdf), str(folder / "dashboard")], capture_output=True,
                           timeout=120, check=False)
        if not made.exists() or not made.stat().st_size:
            raise WorkbookError("LibreOffice made no picture of the Dashboard")
        files.write_file(target, made.read_bytes())


def _only_sheet(src: Path, dest: Path, sheet: str) -> None:
    """A copy of `src` that shows and prints only `sheet`, on one landscape page: the
    others hidden, print areas gone, `sheet` active and fitted to the page."""
    import re
    import zipfile

    with zipfile.ZipFile(src) as zin:
        wb = zin.read("xl/workbook.xml")
        rels = zin.read("xl/_rels/workbook.xml.rels")
        m = re.search(rb"<(?:\w+:)?sheet\s[^>]*?name=\"" + re.escape(_xml_attr(sheet)) +
                      rb"\"[^>]*?r:id=\"([^\"]+)\"", wb)
        path = b""
        if m:
            t = re.search(rb"<Relationship\s[^>]*?Id=\"" + re.escape(m.group(1)) +
                          rb"\"[^>]*?Target=\"([^\"]+)\"", rels) or re.search(
                rb"<Relationship\s[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"" + re.escape(m.group(1)) +
                rb"\"", rels)
            path = t.group(1).lstrip(b"/") if t else b""
            if path and not path.startswith(b"xl/"):
                path = b"xl/" + path
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/workbook.xml":
                    data = _show_only(data, sheet)
                elif path and info.filename.encode() == path:
                    data = _fit_to_page(data)
                zout.writestr(info, data)


def _xml_attr(text: str) -> bytes:
    from xml.sax.saxutils import quoteattr

    return quoteattr(text).encode()[1:-1]


def _show_only(workbook_xml: bytes, sheet: str) -> bytes:
    import re

    names = re.findall(rb"<(?:\w+:)?sheet\s[^>]*?name=\"([^\"]*)\"", workbook_xml)
    wanted = _xml_attr(sheet)
    if wanted not in names:
        return workbook_xml
    index = names.index(wanted)

    def tag(m: re.Match) -> bytes:
        t = re.sub(rb'\sstate="[^"]*"', b"", m.group(0))
        if b'name="' + wanted + b'"' not in t:
            t = t[:-2].rstrip() + b' state="hidden"/>'
        return t

    out = re.sub(rb"<(?:\w+:)?sheet\s[^>]*?/>", tag, workbook_xml)
    out = re.sub(rb"<(?:\w+:)?definedName\s[^>]*?_xlnm\.Print_(?:Area|Titles)[^>]*>.*?"
                 rb"</(?:\w+:)?definedName>", b"", out, flags=re.S)
    out = re.sub(rb'\s(?:activeTab|firstSheet)="\d+"', b"", out)
    return re.sub(rb"<((?:\w+:)?workbookView)(?=[\s/>])", rb'<\1 activeTab="%d"' % index, out,
                  count=1)


def _fit_to_page(sheet_xml: bytes) -> bytes:
    """The sheet printed on one landscape page (fit to page)."""
    import re

    if not re.search(rb"<(?:\w+:)?sheetPr[\s/>]", sheet_xml):
        sheet_xml = re.sub(rb"(<(?:\w+:)?worksheet[^>]*>)", rb'\1<sheetPr><pageSetUpPr '
                           rb'fitToPage="1"/></sheetPr>', sheet_xml, count=1)
    sheet_xml = re.sub(rb"<(?:\w+:)?pageSetup\s[^>]*/>", b"", sheet_xml)
    return re.sub(rb"(<(?:\w+:)?pageMargins[^>]*/>)", rb'\1<pageSetup orientation="landscape" '
                  rb'fitToWidth="1" fitToHeight="1"/>', sheet_xml, count=1)
