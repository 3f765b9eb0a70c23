"""The benchmark generator and harness still work (issue 9). No timing assertions: speed is
measured by `python -m benchmarks.harness`, never asserted in a test."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from python_calamine import CalamineWorkbook

from benchmarks import harness
from benchmarks.generate import generate_book
from ordersheet.book import schema as s


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "book-200.xlsx"
    rows = generate_book(path, lines=200, skus=50, customers=20, error_rate=0.05, seed=7)
    return path, rows


def test_generated_book_has_the_contract_sheets_and_headers(small_book):
    path, rows = small_book
    wb = CalamineWorkbook.from_path(str(path))
    for spec in (s.ORDERS, s.PRODUCTS, s.INVENTORY, s.CUSTOMERS, s.PRICE_RULES, s.TAX_RATES,
                 s.FX_RATES, s.SHIPPING_RATES):
        grid = wb.get_sheet_by_name(spec.name).to_python()
        assert grid[0] == spec.headers
        assert len(grid) - 1 == rows[spec.name] > 0
    settings = wb.get_sheet_by_name("Settings").to_python()
    assert settings[0] == ["Key", "Value"]
    assert ["Base Currency", "USD"] in settings
    orders = wb.get_sheet_by_name("Orders").to_python()[1:]
    assert len(orders) == rows["Orders"] == 200
    # Order Date is a real Excel date (not text) on every line that is not broken on purpose.
    dates = [r[2] for r in orders]
    assert sum(isinstance(d, dt.date) for d in dates) >= 190
    assert all(d < dt.date(2026, 11, 20) for d in dates if isinstance(d, dt.date))


def test_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    generate_book(a, lines=50, skus=20, customers=5, seed=3)
    generate_book(b, lines=50, skus=20, customers=5, seed=3)
    read = lambda p: CalamineWorkbook.from_path(str(p)).get_sheet_by_name("Orders").to_python()
    assert read(a) == read(b)


def test_harness_measures_every_row_once(small_book, tmp_path, monkeypatch):
    # The reference engine: this test is about the harness, not about any one engine.
    monkeypatch.setenv("ORDERSHEET_ENGINE", "openpyxl")
    path, _ = small_book
    rows = harness.measure_size(200, quick=True, book=path, workdir=tmp_path)

    assert [r.name for r in rows] == list(harness.ROW_NAMES)
    assert [r for r in rows if r.error] == []
    for r in rows:
        assert r.lines == 200
        assert r.seconds is not None and r.seconds > 0, r.name
    cli = next(r for r in rows if r.name == harness.CLI)
    assert cli.child_maxrss_mb and cli.child_maxrss_mb > 0

    ratios = harness.ratios(rows)
    assert set(ratios) == {"domain_vs_floor", "e2e_vs_openpyxl", "cli_vs_openpyxl",
                           "cli_peak_mb"}
    for key, value in ratios.items():
        assert isinstance(value, float) and math.isfinite(value) and value > 0, key

    out = tmp_path / "latest.json"
    harness.write_json(out, {200: rows}, [], None, harness.meta_info())
    assert '"domain run --dispatch"' in out.read_text()


def test_growth_is_the_time_multiplier_per_doubling():
    def rows(n, t):
        return [harness.Row(n, name, "x", seconds=t) for name in harness.GROWTH_ROWS]

    grow = harness.growth({10: rows(10, 1.0), 20: rows(20, 3.0), 80: rows(80, 12.0)})
    by = {(g["from"], g["to"], g["name"]): g["per_doubling"] for g in grow}
    assert by[(10, 20, harness.DOMAIN_RUN)] == pytest.approx(3.0)
    assert by[(20, 80, harness.DOMAIN_RUN)] == pytest.approx(2.0)  # ×4 time over ×4 lines
    assert harness.verdict("growth", 2.0) == "ok"
    assert harness.verdict("growth", 3.0) == "MISSED"


def _values(sheet, row, col, rows, cols=1):
    return {"func": "setValues", "sheet_position": sheet, "start_row": row,
            "start_column": col, "row_count": rows, "column_count": cols}


def test_unchunked_joins_only_the_blocks_xlwings_split_from_one_write():
    note = {"func": "addNote", "sheet_position": 0, "start_row": 3, "start_column": 0,
            "row_count": 1, "column_count": 1}
    actions = [_values(0, 0, 12, 8333, 12), _values(0, 8333, 12, 1668, 12),  # one write
               _values(0, 0, 12, 5, 1),        # same sheet, but back at the top: a new write
               _values(1, 5, 12, 5, 1),        # continues the rows, but on another sheet
               _values(1, 10, 13, 5, 1),       # continues the rows, but other columns
               note, _values(1, 15, 13, 5, 1)]  # continues, but not right after: new
    joined = harness.unchunked(actions)
    assert [(a["func"], a["start_row"], a["row_count"]) for a in joined] == [
        ("setValues", 0, 10001), ("setValues", 0, 5), ("setValues", 5, 5),
        ("setValues", 10, 5), ("addNote", 3, 1), ("setValues", 15, 5)]
    assert len(harness.unchunked([])) == 0


def test_padded_books_differ_only_in_clean_lines(tmp_path):
    base = tmp_path / "base.xlsx"
    generate_book(base, lines=9, skus=10, customers=4, error_rate=0.3, seed=2)
    small, big = harness.padded_book(base, 10, tmp_path), harness.padded_book(base, 300, tmp_path)
    read = lambda p, name: CalamineWorkbook.from_path(str(p)).get_sheet_by_name(name).to_python()
    for name in ("Products", "Inventory", "Customers", "Price Rules", "Settings"):
        assert read(small, name) == read(big, name)
    a, b = read(small, "Orders"), read(big, "Orders")
    assert len(a) == 11 and len(b) == 301 and b[:11] == a
    assert {(r[3], r[4], r[5]) for r in b[10:]} == {(harness.BULK_CUSTOMER, harness.BULK_SKU, 1)}
    assert harness.padded_book(base, 300, tmp_path) == big  # cached
    with pytest.raises(ValueError):
        harness.padded_book(base, 5, tmp_path)


def test_the_report_and_its_markdown_show_both_excel_pairs(capsys):
    runs = [{"lines": n, "pair": pair, "actions": a, "writes": w, "seconds": 0.5}
            for pair, n, a, w in (("generated", 20, 140, 140), ("generated", 10_000, 396, 392),
                                  ("like for like", 20, 140, 140),
                                  ("like for like", 10_000, 147, 140))]
    excel = {"available": True, "runs": runs, "same_action_count": True,
             "same_action_count_generated": False}
    harness.print_report({}, [], excel, harness.meta_info())
    printed = capsys.readouterr().out
    assert "like for like: 20 lines: 140 actions" in printed
    assert "10,000 lines: 140 actions (147 after xlwings' chunking)" in printed
    assert "same count" in printed and "counts differ" in printed
    md = harness.markdown({"sizes": {}, "growth": [], "excel_route": excel,
                           "meta": harness.meta_info()})
    assert "- like for like: 20 lines → 140 actions" in md
    assert "10,000 lines → 392 actions, 396 after xlwings' chunking" in md


def test_the_lower_bound_run_gives_a_record_per_tuple_and_an_outcome_per_line(small_book):
    """`benchmarks.lower_bound` (the evidence for issue 9's domain target) still runs on a
    real book, and its two timed variants do the same work."""
    from benchmarks import lower_bound
    from ordersheet import app, cli
    from ordersheet.domain import models as m

    path, rows = small_book
    book = app.read_book(cli.open_book(path)).book
    tuples, outcomes = lower_bound.minimal_run(book, records=False)
    records, again = lower_bound.minimal_run(book, records=True)
    assert len(outcomes) == rows["Orders"] == len(book.orders)
    assert again == outcomes
    assert [len(t) for t in tuples] == [len(r) for r in records]
    kinds = (m.Reservation, m.LedgerEntry, m.Shipment, m.ShipmentLine, m.Invoice,
             m.InvoiceLine)
    for kind, made in zip(kinds, records):
        assert made and all(type(r) is kind for r in made)
    served = sum(o.status == "Invoiced" for o in outcomes.values())
    assert len(records[0]) == len(records[3]) == len(records[5]) == served
    assert len(records[1]) == 3 * served  # reserve, then ship off Reserved and On Hand
