"""What xlwings Lite lists from addin/lite/main.py (the thin main.py, used when ordersheet
is installed from a hosted wheel), and a run through xlwings' own server-side entry
points. The main.py that carries the package is tested in test_lite_bundle.py.

xlwings records the metadata of `@script` / `@func` only when it runs as xlwings Lite or
Server (`XLWINGS_ON_SERVER=true`, with a licence key), so this runs in a subprocess: the
variables must not leak into the other tests, where the decorators are no-ops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "addin" / "lite" / "main.py"

SCRIPTS = ["cancel_order", "create_invoices", "customer_updates", "dispatch_shipments",
           "plan_shipments", "price_orders", "process_orders", "process_returns",
           "reconcile_payments", "refresh_dashboard", "reserve_stock", "show_document",
           "validate_orders"]

PROBE = textwrap.dedent("""
    import asyncio, datetime as dt, importlib.util, json, sys, tempfile
    from pathlib import Path
    import xlwings as xw
    from xlwings.server import (custom_functions_call, custom_functions_meta,
                                custom_scripts_call, custom_scripts_meta)

    spec = importlib.util.spec_from_file_location("main", sys.argv[1])
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    out = {"scripts": custom_scripts_meta(main), "functions": custom_functions_meta(main)}

    # A button click: xlwings calls the script with the book and the App Mode form values.
    from tests.bookfiles import basic_book
    from tests.excel.payload import live_book
    src = basic_book(Path(tempfile.mkdtemp()) / "book.xlsx")
    book = live_book(src)
    returned = asyncio.run(custom_scripts_call(main, "process_orders",
                                               typehint_to_value={xw.Book: book},
                                               args=[True, "2026-11-03"]))
    out["script_returned_book"] = returned is book
    out["actions"] = [a["func"] for a in book.json()["actions"]]

    # A cell formula: Office.js passes every argument as a matrix.
    data = {"func_name": "order_price", "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": None,
            "args": [[["A-100"]], [[12.0]], [[None]],
                     [["SKU", "List Price"], ["A-100", 10.0]], [[None]], [[None]], [[None]],
                     [[None]], [["2026-11-03"]]]}
    out["order_price"] = asyncio.run(custom_functions_call(data, main))
    data = dict(data, func_name="line_total", args=[[[0.0]], [[9.99]]])
    out["line_total"] = asyncio.run(custom_functions_call(data, main))
    print(json.dumps(out, default=str))
""")


@pytest.fixture(scope="module")
def lite() -> dict:
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial", XLWINGS_ON_SERVER="true",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    done = subprocess.run([sys.executable, "-c", PROBE, str(MAIN)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_lite_lists_exactly_the_ordersheet_scripts(lite):
    assert [s["function_name"] for s in lite["scripts"]] == SCRIPTS
    assert all(s["lazy"] is False for s in lite["scripts"])  # the book arrives with values


def test_lite_lists_exactly_the_custom_functions_with_their_parameters(lite):
    functions = {f["name"]: [p["name"] + ("?" if p.get("optional") else "")
                             for p in f["parameters"]] for f in lite["functions"]["functions"]}
    assert functions == {
        "ORDER_PRICE": ["sku", "quantity", "customer_id", "products", "price_rules?",
                        "customers?", "fx_rates?", "settings?", "order_date?"],
        "STOCK_AVAILABLE": ["sku", "inventory", "warehouse?"],
        "LINE_TOTAL": ["quantity", "unit_price", "tax_rate?", "currency?", "settings?"],
        "OPEN_BALANCE": ["customer_id", "invoices", "currency?"],
    }
    described = {f["name"]: f["description"] for f in lite["functions"]["functions"]}
    assert all(d and "\n" not in d for d in described.values())


def test_a_button_click_runs_the_script_on_the_injected_book(lite):
    assert lite["script_returned_book"] is True
    assert "addSheet" in lite["actions"] and "setValues" in lite["actions"]
    assert lite["actions"][-1] == "activateSheet"  # back to the sheet the user was on


def test_a_formula_gets_a_value_or_a_message(lite):
    assert lite["order_price"] == [[10.0]]
    assert lite["line_total"] == [["LINE_TOTAL: quantity: must be a whole number above 0, found 0"]]
