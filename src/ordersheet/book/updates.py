"""The Customer Updates sheet (issue 23): the messages of the last notify run, a view that
each notify rebuilds (ordersheet's own sheet; a user's sheet of that name is left alone)."""

from __future__ import annotations

from typing import Sequence

from ..domain.models import CommEntry
from ..domain.updates import Message
from . import plan as p
from . import schema as s
from .load import Loaded

SHEET = s.CUSTOMER_UPDATES.name
LINK_COLUMN = len(s.CUSTOMER_UPDATES.cols)
"""Mail Link is the last column: the Excel script makes each of its cells a hyperlink."""


def sheet_name(loaded: Loaded) -> str:
    """The name the view is written under in this book (remembered as ordersheet's)."""
    return loaded.ownership.out(SHEET) if loaded.ownership is not None else SHEET


def view_op(loaded: Loaded, messages: Sequence[Message],
            entries: Sequence[CommEntry]) -> p.ReplaceSheet:
    """The sheet: one row per message with its outcome (Drafted, Sent, Failed)."""
    rows = [[m.customer_id, m.email, m.event.capitalize(), m.order_id, m.subject, m.preview(),
             e.outcome, m.mailto()] for m, e in zip(messages, entries)]
    spec = s.CUSTOMER_UPDATES
    widths = [s.column_width(c) for c in spec.cols]
    widths[spec.cols.index(spec.col("preview"))] = 80.0
    return p.ReplaceSheet(sheet_name(loaded), spec.headers, rows,
                          ["text"] * len(spec.cols), None, "tblCustomerUpdates", widths)
