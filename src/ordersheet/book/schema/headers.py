"""Header matching: which column of a sheet holds which field of its spec.

A header is found whatever its case, spacing and punctuation (`norm`); a header that
appears twice is reported and its first column used. A column whose own header is absent
is found, in this order, under the header a Settings `Column Map` row gives it
(`Orders.Menge = Quantity`), under the other names other systems export it under
(`Col.also`: `Qty`, `Item Code`), and under an exported header that qualifies one of
those names: `Quantity (Items)` (ERPNext's child-table columns) or `Order
Reference/Order Date` (Odoo's related fields). Each header serves one column at most.
When a required column is still missing, the closest header nothing uses is suggested
(`suggestion`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping, Optional, Sequence

from ...domain.issues import Issue, error
from ..raw import RawSheet, a1
from .spec import Col

_IGNORED = re.compile(r"[\s_\-.#]+")
_QUALIFIED = re.compile(r"^(?:.*/)?(?P<name>[^/()]*?)\s*(?:\([^()]*\))?\s*$")
"""`Quantity (Items)` -> `Quantity`, `Order Reference/Order Date` -> `Order Date`."""
_TOOL_HEADER = re.compile(r"\(ordersheet( \d+)?\)\s*$")


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


def _qualified(header: Sequence[Any], by_norm: dict[str, int]) -> dict[str, int]:
    """The name inside each qualified header (`Quantity (Items)` -> quantity) -> its
    column, for names no header of the sheet spells out; never ordersheet's own
    `Total (ordersheet)`."""
    out: dict[str, int] = {}
    for j, h in enumerate(header):
        text = str(h or "")
        if ("(" not in text and "/" not in text) or _TOOL_HEADER.search(text):
            continue
        mt = _QUALIFIED.match(text)
        key = norm(mt.group("name")) if mt else ""
        # `ID (Items)`, `product_id/id`: the ID of something else than the sheet's rows
        if key and key != "id" and key not in by_norm:
            out.setdefault(key, j)
    return out


def match_columns(raw: RawSheet, by_norm: dict[str, int], cols: Sequence[Col],
                  exact_only: Sequence[Col] = (),
                  mapped: Optional[Mapping[str, str]] = None) -> dict[str, int]:
    """field -> index in `raw.header` of each column of `cols` and `exact_only` that the
    sheet has. `exact_only` (ordersheet's own columns) are found under their own header
    alone, and first; `mapped` is the sheet's Column Map: normalised user header ->
    field."""
    found: dict[str, int] = {}
    used: set[int] = set()

    def take(c: Col, j: Optional[int]) -> None:
        if j is not None and j not in used and c.field not in found:
            found[c.field] = j
            used.add(j)

    for c in exact_only:
        take(c, by_norm.get(norm(c.header)))
    for user, field in (mapped or {}).items():
        for c in cols:
            if c.field == field:
                take(c, by_norm.get(user))
    for c in cols:
        take(c, by_norm.get(norm(c.header)))
    for c in cols:
        for name in c.also:
            take(c, by_norm.get(norm(name)))
    qualified = _qualified(raw.header, by_norm)
    if qualified:
        for c in cols:
            for name in (c.header, *c.also):
                take(c, qualified.get(norm(name)))
    return found


def suggestion(raw: RawSheet, c: Col, found: Mapping[str, int], missing: int) -> Optional[str]:
    """The header of `raw` nothing uses that most likely means column `c`: the closest by
    spelling to its header or one of its other names, else the only header left when only
    one column is missing."""
    used = set(found.values())
    left = [str(h).strip() for j, h in enumerate(raw.header)
            if j not in used and norm(h) and not _TOOL_HEADER.search(str(h))]
    if not left:
        return None
    by_norm = {norm(h): h for h in left}
    for name in (c.header, *c.also):
        close = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.75)
        if close:
            return by_norm[close[0]]
    return left[0] if len(left) == 1 and missing == 1 else None
