"""Bank statements (issue 21): a bank's CSV export, or the `Bank Statement` sheet it was
pasted onto, read into Payments rows.

A statement is found whatever the bank: the encoding (utf-8, utf-8 with a BOM, cp1252,
latin-1, tried in that order), the delimiter (`,` `;` tab `|`), preamble lines above the
header (account number, period ...: the header is the first row naming a date and an
amount column, by the same header matching as every sheet, `schema.headers`), one signed
Amount column or Debit / Credit columns (German Soll / Haben, or an amount with an S / H
column), ISO or day-first dates (`--day-first`, Settings `Statement Day First`; else
month first for 03/11/2026), `1,234.50`, `1.234,50` (`--decimal-comma`, or told by the
text itself when it has both separators), `(12.00)` and `12.00-` for negatives.

Incoming credits become Payments rows whose Payment ID is derived from the statement line
(date, amount, reference, and the ordinal among identical lines), so importing the same
statement twice adds nothing. Debits (money going out) are counted, not imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from ..domain import models as m
from ..domain.issues import Issue, warning
from . import plan as p
from . import schema as s
from .raw import RawSheet, col_letter

SHEET = "Bank Statement"
"""The sheet a user pastes the bank's export onto (xlwings Lite cannot read local files)."""
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
"""utf-8-sig reads plain utf-8 too; latin-1 reads any byte, so it is the last resort."""
COLS = (
    s.Col("date", "Date", also=("Booking Date", "Transaction Date", "Posting Date",
                                "Value Date", "Buchungstag", "Buchungsdatum", "Valuta",
                                "Wertstellung", "Datum")),
    s.Col("amount", "Amount", also=("Betrag", "Umsatz", "Transaction Amount", "Value")),
    s.Col("credit", "Credit", also=("Haben", "Paid In", "Money In", "Deposit", "Deposits",
                                    "Credit Amount", "Gutschrift")),
    s.Col("debit", "Debit", also=("Soll", "Paid Out", "Money Out", "Withdrawal",
                                  "Withdrawals", "Debit Amount", "Lastschrift")),
    s.Col("sign", "Soll/Haben", also=("S/H", "Debit/Credit", "Dr/Cr", "CR/DR")),
    s.Col("reference", "Reference", also=("Description", "Verwendungszweck", "Memo",
                                          "Details", "Narrative", "Transaction Description",
                                          "Buchungstext", "Purpose")),
    s.Col("payer", "Payer", also=("Name", "Counterparty", "Auftraggeber",
                                  "Auftraggeber/Empfänger", "Zahlungspflichtiger",
                                  "Payer Name", "Remitter", "Payee")),
    s.Col("currency", "Currency", also=("Währung", "Waehrung", "CCY")),
)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTHS.update({"mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12})


@dataclass
class Options:
    """How to read a statement: `day_first` None = Settings Statement Day First."""

    day_first: bool | None = None
    decimal_comma: bool = False
    source: str = SHEET
    data: bytes | None = None
    """The CSV file's bytes (None: the Bank Statement sheet)."""


@dataclass
class Line:
    """One incoming payment on the statement."""

    date: dt.date
    amount: Decimal
    reference: str
    payer: str
    currency: str
    where: str
    """`file.csv line 7` or `Bank Statement!A7`: for messages."""
    payment_id: str = ""


@dataclass
class Read:
    lines: list[Line] = field(default_factory=list)
    debits: int = 0
    debit_total: Decimal = Decimal(0)
    issues: list[Issue] = field(default_factory=list)


@dataclass
class Imported:
    """What a statement added to Payments: the rows (and the write op that appends them)."""

    source: str
    added: list[m.Payment] = field(default_factory=list)
    already: int = 0
    debits: int = 0
    debit_total: Decimal = Decimal(0)
    op: Any = None


def decode(data: bytes) -> str:
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # pragma: no cover (latin-1 decodes every byte)


def csv_grid(text: str) -> list[list[str]]:
    """The CSV's rows, the delimiter guessed from the lines (the one most lines split on)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    best, score = ",", -1
    for d in (",", ";", "\t", "|"):
        counts = [ln.count(d) for ln in lines]
        n = max(counts, default=0)
        hits = sum(1 for c in counts if c == n and n)
        if n and hits > score:
            best, score = d, hits
    return [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=best)]


def _header(grid: Sequence[Sequence[Any]]) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, field -> column) of the first row naming a date and an
    amount (or credit) column."""
    for k, row in enumerate(grid[:40]):
        raw = RawSheet("statement", 1, 1, [str(v or "").strip() for v in row], [])
        by_norm, _ = s.headers.index_headers(raw)
        cols = s.headers.match_columns(raw, by_norm, COLS)
        if "date" in cols and ("amount" in cols or "credit" in cols):
            return k, cols
    return None


def parse_amount(v: Any, decimal_comma: bool = False) -> Decimal | None:
    """`1,234.50`, `1.234,50`, `(12.00)`, `12.00-`, `-€5` -> Decimal; blank -> None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        return s.to_decimal(v) if not isinstance(v, Decimal) else v
    text = str(v or "").strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")") or text.endswith("-")
    text = re.sub(r"[^\d.,\-+]", "", text.strip("()")).rstrip("-")
    if text.startswith("-"):
        negative, text = not negative if negative else True, text[1:]
    text = text.lstrip("+")
    comma = decimal_comma or ("," in text and "." in text and text.rfind(",") > text.rfind("."))
    if not comma and "," in text and "." not in text and re.search(r",\d{1,2}$", text):
        comma = True  # 12,50: a decimal comma (12,500 stays twelve thousand five hundred)
    text = text.replace(".", "").replace(",", ".") if comma else text.replace(",", "")
    try:
        out = Decimal(text)
    except InvalidOperation:
        return None
    return -out if negative else out


def parse_date(v: Any, day_first: bool) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    text = str(v or "").strip()
    if not text:
        return None
    mt = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text)
    if mt:
        y, mo, d = map(int, mt.groups())
        return _date(y, mo, d)
    mt = re.fullmatch(r"(\d{1,2})[./\- ]([A-Za-zä]{3,9})\.?[./\- ](\d{2,4})", text)
    if mt:
        mo = _MONTHS.get(mt.group(2)[:3].lower())
        return _date(_year(mt.group(3)), mo, int(mt.group(1))) if mo else None
    mt = re.fullmatch(r"(\d{1,2})[./\-](\d{1,2})[./\-](\d{2,4})", text)
    if mt:
        a, b, y = int(mt.group(1)), int(mt.group(2)), _year(mt.group(3))
        return _date(y, b, a) if day_first or "." in text else _date(y, a, b)
    return None


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _date(y: int, mo: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def read_grid(grid: Sequence[Sequence[Any]], opts: Options, day_first: bool,
              where: Any) -> Read:
    """The incoming payments of a statement laid out as `grid`. `where(i)` names row i."""
    out = Read()
    found = _header(grid)
    if found is None:
        out.issues.append(warning("statement_unreadable", SHEET, "", (
            f"{opts.source}: no header row naming a date and an amount (or credit) column was "
            "found; nothing was imported")))
        return out
    k, cols = found

    def cell(row: Sequence[Any], f: str) -> Any:
        j = cols.get(f)
        return row[j] if j is not None and j < len(row) else None

    seen: dict[tuple, int] = {}
    for i in range(k + 1, len(grid)):
        row = grid[i]
        if not any(str(v or "").strip() for v in row):
            continue
        date = parse_date(cell(row, "date"), day_first)
        if "amount" in cols:
            amount = parse_amount(cell(row, "amount"), opts.decimal_comma)
            flag = str(cell(row, "sign") or "").strip().upper()
            if amount is not None and flag[:1] in ("S", "D"):  # Soll / Debit
                amount = -abs(amount)
        else:
            credit = parse_amount(cell(row, "credit"), opts.decimal_comma)
            debit = parse_amount(cell(row, "debit"), opts.decimal_comma)
            amount = credit if credit else (-abs(debit) if debit else None)
        if date is None or amount is None:
            if s.is_blank(cell(row, "date")):
                continue  # no date: an opening or closing balance line, a footer
            out.issues.append(warning("statement_line_unreadable", SHEET, "", (
                f"{where(i)}: the {'date' if date is None else 'amount'} cannot be read; the "
                "line is left out")))
            continue
        if amount <= 0:
            out.debits += 1
            out.debit_total += -amount
            continue
        ref = str(cell(row, "reference") or "").strip()
        line = Line(date, amount, ref, str(cell(row, "payer") or "").strip(),
                    str(cell(row, "currency") or "").strip().upper(), where(i))
        ident = (date, amount.normalize(), ref)
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        line.payment_id = payment_id(date, amount, ref, n)
        out.lines.append(line)
    return out


def payment_id(date: dt.date, amount: Decimal, reference: str, ordinal: int) -> str:
    """Stable for a statement line: the same line imported again gets the same ID."""
    text = f"{date.isoformat()}|{format(amount.normalize(), 'f')}|{reference}|{ordinal}"
    return "BANK-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10].upper()


def read_csv(opts: Options, day_first: bool) -> Read:
    grid = csv_grid(decode(opts.data or b""))
    return read_grid(grid, opts, day_first, lambda i: f"{opts.source} row {i + 1}")


def read_sheet(raw: RawSheet, opts: Options, day_first: bool) -> Read:
    whole = raw.extra.get("grid")  # as pasted, preamble and all (`raw.keep_whole_grid`)
    grid = whole if whole is not None else [raw.header] + [list(r) for r in raw.rows]
    return read_grid(grid, opts, day_first, lambda i: f"{raw.name} line {i + 1}")


def import_payments(loaded, opts: Options | None) -> Imported | None:
    """Add the statement's new incoming payments to `loaded.book.payments` and return
    them with the op that appends them under the Payments sheet's rows. The statement is
    `opts.data` (a CSV), else the Bank Statement sheet when the book has one; None when
    there is neither."""
    raw = getattr(loaded, "statement_raw", None)
    if opts is None or opts.data is None:
        if raw is None:
            return None
        opts = Options(day_first=opts.day_first if opts else None,
                       decimal_comma=opts.decimal_comma if opts else False, source=raw.name)
    book = loaded.book
    day_first = opts.day_first if opts.day_first is not None else \
        book.settings.statement_day_first
    got = read_csv(opts, day_first) if opts.data is not None else read_sheet(raw, opts,
                                                                              day_first)
    loaded.issues.extend(got.issues)
    have = {x.payment_id.strip().upper() for x in book.payments}
    new = [ln for ln in got.lines if ln.payment_id.upper() not in have]
    out = Imported(opts.source, already=len(got.lines) - len(new), debits=got.debits,
                   debit_total=got.debit_total)
    if not new:
        return out
    fields = ("payment_id", "date", "customer_id", "amount", "currency", "reference",
              "payer", "invoice_no")
    layout = loaded.layouts.get(s.PAYMENTS.name)
    if layout is None:  # no Payments sheet: it is made with every column
        name, header_row, first_col, n_rows = s.PAYMENTS.name, 1, 1, 0
        cols = {f: j for j, f in enumerate(fields, start=1)}
    else:
        name, header_row, first_col, n_rows = (layout.name, layout.header_row,
                                               layout.first_col, layout.n_rows)
        cols = {f: c for f, c in layout.columns.items() if f in fields}
    letters = {f: col_letter(c) for f, c in cols.items()}
    first_row = header_row + 1 + n_rows
    cells: dict[tuple[int, int], Any] = {}
    for k, ln in enumerate(new):
        values = {"payment_id": ln.payment_id, "date": ln.date, "amount": ln.amount,
                  "currency": ln.currency or None, "reference": ln.reference,
                  "payer": ln.payer or None}
        if "payer" not in cols and ln.payer:  # no Payer column: it goes with the reference
            values["reference"] = f"{ln.reference} {ln.payer}".strip()
        out.added.append(m.Payment(
            payment_id=ln.payment_id, date=ln.date, amount=ln.amount, currency=ln.currency,
            reference=values["reference"], payer=ln.payer, row=first_row + k, cols=letters))
        for f, v in values.items():
            if f in cols and v is not None:
                cells[(first_row + k, cols[f])] = v
    loaded.book = book.model_copy(update={"payments": book.payments + tuple(out.added)})
    if header_row == 1 and first_col == 1:
        # under the header, in the sheet's own columns; an Excel Table grows over them
        width = max(cols.values())
        rows = [[cells.get((first_row + k, j)) for j in range(1, width + 1)]
                for k in range(len(new))]
        fmt_of = {c: s.PAYMENTS.col(f).fmt for f, c in cols.items()}
        header = [s.PAYMENTS.col(f).header for f in fields]
        out.op = p.AppendRows(name, header, rows, [fmt_of.get(j) for j in range(1, width + 1)],
                              n_rows, "tblPayments",
                              [s.column_width(s.PAYMENTS.col(f)) for f in fields])
    else:
        out.op = p.SetCells(name, cells)
    return out


__all__ = ["SHEET", "Options", "Line", "Read", "Imported", "decode", "csv_grid", "parse_amount",
           "parse_date", "read_grid", "read_csv", "read_sheet", "import_payments",
           "payment_id"]
