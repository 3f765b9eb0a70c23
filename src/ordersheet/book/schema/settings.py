"""The Settings sheet: its keys, in one table (`SETTINGS`), and how it is read.

Settings is two columns, Key and Value (CONTRACT §3). Each key is written here once: its
label, the `models.Settings` field it sets, how its value is read, the values it allows,
and what the template shows beside it. Reading (`parse_settings`), the template
(`templates`) and the sample book (`sample`) all take the keys from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ...domain import models as m
from ...domain.issues import Issue, error, warning
from ..raw import RawSheet, a1
from .coerce import (Bad, is_blank, to_bool, to_code, to_lower_text, to_money, to_percent, to_text,
                     to_whole)
from .headers import norm
from .spec import SheetSpec

SETTINGS_SHEET = "Settings"


def _rounding_mode(v: Any) -> str:
    return to_text(v).lower().replace("_", "-")


@dataclass(frozen=True)
class Setting:
    label: str
    """The Key cell, as CONTRACT §3 names it (matched like a header: `norm`)."""
    field: str
    """The `models.Settings` field it sets."""
    parse: Callable[[Any], Any]
    note: str
    """What the template's Notes column says about it."""
    allowed: tuple[str, ...] = ()
    """The values it may take (after `parse`); empty: any."""
    fmt: str = "text"
    """Number format of its Value cell in the template (`plan.NUMBER_FORMATS`)."""

    @property
    def choices(self) -> tuple[str, ...]:
        """What the template's dropdown offers (Yes/No for a yes-or-no setting)."""
        return self.allowed or (("Yes", "No") if self.parse is to_bool else ())


def _invoice_number(v: Any) -> int:
    n = to_whole(v)
    if not 1 <= n < 10**9:
        raise Bad("bad_value", f"must be a whole number from 1 up, found {n}; numbering "
                  "continues after the last invoice number in use")
    return n


def _window_days(v: Any) -> int:
    n = to_whole(v)
    if n < 1:
        raise Bad("bad_value", f"must be a whole number of days from 1 up, found {n}")
    return n


SETTINGS: tuple[Setting, ...] = (  # in the contract's order, the template's rows
    Setting("Company Name", "company_name", to_text, "printed on invoices and packing slips"),
    Setting("Company Address", "company_address", to_text,
            "printed under the company name (Alt+Enter for a new line)"),
    Setting("Company Tax ID", "company_tax_id", to_text,
            "VAT or tax registration number, printed on invoices"),
    Setting("Company Email", "company_email", to_text, "printed on invoices"),
    Setting("Bank Details", "bank_details", to_text,
            "bank, IBAN, BIC or other payment instructions, printed under the payment terms"),
    Setting("Base Currency", "base_currency", to_code,
            "ISO code of List Price, Cost and FX Rates"),
    Setting("Invoice Prefix", "invoice_prefix", to_text, "INV- gives INV-00001"),
    Setting("Next Invoice Number", "next_invoice_number", _invoice_number, "ordersheet moves it on",
            fmt="int"),
    Setting("Credit Note Prefix", "credit_note_prefix", to_text, "for returns"),
    Setting("Next Credit Note Number", "next_credit_note_number", _invoice_number,
            "ordersheet moves it on", fmt="int"),
    Setting("Allocation Policy", "allocation_policy", to_lower_text, "fifo or priority",
            ("fifo", "priority")),
    Setting("Allow Partial", "allow_partial", to_bool,
            "Yes: reserve what is there, backorder the rest"),
    Setting("Rounding Mode", "rounding_mode", _rounding_mode, "half-up or half-even",
            ("half-up", "half-even")),
    Setting("Tax Rounding", "tax_rounding", to_lower_text, "line or invoice",
            ("line", "invoice")),
    Setting("Charge Shipping", "charge_shipping", to_bool,
            "Yes: a SHIPPING line on each invoice"),
    Setting("Return Window Days", "return_window_days", to_whole, "days after shipping",
            fmt="int"),
    Setting("Restocking Fee %", "restocking_fee", to_percent, "kept from refunds of returns",
            fmt="pct"),
    Setting("User", "user", to_text, "name written to the Audit Log"),
    # customer updates (`ordersheet notify --send`); the password is never in the book
    Setting("SMTP Host", "smtp_host", to_text, "mail server for `ordersheet notify --send`"),
    Setting("SMTP Port", "smtp_port", to_whole, "blank: 587 with SMTP TLS, else 25", fmt="int"),
    Setting("SMTP From", "smtp_from", to_text, "sender of customer updates (blank: Company Email)"),
    Setting("SMTP User", "smtp_user", to_text,
            "login (blank: SMTP From); the password only from ORDERSHEET_SMTP_PASSWORD"),
    Setting("SMTP TLS", "smtp_tls", to_bool, "Yes: STARTTLS (port 465: TLS from the start)"),
    Setting("Demand Window Days", "demand_window_days", _window_days,
            "days of orders the Reorder sheet averages demand over", fmt="int"),
    # issue 21 (payments and bank statements)
    Setting("Payment Tolerance", "payment_tolerance", to_money,
            "a payment this much short of (or over) an invoice still pays it; the "
            "difference is written off on Reconciliation"),
    Setting("Statement Day First", "statement_day_first", to_bool,
            "Yes: bank statement dates read 03/11/2026 as 3 November"),
)
REQUIRED_COMPANY_DETAILS = ("company_name", "company_address")
"""What every invoice must say about the seller: without them a run warns
(`company_details_missing`)."""
PLACEHOLDER_COMPANY_NAMES = frozenset({"my company"})
"""Company Names that older templates put there for the user to replace."""
SETTING: dict[str, Setting] = {k.field: k for k in SETTINGS}
"""`models.Settings` field -> its key."""
SETTINGS_KEYS: dict[str, Setting] = {norm(k.label): k for k in SETTINGS}
"""normalised label -> its key."""


def settings_rows(values: Mapping[str, Any] | None = None) -> list[list[Any]]:
    """[Key, Value] rows of every setting, in the contract's order: the value in `values`
    (by `models.Settings` field), else the default of `models.Settings` (Yes/No for a
    yes-or-no setting)."""
    given = values or {}
    d = m.Settings()
    rows = []
    for k in SETTINGS:
        v = given[k.field] if k.field in given else getattr(d, k.field)
        rows.append([k.label, ("Yes" if v else "No") if isinstance(v, bool) else v])
    return rows


COLUMN_MAP = "Column Map"
"""The Settings key whose rows map a header of the user's to a column: the Value
`Orders.Menge = Quantity` reads the header Menge on Orders as Quantity (one row each)."""


def parse_column_map(raw: RawSheet | None, specs: Sequence[SheetSpec]
                     ) -> tuple[dict[str, dict[str, str]], list[Issue]]:
    """The Settings `Column Map` rows: sheet -> {normalised user header: field}, and an
    issue at the Value cell of each row that does not read as `Sheet.Header = Column` of
    one of `specs`."""
    out: dict[str, dict[str, str]] = {}
    issues: list[Issue] = []
    if raw is None:
        return out, issues
    for i, r in enumerate([raw.header] + raw.rows):
        if len(r) < 2 or norm(r[0]) != norm(COLUMN_MAP) or is_blank(r[1]):
            continue
        try:
            sheet, header, field = _mapping(str(r[1]), specs)
        except Bad as b:
            issues.append(error(b.code, raw.name, a1(raw.header_row + i, raw.first_col + 1),
                                f"{COLUMN_MAP}: {b.message}"))
            continue
        out.setdefault(sheet, {})[norm(header)] = field
    return out, issues


def _mapping(text: str, specs: Sequence[SheetSpec]) -> tuple[str, str, str]:
    """`Orders.Menge = Quantity` -> ("Orders", "Menge", "quantity"). The sheet is the text
    before the first point that names one (a header may hold points: `Orders.Unit.Preis`)."""
    left, eq, right = text.partition("=")
    by_name = {norm(sp.name): sp for sp in specs}
    spec, header = None, ""
    for k, ch in enumerate(left):
        if ch == "." and norm(left[:k]) in by_name:
            spec, header = by_name[norm(left[:k])], left[k + 1:].strip()
            break
    if not eq or spec is None or not header:
        raise Bad("bad_value", f"'{text.strip()[:60]}' is not Sheet.Header = Column "
                               "(e.g. Orders.Menge = Quantity)")
    col = next((c for c in spec.cols if norm(c.header) == norm(right)), None)
    if col is None:
        raise Bad("bad_value", f"{spec.name} has no column '{right.strip()[:40]}' (its columns: "
                               f"{', '.join(c.header for c in spec.cols)})")
    return spec.name, header, col.field


def parse_settings(raw: RawSheet | None
                   ) -> tuple[m.Settings, list[Issue], dict[str, tuple[int, int]]]:
    """Settings is two columns, Key and Value. Returns the settings, issues, and for each
    known field the (row, col) of its Value cell (to write Next Invoice Number back)."""
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    where: dict[str, tuple[int, int]] = {}
    issues: list[Issue] = []
    if raw is None:
        return m.Settings(), issues, where
    grid = [raw.header] + raw.rows
    for i, r in enumerate(grid):
        if len(r) < 2 or is_blank(r[0]):
            continue
        key = SETTINGS_KEYS.get(norm(r[0]))
        if key is None:
            continue
        fld = key.field
        row, col = raw.header_row + i, raw.first_col + 1
        if fld in where:  # the first row of a key counts, as a lookup would find it
            issues.append(warning(
                "duplicate_setting", raw.name, a1(row, raw.first_col),
                f"{key.label} is set twice ({cells[fld]} and {a1(row, col)}): {cells[fld]} "
                "is used; delete the other row"))
            continue
        where[fld] = (row, col)
        cells[fld] = a1(row, col)
        if is_blank(r[1]):
            continue
        try:
            val = key.parse(r[1])
            if key.allowed and val not in key.allowed:
                raise Bad("bad_value", f"must be one of {', '.join(key.allowed)}, found '{r[1]}'")
            values[fld] = val
        except Bad as b:
            issues.append(error(b.code, raw.name, a1(row, col), f"{r[0]}: {b.message}"))
    issues += _company_details_missing(values, cells, raw.name)
    return m.Settings(**values, cells=cells), issues, where


def _company_details_missing(values: Mapping[str, Any], cells: Mapping[str, str],
                             sheet: str) -> list[Issue]:
    """One warning, at the first missing detail's Value cell, while the seller's name or
    address is blank (or still the old template's `My Company`): an invoice must say who
    issued it. Only for keys the sheet has (a new book's template has them all): a
    Settings sheet someone made with other keys only is theirs to shape."""
    missing = [f for f in REQUIRED_COMPANY_DETAILS if f in cells and (
        not str(values.get(f) or "").strip()
        or str(values[f]).strip().lower() in PLACEHOLDER_COMPANY_NAMES)]
    if not missing:
        return []
    keys = " and ".join(SETTING[f].label for f in missing)
    return [warning("company_details_missing", sheet, cells.get(missing[0], ""),
                    f"{keys} {'is' if len(missing) == 1 else 'are'} not filled in: invoices "
                    "and packing slips print no seller. Fill in the company's details on "
                    "Settings (Company Name, Company Address, Company Tax ID, Company Email, "
                    "Bank Details)")]
