"""Fuzzing whole order books: valid, borderline and garbage values in every sheet.

Invariants: the pipeline never raises; every order line ends valid or with an Issue that
names its row or its order; user columns and row counts are unchanged; a second run
changes nothing. `ORDERSHEET_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py` runs
more examples than CI does.
"""

import datetime as dt
import os

from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook

from ordersheet import app
from ordersheet.book import schema as s
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from ordersheet.book.raw import CellError

EXAMPLES = int(os.environ.get("ORDERSHEET_FUZZ_EXAMPLES", "300"))
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 10, 0)

SKUS = ["A", "B", "C", "GONE"]
CUSTOMERS = ["C1", "C2", "C3", "NOBODY"]
text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)
garbage = st.one_of(
    st.none(), st.just(""), text, st.integers(-5, 10**7),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["=1+1", "+SUM(A1)", "@x", "-3", "1,000", "10%", "#N/A", "2026-02-30",
                     "  ", "Yes", "no", "high"]))


def maybe(strategy, p_garbage=0.15):
    return st.one_of(strategy, garbage) if p_garbage else strategy


dates = st.dates(dt.date(2026, 9, 1), dt.date(2026, 12, 31))
order_row = st.tuples(
    maybe(st.sampled_from(["SO-1", "SO-2", "SO-3", "SO-4", "SO-5"])),
    maybe(st.one_of(st.none(), st.integers(1, 4))),
    maybe(dates), maybe(st.sampled_from(CUSTOMERS)), maybe(st.sampled_from(SKUS)),
    maybe(st.integers(1, 12)), maybe(st.one_of(st.none(), st.decimals("0", "99", places=2))),
    maybe(st.one_of(st.none(), dates)), maybe(st.sampled_from([None, "High", "Normal", "Low"])),
    maybe(st.sampled_from([None, None, "MAIN", "EAST", "WEST"])),
    maybe(st.sampled_from([None, None, "Ground", "Express", "Teleport"])),
    st.one_of(st.none(), text, st.just("=HYPERLINK(\"x\")")),
).map(list)


@st.composite
def books(draw):
    orders = draw(st.lists(order_row, min_size=0, max_size=12))
    products = [[sku, f"Product {sku}", draw(maybe(st.decimals("0.5", "500", places=2))),
                 draw(maybe(st.decimals("0", "20", places=1))),
                 draw(st.sampled_from(["standard", "reduced", None])),
                 draw(maybe(st.sampled_from(["Yes", "No", None])))] for sku in SKUS[:3]]
    inventory = [[sku, wh, draw(maybe(st.integers(0, 15))), f"{wh}-{i}"]
                 for i, (sku, wh) in enumerate([(x, w) for x in SKUS[:3] for w in ("MAIN", "EAST")])
                 if draw(st.booleans())]
    customers = [[cid, f"Cust {cid}", "", draw(st.sampled_from(["US", "DE", "JP"])),
                  draw(st.sampled_from([None, "USD", "EUR", "JPY"])),
                  draw(maybe(st.one_of(st.none(), st.decimals("0", "500", places=0)))),
                  None, draw(maybe(st.one_of(st.none(), st.sampled_from([5, 0.1, "10%"])))),
                  draw(maybe(st.sampled_from(["No", "Yes", None]))),
                  draw(st.sampled_from(["No", "No", "Yes"])), "1 Road", None]
                 for cid in CUSTOMERS[:3]]
    sheets = {
        "Orders": [s.ORDERS.headers] + orders,
        "Products": [s.PRODUCTS.headers] + products,
        "Inventory": [["SKU", "Warehouse", "On Hand", "Bin"]] + inventory,
        "Customers": [s.CUSTOMERS.headers] + customers,
    }
    if draw(st.booleans()):
        sheets["FX Rates"] = [["Currency", "Rate"], ["EUR", draw(maybe(st.just(0.9)))],
                              ["JPY", 150]]
    if draw(st.booleans()):
        sheets["Tax Rates"] = [["Country", "Tax Class", "Rate %"], ["US", "standard", 0.07],
                               ["DE", "standard", 19], ["DE", "shipping", "19%"]]
    if draw(st.booleans()):
        sheets["Shipping Rates"] = [s.SHIPPING_RATES.headers,
                                    ["UPS", "Ground", "*", None, 10, 5],
                                    ["UPS", "Express", "US", 20, 25, 1]]
    if draw(st.booleans()):
        sheets["Price Rules"] = [s.PRICE_RULES.headers,
                                 ["A", None, 5, None, 0.1, None, None, None],
                                 [None, "C2", 1, draw(maybe(st.just(3))), None, "EUR", None, None]]
    if draw(st.booleans()):
        sheets["Settings"] = [["Key", "Value"],
                              ["Allocation Policy", draw(st.sampled_from(["fifo", "priority", "x"]))],
                              ["Allow Partial", draw(st.sampled_from(["Yes", "No"]))],
                              ["Tax Rounding", draw(st.sampled_from(["line", "invoice"]))]]
    return sheets


def _workbook(sheets) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([str(v) if isinstance(v, CellError) else
                       (float(v) if hasattr(v, "as_tuple") else v) for v in r])
    return wb


def _snapshot(wb, names):
    return {n: [tuple(r) for r in wb[n].iter_rows(values_only=True)]
            for n in names if n in wb.sheetnames}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(books())
def test_any_book_runs_and_every_line_ends_valid_or_explained(sheets):
    wb = _workbook(sheets)
    user_before = {n: [tuple(r[:len(sheets[n][0])]) for r in wb[n].iter_rows(values_only=True)]
                   for n in sheets if n != "Orders"}
    orders_before = [tuple(r[:12]) for r in wb["Orders"].iter_rows(values_only=True)]
    port = OpenpyxlBook(wb=wb)
    out = app.execute(port, "run", today=TODAY, now=NOW, dispatch=True)
    result = out.result

    for ln in result.lines:
        o = result.outcomes[ln.row]
        if o.status == "Invalid":
            assert any(i.is_error and i.sheet == "Orders" and
                       (i.order_id == ln.order_id and ln.order_id or
                        "".join(ch for ch in i.cell if ch.isdigit()) == str(ln.row))
                       for i in result.issues), (ln, result.issues)
    nonblank = [r for r in orders_before[1:] if any(v not in (None, "") for v in r)]
    assert len(result.lines) == len(nonblank)
    for name, rows in user_before.items():
        after = [tuple(r[:len(sheets[name][0])]) for r in wb[name].iter_rows(values_only=True)]
        if name == "Inventory":  # On Hand (C) moves only at dispatch
            after = [r[:2] + r[3:] for r in after]
            rows = [r[:2] + r[3:] for r in rows]
        assert repr(after) == repr(rows), name
    orders_after = [tuple(r[:12]) for r in wb["Orders"].iter_rows(values_only=True)]
    assert len(orders_after) == len(orders_before)
    for a, b in zip(orders_before, orders_after):
        assert repr(a[0]) == repr(b[0]) and repr(a[2:]) == repr(b[2:])  # nan != nan
        assert s.is_blank(a[1]) or repr(a[1]) == repr(b[1])
    for x in result.book.inventory:
        reserved = sum(r.quantity for r in result.book.reservations
                       if (r.sku, r.warehouse) == x.key)
        assert 0 <= reserved <= max(x.on_hand, 0)

    names = ["Orders", "Inventory", "Reservations", "Shipments", "Shipment Lines",
             "Invoices", "Invoice Lines", "Stock Ledger"]
    first = _snapshot(wb, names)
    again = app.execute(port, "run", today=TODAY, now=NOW, dispatch=True).result
    assert again.ledger == () and again.new_invoices == () and again.new_shipments == ()
    assert repr(_snapshot(wb, names)) == repr(first)
