"""ordersheet's own memory inside the workbook: the hidden sheet `_ordersheet_records`.

The workbook is the database, and people type into every sheet, the tool's own sheets
too. So what ordersheet wrote on its sheets (reservations, shipments and their lines,
invoices and their lines, every Stock Ledger and Audit Log row) is also kept here, where
nobody edits by accident; the visible sheets are read back against it (`book.owned`), an
edit to a posted record is restored and reported, and what the tool knows (a shipment was
dispatched, an invoice number was issued) never depends on a cell a user can retype.

It also remembers which sheets and which columns of the user's sheets ordersheet created,
so it never writes into a sheet or column that only happens to carry one of its names, and
keeps records that are on no sheet at all: the locked price of each reserved or shipped
order line (`Price Locks`), which its invoice uses whatever is typed on Orders later.

Layout, one row per item under the header `Kind | Name | Part | Data | Check`:

- `format`: the layout version;
- `sheet  | <contract name> |  | <name in the book>`: a sheet ordersheet created or took over;
- `column | <user sheet> | <tool column> | <header as written>`: a column ordersheet added;
- `records | <sheet> | <batch>/<piece>/<pieces> | <data> | <crc32>`: the records of one
  owned sheet (or of `Price Locks`, kept only here). A batch is the records' fields column
  by column (a text line per value, the columns apart by U+001E, the first column the
  field names), zlib-compressed and base64-encoded, cut into cells Excel can hold. The
  sheets ordersheet only appends to (Stock Ledger, Audit Log) get one new batch per run
  and keep the old ones as they were.
  The check is the CRC-32 of the whole batch: a changed cell is refused, never guessed at.

Pure standard library (zlib, base64), so it runs inside xlwings Lite.
"""

from __future__ import annotations

import base64
import dataclasses as dc
import datetime as dt
import re
import typing
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Sequence

from ..domain import models as m
from ..domain.records import build_rows
from . import plan as p
from . import schema as s
from .plan import RECORDS_SHEET
from .port import WorkbookError
from .raw import RawSheet, a1

HEADER = ["Kind", "Name", "Part", "Data", "Check"]
FORMAT = "1"
PIECE = 32_000
"""Characters per cell (Excel holds 32,767)."""

OWNED_SPECS: dict[str, tuple[s.SheetSpec, type]] = {
    s.RESERVATIONS.name: (s.RESERVATIONS, m.Reservation),
    s.SHIPMENTS.name: (s.SHIPMENTS, m.Shipment),
    s.SHIPMENT_LINES.name: (s.SHIPMENT_LINES, m.ShipmentLine),
    s.INVOICES.name: (s.INVOICES, m.Invoice),
    s.INVOICE_LINES.name: (s.INVOICE_LINES, m.InvoiceLine),
    s.STOCK_LEDGER.name: (s.STOCK_LEDGER, m.LedgerEntry),
    s.AUDIT_LOG.name: (s.AUDIT_LOG, m.AuditEntry),
    s.COMMUNICATION_LOG.name: (s.COMMUNICATION_LOG, m.CommEntry),
    s.RECONCILIATION.name: (s.RECONCILIATION, m.ReconRow),
}
"""The sheets whose rows are ordersheet's records: contract name -> (columns, record)."""
APPEND_ONLY = (s.STOCK_LEDGER.name, s.AUDIT_LOG.name, s.COMMUNICATION_LOG.name,
               s.RECONCILIATION.name)
"""Record sheets that only grow, in the order their batches are written (a tuple: the
written book must not depend on the hash seed)."""
PRICE_LOCKS = "Price Locks"
PROCESSED_RETURNS = "Processed Returns"
HIDDEN_KINDS: dict[str, tuple[tuple[str, ...], type]] = {
    PRICE_LOCKS: (tuple(f.name for f in dc.fields(m.PriceLock)), m.PriceLock),
    PROCESSED_RETURNS: (tuple(f.name for f in dc.fields(m.ProcessedReturn)),
                        m.ProcessedReturn),
}
"""Records ordersheet keeps only in this sheet, on no visible one: name -> (fields,
record)."""


def _kind(name: str) -> tuple[tuple[str, ...], type] | None:
    """(fields, record) of the records kept under `name`; None for an unknown name."""
    if name in OWNED_SPECS:
        spec, model = OWNED_SPECS[name]
        return tuple(c.field for c in spec.cols), model
    return HIDDEN_KINDS.get(name)


@dataclass
class Batch:
    """One encoded batch of records as read (kept verbatim for append-only sheets)."""

    data: str
    count: int


@dataclass
class ToolState:
    """Everything `_ordersheet_records` holds, decoded."""

    found: bool = False
    """The book had the sheet (False: a new book, or one from before it existed)."""
    records: dict[str, list[Any]] = field(default_factory=dict)
    """owned sheet -> ordersheet's records on it, in the order it wrote them."""
    batches: dict[str, list[Batch]] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    """contract sheet name -> the sheet's name in the book, for sheets ordersheet made."""
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    """user sheet -> {tool column: header as written} for columns ordersheet added."""
    fields: dict[str, frozenset[str]] = field(default_factory=dict)
    """owned sheet -> the fields its records were written with (a field a later version
    added is missing from an older book's batches)."""

    def owns_sheet(self, name: str) -> bool:
        return name in self.sheets

    def column(self, sheet: str, header: str) -> str | None:
        return self.columns.get(sheet, {}).get(header)


# ---- the codec ---------------------------------------------------------------------------

_SEP = "\x1e"
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", _SEP: "\\x1e"}
_ESCAPE = re.compile(r"[\\\n\r\x1e]")
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_UNESCAPE = re.compile(r"\\\\|\\n|\\r|\\x1e")


def _escape_text(v: str) -> str:
    return _ESCAPE.sub(lambda mt: _ESCAPES[mt.group()], v)


def _unescape_text(v: str) -> str:
    return _UNESCAPE.sub(lambda mt: _UNESCAPES[mt.group()], v)


def _base_type(tp: Any) -> tuple[type, bool]:
    """(str | int | Decimal | date | datetime | bool, optional) of a field annotation."""
    optional = False
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0]
    if typing.get_origin(tp) is typing.Literal:
        tp = str
    if tp not in (str, int, Decimal, dt.date, dt.datetime, bool):
        raise TypeError(f"no state codec for {tp!r}")
    if optional and tp is str:  # "" could not tell None from the empty text
        raise TypeError("optional text fields cannot be stored")
    return tp, optional


_FIELD_TYPES: dict[type, dict[str, tuple[type, bool]]] = {}


def field_types(model: type) -> dict[str, tuple[type, bool]]:
    got = _FIELD_TYPES.get(model)
    if got is None:
        hints = typing.get_type_hints(model)
        got = _FIELD_TYPES[model] = {f.name: _base_type(hints[f.name])
                                     for f in dc.fields(model) if f.name not in ("row", "cols")}
    return got


def _text_of(tp: type) -> Callable[[Any], str]:
    if tp is dt.datetime:
        return dt.datetime.isoformat
    if tp is dt.date:
        return dt.date.isoformat
    if tp is bool:
        return lambda v: "1" if v else "0"
    return str


def _encode_column(values: list[Any], tp: type) -> str:
    if tp is str:
        if None in values:
            values = ["" if v is None else v for v in values]
        text = "\n".join(values)
        if text.count("\n") == len(values) - 1 and "\\" not in text and "\r" not in text \
                and _SEP not in text:
            return text
        return "\n".join(map(_escape_text, values))
    to_text = _text_of(tp)
    memo: dict[Any, str] = {}
    if len(values) > 64 and tp in (dt.datetime, dt.date, bool):  # few distinct values
        return "\n".join([memo[v] if v in memo else memo.setdefault(
            v, "" if v is None else to_text(v)) for v in values])
    if None in values:
        return "\n".join(["" if v is None else to_text(v) for v in values])
    return "\n".join(map(to_text, values))


def encode(model: type, fields: Sequence[str], records: Sequence[Any]) -> str:
    """Records as base64 text: fields column by column, compressed."""
    types = field_types(model)
    blocks = ["\n".join(fields)]
    for f in fields:
        blocks.append(_encode_column([getattr(r, f) for r in records], types[f][0]))
    raw = (str(len(records)) + _SEP + _SEP.join(blocks)).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


_PARSE: dict[type, Callable[[str], Any]] = {
    int: int, Decimal: Decimal, dt.date: dt.date.fromisoformat,
    dt.datetime: dt.datetime.fromisoformat, bool: lambda t: t == "1",
}


def _decode_column(texts: list[str], tp: type, optional: bool) -> list[Any]:
    if tp is str:
        return [_unescape_text(t) if "\\" in t else t for t in texts] \
            if any("\\" in t for t in texts) else texts
    parse = _PARSE[tp]
    distinct = set(texts)
    if len(distinct) * 4 < len(texts):  # timestamps, dates, small numbers: parse once each
        memo = {t: (None if t == "" else parse(t)) for t in distinct}
        return list(map(memo.__getitem__, texts))
    if "" in distinct:
        return [None if t == "" else parse(t) for t in texts]
    return list(map(parse, texts))


def decode(model: type, data: str) -> list[Any]:
    """`encode`'s text back into records. Fields the text lacks take their defaults;
    fields the record no longer has are dropped. Raises ValueError when it is damaged."""
    return decode_batch(model, data)[0]


def decode_batch(model: type, data: str) -> tuple[list[Any], list[str]]:
    """`decode`, and the names of the fields the text holds."""
    try:
        raw = zlib.decompress(base64.b64decode(data.encode("ascii"), validate=True))
        text = raw.decode("utf-8")
    except (ValueError, zlib.error, UnicodeError) as e:
        raise ValueError(f"not readable ({e})") from None
    count_text, _, rest = text.partition(_SEP)
    blocks = rest.split(_SEP)
    count = int(count_text)
    names = blocks[0].split("\n") if blocks[0] else []
    if len(blocks) != len(names) + 1:
        raise ValueError("its columns do not match its field names")
    types = field_types(model)
    columns: dict[str, Any] = {}
    for name, block in zip(names, blocks[1:]):
        if name not in types:
            continue
        texts = block.split("\n") if count else []
        if len(texts) != count:
            raise ValueError(f"column {name} has {len(texts)} values for {count} records")
        columns[name] = _decode_column(texts, *types[name])
    if not count:
        return [], names
    return build_rows(model, columns), names


def _crc(data: str) -> str:
    return format(zlib.crc32(data.encode("ascii")), "08x")


# ---- reading and writing the sheet -------------------------------------------------------


def read_state(raw: RawSheet | None) -> ToolState:
    """The state a book holds. A damaged records sheet is refused (`WorkbookError`: CLI
    exit 2), because guessing at what was posted could ship or invoice twice."""
    state = ToolState()
    if raw is None:
        return state
    state.found = True
    pieces: dict[tuple[str, str], list[tuple[int, int, str, str, int]]] = {}
    for i, r in enumerate(raw.rows):
        cells = [("" if v is None else str(v)) for v in (list(r) + [None] * 5)[:5]]
        kind, name, part, data, check = (c.strip() if k != 3 else c for k, c in enumerate(cells))
        row = raw.header_row + 1 + i
        if kind == "sheet" and name and data:
            state.sheets[name] = data.strip()
        elif kind == "column" and name and part and data:
            state.columns.setdefault(name, {})[part] = data.strip()
        elif kind == "records":
            try:
                batch, k, n = part.split("/")
                pieces.setdefault((name, batch), []).append((int(k), int(n), data, check, row))
            except ValueError:
                raise _damaged(raw, row, 3) from None
        elif kind in ("", "format"):
            continue
        else:
            raise _damaged(raw, row, 1)
    for (name, batch), parts in pieces.items():
        parts.sort()
        n = parts[0][1]
        row = parts[0][4]
        kind = _kind(name)
        if kind is None or [k for k, *_ in parts] != list(range(1, n + 1)):
            raise _damaged(raw, row, 2)
        data = "".join(d for _, _, d, _, _ in parts)
        if _crc(data) != parts[-1][3].lower():
            raise _damaged(raw, parts[-1][4], 4)
        try:
            records, fields = decode_batch(kind[1], data)
        except ValueError:
            raise _damaged(raw, row, 4) from None
        state.fields[name] = state.fields.get(name, frozenset()) | frozenset(fields)
        state.records.setdefault(name, []).extend(records)
        state.batches.setdefault(name, []).append(Batch(data, len(records)))
    for name in OWNED_SPECS:  # a sheet ordersheet made but left empty still has its records
        if name in state.sheets:
            state.records.setdefault(name, [])
    return state


def _damaged(raw: RawSheet, row: int, col: int) -> WorkbookError:
    return WorkbookError(
        f"ordersheet's own record of what it posted (the hidden sheet '{raw.name}', cell "
        f"{a1(row, raw.first_col + col - 1)}) was changed, so it cannot tell what was "
        "already shipped and invoiced: restore the book from its .bak copy, or delete that "
        "sheet to let ordersheet take its sheets as they are now")


def state_rows(state: ToolState, records: dict[str, Sequence[Any]]) -> list[list[Any]]:
    """The rows of `_ordersheet_records` for `records` (owned sheet, or `Price Locks` ->
    ordersheet's records of that kind after this run). Append-only sheets keep the batches
    read and add one batch for the records after them; no price locks, no rows for them."""
    rows: list[list[Any]] = [["format", "", "", FORMAT, ""]]
    for name, real in sorted(state.sheets.items()):
        rows.append(["sheet", name, "", real, ""])
    for sheet, cols in sorted(state.columns.items()):
        for tool, written in cols.items():
            rows.append(["column", sheet, tool, written, ""])
    for name in (*OWNED_SPECS, *HIDDEN_KINDS):
        recs = records.get(name)
        if recs is None or (name in HIDDEN_KINDS and not recs):
            continue
        fields, model = _kind(name)
        batches: list[str] = []
        start = 0
        if name in APPEND_ONLY:
            old = state.batches.get(name, [])
            kept = sum(b.count for b in old)
            if kept <= len(recs) and old:
                batches = [b.data for b in old]
                start = kept
        if start < len(recs) or not batches:
            batches.append(encode(model, list(fields), list(recs[start:])))
        for b, data in enumerate(batches, start=1):
            parts = [data[i:i + PIECE] for i in range(0, len(data), PIECE)] or [""]
            crc = _crc(data)
            for k, piece in enumerate(parts, start=1):
                rows.append(["records", name, f"{b}/{k}/{len(parts)}", piece, crc])
    return rows


def state_op(state: ToolState, records: dict[str, Sequence[Any]]) -> p.ReplaceSheet:
    return p.ReplaceSheet(RECORDS_SHEET, HEADER, state_rows(state, records),
                          ["text"] * len(HEADER), None, None, [], hidden=True)


__all__ = ["RECORDS_SHEET", "OWNED_SPECS", "APPEND_ONLY", "PRICE_LOCKS", "PROCESSED_RETURNS",
           "ToolState",
           "read_state", "state_rows", "state_op", "encode", "decode"]
