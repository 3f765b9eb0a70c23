"""The number formats of the money cells a run writes, row by row, by the currency of each
row (`number_formats`): Orders' Price, Net, Tax and Total by the line's Currency; Invoices'
amounts by the invoice's Currency; Invoice Lines' Unit Price, Net, Tax and Total by their
invoice's Currency. Part of `render`: each function fills the `row_formats` of one plan
operation, and leaves it empty when every row's currency has two decimals."""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Mapping, Sequence

from . import number_formats as nf
from . import plan as p
from . import schema as s


def orders(op: p.UpdateColumns, placed: Mapping[str, int],
           columns: Mapping[str, Sequence[Any]]) -> None:
    """Orders' tool columns (`placed`: field -> column, `columns`: field -> values)."""
    currencies = columns.get("currency")
    if currencies is None:  # a run that does not price writes no amounts
        return
    money = nf.money_runs(currencies)
    for c in s.ORDER_TOOL_COLUMNS:
        if c.field in placed and c.field in columns:
            got = nf.column_runs(c.fmt, currencies, columns[c.field], money)
            if got:
                op.row_formats[placed[c.field]] = got


def _column(rows: Any, spec: s.SheetSpec, fld: str) -> list[Any]:
    """The values of field `fld` in each row of a ReplaceSheet's rows (`render.RecordRows`
    or lists of values in the spec's column order)."""
    records = getattr(rows, "records", None)
    if records is not None and getattr(rows, "fields", None) == [c.field for c in spec.cols]:
        return list(map(attrgetter(fld), records))
    j = [c.field for c in spec.cols].index(fld)
    return [r[j] if j < len(r) else None for r in rows]


def owned_sheet(op: p.ReplaceSheet, spec: s.SheetSpec, invoices: Sequence[Any]) -> None:
    """Invoices and Invoice Lines (`invoices`: the run's invoice records, for the currency
    of an invoice line); other sheets have no money columns by currency."""
    if spec.name not in (s.INVOICES.name, s.INVOICE_LINES.name):
        return
    if spec.name == s.INVOICES.name:
        currencies = _column(op.rows, spec, "currency")
    else:
        currency_of = {i.invoice_no: i.currency for i in invoices}
        if not nf.money_runs(list(set(currency_of.values()))):
            return  # every line's invoice in a two-decimal currency (the common book)
        currencies = [currency_of.get(n) for n in _column(op.rows, spec, "invoice_no")]
    money = nf.money_runs(currencies)
    for j, c in enumerate(spec.cols):
        if c.fmt in ("money", "price"):
            got = nf.column_runs(c.fmt, currencies,
                                 _column(op.rows, spec, c.field) if c.fmt == "price" else (),
                                 money)
            if got:
                op.row_formats[j] = got
