"""Realistic order books of any size, written fast, for the benchmarks (issue 9).

`generate_book(path, lines=...)` writes an .xlsx order book with the sheets and headers of
`ordersheet.book.schema` (Orders, Products, Inventory, Customers, Price Rules, Tax Rates,
FX Rates, Shipping Rates, Settings): a year of orders before `today` with 1-5 lines each,
skewed demand (a few SKUs and customers account for most lines), customers in seven
countries and five currencies, price rules for about a third of the SKUs, tax rates per
country and tax class, shipping rates by weight band plus a catch-all, stock such that
about 90 % of the lines can be reserved, and `error_rate` of the lines broken on purpose
(unknown SKU, bad quantity, bad date) so the runs exercise the issue paths too.

Written with xlsxwriter in `constant_memory` mode (rows are flushed as they are written,
strings are stored inline): 100,000 lines take a few seconds and little memory. With
`tables=True` every sheet becomes an Excel Table; xlsxwriter cannot add tables in
constant_memory mode, so that variant keeps the book in memory (and uses the shared
string table, as Excel itself does).

Output depends only on the arguments: one seeded `random.Random`.

CLI: `python -m benchmarks.generate OUT.xlsx --lines 100000 [--tables]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import random
import time
from pathlib import Path
from typing import Any, Sequence

import xlsxwriter

from ordersheet.book import schema as s

EXCEL_EPOCH = dt.date(1899, 12, 30)

# country, currency, customer weight, tax rates (standard, reduced, shipping or None)
COUNTRIES: tuple[tuple[str, str, int, tuple[str, str, str | None]], ...] = (
    ("US", "USD", 40, ("0.0725", "0", "0")),
    ("CA", "CAD", 10, ("0.05", "0", "0.05")),
    ("DE", "EUR", 15, ("0.19", "0.07", "0.19")),
    ("FR", "EUR", 8, ("0.20", "0.055", "0.20")),
    ("NL", "EUR", 7, ("0.21", "0.09", "0.21")),
    ("GB", "GBP", 12, ("0.20", "0", "0.20")),
    ("JP", "JPY", 8, ("0.10", "0.08", "0.10")),
)
FX = {"EUR": "0.9200", "GBP": "0.7900", "JPY": "151.50", "CAD": "1.3600"}
"""Units of the currency per one USD (the base currency)."""

# carrier, service, transit days, cost per weight band (<=5 kg, <=20 kg, <=70 kg), by region
DOMESTIC = (("UPS", "Ground", 5, (9.5, 18.0, 42.0)), ("UPS", "2nd Day Air", 2, (24.0, 49.0, 110.0)))
INTERNATIONAL = (("DHL", "Economy Select", 7, (22.0, 39.0, 85.0)),
                 ("DHL", "Express Worldwide", 3, (38.0, 72.0, 160.0)))
BANDS = (5, 20, 70)

ADJECTIVES = ("Alpine", "Summit", "Harbor", "Cedar", "Granite", "Northern", "Blue Ridge",
              "Prairie", "Coastal", "Highland", "River", "Pioneer", "Evergreen", "Canyon",
              "Lakeside", "Meridian", "Sterling", "Redwood", "Aurora", "Keystone")
NOUNS = ("Outfitters", "Supply", "Trading", "Sports", "Provisions", "Goods", "Gear",
         "Mercantile", "Outdoor", "Depot", "Works", "Traders")
SUFFIX = {"US": "Inc.", "CA": "Ltd.", "DE": "GmbH", "FR": "SARL", "NL": "B.V.", "GB": "Ltd",
          "JP": "K.K."}
CATEGORIES = (("TENT", "Tent", 2.0, 4.5, 180), ("BAG", "Sleeping Bag", 0.9, 2.2, 140),
              ("PACK", "Backpack", 1.0, 2.4, 150), ("STOVE", "Camp Stove", 0.3, 1.2, 70),
              ("LAMP", "Headlamp", 0.08, 0.3, 35), ("BOOT", "Hiking Boot", 0.9, 1.6, 160),
              ("JKT", "Rain Jacket", 0.3, 0.8, 140), ("SOCK", "Merino Socks", 0.1, 0.2, 18),
              ("BOTL", "Water Bottle", 0.2, 0.5, 25), ("FOOD", "Trail Meal", 0.1, 0.3, 10),
              ("MAP", "Trail Map", 0.05, 0.15, 12), ("TOOL", "Multitool", 0.1, 0.4, 55))
NOTES = ("Deliver to loading dock B", "Call before delivery", "Gift wrap, please",
         "Customer PO 4471", "Mixed pallet OK", "Restock for spring event",
         "=not a formula, just text")
ERROR_KINDS = ("unknown_sku", "bad_quantity", "bad_date")


def excel_serial(d: dt.date) -> int:
    return (d - EXCEL_EPOCH).days


def generate_book(path: str | Path, lines: int = 10_000, skus: int = 2_000,
                  customers: int = 500, warehouses: int = 3, error_rate: float = 0.01,
                  seed: int = 1, today: dt.date = dt.date(2026, 11, 20),
                  tables: bool = False) -> dict[str, int]:
    """Write an order book to `path`; returns the number of data rows per sheet."""
    if lines < 1 or skus < 1 or customers < 1 or not 1 <= warehouses <= 26:
        raise ValueError("lines, skus and customers must be >= 1, warehouses 1..26")
    rng = random.Random(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not tables,
                                         "strings_to_numbers": False,
                                         "strings_to_formulas": False,
                                         "strings_to_urls": False})
    fmt = {"date": wb.add_format({"num_format": "yyyy-mm-dd"}),
           "money": wb.add_format({"num_format": "#,##0.00"}),
           "pct": wb.add_format({"num_format": "0.00%"}),
           "bold": wb.add_format({"bold": True})}
    sheets = {spec.name: _Sheet(wb.add_worksheet(spec.name), spec.headers, fmt)
              for spec in (s.ORDERS, s.PRODUCTS, s.INVENTORY, s.CUSTOMERS, s.PRICE_RULES,
                           s.TAX_RATES, s.FX_RATES, s.SHIPPING_RATES)}
    sheets[s.SETTINGS_SHEET] = _Sheet(wb.add_worksheet(s.SETTINGS_SHEET), ["Key", "Value"], fmt)

    whs = ["MAIN", "EAST", "WEST", "NORTH", "SOUTH"][:warehouses] + \
        [f"WH{i}" for i in range(6, warehouses + 1)]
    products = _products(rng, skus)
    custs = _customers(rng, customers)
    demand = _write_orders(sheets[s.ORDERS.name], rng, lines, products, custs, whs,
                           error_rate, today)
    _write_products(sheets[s.PRODUCTS.name], products)
    # Its own generator: which SKUs run short must not depend on how many lines were drawn.
    _write_inventory(sheets[s.INVENTORY.name], random.Random(seed * 7919 + 1), products, whs,
                     demand)
    _write_customers(sheets[s.CUSTOMERS.name], custs)
    _write_price_rules(sheets[s.PRICE_RULES.name], rng, products, custs, today)
    _write_masters(sheets)
    _write_settings(sheets[s.SETTINGS_SHEET])
    if tables:
        for name, sh in sheets.items():
            if name != s.SETTINGS_SHEET and sh.n_rows:
                sh.ws.add_table(0, 0, sh.n_rows, len(sh.headers) - 1, {
                    "name": "tbl" + name.replace(" ", ""), "style": "Table Style Light 9",
                    "columns": [{"header": h} for h in sh.headers]})
    for sh in sheets.values():
        sh.ws.freeze_panes(1, 0)
    wb.close()
    return {name: sh.n_rows for name, sh in sheets.items()}


class _Sheet:
    """Row-at-a-time writer: each Python type goes straight to its xlsxwriter method
    (dates as serial numbers with a date format, which is what Excel stores)."""

    def __init__(self, ws, headers: Sequence[str], fmt: dict[str, Any]):
        self.ws, self.headers, self.fmt = ws, list(headers), fmt
        self.n_rows = 0
        for j, h in enumerate(headers):
            ws.write_string(0, j, h, fmt["bold"])

    def row(self, values: Sequence[Any], formats: Sequence[Any] = ()) -> None:
        self.n_rows += 1
        r, ws = self.n_rows, self.ws
        for j, v in enumerate(values):
            if v is None:
                continue
            f = formats[j] if j < len(formats) else None
            if isinstance(v, str):
                ws.write_string(r, j, v, f)
            elif isinstance(v, dt.date):
                ws.write_number(r, j, excel_serial(v), self.fmt["date"])
            else:
                ws.write_number(r, j, v, f)


# ---- master data ----------------------------------------------------------------------


def _products(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        code, name, w_lo, w_hi, price = CATEGORIES[i % len(CATEGORIES)]
        out.append({
            "sku": f"{code}-{i + 1:05d}",
            "description": f"{rng.choice(ADJECTIVES)} {name} {rng.choice('SMLX')}{i % 97}",
            "list_price": round(price * rng.uniform(0.5, 2.2), 2),
            "weight": round(rng.uniform(w_lo, w_hi), 2),
            "tax_class": "reduced" if code in ("FOOD", "MAP") else
                         ("zero" if rng.random() < 0.02 else "standard"),
            # A few discontinued items nobody orders any more (never on Orders).
            "active": "No" if i >= 20 and rng.random() < 0.01 else "Yes",
            # Zipf-like popularity: a few SKUs get most of the lines.
            "rank": (i * 7919) % n,
            "weight_pop": 1.0 / (1 + (i * 7919) % n) ** 0.8,
        })
    return out


def _customers(rng: random.Random, n: int) -> list[dict[str, Any]]:
    countries = [c for c in COUNTRIES]
    weights = [c[2] for c in COUNTRIES]
    out = []
    for i in range(n):
        country, currency, _, _ = rng.choices(countries, weights)[0]
        if country != "US" and rng.random() < 0.1:
            currency = "USD"  # some foreign customers are invoiced in dollars
        r = rng.random()
        credit = None if r < 0.7 else (1_000_000.0 if r < 0.95 else float(rng.choice((5000, 20000))))
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {SUFFIX[country]}"
        cid = f"C-{i + 1:06d}"
        out.append({
            "customer_id": cid, "name": name,
            "email": f"orders{i + 1}@{name.split()[0].lower()}.example",
            "country": country, "currency": currency, "credit_limit": credit,
            "payment_terms_days": rng.choice((14, 30, 30, 30, 45, 60)),
            "discount": round(rng.uniform(0.02, 0.10), 2) if rng.random() < 0.1 else None,
            "tax_exempt": "Yes" if rng.random() < 0.02 else "No",
            "on_hold": "Yes" if rng.random() < 0.01 else "No",
            "ship_to": f"{rng.randint(1, 999)} Market St, {country}",
            "bill_to": f"Accounts Payable, {rng.randint(1, 999)} Market St, {country}",
            "weight_pop": 1.0 / (1 + (i * 104729) % n) ** 0.7,
        })
    return out


# ---- orders ---------------------------------------------------------------------------


def _write_orders(sh: _Sheet, rng: random.Random, n_lines: int, products, custs, whs,
                  error_rate: float, today: dt.date) -> dict[str, int]:
    """Orders in date order over the year before `today`; returns units demanded per SKU
    by the lines that can be served (so stock can be sized against it)."""
    orderable = [p for p in products if p["active"] == "Yes"]
    sku_cum = list(itertools.accumulate(p["weight_pop"] for p in orderable))
    cust_cum = list(itertools.accumulate(c["weight_pop"] for c in custs))
    services = {c[0]: [sv for _, sv, _, _ in (DOMESTIC if c[0] in ("US", "CA") else INTERNATIONAL)]
                for c in COUNTRIES}
    money, date_f = sh.fmt["money"], sh.fmt["date"]
    formats = (None, None, date_f, None, None, None, money, date_f)
    demand: dict[str, int] = {}
    n_orders_est = max(1, round(n_lines / 2.5))
    written, order_no = 0, 0
    while written < n_lines:
        order_no += 1
        # Spread the orders evenly over 365 days, oldest first, as a book grows.
        day = today - dt.timedelta(days=max(1, 365 - (order_no * 365) // n_orders_est))
        cust = rng.choices(custs, cum_weights=cust_cum)[0]
        n = min(rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 12, 8))[0], n_lines - written,
                len(orderable))
        picked: list[dict[str, Any]] = []
        while len(picked) < n:  # distinct SKUs within an order
            p = rng.choices(orderable, cum_weights=sku_cum)[0]
            if p not in picked:
                picked.append(p)
        priority = rng.choices(("Normal", "High", "Low"), (80, 12, 8))[0]
        requested = day + dt.timedelta(days=rng.randint(4, 21)) if rng.random() < 0.4 else None
        ship_method = rng.choice(services[cust["country"]]) if rng.random() < 0.1 else None
        numbered = rng.random() >= 0.02  # a few new orders have Line left blank
        order_id = f"SO-{order_no:07d}"
        for ln, p in enumerate(picked, start=1):
            qty: Any = rng.choices((1, 2, 3, 4, 5, 6, 8, 10, 12, 24),
                                   (22, 20, 14, 10, 8, 7, 6, 6, 4, 3))[0]
            sku: Any = p["sku"]
            order_date: Any = day
            req: Any = requested
            unit_price = p["list_price"] if rng.random() < 0.03 else None
            wh = rng.choice(whs) if rng.random() < 0.02 else None
            if rng.random() < error_rate:
                kind = rng.choice(ERROR_KINDS)
                if kind == "unknown_sku":
                    sku = f"ZZ-{rng.randint(1, 99999):05d}"
                elif kind == "bad_quantity":
                    qty = rng.choice(("two", 0, -3, 2.5, "1O"))
                elif rng.random() < 0.5:
                    order_date = rng.choice(("31/02/2026", "next week", "2026-13-45"))
                else:
                    req = rng.choice(("soon", "2026-02-30"))
            else:
                demand[sku] = demand.get(sku, 0) + qty
            note = rng.choice(NOTES) if ln == 1 and rng.random() < 0.1 else None
            sh.row((order_id, ln if numbered else None, order_date, cust["customer_id"], sku,
                    qty, unit_price, req, priority, wh, ship_method, note), formats)
            written += 1
    return demand


def _write_products(sh: _Sheet, products) -> None:
    fmts = (None, None, sh.fmt["money"])
    for p in products:
        sh.row((p["sku"], p["description"], p["list_price"], p["weight"], p["tax_class"],
                p["active"]), fmts)


def _write_inventory(sh: _Sheet, rng: random.Random, products, whs, demand) -> None:
    """About 15 % of SKUs are short (stock for 30-70 % of demand; never one of the 20
    best sellers, whose luck would swing the whole book), the rest are covered with 5-50 %
    to spare: about 90 % of the serviceable lines can be reserved."""
    for i, p in enumerate(products):
        need = demand.get(p["sku"], 0)
        short = rng.random() < 0.15
        if short and p["rank"] >= 20:
            total = int(need * rng.uniform(0.3, 0.7))
        else:
            total = math.ceil(need * rng.uniform(1.05, 1.5)) + rng.randint(0, 20)
        # The first warehouse holds most of the stock; the others share the rest.
        shares = [3.0] + [rng.uniform(0.5, 1.5) for _ in whs[1:]]
        left = total
        for k, wh in enumerate(whs):
            qty = left if k == len(whs) - 1 else int(total * shares[k] / sum(shares))
            left -= qty
            sh.row((p["sku"], wh, qty, f"{'ABCDEFGH'[i % 8]}-{i // 8 % 100 + 1:02d}-{k + 1:02d}",
                    max(5, qty // 5), max(10, qty // 2), rng.choice((7, 10, 14, 21))))


def _write_customers(sh: _Sheet, custs) -> None:
    fmts = (None,) * 5 + (sh.fmt["money"], None, sh.fmt["pct"])
    for c in custs:
        sh.row((c["customer_id"], c["name"], c["email"], c["country"], c["currency"],
                c["credit_limit"], c["payment_terms_days"], c["discount"], c["tax_exempt"],
                c["on_hold"], c["ship_to"], c["bill_to"]), fmts)


def _write_price_rules(sh: _Sheet, rng: random.Random, products, custs, today) -> None:
    """About three rules per ten SKUs (quantity breaks, customer contract prices, some in
    the customer's currency, promotions with a validity window, some expired) plus a few
    customer-wide discounts."""
    m, pct, d = sh.fmt["money"], sh.fmt["pct"], sh.fmt["date"]
    fmts = (None, None, None, m, pct, None, d, d)
    for p in products:
        r = rng.random()
        if r < 0.12:  # quantity break
            sh.row((p["sku"], None, rng.choice((10, 12, 24)), round(p["list_price"] * 0.9, 2),
                    None, None, None, None), fmts)
        elif r < 0.22:  # contract price for one customer, in their currency
            c = rng.choice(custs)
            cur = c["currency"]
            price = p["list_price"] * 0.85 * float(FX.get(cur, "1"))
            sh.row((p["sku"], c["customer_id"], 1, round(price, 0 if cur == "JPY" else 2),
                    None, cur, None, None), fmts)
        elif r < 0.30:  # promotion with a window (a third of them already over)
            start = today - dt.timedelta(days=rng.randint(30, 300))
            end = start + dt.timedelta(days=rng.randint(14, 120))
            sh.row((p["sku"], None, 1, None, rng.choice((0.1, 0.15, 0.2)), None, start, end),
                   fmts)
    for c in custs[:: max(1, len(custs) // 10)]:
        sh.row((None, c["customer_id"], 50, None, 0.05, None, None, None), fmts)


def _write_masters(sheets: dict[str, _Sheet]) -> None:
    tax = sheets[s.TAX_RATES.name]
    for country, _, _, (std, red, ship) in COUNTRIES:
        for cls, rate in (("standard", std), ("reduced", red), ("zero", "0"), ("shipping", ship)):
            if rate is not None:
                tax.row((country, cls, float(rate)), (None, None, tax.fmt["pct"]))
    fx = sheets[s.FX_RATES.name]
    for cur, rate in FX.items():
        fx.row((cur, float(rate)))
    ship = sheets[s.SHIPPING_RATES.name]
    fmts = (None, None, None, None, ship.fmt["money"])
    for country, *_ in COUNTRIES:
        for carrier, service, days, costs in (DOMESTIC if country in ("US", "CA") else INTERNATIONAL):
            for band, cost in zip(BANDS, costs):
                ship.row((carrier, service, country, band, cost, days), fmts)
    ship.row(("DHL", "Express Worldwide", "*", None, 240.0, 6), fmts)  # anything, anywhere


def _write_settings(sh: _Sheet) -> None:
    for key, value in (("Company Name", "Benchmark Outdoor Supply"),
                       ("Company Address", "1 Benchmark Way, Portland, OR 97209"),
                       ("Base Currency", "USD"), ("Invoice Prefix", "INV-"),
                       ("Next Invoice Number", 1), ("Credit Note Prefix", "CN-"),
                       ("Allocation Policy", "fifo"), ("Allow Partial", "Yes"),
                       ("Rounding Mode", "half-up"), ("Tax Rounding", "line"),
                       ("Charge Shipping", "Yes"), ("Return Window Days", 30),
                       ("Restocking Fee %", 0), ("User", "benchmark")):
        sh.row((key, value))


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generate",
                                 description="Write a realistic order book for benchmarks.")
    ap.add_argument("out", type=Path, help="the .xlsx file to write")
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--skus", type=int, default=2_000)
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--warehouses", type=int, default=3)
    ap.add_argument("--error-rate", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    ap.add_argument("--tables", action="store_true", help="make every sheet an Excel Table")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = generate_book(a.out, a.lines, a.skus, a.customers, a.warehouses, a.error_rate,
                         a.seed, a.today, a.tables)
    took = time.perf_counter() - t0
    size = a.out.stat().st_size / 1e6
    print(f"{a.out}: {size:.1f} MB in {took:.1f} s; " +
          ", ".join(f"{k} {v}" for k, v in rows.items()))


if __name__ == "__main__":
    main()
