"""FX and tax rates of one book: built once per run (`pipeline`) and passed to the steps
that need them (pricing, credit, invoicing), which see them through `models.Rates`.

FX Rates give units of a currency per 1 unit of the base currency; a conversion goes
through the base currency and is exact (the caller rounds). Tax Rates are keyed by
(Country, Tax Class), matched case-insensitively. The first row of a key wins; a later
one is reported as `duplicate_key` (`issues`, which the pipeline reports once).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Optional, TypeVar

from .issues import Issue, error
from .models import Customer, FxRate, OrderBook, TaxRate

ONE = Decimal(1)
ZERO = Decimal(0)  # one shared zero rate: equal LinePrices can then share a memo entry

R = TypeVar("R", FxRate, TaxRate)


class Rates:
    """The FX and tax look-ups of one book (implements `models.Rates`)."""

    def __init__(self, book: OrderBook):
        self.base = (book.settings.base_currency or "USD").upper()
        self.issues: list[Issue] = []
        """Rows of the rate sheets that are not used (a key that appears again)."""
        self.fx: dict[str, FxRate] = self._unique(
            book.fx_rates, lambda r: (r.currency or "").upper(), "FX Rates", "currency",
            "currency")
        self.tax: dict[tuple[str, str], TaxRate] = self._unique(
            book.tax_rates, lambda r: ((r.country or "").upper(), (r.tax_class or "").lower()),
            "Tax Rates", "country", "country/tax class")
        self.has_tax_sheet = "Tax Rates" in book.present

    def _unique(self, records: Iterable[R], key: Callable[[R], object], sheet: str,
                field: str, label: str) -> dict:
        """First row (by Excel row, not tuple position) of each key wins; later ones are
        reported as `duplicate_key` like the other master sheets."""
        out: dict = {}
        for r in sorted(records, key=lambda r: (r.row, r.rate)):
            k = key(r)
            if k in out:
                shown = "/".join(k) if isinstance(k, tuple) else k
                self.issues.append(error(
                    "duplicate_key", sheet, r.cell(field),
                    f"{label} {shown} appears again (first on row {out[k].row}); "
                    "this row is ignored"))
            else:
                out[k] = r
        return out

    def fx_row(self, currency: str) -> Optional[FxRate]:
        """The FX Rates row used for `currency` (None for a currency the sheet lacks)."""
        return self.fx.get(currency)

    def rate(self, currency: str) -> Optional[Decimal]:
        """Units of `currency` per base unit; None when FX Rates lacks a usable rate."""
        if currency == self.base:
            return ONE
        r = self.fx.get(currency)
        return r.rate if r is not None and r.rate > 0 else None

    def convert(self, amount: Decimal, src: str, dst: str) -> Optional[Decimal]:
        """`amount` from `src` into `dst`, exact (no rounding), via the base currency;
        blank = base currency; None when FX Rates lacks a rate."""
        src, dst = (src or self.base).upper(), (dst or self.base).upper()
        if src == dst:
            return amount
        r_src, r_dst = self.rate(src), self.rate(dst)
        if r_src is None or r_dst is None:
            return None
        return amount * r_dst / r_src

    def tax_rate(self, customer: Customer, tax_class: str) -> Optional[Decimal]:
        """Tax rate (a fraction) for `customer` and `tax_class`: 0 for a Tax Exempt
        customer, None when a Tax Rates sheet exists but has no row for (Country, Tax
        Class), 0 when the book has no Tax Rates sheet."""
        if customer.tax_exempt:
            return ZERO
        r = self.tax.get(((customer.country or "").upper(), (tax_class or "").lower()))
        if r is not None:
            return r.rate
        return None if self.has_tax_sheet else ZERO
