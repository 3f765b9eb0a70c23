"""The `ordersheet` command: the same operations as the Excel buttons, on an .xlsx file.

Thin by design: parse arguments, open the book through an engine, `app.execute`, save
atomically, print a summary. Exit codes (CONTRACT §1): 0 ran without error-severity
issues, 1 ran and found errors (the book is still written), 2 nothing written.
"""

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, app
from .book import files
from .book.files import book_lock
from .book.port import WorkbookError
from .domain.pipeline import DISPATCH_REFUSALS, RunResult

cli = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Order automation for an Excel order book.")
out = Console(highlight=False, soft_wrap=True)  # lines are not cut at 80 columns
err = Console(stderr=True, highlight=False)


def _version(show: bool) -> None:
    if show:
        out.print(f"ordersheet {__version__}")
        raise typer.Exit()


@cli.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Order automation for an Excel order book."""

TodayOpt = typer.Option(None, "--today", help="As-of date YYYY-MM-DD (default: today).")
OutputOpt = typer.Option(None, "--output", "-o", help="Write a copy here instead of editing BOOK.")
JsonOpt = typer.Option(False, "--json", help="Print the issues as JSON.")
PdfOpt = typer.Option(None, "--pdf", help="Write a PDF of every new invoice and packing "
                                          "slip into this folder.")


class Exit2(Exception):
    """Nothing was written: usage error, unreadable or locked workbook."""


def _today(value: Optional[str]) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Exit2(f"--today: '{value}' is not a date (use YYYY-MM-DD)")


def open_book(path: Path):
    """The package-level engine, which keeps every part of the file it does not own.
    ORDERSHEET_ENGINE=openpyxl selects the reference engine (for comparisons)."""
    from .book.xlsx.limits import sniff  # the xlsx package loads when a book is opened

    sniff(path)
    if os.environ.get("ORDERSHEET_ENGINE") == "openpyxl":
        from .book.openpyxl_engine import OpenpyxlBook

        return OpenpyxlBook(path)
    from .book.xlsx import XlsxBook

    return XlsxBook(path)


def _lock(path: Path):
    return book_lock(path, timeout=float(os.environ.get("ORDERSHEET_LOCK_TIMEOUT", "30")))


def _user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return ""


def run_operation(book: Path, operation: str, today: Optional[str], output: Optional[Path],
                  as_json: bool, dispatch: bool = False,
                  dispatch_ids: Optional[list[str]] = None, quiet: bool = False,
                  pdf: Optional[Path] = None, statement=None,
                  cancel: Optional[app.CancelRequest] = None) -> "tuple[int, RunResult]":
    as_of = _today(today)
    now = dt.datetime.now().replace(microsecond=0)  # the clock; `as_of` the business date
    check_targets(book, output, pdf_folder=pdf)
    pdf_run: Optional[app.PdfRun] = None
    pdf_failure = ""
    with _lock(book):
        port = open_book(book)
        outcome = app.execute(port, operation, today=as_of, now=now, user=_user(),
                              dispatch=dispatch, dispatch_ids=dispatch_ids, statement=statement,
                              cancel=cancel)
        result = outcome.result
        idle = (operation == "dispatch" and not result.dispatched) or result.idle
        if not idle:  # a dispatch that dispatched nothing changes nothing
            port.save(output)
        if pdf is not None and not idle:  # still under the lock: one run at a time
            try:
                pdf_run = _write_pdfs(result.book, _missing(result.book, pdf), pdf,
                                      show=not (as_json or quiet))
            except WorkbookError as e:  # the book is saved: say so, and what failed
                pdf_failure = f"ordersheet: the book was saved, but the PDFs were not: {e}"
    pdf_issues = pdf_run.issues if pdf_run else []
    code = 1 if (result.errors or (idle and dispatch_ids) or result.refused or pdf_failure
                 or any(i.is_error for i in pdf_issues)) else 0
    if idle and not as_json and not quiet:
        for i in result.issues:
            if i.code in DISPATCH_REFUSALS + IDLE_REASONS:
                out.print(f"  [yellow]{escape(str(i))}[/]", soft_wrap=True)
        done = {"cancel": "cancelled", "returns": "returned"}.get(operation, "dispatched")
        out.print(f"Nothing was {done}; {book} was not changed.")
        return code, result
    if pdf_failure:
        err.print(pdf_failure, markup=False)
    if as_json:
        print(json.dumps([i.model_dump(mode="json") for i in [*result.issues, *pdf_issues]],
                         indent=1))
    elif not quiet:
        summarize(result, output or book)
        if pdf_run is not None and pdf is not None:
            say_pdfs(pdf_run, pdf)
    return code, result


IDLE_REASONS = ("already_shipped", "unknown_order")
"""Why a `cancel` changed nothing (printed, as the dispatch refusals are)."""


def check_targets(book: Path, output: Optional[Path], pdf_folder: Optional[Path] = None,
                  pdf_file: Optional[Path] = None) -> None:
    """Everything a command will write, checked before the book is read or written: the
    book exists and is a workbook; it can be saved in place, or `--output` is a workbook
    of its kind in a folder that exists; PDFs never land on the book or another
    workbook."""
    from .book.xlsx.limits import sniff

    sniff(book)
    if output is not None:
        files.check_output_book(book, output)
    else:
        files.check_writable(book)
    if pdf_folder is not None:
        files.check_output_folder(book, pdf_folder, "--pdf")
    if pdf_file is not None:
        files.check_output_file(book, pdf_file, "PDF file")


def summarize(result: RunResult, where: Path) -> None:
    """`app.run_summary`, the statuses as a table, then the first issues in full."""
    summary = app.run_summary(result)
    out.print(summary.title, style="bold", markup=False)  # a title line: never wrapped
    t = Table(show_header=True, header_style="bold")
    t.add_column("Status")
    t.add_column("Lines", justify="right")
    for status, n in summary.statuses:
        t.add_row(status, str(n))
    out.print(t)
    for line in summary.lines:
        out.print(line, markup=False)  # SKUs and codes are text, never rich markup
    for i in result.issues[:10]:
        say_issue(i)
    if len(result.issues) > 10:
        out.print(f"  ... and {len(result.issues) - 10} more on the Issues sheet")
    out.print(f"Written: {where}")


def say_issue(i) -> None:
    """One issue, in red (error) or yellow (warning); its text is never rich markup."""
    out.print(f"  [{'red' if i.is_error else 'yellow'}]{escape(str(i))}[/]", markup=True,
              soft_wrap=True)


def _guard(fn):
    """Every refusal is one line on stderr and exit 2; never a traceback."""

    def wrapper(*a, **kw):
        try:
            code = fn(*a, **kw)
        except (WorkbookError, Exit2) as e:
            print(f"ordersheet: {e}", file=sys.stderr)
            raise typer.Exit(2)
        raise typer.Exit(code or 0)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__signature__ = __import__("inspect").signature(fn)  # type: ignore[attr-defined]
    return wrapper


def _op_command(name: str, operation: str, help_text: str):
    @_guard
    def command(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                today: Optional[str] = TodayOpt, output: Optional[Path] = OutputOpt,
                as_json: bool = JsonOpt) -> int:
        return run_operation(book, operation, today, output, as_json)[0]

    command.__doc__ = help_text
    cli.command(name, help=help_text)(command)


_op_command("validate", "validate", "Check orders and master data; list every problem.")
_op_command("price", "price", "Validate, then price order lines and check credit.")
_op_command("reserve", "reserve", "Validate, price, then reserve stock.")
_op_command("ship", "ship", "Validate, price, reserve, then plan shipments, pick list and "
                            "packing slips.")


@cli.command("invoice")
@_guard
def invoice_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                pdf: Optional[Path] = PdfOpt, today: Optional[str] = TodayOpt,
                output: Optional[Path] = OutputOpt, as_json: bool = JsonOpt) -> int:
    """Validate, price, reserve, ship, then invoice shipments marked Shipped (gapless
    numbers)."""
    return run_operation(book, "invoice", today, output, as_json, pdf=pdf)[0]


@cli.command("run")
@_guard
def run_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
            dispatch: bool = typer.Option(False, "--dispatch",
                                          help="Also dispatch every Ready shipment."),
            pdf: Optional[Path] = PdfOpt, today: Optional[str] = TodayOpt,
            output: Optional[Path] = OutputOpt, as_json: bool = JsonOpt) -> int:
    """Everything in order: validate, price, reserve, ship, (dispatch), invoice."""
    return run_operation(book, "run", today, output, as_json, dispatch=dispatch, pdf=pdf)[0]


@cli.command("reconcile")
@_guard
def reconcile_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                  statement: Optional[Path] = typer.Option(
                      None, "--statement", help="A bank statement (.csv): its incoming "
                                                "payments are added to Payments first."),
                  day_first: bool = typer.Option(False, "--day-first",
                                                 help="Statement dates are day first "
                                                      "(03/11/2026 = 3 November)."),
                  decimal_comma: bool = typer.Option(False, "--decimal-comma",
                                                     help="Statement amounts use a decimal "
                                                          "comma (1.234,50)."),
                  today: Optional[str] = TodayOpt, output: Optional[Path] = OutputOpt,
                  as_json: bool = JsonOpt) -> int:
    """Run, then match payments to invoices: Reconciliation, Invoices Paid/Balance/Status,
    AR Aging."""
    options = None
    if statement is not None:
        options = _statement_options(statement, day_first, decimal_comma)
    return run_operation(book, "reconcile", today, output, as_json, statement=options)[0]


def _statement_options(statement: Path, day_first: bool, decimal_comma: bool):
    """How `reconcile --statement` reads the file (`book.statement.Options`)."""
    from .book import statement as bank

    try:
        data = statement.read_bytes()
    except OSError as e:
        raise Exit2(f"--statement {statement}: {e.strerror or e}") from None
    return bank.Options(day_first=day_first or None, decimal_comma=decimal_comma,
                        source=statement.name, data=data)


@cli.command("dispatch")
@_guard
def dispatch_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                 shipment: Optional[List[str]] = typer.Option(
                     None, "--shipment", help="Dispatch only this shipment (repeatable)."),
                 pdf: Optional[Path] = PdfOpt, today: Optional[str] = TodayOpt,
                 output: Optional[Path] = OutputOpt, as_json: bool = JsonOpt) -> int:
    """Confirm dispatch of Ready shipments (all, or the ones named) and invoice them."""
    return run_operation(book, "dispatch", today, output, as_json, dispatch=True,
                         dispatch_ids=shipment or None, pdf=pdf)[0]


@cli.command("notify")
@_guard
def notify_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
               drafts: Optional[Path] = typer.Option(
                   None, "--drafts", help="Write each message as an .eml file into this "
                                          "folder (any mail program opens them)."),
               send: bool = typer.Option(False, "--send", help="Send the messages over SMTP "
                                         "(Settings SMTP Host, Port, From, User, TLS; the "
                                         "password from ORDERSHEET_SMTP_PASSWORD)."),
               today: Optional[str] = TodayOpt, output: Optional[Path] = OutputOpt,
               as_json: bool = JsonOpt) -> int:
    """Tell customers what they have not been told yet (order confirmed, backordered,
    dispatched, invoiced, overdue): drafts and/or e-mails, logged on Communication Log."""
    if drafts is None and not send:
        raise Exit2("notify: say where the drafts go (--drafts DIR), or send the messages "
                    "(--send), or both")
    done = notify_book(book, _today(today), drafts, send, output)
    result = done.outcome.result
    if as_json:
        print(json.dumps([i.model_dump(mode="json") for i in result.issues], indent=1))
    else:
        out.print(done.text(), markup=False)
        for i in result.issues[:10]:
            say_issue(i)
        if len(result.issues) > 10:
            out.print(f"  ... and {len(result.issues) - 10} more on the Issues sheet")
        if drafts is not None and done.messages:
            out.print(f"Drafts: {drafts}", markup=False)
        out.print(f"Written: {output or book} (the messages are on its {done.sheet} sheet)",
                  markup=False)
    return 1 if result.errors else 0


def notify_book(book: Path, as_of: dt.date, drafts: Optional[Path], send: bool,
                output: Optional[Path] = None) -> "app.NotifyOutcome":
    """`app.notify` on the book file, its drafts into `drafts`, sent when `send`."""
    from . import mail

    now = dt.datetime.now().replace(microsecond=0)
    check_targets(book, output, pdf_folder=None)
    if drafts is not None:
        files.check_output_folder(book, drafts, "--drafts")
    postman = mail.Postman(now=now, drafts=drafts, send=send,
                           password=mail.password_from_env())
    with _lock(book):
        port = open_book(book)
        done = app.notify(port, today=as_of, now=now, user=_user(), deliver=postman)
        port.save(output)
    return done


@cli.command("cancel")
@_guard
def cancel_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
               order_id: str = typer.Argument(..., metavar="ORDER_ID",
                                              help="The order to cancel."),
               line: Optional[int] = typer.Option(None, "--line",
                                                  help="Cancel only this line of the order."),
               reason: str = typer.Option("", "--reason", help="Why (Stock Ledger, Audit Log)."),
               today: Optional[str] = TodayOpt, output: Optional[Path] = OutputOpt,
               as_json: bool = JsonOpt) -> int:
    """Cancel an order (or one line): release its stock, withdraw its Ready shipments.
    A line that was dispatched cannot be cancelled: record a return instead."""
    request = app.CancelRequest(order_id, line, reason)
    return run_operation(book, "cancel", today, output, as_json, cancel=request)[0]


@cli.command("returns")
@_guard
def returns_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                pdf: Optional[Path] = PdfOpt, today: Optional[str] = TodayOpt,
                output: Optional[Path] = OutputOpt, as_json: bool = JsonOpt) -> int:
    """Process the new rows of the Returns sheet: stock back, one credit note each
    (CN-00001 ...), exchange lines added to Orders. A row processed once never is again."""
    return run_operation(book, "returns", today, output, as_json, pdf=pdf)[0]


@cli.command("new")
@_guard
def new_cmd(book: Path = typer.Argument(..., help="Where to create the order book."),
            sample: bool = typer.Option(False, "--sample", help="Fill it with sample data."),
            today: Optional[str] = TodayOpt) -> int:
    """Create an order book from the template."""
    from .book.templates import build_order_book

    if book.exists():
        raise Exit2(f"{book} already exists; choose another name")
    if book.suffix.lower() != ".xlsx":
        raise Exit2(f"{book}: an order book is an .xlsx workbook; give a name ending in .xlsx")
    folder = book.parent if str(book.parent) else Path(".")
    if not folder.is_dir():
        raise Exit2(f"{book}: the folder {folder} does not exist")
    try:
        build_order_book(book, sample=sample, today=_today(today))
    except OSError as e:
        raise Exit2(f"cannot write {book}: {e.strerror or e}") from None
    out.print(f"Created {book}")
    return 0


@cli.command("demo")
@_guard
def demo_cmd(directory: Path = typer.Argument(Path("ordersheet-demo"),
                                              help="Folder for the sample book, drafts and "
                                                   "PDFs."),
             today: Optional[str] = TodayOpt) -> int:
    """Build a sample order book and take it through every step: run --dispatch, returns,
    reconcile (with a bank statement), report, notify (drafts), PDFs."""
    from . import demo
    from .book.templates import build_order_book
    from .documents import statement as st

    as_of = _today(today)
    day = as_of.isoformat()
    files.make_folder(directory, "demo:")
    demo.clear_outputs(directory)  # a fresh book each time, and only its drafts and PDFs
    book, drafts, pdfs = directory / demo.BOOK, directory / demo.DRAFTS, directory / demo.PDFS
    build_order_book(book, sample=True, today=as_of)
    out.print(f"Sample order book: {book}", markup=False)

    def step(n: int, line: str) -> None:
        out.print(f"{n}. {line}", markup=False)

    _, result = run_operation(book, "run", day, None, False, dispatch=True, quiet=True)
    step(1, demo.run_line(result))
    _, result = run_operation(book, "returns", day, None, False, quiet=True)
    step(2, demo.returns_line(result))
    statement = demo.write_statement(directory, as_of)
    _, result = run_operation(book, "reconcile", day, None, False, quiet=True,
                              statement=_statement_options(statement, False, False))
    step(3, demo.reconcile_line(result, statement))
    _, result = run_operation(book, "report", day, None, False, quiet=True)
    step(4, demo.report_line(result, as_of))
    done = notify_book(book, as_of, drafts, send=False)
    step(5, demo.notify_line(done, drafts))
    state = done.outcome.result.book
    run = _write_pdfs(state, app.issued_documents(state), pdfs)
    with _lock(book):
        doc = app.customer_statement(open_book(book), demo.STATEMENT_CUSTOMER, as_of)
    files.write_file(pdfs / demo.statement_pdf_name(), st.statement_pdf(doc))
    step(6, demo.pdf_line(state, run.written, pdfs))
    for i in run.issues:
        say_issue(i)
    out.print(demo.what_to_open(book), markup=False)
    return 0  # the sample's deliberate problems are the point of the demo


# ---- PDFs -------------------------------------------------------------------------------


def _missing(state, folder: Path) -> list[str]:
    return app.missing_pdfs(app.issued_documents(state), folder)


def _write_pdfs(state, doc_ids, folder: Path, *, show: bool = True,
                target: Optional[Path] = None) -> "app.PdfRun":
    """`app.write_pdfs`, with a progress bar on a terminal when it takes a while."""
    bar = PdfProgress(enabled=show and out.is_terminal)
    try:
        return app.write_pdfs(state, list(doc_ids), folder, target=target, progress=bar)
    finally:
        bar.close()


class PdfProgress:
    """A progress bar for writing PDFs: shown once the work has taken `DELAY` seconds (a
    handful of PDFs never flashes one), only on a terminal, and gone when done."""

    DELAY = 1.0

    def __init__(self, enabled: bool, clock=time.monotonic) -> None:
        self.enabled = enabled
        self.clock = clock
        self.started = clock()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if done >= total or self.clock() - self.started < self.DELAY:
                return
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("Writing PDFs"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=out, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("pdf", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def say_pdfs(run: "app.PdfRun", folder: Path) -> None:
    """How many PDFs were written, and every document that could not be made or lacks a
    font (they are not on the Issues sheet: the book was saved before)."""
    n = len(run.written)
    failed = sum(1 for i in run.issues if i.code == "pdf_failed")
    line = f"PDFs: {n} written" + (f" to {folder}" if n else "")
    if failed:
        line += f"; {failed} could not be made (tried again next time)"
    out.print(line, markup=False)
    for i in run.issues:
        say_issue(i)


@cli.command("pdf")
@_guard
def pdf_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
            doc_ids: Optional[List[str]] = typer.Argument(
                None, metavar="DOC", help="Invoice numbers or shipment IDs (default: "
                                               "every document without a PDF in --out)."),
            folder: Path = typer.Option(..., "--out", help="The folder for the PDFs."),
            every: bool = typer.Option(False, "--all", help="Every invoice and packing "
                                                            "slip, written afresh."),
            missing: bool = typer.Option(False, "--missing", help="Those without a PDF in "
                                                                  "--out (the default)."),
            as_json: bool = JsonOpt) -> int:
    """Write the PDF of invoices and packing slips into a folder; the book is only read.
    A document that cannot be made is reported and the others are written."""
    if sum((every, missing, bool(doc_ids))) > 1:
        raise Exit2("give DOC IDs, --all or --missing, not more than one of them")
    from .book.xlsx.limits import sniff

    sniff(book)
    files.check_output_folder(book, folder, "--out")
    with _lock(book):
        state = app.read_book(open_book(book)).book
        wanted = ([d.strip() for d in doc_ids] if doc_ids else app.issued_documents(state))
        if not doc_ids and not every:
            wanted = app.missing_pdfs(wanted, folder)
        try:
            run = _write_pdfs(state, wanted, folder, show=not as_json)
        except app.DocumentNotFound as e:
            raise Exit2(f"{book} has no invoice or shipment '{e.args[0]}'") from None
    if as_json:
        print(json.dumps([i.model_dump(mode="json") for i in run.issues], indent=1))
    else:
        say_pdfs(run, folder)
    return 1 if any(i.is_error for i in run.issues) else 0


@cli.command("print")
@_guard
def print_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
              doc_id: str = typer.Argument(..., help="An invoice number or shipment ID."),
              pdf: Optional[Path] = typer.Option(None, "--pdf",
                                                 help="Also write the document as PDF "
                                                      "(a file, or a folder)."),
              output: Optional[Path] = OutputOpt) -> int:
    """Show one invoice or packing slip on its print sheet (and optionally as PDF)."""
    pdf_file = None if pdf is None or pdf.is_dir() or not pdf.suffix else pdf
    check_targets(book, output, pdf_folder=pdf if pdf is not None and pdf_file is None
                  else None, pdf_file=pdf_file)
    with _lock(book):
        port = open_book(book)
        try:
            app.show_document(port, doc_id)
        except app.DocumentNotFound:
            raise Exit2(f"{book} has no invoice or shipment '{doc_id}'")
        port.save(output)
    out.print(f"{doc_id} is on its print sheet in {output or book}")
    if pdf is not None:
        loaded = app.read_book(open_book(output or book))
        try:
            run = _write_pdfs(loaded.book, [doc_id.strip()], pdf_file.parent if pdf_file
                              else pdf, target=pdf_file)
        except WorkbookError as e:
            raise WorkbookError(f"the print sheet was saved, but the PDF was not: {e}") \
                from None
        for i in run.issues:
            say_issue(i)
        if not run.written:
            return 1
        out.print(f"PDF: {run.written[0]}", markup=False)
    return 0


@cli.command("statement")
@_guard
def statement_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                  customer_id: str = typer.Argument(..., metavar="CUSTOMER_ID"),
                  pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also write the "
                                                     "statement as this PDF file."),
                  today: Optional[str] = TodayOpt) -> int:
    """List a customer's open items as of --today (and write them as a PDF statement);
    the book is only read."""
    from .documents import statement as st

    as_of = _today(today)
    from .book.xlsx.limits import sniff

    sniff(book)
    if pdf is not None:
        files.check_output_file(book, pdf, "PDF file")
    with _lock(book):
        doc = app.customer_statement(open_book(book), customer_id, as_of)
    if doc is None:
        raise Exit2(f"{book} has no customer '{customer_id}' (on Customers or any invoice)")
    out.print(f"Statement of {doc.text('customer_name')} ({doc.text('customer_id')}) as of "
              f"{as_of:%Y-%m-%d}", style="bold", markup=False)
    t = Table(show_header=True, header_style="bold")
    for c in st.COLUMNS:
        t.add_column(st.HEADINGS[c], justify="right" if c in ("days", "total", "paid",
                                                             "balance") else "left")
    for ln in doc.lines:
        t.add_row(*(escape(ln[c].text) for c in st.COLUMNS))
    out.print(t)
    for sentence in doc.owed:
        out.print(sentence, markup=False)
    if pdf is not None:
        files.write_file(pdf, st.statement_pdf(doc))
        out.print(f"PDF: {pdf}", markup=False)
    return 0


@cli.command("export-shipments")
@_guard
def export_shipments_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
                         dest: Path = typer.Argument(..., help="The CSV file to write."),
                         fmt: str = typer.Option("csv", "--format", help="Only csv for now."),
                         shipment: Optional[List[str]] = typer.Option(
                             None, "--shipment", help="Only these shipments (repeatable).")) -> int:
    """Write a carrier batch-import CSV of Ready shipments (one row per shipment)."""
    import csv

    from .domain import views

    if fmt.lower() != "csv":
        raise Exit2(f"--format {fmt}: only csv is supported")
    files.check_output_file(book, dest, "CSV file")
    loaded = app.read_book(open_book(book))
    rows = views.carrier_export_rows(loaded.book.shipments, loaded.book, shipment or None)
    try:
        with open(dest, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(views.CARRIER_COLUMNS))
            w.writeheader()
            for r in rows:
                w.writerow({k: _csv_safe(v) for k, v in r.items()})
    except OSError as e:
        raise WorkbookError(f"cannot write {dest}: {e.strerror or e}") from None
    out.print(f"{len(rows)} shipments written to {dest}")
    return 0


_csv_safe = app.csv_safe


@cli.command("report")
@_guard
def report_cmd(book: Path = typer.Argument(..., metavar="BOOK", help="The order book (.xlsx)."),
               png: Optional[Path] = typer.Option(None, "--png", help="Also draw the "
                                                  "Dashboard into this PNG file (needs "
                                                  "LibreOffice)."),
               purchase: Optional[Path] = typer.Option(
                   None, "--purchase-lists", metavar="DIR", help="Write a purchase-list CSV "
                   "per supplier (Products' Supplier column) into this folder."),
               today: Optional[str] = TodayOpt, output: Optional[Path] = OutputOpt,
               as_json: bool = JsonOpt) -> int:
    """Run everything (as `run`), then rebuild the Dashboard (KPIs and charts), Reorder and
    Bottlenecks sheets."""
    if png is not None:
        files.check_output_file(book, png, "PNG file")
    if purchase is not None:
        files.check_output_folder(book, purchase, "--purchase-lists")
    code, result = run_operation(book, "report", today, output, as_json)
    quiet = as_json
    if purchase is not None:
        written = app.purchase_list_files(result, purchase)
        if not quiet:
            out.print(f"Purchase lists: {len(written)} written" + (
                f" to {purchase}" if written else " (no SKU to order, or no Supplier column "
                "on Products)"), markup=False)
    if png is not None:
        app.dashboard_png(output or book, png)
        if not quiet:
            out.print(f"Dashboard picture: {png}", markup=False)
    return code


@cli.command("lite")
@_guard
def lite_cmd(directory: Path = typer.Argument(Path("ordersheet-lite"),
                                              help="Folder for main.py and requirements.txt."),
             wheel_url: Optional[str] = typer.Option(
                 None, "--wheel-url", help="Where you will host the wheel (https://.../"
                                           "ordersheet-VERSION-py3-none-any.whl): main.py "
                                           "then only imports, and the wheel is written "
                                           "beside it for you to upload.")) -> int:
    """Write main.py and requirements.txt to paste into xlwings Lite (main.py carries the
    ordersheet package itself, so nothing needs hosting)."""
    from . import lite

    try:
        written = lite.write(directory, wheel_url)
    except lite.LiteError as e:
        raise Exit2(str(e)) from None
    for path in written:
        out.print(f"Written: {path}")
    if wheel_url:
        out.print(f"Upload {written[-1].name} so that {wheel_url} serves it (to xlwings Lite: "
                  "allow https://addin.xlwings.org by CORS), then paste main.py and "
                  "requirements.txt into xlwings Lite's tabs of the same names.")
    else:
        out.print("Paste each file into the xlwings Lite tab of the same name "
                  "(see addin/lite/README.md).")
    return 0


@cli.command("version")
def version_cmd() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:  # pragma: no cover
        err.print("ordersheet: interrupted; the workbook was not changed")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
