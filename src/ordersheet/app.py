"""Use cases shared by the CLI and the Excel scripts: read a workbook through any engine,
run the pipeline, render one write plan, apply it. Entry points stay thin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from .book import load as loader
from .book.plan import WritePlan
from .book.port import WorkbookError, WorkbookPort
from .book.render import render
from .domain import pipeline
from .domain.pipeline import RunResult


@dataclass
class Outcome:
    result: RunResult
    plan: WritePlan
    loaded: loader.Loaded


def read_book(port: WorkbookPort) -> loader.Loaded:
    names = loader.sheets_to_read(port.sheet_names())
    raws = port.read(names)
    loaded = loader.load(raws)
    if "Orders" not in loaded.sheet_names:
        raise WorkbookError("the workbook has no Orders sheet "
                            "(create one with `ordersheet new BOOK`)")
    return loaded


def execute(port: WorkbookPort, operation: str, *, today: dt.date, now: dt.datetime,
            user: str = "", dispatch: bool = False,
            dispatch_ids: Sequence[str] | None = None, write: bool = True) -> Outcome:
    """Run one operation end to end on `port` and apply the results to it."""
    loaded = read_book(port)
    result = pipeline.run(loaded.book, operation=operation, today=today, now=now, user=user,
                          dispatch=dispatch, dispatch_ids=dispatch_ids,
                          bad_rows=loaded.bad_order_rows, prior_issues=loaded.issues)
    plan = render(result, loaded)
    if write:
        port.apply(plan)
    return Outcome(result, plan, loaded)
