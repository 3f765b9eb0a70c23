"""Reading a sheet: every cell of a raw sheet coerced by its spec into records, every
problem collected as an Issue with its cell address (`parse_sheet`), and the records built
as domain models (`build_records`)."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ...domain.records import build_rows
from ...domain.issues import Issue, error
from ..raw import RawSheet, a1, col_letter
from .coerce import Bad, is_blank, to_text
from .columns import FAST, SLOW, blank_rows, column, memoised, positions
from .headers import index_headers, match_columns, suggestion
from .inputs import ORDERS, RETURNS
from .parsed import ParsedSheet, Records, Same, SheetLayout
from .spec import Col, SheetSpec


def order_id_of(raw_row: list[Any], idx: Optional[int]) -> str:
    """The Order ID a problem in this row is reported under ("" when unreadable)."""
    if idx is None or idx >= len(raw_row) or is_blank(raw_row[idx]):
        return ""
    try:
        return to_text(raw_row[idx])
    except Bad:
        return ""


def parse_sheet(raw: RawSheet, spec: SheetSpec, extra: tuple[Col, ...] = (),
                column_map: Mapping[str, str] | None = None) -> ParsedSheet:
    """Coerce every cell of `raw` by `spec`; collect every problem as an Issue.

    `extra` are ordersheet's own columns on the sheet (found under their own header only);
    `column_map` maps a normalised header of the user's to a field (Settings `Column
    Map`). Rows whose every cell is blank are skipped. Issues come in row order, and
    within a row in column order (the spec's, then `extra`'s)."""
    by_norm, issues = index_headers(raw)
    layout = SheetLayout(raw.name, raw.header_row, raw.first_col, len(raw.rows),
                         headers={k: raw.first_col + j for k, j in by_norm.items()},
                         last_col=max(raw.last_col, raw.first_col + len(raw.header) - 1),
                         table=raw.table)
    found = match_columns(raw, by_norm, spec.cols, extra, column_map)
    missing = [c for c in spec.cols if c.required and c.field not in found]
    for c in missing:
        hint = suggestion(raw, c, found, len(missing))
        issues.append(error(
            "missing_column", raw.name, a1(raw.header_row, raw.first_col + len(raw.header)),
            f"missing column {c.header}" + (f"; did you mean '{hint}'?" if hint else "")))
    present: list[tuple[Col, int]] = [(c, found[c.field]) for c in spec.cols + extra
                                      if c.field in found]
    for c, j in present:
        layout.columns[c.field] = raw.first_col + j
    if missing:
        return ParsedSheet(spec, layout, [], set(range(len(raw.rows))), issues, False)

    rows = raw.rows
    n = len(rows)
    lengths = set(map(len, rows))
    width = next(iter(lengths)) if len(lengths) == 1 else None
    got: dict[int, list[Any]] = {}
    if width != 0 and n:
        got[0] = column(rows, 0, width)
    blank = blank_rows(rows, got.get(0))
    blank_set = set(blank)
    keep: Sequence[int] = range(n) if not blank else [i for i in range(n) if i not in blank_set]

    oid_idx = found.get("order_id") if spec is ORDERS or spec is RETURNS else None
    bad_rows: set[int] = set()
    found: list[tuple[int, int, Issue]] = []
    put = {}.setdefault
    columns: dict[str, Sequence[Any]] = {}
    for k, (c, j) in enumerate(present):
        col = got.pop(j, None) or column(rows, j, width)
        none = SLOW if c.required else c.default
        types = set(map(type, col))
        fast = FAST.get(c.parse)
        vals = (fast(col, types, none, put) if fast is not None
                else memoised(c.parse, col, types, none))
        if vals is None:
            vals = [none if v is None else SLOW for v in col]
        for i in positions(vals, SLOW):
            if i in blank_set:
                continue
            v = col[i]
            if is_blank(v):
                if c.required:
                    bad_rows.add(i)
                    found.append((i, k, error(
                        "missing_value", raw.name, a1(raw.header_row + 1 + i, raw.first_col + j),
                        f"{c.header} is empty", order_id_of(rows[i], oid_idx))))
                vals[i] = c.default
                continue
            try:
                vals[i] = c.parse(v)
            except Bad as b:
                bad_rows.add(i)
                found.append((i, k, error(
                    b.code, raw.name, a1(raw.header_row + 1 + i, raw.first_col + j),
                    f"{c.header}: {b.message}", order_id_of(rows[i], oid_idx))))
                vals[i] = c.default
        columns[c.field] = vals if not blank else [vals[i] for i in keep]
        del vals, col
    found.sort(key=lambda t: (t[0], t[1]))
    issues.extend(t[2] for t in found)

    count = len(keep)
    for c in spec.cols:
        if c.field not in columns:
            columns[c.field] = Same(c.default, count)
    first = raw.header_row + 1
    excel_rows = range(first, first + n) if not blank else [first + i for i in keep]
    cols_letters = {c.field: col_letter(raw.first_col + j) for c, j in present}
    keys = ("row", "cols", *columns, "_i")
    records = Records(keys, (excel_rows, Same(cols_letters, count), *columns.values(), keep),
                      count)
    return ParsedSheet(spec, layout, records, bad_rows, issues, True, columns=columns,
                       index=keep)


def build_records(model: type, parsed: ParsedSheet, drop: Any = (),
                  rename: dict[str, tuple[str, Any]] | None = None,
                  skip: set[int] | tuple = ()) -> list[Any]:
    """The parsed rows as `model` records, leaving out the fields in `drop` and the rows
    whose raw index (`_i`) is in `skip`; `rename` maps a parsed field to (record field,
    function applied to the whole column). Built column-wise (`records.build_rows`): no dict
    per row, the same records as `model(**row)`."""
    if not parsed.records:  # nothing read (e.g. a required column is missing)
        return []
    drop = set(drop) | {"_i"}
    by_column = parsed.records.by_column
    keep = None
    if skip:
        keep = [k for k, i in enumerate(by_column["_i"]) if i not in skip]
    columns: dict[str, Any] = {}
    for name, values in by_column.items():
        if name in drop:
            continue
        if keep is not None:
            values = [values[k] for k in keep]
        if rename and name in rename:
            name, fix = rename[name]
            values = fix(values)
        columns[name] = values
    return build_rows(model, columns)
