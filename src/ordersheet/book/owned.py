"""ordersheet's own sheets read back against what it wrote (`book.state`).

Reservations, Shipments, Shipment Lines, Invoices, Invoice Lines, Stock Ledger and Audit
Log are ordersheet's records, but they sit in a workbook people type into. Each visible
row is matched to the record ordersheet wrote (by its key, then by what else it holds),
and then:

- a cell of a record that the user may not change (everything but a Ready shipment's
  Status, Shipped On, Carrier and Service, and any shipment's Tracking No) keeps
  ordersheet's value; the edit is reported at the cell, `posted_record_edited` (Error) on
  posted records (dispatched shipments and their lines, invoices and their lines, the
  Stock Ledger and the Audit Log), `record_edited` (Warning) on the others;
- a deleted row, a renamed or deleted header, a whole deleted sheet is put back;
- a row ordersheet did not write is kept as typed. It becomes a record when it is
  readable and adds something of its own (a shipment or invoice typed in by hand, with
  its lines); otherwise it is left alone and reported, and any document number in it
  counts as taken;
- a column the user added to one of these sheets keeps its values beside their rows.

What the run then works with is ordersheet's record, never the retyped cell: a posted
shipment stays posted, an issued invoice keeps its number and its amounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Sequence

from ..domain.issues import Issue, error, warning
from . import schema as s
from .port import WorkbookError
from .raw import CellError, RawSheet, a1, col_letter
from .state import APPEND_ONLY, OWNED_SPECS, field_types

Key = Any

SHIPMENT_USER_FIELDS = ("status", "shipped_on", "tracking_no", "carrier", "service")
"""Shipments cells a user may change while the shipment is Ready (not yet dispatched)."""
POSTED_SHIPMENT_USER_FIELDS = ("tracking_no",)
"""...and once it is dispatched."""
MANY = 10
"""More deleted rows than this are reported as one issue."""


@dataclass(frozen=True)
class Policy:
    """How one owned sheet is read back."""

    key: tuple[str, ...]
    """Fields that identify a record on the sheet."""
    what: Callable[[Any], str]
    """How a message names a record ("dispatched shipment SHP-00001")."""
    posted: Callable[[Any, frozenset[str]], bool] = lambda r, posted_ids: True
    editable: Callable[[Any], tuple[str, ...]] = lambda r: ()
    holds_posted: bool = True
    """Does the sheet hold posted records (an edit to its header or a deleted row is then
    an error)?"""
    adopt: str = "always"
    """Rows ordersheet did not write become records: "always", "orphans" (only when their
    document is not one of ordersheet's), or "never"."""
    number: str | None = None
    """The field holding a document number that stays taken even on a row that is not used."""
    document: str | None = None
    """For lines: the field naming their document."""


def _shipment_user_fields(r) -> tuple[str, ...]:
    if r.posted_on is not None or (r.status or "").strip().lower() == "cancelled":
        return POSTED_SHIPMENT_USER_FIELDS
    return SHIPMENT_USER_FIELDS


def _what_shipment(r) -> str:
    return ("dispatched shipment " if r.posted_on is not None else "shipment ") + r.shipment_id


POLICIES: dict[str, Policy] = {
    s.RESERVATIONS.name: Policy(
        ("order_id", "line", "sku", "warehouse", "reserved_on"),
        lambda r: f"the reservation of order {r.order_id} line {r.line}",
        posted=lambda r, ids: False, holds_posted=False),
    s.SHIPMENTS.name: Policy(
        ("shipment_id",), _what_shipment, posted=lambda r, ids: r.posted_on is not None,
        editable=_shipment_user_fields, number="shipment_id"),
    s.SHIPMENT_LINES.name: Policy(
        ("shipment_id", "order_id", "line", "sku", "warehouse"),
        lambda r: f"a line of shipment {r.shipment_id}",
        posted=lambda r, ids: r.shipment_id in ids, adopt="orphans", document="shipment_id"),
    s.INVOICES.name: Policy(
        ("invoice_no",), lambda r: f"invoice {r.invoice_no}", number="invoice_no"),
    s.INVOICE_LINES.name: Policy(
        ("invoice_no", "order_id", "line", "sku"), lambda r: f"a line of invoice {r.invoice_no}",
        adopt="orphans", document="invoice_no"),
    s.STOCK_LEDGER.name: Policy(
        tuple(c.field for c in s.STOCK_LEDGER.cols), lambda r: "a Stock Ledger row",
        adopt="never"),
    s.AUDIT_LOG.name: Policy(
        tuple(c.field for c in s.AUDIT_LOG.cols), lambda r: "an Audit Log row", adopt="never"),
    s.COMMUNICATION_LOG.name: Policy(
        tuple(c.field for c in s.COMMUNICATION_LOG.cols),
        lambda r: "a Communication Log row", adopt="never"),
    s.RECONCILIATION.name: Policy(
        tuple(c.field for c in s.RECONCILIATION.cols),
        lambda r: f"the Reconciliation row of payment {r.payment_id}", adopt="never"),
}


@dataclass
class Foreign:
    """A row ordersheet keeps as it was typed: one value per column written (the sheet's
    columns, then the user's own), after the record whose key is `anchor`."""

    values: list[Any]
    anchor: Key | None


@dataclass
class Owned:
    """One owned sheet, read back."""

    name: str
    sheet: str | None
    """Its name in the book (None: not there)."""
    records: list[Any]
    """What the run starts from: ordersheet's records (restored where edited) and the rows
    it took over, in the order they are written back."""
    foreign: list[Foreign] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)
    """The user's own columns on the sheet, written back to the right of ordersheet's."""
    extras: dict[Key, list[Any]] = field(default_factory=dict)
    """record key -> its values in the user's own columns."""
    issues: list[Issue] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    """Document numbers on rows that are not records: never issued again."""
    restore: bool = False
    """The sheet no longer shows what ordersheet wrote: write it back even when no step of
    this run writes it."""
    rows_seen: int = 0
    """Rows of the sheet's data block as read (where appending starts)."""

    def key(self, record: Any) -> Key:
        return tuple(getattr(record, f) for f in POLICIES[self.name].key)


def with_ordinals(keys: Sequence[Key]) -> list[Key]:
    """Keys made unique by counting repeats: the second (k) becomes (k, 1)."""
    seen: dict[Key, int] = {}
    out = []
    for k in keys:
        n = seen.get(k, 0)
        seen[k] = n + 1
        out.append(k if not n else (k, n))
    return out


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, Decimal) and isinstance(b, Decimal):  # as Excel stores them: doubles
        return float(a) == float(b)
    if isinstance(a, str) and b is None or a is None and isinstance(b, str):
        return not (a or b)
    return False


def _differs(a: list[Any], b: Sequence[Any]) -> list[int]:
    if a == list(b):
        return []
    return [i for i, (x, y) in enumerate(zip(a, b)) if not _same(x, y)]


def _shown(v: Any) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return "blank"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d %H:%M:%S}"
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        return str(v)
    text = str(v)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _cell_value(v: Any) -> Any:
    """A raw cell as a write-plan value (an error cell is written as its text)."""
    return str(v) if isinstance(v, CellError) else v


class _Reader:
    """The state of one `reconcile` call."""

    def __init__(self, name: str, raw: RawSheet, records: list[Any] | None,
                 tool_docs: frozenset[str], posted_ids: frozenset[str],
                 fields: frozenset[str] | None = None):
        self.name = name
        self.fields = fields
        self.spec, self.model = OWNED_SPECS[name]
        self.pol = POLICIES[name]
        self.raw = raw
        self.state = records
        self.tool_docs = tool_docs
        self.posted_ids = posted_ids
        self.issues: list[Issue] = []
        self.restore = False

    def issue(self, record: Any, cell: str, message: str) -> None:
        oid = getattr(record, "order_id", "") or "" if record is not None else ""
        if (self.pol.holds_posted if record is None
                else self.pol.posted(record, self.posted_ids)):
            self.issues.append(error("posted_record_edited", self.raw.name, cell, message, oid))
        else:
            self.issues.append(warning("record_edited", self.raw.name, cell, message, oid))
        self.restore = True

    def headers(self) -> tuple[RawSheet, set[str]]:
        """The sheet with ordersheet's headers where the user renamed or deleted them
        (a renamed header is found where ordersheet wrote it; a deleted column reads as
        blank cells), and the fields whose column was deleted. A column its records were
        written without (one a later ordersheet added, such as the Audit Log's Business
        Date in an older book) is added at the right without a word."""
        raw = self.raw
        header = list(raw.header)
        have = {s.norm(h) for h in header}
        gone: set[str] = set()
        added: list[s.Col] = []
        new: list[s.Col] = []
        for j, c in enumerate(self.spec.cols):
            if s.norm(c.header) in have:
                continue
            if self.fields is not None and c.field not in self.fields:
                gone.add(c.field)
                new.append(c)
            elif j < len(header) and s.norm(header[j]) not in {s.norm(x.header)
                                                              for x in self.spec.cols}:
                cell = a1(raw.header_row, raw.first_col + j)
                self.issue(None, cell, f"the header '{header[j]}' is ordersheet's column "
                                       f"'{c.header}' on its {raw.name} sheet: restored")
                header[j] = c.header
            else:
                gone.add(c.field)
                added.append(c)
        if added:
            self.issue(None, a1(raw.header_row, raw.first_col),
                       f"ordersheet's column(s) {', '.join(c.header for c in added)} were "
                       f"deleted from the {raw.name} sheet: restored")
        if new:
            self.restore = True
        added += new
        if header == raw.header and not added:
            return raw, gone
        rows = raw.rows
        if added:
            rows = [list(r) + [None] * (len(header) - len(r)) + [None] * len(added)
                    for r in rows]
            header = header + [c.header for c in added]
        return RawSheet(raw.name, raw.header_row, raw.first_col, header, rows, raw.table,
                        raw.last_col, raw.extra), gone


def reconcile(name: str, raw: RawSheet | None, records: list[Any] | None, *,
              tool_docs: frozenset[str] = frozenset(),
              posted_ids: frozenset[str] = frozenset(),
              fields: frozenset[str] | None = None) -> Owned:
    """Read owned sheet `name` (`raw`, None when the book lacks it) against `records`,
    what ordersheet wrote there (None: it has no record of the sheet yet, so every readable
    row is taken as it is). `tool_docs` are the documents ordersheet made (for the lines
    sheets: lines typed under one of them are not taken); `posted_ids` the shipments that
    were dispatched; `fields` the fields the records were written with (None: not
    known). Never raises on user data, except for a sheet ordersheet has no
    record of and cannot read (`WorkbookError`: it would rebuild it from nothing)."""
    pol = POLICIES[name]
    spec, model = OWNED_SPECS[name]
    if raw is None:
        own = Owned(name, None, list(records or []))
        if own.records:
            r = _Reader(name, RawSheet(name, 1, 1, [], []), records, tool_docs, posted_ids)
            r.issue(own.records[0] if pol.posted(own.records[0], posted_ids) else None, "",
                    f"the {name} sheet was deleted; ordersheet put back its "
                    f"{len(own.records)} record(s)")
            own.issues, own.restore = r.issues, True
        return own
    r = _Reader(name, raw, records, tool_docs, posted_ids, fields)
    if not raw.header and not raw.rows:  # an empty sheet: nothing typed, nothing kept
        own = Owned(name, raw.name, list(records or []))
        if own.records:
            r.issue(None, "A1", f"the {raw.name} sheet was emptied; ordersheet put back its "
                                f"{len(own.records)} record(s)")
        own.issues, own.restore = r.issues, records is not None
        return own
    shown, gone = r.headers() if records is not None else (raw, set())
    parsed = s.parse_sheet(shown, spec)
    if not parsed.usable:
        missing = [i.message for i in parsed.issues if i.code == "missing_column"]
        raise WorkbookError(f"the {raw.name} sheet cannot be read ({'; '.join(missing)}); "
                            "ordersheet keeps its records there and will not rebuild it: "
                            "put the column header back and run again")
    own = _Matcher(r, shown, parsed, gone).run()
    own.rows_seen = len(raw.rows)
    if name in APPEND_ONLY and len(parsed.layout.columns) < len(spec.cols):
        own.restore = True  # new rows go under the header by position: write it whole
    return own


class _Matcher:
    def __init__(self, r: _Reader, raw: RawSheet, parsed: s.ParsedSheet, gone: set[str]):
        self.r, self.raw, self.parsed, self.gone = r, raw, parsed, gone
        self.fields = [c.field for c in r.spec.cols]
        self.types = field_types(r.model)
        index = list(parsed.index)
        self.index = index
        self.n = len(index)
        self.bad = parsed.bad_rows
        self.cols = parsed.columns
        by_norm = {s.norm(c.header): c for c in r.spec.cols}
        # the user's own columns: everything on the sheet that is not one of the spec's
        self.extra_j = [j for j, h in enumerate(raw.header)
                        if s.norm(h) and s.norm(h) not in by_norm]
        self.col_j = {f: parsed.layout.columns[f] - raw.first_col
                      for f in self.fields if f in parsed.layout.columns}
        # cells that failed to read, by raw row index: field -> issue
        letter_field = {col_letter(raw.first_col + j): f for f, j in self.col_j.items()}
        self.failed: dict[int, dict[str, Issue]] = {}
        first = raw.header_row + 1
        for i in parsed.issues:
            if i.code == "duplicate_key" or not i.cell:
                continue
            digits = "".join(ch for ch in i.cell if ch.isdigit())
            letters = "".join(ch for ch in i.cell if ch.isalpha())
            f = letter_field.get(letters)
            if digits and f:
                self.failed.setdefault(int(digits) - first, {})[f] = i

    # -- the visible rows --
    def vrow(self, v: int) -> int:
        return self.raw.header_row + 1 + self.index[v]

    def cell(self, v: int, f: str) -> str:
        return a1(self.vrow(v), self.raw.first_col + self.col_j.get(f, 0))

    def typed(self, v: int, f: str) -> Any:
        j = self.col_j.get(f)
        row = self.raw.rows[self.index[v]]
        return row[j] if j is not None and j < len(row) else None

    def extras_of(self, v: int) -> list[Any]:
        row = self.raw.rows[self.index[v]]
        return [_cell_value(row[j]) if j < len(row) else None for j in self.extra_j]

    def raw_values(self, v: int) -> list[Any]:
        row = self.raw.rows[self.index[v]]
        out = []
        for f in self.fields:
            j = self.col_j.get(f)
            out.append(_cell_value(row[j]) if j is not None and j < len(row) else None)
        return out + self.extras_of(v)

    def run(self) -> Owned:
        r, state = self.r, self.r.state
        visible = s.build_records(r.model, self.parsed, skip=self.bad)
        readable = [v for v in range(self.n) if self.index[v] not in self.bad]
        rec_of = dict(zip(readable, visible))
        own = Owned(r.name, self.raw.name, [])
        own.extra_headers = [str(self.raw.header[j]) for j in self.extra_j]
        if state is None:  # no record of this sheet yet: take every readable row
            return self._adopt_all(own, rec_of)
        # the usual case, the sheet as ordersheet left it: every column as it was written
        # (keys are columns too, so they match without being built)
        if len(state) == self.n and not self.bad and not self.gone and self._all_same(state):
            own.records = visible
            own.extras = {own.key(x): self.extras_of(v) for v, x in enumerate(visible)} \
                if self.extra_j else {}
            own.issues, own.restore = r.issues, r.restore
            return own
        key_of = [tuple(self.cols[f][v] for f in r.pol.key) for v in range(self.n)]
        vkeys = with_ordinals(key_of)
        skeys = with_ordinals([own.key(x) for x in state])
        sindex = {k: i for i, k in enumerate(skeys)}
        match: list[int | None] = [sindex.get(k) for k in vkeys]
        taken = {i for i in match if i is not None}
        self._pair_leftovers(match, taken, state)
        return self._build(own, match, rec_of, state)

    def _all_same(self, state: list[Any]) -> bool:
        for f in self.fields:
            if _differs([getattr(x, f) for x in state], self.cols[f]):
                return False
        return True

    def _adopt_all(self, own: Owned, rec_of: dict[int, Any]) -> Owned:
        prev: Key | None = None
        for v in range(self.n):
            rec = rec_of.get(v)
            if rec is not None:
                own.records.append(rec)
                prev = own.key(rec)
                if self.extra_j:
                    own.extras[prev] = self.extras_of(v)
            else:
                self._keep(own, v, prev)
        own.issues = list(self.parsed.issues)
        return own

    def _keep(self, own: Owned, v: int, anchor: Key | None) -> None:
        own.foreign.append(Foreign(self.raw_values(v), anchor))
        num = self.r.pol.number
        if num:
            typed = self.typed(v, num)
            if typed is not None and str(typed).strip():
                own.taken.add(str(typed).strip())

    def _pair_leftovers(self, match: list[int | None], taken: set[int],
                        state: list[Any]) -> None:
        """Rows whose key was edited: paired with the unmatched record they agree with on
        all but two fields (or, when there are too many to compare, in order)."""
        left_v = [v for v, i in enumerate(match) if i is None]
        left_s = [i for i in range(len(state)) if i not in taken]
        if not left_v or not left_s:
            return
        if len(left_v) * len(left_s) > 200_000:
            if len(left_v) == len(left_s):
                for v, i in zip(left_v, left_s):
                    match[v] = i
            return
        fields = self.fields
        want = max(1, len(fields) - 2)
        free = set(left_s)
        for v in left_v:
            best, score = None, want - 1
            for i in left_s:
                if i not in free:
                    continue
                x = state[i]
                same = sum(_same(getattr(x, f), self.cols[f][v]) for f in fields)
                if same > score:
                    best, score = i, same
            if best is not None:
                match[v] = best
                free.discard(best)

    def _build(self, own: Owned, match: list[int | None], rec_of: dict[int, Any],
               state: list[Any]) -> Owned:
        r = self.r
        matched = {i: v for v, i in enumerate(match) if i is not None}
        # Rows ordersheet did not write, in sheet order after the record above them.
        after: dict[int, list[int]] = {}
        prev = -1
        for v, i in enumerate(match):
            if i is None:
                after.setdefault(prev, []).append(v)
            else:
                prev = i
        deleted: list[Any] = []
        out: list[Any] = []
        kept_issues: list[Issue] = []

        def place(vs: list[int]) -> None:
            for v in vs:
                rec = rec_of.get(v)
                anchor = own.key(out[-1]) if out else None
                if rec is not None and self._adoptable(rec):
                    out.append(rec)
                    if self.extra_j:
                        own.extras[own.key(rec)] = self.extras_of(v)
                    r.issues.append(warning(
                        "record_adopted", self.raw.name, self.cell(v, self.fields[0]),
                        f"row {self.vrow(v)} was not written by ordersheet; it is taken as "
                        f"{r.pol.what(rec)} from now on", getattr(rec, "order_id", "")))
                    continue
                self._keep(own, v, anchor)
                failed = self.failed.get(self.index[v], {})
                kept_issues.extend(failed.values())
                if rec is not None:
                    r.issues.append(warning(
                        "unknown_row", self.raw.name, self.cell(v, self.fields[0]),
                        f"row {self.vrow(v)} was not written by ordersheet and adds nothing "
                        f"it can use ({self._why_not(rec)}): kept as typed, not counted",
                        getattr(rec, "order_id", "")))

        place(after.get(-1, []))
        for i, x in enumerate(state):
            v = matched.get(i)
            if v is None:
                deleted.append(x)
                out.append(x)
            else:
                out.append(self._merge(v, x, rec_of.get(v)))
                if self.extra_j:
                    own.extras[own.key(out[-1])] = self.extras_of(v)
            place(after.get(i, []))
        if deleted:
            self._report_deleted(deleted)
        own.records = out
        own.issues = r.issues + kept_issues
        own.restore = r.restore
        return own

    def _adoptable(self, rec: Any) -> bool:
        pol = self.r.pol
        if pol.adopt == "always":
            return True
        if pol.adopt == "orphans":
            return getattr(rec, pol.document) not in self.r.tool_docs
        return False

    def _why_not(self, rec: Any) -> str:
        pol = self.r.pol
        if pol.adopt == "orphans":
            return f"{pol.document.replace('_', ' ')} {getattr(rec, pol.document)} is " \
                   "ordersheet's and keeps the lines it had"
        return f"the {self.raw.name} sheet is ordersheet's own record"

    def _merge(self, v: int, x: Any, seen: Any) -> Any:
        """Record `x` as ordersheet wrote it, shown on visible row `v` (`seen`, None when
        the row did not read): the user's changes to their own cells are taken, every
        other difference is reported and ordersheet's value kept."""
        r = self.r
        mine = set(r.pol.editable(x))
        failed = self.failed.get(self.index[v], {})
        update: dict[str, Any] = {}
        what = r.pol.what(x)
        for f in self.fields:
            ours = getattr(x, f)
            if f in self.gone:
                continue
            theirs = self.cols[f][v]
            bad = f in failed
            if not bad and _same(ours, theirs):
                continue
            header = r.spec.col(f).header
            typed = self.typed(v, f)
            if f in mine and not bad:
                update[f] = theirs
                continue
            if f in mine:
                r.issues.append(failed[f])
                r.restore = True
                continue
            r.issue(x, self.cell(v, f),
                    f"{header} of {what} is ordersheet's record: {_shown(typed)} was typed, "
                    f"{_shown(ours)} is kept")
        update["row"] = self.vrow(v)
        update["cols"] = seen.cols if seen is not None else \
            {f: col_letter(self.raw.first_col + j) for f, j in self.col_j.items()}
        return x.model_copy(update=update)

    def _report_deleted(self, deleted: list[Any]) -> None:
        r = self.r
        posted = [x for x in deleted if r.pol.posted(x, r.posted_ids)]
        first = posted[0] if posted else deleted[0]
        cell = a1(self.raw.header_row, self.raw.first_col)
        if len(deleted) > MANY:
            r.issue(first, cell, f"{len(deleted)} rows of ordersheet's records were deleted "
                                 f"from the {self.raw.name} sheet (the first: "
                                 f"{r.pol.what(deleted[0])}): put back")
            return
        for x in deleted:
            r.issue(x, cell, f"the row of {r.pol.what(x)} was deleted from the "
                             f"{self.raw.name} sheet: put back")


__all__ = ["Owned", "Foreign", "POLICIES", "reconcile", "with_ordinals",
           "SHIPMENT_USER_FIELDS", "POSTED_SHIPMENT_USER_FIELDS"]
