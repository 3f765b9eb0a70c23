"""Cell coercion, as CONTRACT §2 states it: one row per rule."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from ordersheet.book import schema as s
from ordersheet.book.schema import columns, parse
from ordersheet.book.raw import CellError, RawSheet, block_from_grid, col_letter, split_a1


@pytest.mark.parametrize("header,expected", [
    ("Order ID", "orderid"), ("order_id", "orderid"), ("OrderId", "orderid"),
    ("order-id", "orderid"), ("Order #", "order"), (" Unit.Price ", "unitprice"),
    ("Discount %", "discount%"),
])
def test_headers_match_ignoring_case_spaces_and_punctuation(header, expected):
    assert s.norm(header) == expected


@pytest.mark.parametrize("cell,expected", [
    (12, D(12)), (12.5, D("12.5")), (0.1, D("0.1")), ("12", D(12)), ("1,234.50", D("1234.50")),
    (" 7 ", D(7)), ("$9.99", D("9.99")), ("(5)", D(-5)), (48.0, D("48.0")),
])
def test_numbers_and_numbers_as_text(cell, expected):
    assert s.to_decimal(cell) == expected


@pytest.mark.parametrize("parse,cell,expected", [
    (s.to_decimal, 1 / 1.0857, "0.921064750851985"),  # =1/1.0857 as Excel shows it
    (s.to_money, 7.03 + 1, "8.03"),  # 8.030000000000001
    (s.to_rate, 1 / 1.0857, "0.921064750851985"),
    (s.to_rate, 1 / 148.97, "0.00671276095858226"),  # a JPY -> USD rate, 15 digits
    (s.to_signed_money, 0.1 + 0.2 - 1, "-0.7"),
    (s.to_percent, 0.19000000000000003, "0.19"),
    (s.to_quantity, 0.1 * 30, 3),  # 3.0000000000000004
    (s.to_whole, 10 * 1.1, 11),  # 11.000000000000002
    (s.to_text, 1233.0000000000002, "1233"),  # an ID column computed by a formula
    (s.to_text, 0.1 + 0.2, "0.3"),
    (s.to_decimal, 123456789012345.6, "123456789012346"),
])
def test_binary_floats_are_read_as_excel_shows_them(parse, cell, expected):
    """15 significant digits, then the column's own rules."""
    got = parse(cell)
    assert got == (D(expected) if isinstance(expected, str) and parse is not s.to_text
                   else expected)
    if isinstance(got, D):
        assert str(got) == expected


@pytest.mark.parametrize("parse,cell", [
    (s.to_money, 0.0000123456789012345),  # 17 decimal places even as Excel shows it
    (s.to_money, "0.0000000000001"),
    (s.to_rate, "0." + "0" * 28 + "1"),
    (s.to_rate, -0.92),
])
def test_a_value_the_column_does_not_believe_is_still_refused(parse, cell):
    with pytest.raises(s.Bad) as e:
        parse(cell)
    assert e.value.code == "bad_number"


@pytest.mark.parametrize("cell", ["abc", "1.2.3", "12,34", True, CellError("#N/A"), "",
                                  float("nan"), dt.date(2026, 1, 1)])
def test_not_numbers(cell):
    with pytest.raises(s.Bad) as e:
        s.to_decimal(cell)
    assert e.value.code == "bad_number"


@pytest.mark.parametrize("cell,expected", [(48.0, 48), ("3", 3), (1, 1), ("1,000", 1000)])
def test_quantities_whole_numbers_that_arrive_as_floats(cell, expected):
    assert s.to_quantity(cell) == expected


@pytest.mark.parametrize("cell", [0, -1, 2.5, "two", "0.5", CellError("#REF!")])
def test_bad_quantities(cell):
    with pytest.raises(s.Bad) as e:
        s.to_quantity(cell)
    assert e.value.code == "bad_quantity"


@pytest.mark.parametrize("cell,expected", [
    (dt.datetime(2026, 11, 3, 0, 0), dt.date(2026, 11, 3)),
    (dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
    ("2026-11-03", dt.date(2026, 11, 3)),
    ("2026-11-03T00:00:00.000Z", dt.date(2026, 11, 3)),  # Office.js date cells
    (46329.0, dt.date(2026, 11, 3)),  # serial from a cell without a date format
])
def test_dates(cell, expected):
    assert s.to_date(cell) == expected


@pytest.mark.parametrize("cell", ["03/11/2026", "2026-13-01", "tomorrow", 12, True])
def test_bad_dates(cell):
    with pytest.raises(s.Bad) as e:
        s.to_date(cell)
    assert e.value.code == "bad_date"


@pytest.mark.parametrize("cell,expected", [
    (0.1, D("0.1")), (10, D("0.1")), (1, D("0.01")), ("10%", D("0.1")), ("7.5 %", D("0.075")),
    ("0.2", D("0.2")), (0, D(0)),
])
def test_percent_rule(cell, expected):
    assert s.to_percent(cell) == expected


@pytest.mark.parametrize("cell,expected", [
    ("Yes", True), ("y", True), ("TRUE", True), (1, True), (True, True),
    ("No", False), ("N", False), ("false", False), (0, False), (0.0, False),
])
def test_yes_no_words(cell, expected):
    assert s.to_bool(cell) is expected


def test_yes_no_rejects_other_words():
    with pytest.raises(s.Bad):
        s.to_bool("maybe")


def test_priority_accepts_case_and_prefix():
    assert s.to_priority("high") == "High"
    assert s.to_priority("LOW") == "Low"
    with pytest.raises(s.Bad):
        s.to_priority("Urgent")


def test_text_keeps_formulas_as_text_and_whole_floats_as_ids():
    assert s.to_text("=1+1") == "=1+1"
    assert s.to_text(1001.0) == "1001"


def test_a1_helpers():
    assert col_letter(1) == "A" and col_letter(27) == "AA" and col_letter(16384) == "XFD"
    assert split_a1("$E$7") == (7, 5)


def test_block_under_first_non_empty_row_with_offset():
    grid = [[None, None, None], [None, "SKU", "On Hand"], [None, "A", 3], [None, None, None]]
    raw = block_from_grid("Inventory", grid)
    assert (raw.header_row, raw.first_col) == (2, 2)
    assert raw.header == ["SKU", "On Hand"] and raw.rows == [["A", 3]]


def test_parse_sheet_reports_every_problem_with_its_cell():
    raw = RawSheet("Products", 1, 1, ["sku", "List-Price", "ACTIVE"],
                   [["A", "12", "yes"], ["", "x", "maybe"], ["C", "3.5", None]])
    parsed = s.parse_sheet(raw, s.PRODUCTS)
    codes = sorted((i.code, i.cell) for i in parsed.issues)
    assert codes == [("bad_number", "B3"), ("bad_value", "C3"), ("missing_value", "A3")]
    good = [r for r in parsed.records if r["_i"] not in parsed.bad_rows]
    assert [(r["sku"], r["list_price"], r["active"]) for r in good] == [
        ("A", D(12), True), ("C", D("3.5"), True)]


def test_missing_required_column_makes_the_sheet_unusable():
    raw = RawSheet("Products", 1, 1, ["SKU", "Description"], [["A", "x"]])
    parsed = s.parse_sheet(raw, s.PRODUCTS)
    assert not parsed.usable
    assert [(i.code, i.cell) for i in parsed.issues] == [("missing_column", "C1")]


def test_settings_key_value():
    raw = RawSheet("Settings", 1, 1, ["Key", "Value"], [
        ["Base Currency", "eur"], ["Next Invoice Number", 41.0], ["Allow Partial", "No"],
        ["Allocation Policy", "lifo"], ["Restocking Fee %", 15]])
    settings, issues, where = s.parse_settings(raw)
    assert settings.base_currency == "EUR" and settings.next_invoice_number == 41
    assert settings.allow_partial is False and settings.restocking_fee == D("0.15")
    assert settings.allocation_policy == "fifo"  # the bad value falls back to the default
    assert [(i.code, i.cell) for i in issues] == [("bad_value", "B5")]
    assert where["next_invoice_number"] == (3, 2)


@pytest.mark.parametrize("rows, missing, cell", [
    ([], None, ""),  # a Settings sheet without these keys is someone's own: left alone
    ([["Company Name", None], ["Company Address", ""]], "Company Name and Company Address are",
     "B2"),
    ([["Company Name", "My Company"], ["Company Address", "1 Main St"]], "Company Name is",
     "B2"),
    ([["Company Name", "Acme"], ["Company Address", "  "]], "Company Address is", "B3"),
    ([["Company Name", "Acme"], ["Company Address", "1 Main St"]], None, ""),
])
def test_a_book_without_the_sellers_name_and_address_says_so_once(rows, missing, cell):
    raw = RawSheet("Settings", 1, 1, ["Key", "Value"], rows)
    settings, issues, _ = s.parse_settings(raw)
    warned = [i for i in issues if i.code == "company_details_missing"]
    if missing is None:
        assert warned == []
    else:
        (issue,) = warned
        assert not issue.is_error and issue.message.startswith(missing)
        assert issue.cell == cell


cell_values = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(), st.datetimes(), st.sampled_from([CellError("#N/A"), CellError("#REF!")]),
    st.sampled_from(["1,234.5", "10%", "2026-11-03", "=SUM(A1)", "yes", "High", "  "]))


@given(st.lists(st.lists(cell_values, min_size=12, max_size=12), max_size=8))
def test_any_orders_cells_never_raise_and_each_row_is_a_record_or_an_issue(rows):
    raw = RawSheet("Orders", 1, 1, s.ORDERS.headers, rows)
    parsed = s.parse_sheet(raw, s.ORDERS)
    nonblank = [i for i, r in enumerate(rows) if not all(s.is_blank(v) for v in r)]
    assert [r["_i"] for r in parsed.records] == nonblank
    for i in parsed.bad_rows:
        row = raw.header_row + 1 + i
        assert any(iss.cell.endswith(str(row)) for iss in parsed.issues)
    for r in parsed.records:
        if r["_i"] in parsed.bad_rows:
            continue
        assert isinstance(r["quantity"], int) and r["quantity"] > 0
        assert isinstance(r["order_date"], dt.date)
        assert r["unit_price"] is None or isinstance(r["unit_price"], D)


# ---- parse_sheet's column-wise fast paths equal the rules applied one cell at a time ------

_FAMILIES = [
    [0, 1, -1, 3, 48, 46329, 10**9, 10**9 + 1, 10**15, 10**15 + 1, True, False],
    [0.0, -0.0, 0.5, 2.5, -2.25, 12.5, 1e-05, 1e-13, 0.1, 1e15, 999999999999999.9, float("nan"),
     float("inf"), 46329.0, 0.1234567890123, 0.123456789012,
     # binary float noise, as formulas leave it: 15 significant digits are what Excel shows
     7.03 + 1, 1 / 1.0857, 0.1 + 0.2, 0.1 * 30, 1233.0000000000002, -(0.1 + 0.2),
     1 / 148.97, 123456789012345.6, 1.5e15, 0.0000123456789012345, 1.0000000000000002],
    ["", "  ", "x", " abc ", "SO-1", "C-7", "12", " 7 ", "1,234.50", "(5)", "10%", "High", "h",
     "LOW", "Urgent", "yes", "No", "maybe", "2026-11-03", "2026-13-01", "=SUM(A1)", "ß", "two",
     "0.5", "-3"],
    [dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.datetime(2026, 1, 2, 3, 4),
     dt.datetime(2026, 1, 2)],
    [None, CellError("#N/A"), D("1.0"), D("-2"), D(7)],
]
_CELLS = [v for family in _FAMILIES for v in family]
_POOL = st.one_of(  # a column of one kind of value reaches the whole-column paths
    *[st.lists(st.sampled_from(f), min_size=1, max_size=3) for f in _FAMILIES],
    st.lists(st.sampled_from(_CELLS), min_size=1, max_size=4))


_TWINS = [(0.0, -0.0), (1, True), (0, False), (1, 1.0), (D(1), D("1.0")), (2.5, D("2.5")),
          (dt.date(2026, 1, 2), dt.datetime(2026, 1, 2)), ("x", " x")]
"""Equal values that coerce differently (or that a memo could confuse)."""


def _one_cell_at_a_time(raw, spec, extra=()):
    """CONTRACT §2 spelled out for a sheet whose header is exactly that of spec + extra."""
    records, issues, bad = [], [], set()
    for i, row in enumerate(raw.rows):
        if all(s.is_blank(v) for v in row):
            continue
        oid = parse.order_id_of(row, 0) if spec in (s.ORDERS, s.RETURNS) else ""
        rec = {}
        for j, c in enumerate(spec.cols + extra):
            v = row[j] if j < len(row) else None
            cell = f"{col_letter(j + 1)}{raw.header_row + 1 + i}"
            if s.is_blank(v):
                if c.required:
                    bad.add(i)
                    issues.append(("missing_value", cell, f"{c.header} is empty", oid))
                rec[c.field] = c.default
                continue
            try:
                rec[c.field] = c.parse(v)
            except s.Bad as b:
                bad.add(i)
                issues.append((b.code, cell, f"{c.header}: {b.message}", oid))
                rec[c.field] = c.default
        records.append((i, rec))
    return records, issues, bad


def _exact(v):
    return ("nan",) if isinstance(v, float) and v != v else (type(v), repr(v))


def _check_against_one_cell_at_a_time(raw, spec, extra=()):
    parsed = s.parse_sheet(raw, spec, extra)
    records, issues, bad = _one_cell_at_a_time(raw, spec, extra)
    got = list(parsed.records)
    assert [r["_i"] for r in got] == [i for i, _ in records]
    for r, (i, want) in zip(got, records):
        assert r["row"] == 2 + i and r["cols"] == {c.field: col_letter(j + 1)
                                                   for j, c in enumerate(spec.cols + extra)}
        assert {k: _exact(r[k]) for k in want} == {k: _exact(v) for k, v in want.items()}
    assert [(x.code, x.cell, x.message, x.order_id) for x in parsed.issues] == issues
    assert parsed.bad_rows == bad
    for c in spec.cols + extra:
        assert [_exact(v) for v in parsed.columns[c.field]] == [_exact(r[c.field]) for r in got]
    assert list(parsed.index) == [i for i, _ in records]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_column_fast_paths_give_what_each_cell_would(data):
    n = data.draw(st.sampled_from([0, 1, 3, 70]))  # 70: long enough for the memo
    for spec in (s.ORDERS, s.PRODUCTS, s.CUSTOMERS, s.PAYMENTS, s.RETURNS, s.FX_RATES):
        # long columns of a few values reach the whole-column paths and the memo
        pools = [data.draw(_POOL) + data.draw(st.sampled_from([[], [None]]))
                 for _ in spec.cols]
        rnd = data.draw(st.randoms(use_true_random=False))
        rows = [[rnd.choice(pool) for pool in pools] for _ in range(n)]
        for i in rnd.sample(range(n), min(n, rnd.randint(0, 3))):
            rows[i] = rows[i][:rnd.randint(0, len(rows[i]))]  # ragged rows
        _check_against_one_cell_at_a_time(RawSheet(spec.name, 1, 1, spec.headers, rows), spec)


@pytest.mark.parametrize("spec,extra", [(s.ORDERS, s.ORDER_TOOL_COLUMNS), (s.PRODUCTS, ()),
                                        (s.CUSTOMERS, ()), (s.PAYMENTS, ()),
                                        (s.FX_RATES, ())])
def test_every_value_down_a_whole_column_gives_what_each_cell_would(spec, extra):
    width = len(spec.cols + extra)
    headers = [c.header for c in spec.cols + extra]
    sheets = []
    for v in _CELLS:  # 64 rows: the whole-column paths and the memo take them
        sheets.append([[v] * width for _ in range(64)])
        sheets.append([[v if i % 2 else None] * width for i in range(64)])
    for a, b in _TWINS:
        sheets.append([[a if i % 3 else b] * width for i in range(64)])
        sheets.append([[b if i % 3 else a] * width for i in range(64)])
    for rows in sheets:
        _check_against_one_cell_at_a_time(RawSheet(spec.name, 1, 1, headers, rows), spec, extra)


def test_records_are_made_afresh_on_each_pass():
    raw = RawSheet("Products", 1, 1, ["SKU", "List Price"],
                   [["A", 12], [None, None], ["B", "3.5"]])
    parsed = s.parse_sheet(raw, s.PRODUCTS)
    first = list(parsed.records)
    first[0].pop("sku")  # a caller may consume the dicts it is given
    assert [r["sku"] for r in parsed.records] == ["A", "B"]
    assert len(parsed.records) == 2 and parsed.records[-1]["_i"] == 2
    assert parsed.records[0] == {"row": 2, "cols": {"sku": "A", "list_price": "B"}, "sku": "A",
                                 "list_price": D(12), "description": "", "weight": D(0),
                                 "tax_class": "standard", "active": True, "_i": 0,
                                 "lead_time_days": None, "supplier": ""}
    assert parsed.columns["list_price"] == [D(12), D("3.5")]


def test_positions_finds_the_mark_by_identity_in_any_column():
    """The fast paths mark the cells they leave to the full rules with one sentinel; its
    positions are found by identity, whatever the column holds (Decimals compare with a
    foreign object through the numbers ABCs, text and dates by value)."""
    mark = columns.SLOW
    values = [D("1.5"), mark, None, "x", mark, dt.date(2026, 1, 1), 0, mark]
    assert columns.positions(values, mark) == [1, 4, 7]
    assert columns.positions([D(1)] * 5, mark) == []
    assert columns.positions([], mark) == []


# ---- headers from other systems ----------------------------------------------------------

def _names(spec, extra=()):
    """normalised name -> the columns of `spec` found under it (header and other names)."""
    out = {}
    for c in spec.cols:
        for name in (c.header, *c.also):
            out.setdefault(s.norm(name), []).append(c.header)
    for c in extra:
        out.setdefault(s.norm(c.header), []).append(c.header + " (ordersheet's)")
    return out


@pytest.mark.parametrize("spec", s.INPUT_SHEETS, ids=lambda sp: sp.name)
def test_every_other_name_means_one_column_of_its_sheet(spec):
    extra = {"Orders": s.ORDER_TOOL_COLUMNS, "Inventory": s.INVENTORY_TOOL_COLUMNS}
    clashes = {n: cols for n, cols in _names(spec, extra.get(spec.name, ())).items()
               if len(cols) > 1}
    assert clashes == {}


def test_readme_lists_every_other_name():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for spec in s.INPUT_SHEETS:
        for c in spec.cols:
            if c.also:
                row = f"| {spec.name} | {c.header} | {', '.join(f'`{a}`' for a in c.also)} |"
                assert row in readme, row


def _found(header, spec=s.ORDERS, extra=(), column_map=None):
    parsed = s.parse_sheet(RawSheet(spec.name, 1, 1, header, []), spec, extra, column_map)
    return {f: col_letter(c) for f, c in parsed.layout.columns.items()}


def test_a_column_is_found_under_its_header_then_the_map_then_other_names():
    header = ["Order", "Order ID", "Date", "Customer", "Item Code", "Item", "Qty", "Menge"]
    assert _found(header) == {"order_id": "B", "order_date": "C", "customer_id": "D",
                              "sku": "E", "quantity": "G"}
    # a Column Map row wins over the header itself
    assert _found(header, column_map={"menge": "quantity"})["quantity"] == "H"
    # a qualified header only where no header names the column outright
    assert _found(["Order ID (Items)", "Order ID", "SKU (Items)", "Customer/Customer ID"]) == {
        "order_id": "B", "sku": "C", "customer_id": "D"}
    # `ID (Items)` names the items' rows, never the order
    assert "order_id" not in _found(["ID (Items)", "Date"])


def test_ordersheets_own_columns_are_found_under_their_own_header_only():
    tool = s.ORDER_TOOL_COLUMNS
    found = _found(["Order ID", "Total", "Total (ordersheet)", "Status (Items)"], extra=tool)
    assert found["total"] == "B" and "status" not in found
    renamed = tuple(c if c.field != "total" else type(c)(c.field, "Total (ordersheet)")
                    for c in tool)
    assert _found(["Order ID", "Total", "Total (ordersheet)"], extra=renamed)["total"] == "C"


@pytest.mark.parametrize("header,message", [
    (["Order ID", "Order Date", "Customer ID", "SKU", "Stk"],
     "missing column Quantity; did you mean 'Stk'?"),
    (["Order ID", "Order Date", "Customer ID", "SKU", "Quantiy", "Notes 2"],
     "missing column Quantity; did you mean 'Quantiy'?"),
    (["Order ID", "Order Date", "Customer ID", "SKU", "Stk", "Farbe"], "missing column Quantity"),
])
def test_a_missing_column_suggests_the_header_left_over(header, message):
    parsed = s.parse_sheet(RawSheet("Orders", 1, 1, header, [["x"] * len(header)]), s.ORDERS)
    assert [(i.code, i.message) for i in parsed.issues] == [("missing_column", message)]
    assert not parsed.usable


def test_column_map_rows_read_as_sheet_header_column():
    raw = block_from_grid("Settings", [
        ["Key", "Value"], ["Column Map", "Orders.Menge = Quantity"],
        ["column map", "Price Rules.Preis = Unit Price"],
        ["Column Map", "Orders.Unit.Preis=Unit Price"],
        ["Column Map", "Menge = Quantity"], ["Column Map", "Orders.Menge = Mange"],
        ["Column Map", "Issues.X = Code"], ["Column Map", None]])
    mapped, issues = s.parse_column_map(raw, s.INPUT_SHEETS)
    assert mapped == {"Orders": {"menge": "quantity", "unitpreis": "unit_price"},
                      "Price Rules": {"preis": "unit_price"}}
    assert [(i.code, i.cell) for i in issues] == [("bad_value", "B5"), ("bad_value", "B6"),
                                                  ("bad_value", "B7")]
    assert issues[1].message.startswith("Column Map: Orders has no column 'Mange' (its columns:")
