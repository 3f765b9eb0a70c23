"""`ordersheet demo`: what each step did to the sample book, one short line each, and what
to open afterwards.

The command line runs the steps (`cli.demo_cmd`, through the same code as each command:
`run --dispatch`, `returns`, `reconcile --statement`, `report`, `notify --drafts`, the
PDFs and a customer statement); this module says what each did, counted from its result,
and writes the sample's bank statement beside the book. Desktop only, like the command.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Sequence

from .book import files
from .book.sample import statement_csv
from .domain import reorder
from .domain.models import OrderBook
from .domain.pipeline import RunResult

BOOK = "order_book.xlsx"
STATEMENT = "bank-statement.csv"
DRAFTS = "drafts"
PDFS = "pdf"
STATEMENT_CUSTOMER = "C-1001"
"""Whose statement the demo prints: Cascade Trail Outfitters, with open invoices, one of
them partly credited by a return."""
OUTPUTS = ((DRAFTS, ".eml"), (PDFS, ".pdf"))
"""The demo's own folders, and the files in them it replaces on every demo."""


def clear_outputs(directory: Path) -> None:
    """Remove what an earlier demo in `directory` wrote (the book, its backup, the drafts
    and PDFs): each demo starts from a fresh sample book, so it leaves the same files."""
    stale = [directory / BOOK, directory / (BOOK + ".bak")]
    for folder, suffix in OUTPUTS:
        if (directory / folder).is_dir():
            stale += sorted((directory / folder).glob("*" + suffix))
    for path in stale:
        if path.is_file():
            path.unlink()


def write_statement(directory: Path, today: dt.date) -> Path:
    """The sample's bank statement as the bank's CSV export, beside the book."""
    path = directory / STATEMENT
    files.write_file(path, statement_csv(today).encode())
    return path


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _span(ids: Sequence[str]) -> str:
    return f" ({ids[0]}..{ids[-1]})" if len(ids) > 1 else f" ({ids[0]})" if ids else ""


def _issue_counts(result: RunResult) -> str:
    errors = len(result.errors)
    return f"{_plural(errors, 'error')}, {_plural(len(result.issues) - errors, 'warning')}"


def run_line(result: RunResult) -> str:
    return (f"run --dispatch: {_plural(len(result.dispatched), 'shipment')} dispatched, "
            f"{_plural(len(result.new_invoices), 'invoice')}{_span(result.new_invoices)}; "
            f"the sample's deliberate problems on Issues: {_issue_counts(result)}")


def returns_line(result: RunResult) -> str:
    done = result.returns
    if done is None:  # pragma: no cover - `returns` always says what it did
        return "returns: nothing"
    notes = [cn.invoice_no for cn in done.credit_notes]
    exchanges = sum(1 for r in done.new if r.exchange_line)
    rejected = Counter(i.code for i in done.issues if i.is_error)
    line = (f"returns: {len(done.new)} accepted, {_plural(len(notes), 'credit note')}"
            f"{_span(notes)}, {_plural(exchanges, 'exchange line')} added to Orders")
    if rejected:
        line += f"; {sum(rejected.values())} rejected (" + ", ".join(rejected) + ")"
    return line


def reconcile_line(result: RunResult, statement: Path) -> str:
    line = f"reconcile --statement {statement.name}: "
    got = result.imported
    if got is not None:
        line += (f"{_plural(len(got.added), 'payment')} imported, "
                 f"{_plural(got.debits, 'debit')} left out; ")
    rec = result.reconciliation
    kinds: Counter = Counter()
    for per_kind in (rec.summary().values() if rec is not None else ()):
        for kind, (n, _total) in per_kind.items():
            kinds[kind] += n
    line += (f"{_plural(sum(kinds.values()), 'payment')}: "
             + ", ".join(f"{kinds[k]} {k}" for k in ("matched", "partly", "unmatched"))
             + f"; {len(rec.new_rows) if rec else 0} Reconciliation rows")
    return line


def report_line(result: RunResult, today: dt.date) -> str:
    rows = reorder.plan(result.book, result.lines, result.outcomes, today)
    return (f"report: Dashboard (figures and charts), Reorder "
            f"({_plural(sum(1 for r in rows if r.reorder), 'stock item')} to reorder), "
            "Bottlenecks")


def notify_line(done, drafts: Path) -> str:
    """`done`: `app.NotifyOutcome`."""
    per_event = Counter(m.event.lower() for m in done.messages)
    missing = sum(1 for i in done.outcome.result.issues if i.code == "missing_email")
    line = (f"notify --drafts {drafts}: {_plural(len(done.messages), 'draft')} ("
            + ", ".join(f"{event} {n}" for event, n in per_event.items()) + ")")
    if missing:
        line += f"; {_plural(missing, 'customer')} without an Email (missing_email)"
    return line


def pdf_line(book: OrderBook, written: Sequence[Path], folder: Path) -> str:
    """`written`: the documents' PDFs; the customer statement's is named apart."""
    names = {p.stem for p in written}
    kinds = Counter("credit note" if i.credits_invoice else "invoice"
                    for i in book.invoices if i.invoice_no in names)
    slips = sum(1 for x in book.shipments if x.shipment_id in names)
    return (f"PDFs in {folder}: {_plural(kinds['invoice'], 'invoice')}, "
            f"{_plural(kinds['credit note'], 'credit note')}, {_plural(slips, 'packing slip')}"
            f" and {statement_pdf_name()}")


def statement_pdf_name() -> str:
    return f"statement-{STATEMENT_CUSTOMER}.pdf"


def what_to_open(book: Path) -> str:
    folder = book.parent
    return (f"Open {book} in Excel or LibreOffice: Orders (every line's status), Issues (the "
            "sample's deliberate problems, README lists them), Invoices (the CN- credit notes "
            "at the bottom), Returns (one row rejected), Reconciliation (each payment's rule), "
            "AR Aging, Dashboard, Pick List (the exchange, waiting to ship), Communication Log. "
            f"The e-mails are in {folder / DRAFTS}, the PDFs in {folder / PDFS}.")
