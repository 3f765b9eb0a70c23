"""Header matching: which column of a sheet holds which field of its spec.

A header is found whatever its case, spacing and punctuation (`norm`); a header that
appears twice is reported and its first column used; two columns are also found under a
shorter header: `Discount` for `Discount %`, and Tax Rates' `Rate` for `Rate %`
(`find_column`).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ...domain.issues import Issue, error
from ..raw import RawSheet, a1
from .inputs import TAX_RATES
from .spec import Col, SheetSpec

_IGNORED = re.compile(r"[\s_\-.#]+")


def norm(header: Any) -> str:
    """`Order ID` = `order_id` = `OrderId` = `order-id`."""
    return _IGNORED.sub("", str(header or "")).lower()


def index_headers(raw: RawSheet) -> tuple[dict[str, int], list[Issue]]:
    """normalised header -> index of its column in `raw.header` (the first one of a header
    that appears twice), and an Issue for each repeat."""
    by_norm: dict[str, int] = {}
    issues: list[Issue] = []
    for j, h in enumerate(raw.header):
        key = norm(h)
        if not key:
            continue
        if key in by_norm:
            issues.append(error("duplicate_key", raw.name, a1(raw.header_row, raw.first_col + j),
                                f"column '{h}' appears twice; the first one is used"))
            continue
        by_norm[key] = j
    return by_norm, issues


def find_column(by_norm: dict[str, int], spec: SheetSpec, c: Col) -> Optional[int]:
    """Index of column `c` of `spec` among the headers `by_norm`, or None."""
    j = by_norm.get(norm(c.header))
    if j is None and c.field == "discount":
        j = by_norm.get(norm("Discount"))
    if j is None and c.field == "rate" and spec is TAX_RATES:
        j = by_norm.get(norm("Rate"))
    return j
