"""Use cases shared by the CLI and the Excel scripts: read a workbook through any engine,
run the pipeline, render one write plan, apply it; and say what a run did
(`run_summary`). Entry points stay thin."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Sequence

from .book import load as loader
from .book.plan import ReplaceSheet, WritePlan
from .book.print_sheet import DocumentNotFound
from .book.port import WorkbookError, WorkbookPort
from .book.render import print_ops, records_op, render
from .domain import pipeline
from .domain.pipeline import RunResult


__all__ = ["Outcome", "execute", "read_book", "show_document", "DocumentNotFound",
           "RunSummary", "run_summary"]


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
            dispatch_ids: Sequence[str] | None = None, write: bool = True) -> Outcome:
    """Run one operation end to end on `port` and apply the results to it."""
    with cycle_collector_paused():
        return _execute(port, operation, today, now, user, dispatch, dispatch_ids, write)


def _execute(port, operation, today, now, user, dispatch, dispatch_ids, write) -> Outcome:
    loaded = read_book(port)
    result = pipeline.run(loaded.book, operation=operation, today=today, now=now, user=user,
                          dispatch=dispatch, dispatch_ids=dispatch_ids,
                          bad_rows=loaded.bad_order_rows, prior_issues=loaded.issues)
    plan = render(result, loaded)
    if write:
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


def document_pdfs(state, doc_ids) -> list[tuple[str, bytes]]:
    """(file name, PDF bytes) for each invoice number or shipment ID in `doc_ids`.
    Raises `DocumentNotFound` for an ID the book does not have."""
    from .documents import pdf  # fpdf2 is loaded only when a PDF is asked for

    return pdf.pdfs(state, doc_ids)


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
