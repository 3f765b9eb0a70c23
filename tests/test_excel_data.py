"""Excel data as Excel writes it (#18): each test is a small order book as a user (or
another program) leaves it, run through the command line.

- formula results and pasted numbers carry binary float noise (`=1/1.0857`,
  8.030000000000001): they are read as Excel shows them, 15 significant digits;
- a master row whose value is really refused does not make its order lines report a
  different problem (no FX rate, SKU not on Products): they name the refused cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from openpyxl import load_workbook

from ordersheet.cli import run_operation
from tests.bookfiles import D1, basic_book, with_cached_values

TODAY = dt.date(2026, 11, 3)


def run(path, operation="price"):
    code, result = run_operation(path, operation, TODAY.isoformat(), None, False, quiet=True)
    return code, result


def sheet_rows(path, name):
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def issues_of(result, code=None):
    return [i for i in result.issues if code is None or i.code == code]


# ---- float noise -------------------------------------------------------------------------

def noisy_book(tmp_path, fx_formula="=1/1.0857", fx_cached="0.92106475085198483"):
    """A List Price typed as =7.03+1 (8.030000000000001 as Excel stores it) and an EUR rate
    that is the formula =1/1.0857 (0.92106475085198483 as Excel saves its value)."""
    path = basic_book(
        tmp_path / "book.xlsx",
        [["SO-1", 1, D1, "C1", "N-1", 2, None, None, "Normal", None, None, ""],
         ["SO-2", 1, D1, "C3", "N-1", 1, None, None, "Normal", None, None, ""]],
        Products=[["N-1", "Noisy", "=7.03+1", 1, "standard", "Yes"]],
        Inventory=[["N-1", "MAIN", 10, "A-01"]],
        Customers=[["C1", "Acme", "", "US", "USD", None, 30, None, "No", "No", "", ""],
                   ["C3", "Euro GmbH", "", "DE", "EUR", None, 30, None, "No", "No", "", ""]],
        **{"FX Rates": [["Currency", "Rate"], ["EUR", fx_formula]]})
    with_cached_values(path, {"7.03+1": "8.0300000000000011", fx_formula[1:]: fx_cached})
    return path


def test_formula_results_with_float_noise_are_read_as_excel_shows_them(tmp_path):
    path = noisy_book(tmp_path)
    code, result = run(path)
    assert [(i.code, i.sheet, i.cell) for i in result.issues] == []
    assert code == 0
    rows = sheet_rows(path, "Orders")
    assert [r["Status"] for r in rows] == ["Priced", "Priced"]
    assert rows[0]["Price"] == 8.03 and rows[0]["Net"] == 16.06
    # 8.03 x 0.921064750851985 EUR/USD = 7.396149949341440 -> 7.40
    assert rows[1]["Currency"] == "EUR" and rows[1]["Net"] == 7.40
    assert "0.921064750851985" in rows[1]["Price Explained"]


def test_a_rate_too_fine_to_believe_is_still_refused(tmp_path):
    """The rule of the column still holds after the float is read: a rate with more
    decimals than a Decimal computes with (typed as text) is refused at its cell."""
    path = noisy_book(tmp_path, fx_formula="0." + "0" * 28 + "1")
    code, result = run(path)
    assert ("bad_number", "FX Rates", "B2") in [(i.code, i.sheet, i.cell) for i in result.issues]
    assert code == 1
