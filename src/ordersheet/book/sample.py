"""Sample data for a believable small business: Northwind Outdoor Supply.

`sample_data(today)` gives the rows of every input sheet (in the header order of the
`schema` specs) for `ordersheet new --sample` and `ordersheet demo`: about 60 orders over
the 30 days before `today`, 25 SKUs in two warehouses, 12 customers in the US, Germany,
the UK and Japan. A few rows are wrong on purpose so that every check shows once
(`DELIBERATE` lists them; `DELIBERATE_LATER` those of the demo's later steps). Payments,
Returns and the demo's bank statement (`statement_csv`) name the invoices and orders that
`run --dispatch` makes of this sample. Output depends only on `today`: one seeded
`random.Random`.

Money is `Decimal`, dates are `datetime.date`, Yes/No columns hold "Yes"/"No".
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from ..domain.updates import default_template_rows
from . import schema as s

SEED = 20240601
D = Decimal

COMPANY_NAME = "Northwind Outdoor Supply"
COMPANY_ADDRESS = "210 Harbor Way, Portland, OR 97209, United States"
COMPANY_TAX_ID = "EIN 93-1234567"
COMPANY_EMAIL = "billing@northwind-outdoor.example"
BANK_DETAILS = ("First Harbor Bank, Portland OR\nACH routing 123000848, account 0012345678\n"
                "SWIFT FHBKUS44")

# sku, description, list price (USD), weight kg, tax class, active
PRODUCTS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("TENT-2P", "Trailhead 2-Person Tent", "249.00", "2.40", "standard", True),
    ("TENT-4P", "Basecamp 4-Person Tent", "389.00", "4.10", "standard", True),
    ("BAG-20F", "Ridge 20F Down Sleeping Bag", "159.00", "1.30", "standard", True),
    ("BAG-0F", "Polar 0F Sleeping Bag", "219.00", "1.80", "standard", True),
    ("PAD-INF", "Insulated Inflatable Sleeping Pad", "89.00", "0.60", "standard", True),
    ("PACK-45", "Switchback 45L Backpack", "179.00", "1.50", "standard", True),
    ("PACK-65", "Expedition 65L Backpack", "229.00", "2.00", "standard", True),
    ("STOVE-CMP", "Compact Canister Stove", "69.00", "0.40", "standard", True),
    ("FUEL-230", "Isobutane Fuel Canister 230 g", "7.50", "0.40", "standard", True),
    ("LAMP-HL", "Rechargeable Headlamp 400 lm", "39.00", "0.10", "standard", True),
    ("LANT-LED", "LED Camp Lantern", "49.00", "0.40", "standard", True),
    ("FILTER-SQ", "Squeeze Water Filter", "44.00", "0.20", "standard", True),
    ("BOTTLE-1L", "Insulated Bottle 1 L", "24.00", "0.35", "standard", True),
    ("JACKET-RN", "Stormline Rain Jacket", "149.00", "0.40", "standard", True),
    ("GLOVE-WL", "Merino Liner Gloves", "29.00", "0.10", "standard", True),
    ("SOCK-MW", "Merino Hiking Socks (2 pairs)", "19.00", "0.15", "standard", True),
    ("MAP-TRAIL", "Cascade Trail Map Set", "12.00", "0.10", "reduced", True),
    ("GUIDE-BK", "Backcountry Field Guide", "24.00", "0.50", "reduced", True),
    ("FOOD-MEAL", "Freeze-Dried Meal, Chili", "11.00", "0.15", "reduced", True),
    ("AID-KIT", "Trail First Aid Kit", "34.00", "0.30", "standard", True),
    ("TOOL-MT", "Multitool 14-in-1", "59.00", "0.25", "standard", True),
    ("CHAIR-CMP", "Folding Camp Chair", "79.00", "1.10", "standard", True),
    ("POLE-TRK", "Carbon Trekking Poles (pair)", "99.00", "0.50", "standard", True),
    ("COOK-SET", "Titanium Cook Set", "54.00", "0.30", "standard", True),
    ("LAMP-OLD", "Classic Headlamp (discontinued)", "29.00", "0.15", "standard", False),
)

# SKUs stocked so thin that the sample's demand cannot be met: they show backorders.
SCARCE = {"TENT-4P": (3, 2), "FILTER-SQ": (3, 2), "PACK-65": (2, 0)}

# customer id, name, email, country, currency, credit limit, terms, discount, tax exempt,
# on hold, ship to, bill to[, tax id]
CUSTOMERS: tuple[tuple[Any, ...], ...] = (
    ("C-1001", "Cascade Trail Outfitters", "orders@cascadetrail.example", "US", "USD",
     D("25000.00"), 30, None, "No", "No",
     "88 Mill St, Bend, OR 97701", "Accounts Payable, 88 Mill St, Bend, OR 97701"),
    ("C-1002", "Ridgeline Sports Co.", "buying@ridgeline.example", "US", "USD",
     D("1500.00"), 30, None, "No", "No",
     "1200 Canyon Rd, Boulder, CO 80302", "1200 Canyon Rd, Boulder, CO 80302"),
    ("C-1003", "Blue Mesa Adventures", "hello@bluemesa.example", "US", "USD",
     D("5000.00"), 15, None, "No", "Yes",
     "45 Juniper Ave, Moab, UT 84532", "45 Juniper Ave, Moab, UT 84532"),
    ("C-1004", "Summit Scouts Troop 42", None, "US", "USD",  # orders by phone: no Email
     None, 30, None, "Yes", "No",
     "9 Lakeview Dr, Duluth, MN 55802", "Troop Treasurer, 9 Lakeview Dr, Duluth, MN 55802"),
    ("C-1005", "Pine & Paddle", "shop@pinepaddle.example", "US", "USD",
     D("10000.00"), 30, D("0.05"), "No", "No",
     "310 River Rd, Asheville, NC 28801", "310 River Rd, Asheville, NC 28801"),
    ("C-2001", "Bergsport Müller GmbH", "einkauf@bergsport-mueller.example", "DE", "EUR",
     D("20000.00"), 30, None, "No", "No",
     "Leopoldstraße 12, 80802 München", "Buchhaltung, Leopoldstraße 12, 80802 München",
     "DE811234567"),
    ("C-2002", "Alpenglück Outdoor", "info@alpenglueck.example", "DE", "EUR",
     D("8000.00"), 14, None, "No", "No",
     "Marktplatz 3, 87435 Kempten", "Marktplatz 3, 87435 Kempten",
     "DE812345678"),
    ("C-2003", "Wanderhaus Köln", "team@wanderhaus.example", "DE", "EUR",
     None, 30, D("0.03"), "No", "No",
     "Ehrenstraße 40, 50672 Köln", "Ehrenstraße 40, 50672 Köln",
     "DE813456789"),
    ("C-3001", "Highland Rambler Ltd", "accounts@highlandrambler.example", "GB", "USD",
     D("12000.00"), 30, None, "No", "No",
     "14 Castle Wynd, Inverness IV2 3EB", "14 Castle Wynd, Inverness IV2 3EB",
     "GB123456789"),
    ("C-3002", "Peak District Provisions", "orders@peakprovisions.example", "GB", "USD",
     None, 45, None, "No", "No",
     "2 Market St, Bakewell DE45 1HG", "2 Market St, Bakewell DE45 1HG",
     "GB987654321"),
    ("C-4001", "Yamanoha Outdoor K.K.", "hanbai@yamanoha.example", "JP", "JPY",
     D("3000000"), 30, None, "No", "No",
     "2-5-1 Kanda, Chiyoda-ku, Tokyo 101-0047", "2-5-1 Kanda, Chiyoda-ku, Tokyo 101-0047",
     "T1234567890123"),
    ("C-4002", "Hokkaido Trail Supply", "info@hokkaidotrail.example", "JP", "JPY",
     None, 30, None, "No", "No",
     "Kita 3 Nishi 4, Chuo-ku, Sapporo 060-0003", "Kita 3 Nishi 4, Chuo-ku, Sapporo 060-0003"),
)
ON_HOLD_CUSTOMER = "C-1003"
CREDIT_CUSTOMER = "C-1002"
"""Ridgeline's orders add up past its Credit Limit: the later ones go to Credit Hold."""
UNKNOWN_CUSTOMER = "C-9999"
UNKNOWN_SKU = "TENT-3P"
INACTIVE_SKU = "LAMP-OLD"

TAX_RATES: tuple[tuple[str, str, str], ...] = (
    ("US", "standard", "0.0725"), ("US", "reduced", "0"), ("US", "zero", "0"),
    ("US", "shipping", "0"),
    ("DE", "standard", "0.19"), ("DE", "reduced", "0.07"), ("DE", "zero", "0"),
    ("DE", "shipping", "0.19"),
    ("GB", "standard", "0.20"), ("GB", "reduced", "0"), ("GB", "zero", "0"),
    ("GB", "shipping", "0.20"),
    ("JP", "standard", "0.10"), ("JP", "reduced", "0.08"), ("JP", "zero", "0"),
    ("JP", "shipping", "0.10"),
)
FX_RATES = (("EUR", "0.9200"), ("JPY", "151.50"), ("GBP", "0.7900"))

# carrier, service, country, max weight, cost (USD), transit days
SHIPPING_RATES: tuple[tuple[Any, ...], ...] = (
    ("UPS", "Ground", "US", "10", "12.50", 5),
    ("UPS", "Ground", "US", "30", "24.00", 5),
    ("UPS", "2nd Day Air", "US", "10", "29.00", 2),
    ("UPS", "2nd Day Air", "US", "30", "55.00", 2),
    ("DHL", "Express Worldwide", "DE", "10", "38.00", 3),
    ("DHL", "Express Worldwide", "DE", "30", "72.00", 3),
    ("DHL", "Economy Select", "DE", "30", "29.00", 7),
    ("DHL", "Express Worldwide", "GB", "10", "36.00", 3),
    ("DHL", "Express Worldwide", "GB", "30", "68.00", 3),
    ("DHL", "Economy Select", "GB", "30", "27.00", 6),
    ("DHL", "Express Worldwide", "JP", "10", "52.00", 4),
    ("DHL", "Express Worldwide", "JP", "30", "98.00", 4),
    ("DHL", "Express Worldwide", "*", None, "140.00", 5),
)

_NOTES = ("Deliver to loading dock B", "Call before delivery", "Gift wrap, please",
          "Customer PO 4471", "Mixed pallet OK", "Restock for spring event")

DELIBERATE = {
    "unknown_sku": "an order line for TENT-3P, which is not on Products",
    "inactive_sku": "an order line for LAMP-OLD, marked Active = No",
    "bad_quantity": "Quantity typed as the word 'two'",
    "requested_before_order": "a Requested Date two days before the Order Date",
    "unknown_customer": "an order for C-9999, not on Customers",
    "price_mismatch": "Pine & Paddle's typed list price ignores its 5 % discount",
    "customer_on_hold": "Blue Mesa Adventures is On Hold",
    "credit_limit_exceeded": "Ridgeline Sports' orders exceed its 1,500.00 credit limit",
    "backordered": "TENT-4P, FILTER-SQ and PACK-65 are ordered beyond stock",
}
"""issue code -> where the sample provokes it."""

# The later steps of `ordersheet demo` (returns, reconcile, notify), each dated `today`, after
# `run --dispatch` has invoiced every shipment of the sample as INV-00001..INV-00051 (the
# numbers follow from the fixed sample; tests/test_demo.py checks them).
PAYMENTS: tuple[dict[str, Any], ...] = (
    {"payment_id": "PAY-0001", "amount": D("618.50"), "currency": "USD",
     "reference": "Wire transfer INV-00002"},  # rule `reference`: Summit Scouts, paid
    {"payment_id": "PAY-0002", "amount": D("2379.60"), "currency": "USD",
     "reference": "BACS 2211", "payer": "PEAK DISTRICT PROVISIONS"},
    # ... rule `exact amount`: the payer names the customer, whose newer invoice INV-00046
    # is of this amount (oldest first would have paid INV-00018)
    {"payment_id": "PAY-0003", "customer_id": "C-4001", "amount": D("52000"),
     "currency": "JPY", "reference": "Furikomi Yamanoha"},  # `oldest first`, partly paid
    {"payment_id": "PAY-0004", "customer_id": "C-3001", "amount": D("1200.00"),
     "currency": "USD", "reference": "Highland Rambler remittance"},
    # ... pays its three invoices (1,106.40) and leaves 93.60 unapplied credit
    {"payment_id": "PAY-0005", "amount": D("95.00"), "currency": "USD",
     "reference": "TRANSFER 7781 OUTDOOR CLUB"},  # names no one: unmatched, for review
)
RETURNS: tuple[dict[str, Any], ...] = (
    {"order_id": "SO-10018", "line": 2, "quantity": 2, "reason": "Ordered too many",
     "condition": "Resellable"},  # CHAIR-CMP back on the shelf, credit note on INV-00016
    {"order_id": "SO-10056", "line": 1, "quantity": 1, "reason": "Strap torn on arrival",
     "condition": "Damaged"},  # PACK-45: credited (EUR, 19 % VAT), not back in stock
    {"order_id": "SO-10053", "line": 3, "quantity": 1, "reason": "Does not light",
     "condition": "Damaged", "exchange_sku": "LANT-LED"},  # a new lantern: a new order line
    {"order_id": "SO-10037", "sku": "TENT-2P", "quantity": 3, "reason": "Wrong count",
     "condition": "Resellable"},  # 2 were shipped: rejected
)
STATEMENT = (("Date", "Description", "Payer", "Amount"),
             ("Troop dues INV-00027", "SUMMIT SCOUTS TROOP 42", "347.00"),
             ("Card processing fee", "", "-18.40"))
"""The bank statement `ordersheet demo` imports (`reconcile --statement`): a credit that
pays INV-00027 by its reference, and a fee going out, which is not imported."""
DELIBERATE_LATER = {
    "returns": {"return_exceeds_shipped": "3 TENT-2P returned on SO-10037, which shipped 2"},
    "reconcile": {"payment_unmatched": "PAY-0005 names no invoice or customer"},
    "notify": {"missing_email": "Summit Scouts Troop 42 has no Email on Customers"},
}
"""step of `ordersheet demo` -> issue code -> where the sample provokes it."""


def statement_csv(today: dt.date) -> str:
    """`STATEMENT` as the bank's CSV export, every line dated `today`."""
    head, *lines = STATEMENT
    rows = [",".join(head)] + [",".join((today.isoformat(), *line)) for line in lines]
    return "\n".join(rows) + "\n"


def _rows(spec: s.SheetSpec, records: list[dict[str, Any]]) -> list[list[Any]]:
    """Field dicts -> rows in the spec's header order (missing fields blank)."""
    fields = [c.field for c in spec.cols]
    for r in records:
        unknown = set(r) - set(fields)
        if unknown:  # a programmer mistake in this module, not bad input
            raise KeyError(f"{spec.name}: no column for {sorted(unknown)}")
    return [[r.get(f) for f in fields] for r in records]


def _inventory(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i, (sku, *_rest) in enumerate(PRODUCTS):
        active = _rest[-1]
        main, east = SCARCE.get(sku, (rng.randint(30, 90), rng.randint(10, 40)))
        if sku == "FUEL-230" or sku == "FOOD-MEAL":
            main, east = main * 3, east * 3  # consumables are bought by the case
        if not active:
            main, east = 7, 0
        aisle = "ABCD"[i % 4]
        rows.append({"sku": sku, "warehouse": "MAIN", "on_hand": main,
                     "bin": f"{aisle}-{i // 4 + 1:02d}-{i % 5 + 1:02d}",
                     "reorder_point": max(5, main // 4), "reorder_qty": max(10, main // 2),
                     "lead_time_days": rng.choice((7, 10, 14, 21))})
    # EAST carries the faster movers: every third SKU is MAIN-only.
    for i, (sku, *_rest) in enumerate(PRODUCTS):
        if i % 3 == 2 or not _rest[-1]:
            continue
        main, east = SCARCE.get(sku, (0, rng.randint(10, 40)))
        if sku in SCARCE and east == 0:
            continue
        if sku == "FUEL-230" or sku == "FOOD-MEAL":
            east *= 3
        rows.append({"sku": sku, "warehouse": "EAST", "on_hand": east,
                     "bin": f"{'EFG'[i % 3]}-{i // 3 + 1:02d}-{i % 4 + 1:02d}",
                     "reorder_point": max(5, east // 4), "reorder_qty": max(10, east // 2),
                     "lead_time_days": rng.choice((7, 10, 14))})
    return rows


def _quantity(rng: random.Random, sku: str) -> int:
    if sku in ("FUEL-230", "FOOD-MEAL"):
        return rng.choice((6, 12, 12, 24))
    if sku in ("SOCK-MW", "MAP-TRAIL", "BOTTLE-1L", "GLOVE-WL"):
        return rng.choice((2, 4, 6, 10))
    return rng.choice((1, 1, 2, 2, 3, 4, 5))


def _orders(rng: random.Random, today: dt.date) -> list[dict[str, Any]]:
    n_orders = 60
    offsets = sorted(rng.randint(1, 30) for _ in range(n_orders))
    dates = [today - dt.timedelta(days=o) for o in reversed(offsets)]  # oldest first
    country = {c[0]: c[3] for c in CUSTOMERS}
    good_customers = [c[0] for c in CUSTOMERS if c[0] not in (ON_HOLD_CUSTOMER, CREDIT_CUSTOMER)]
    weights = [6, 2, 4, 4, 3, 3, 2, 3, 2, 3]
    ordinary = [p[0] for p in PRODUCTS if p[5] and p[0] not in SCARCE]

    # index -> (customer, [(sku, quantity, extra fields)]) for orders with a purpose
    special: dict[int, tuple[str, list[tuple[str, Any, dict[str, Any]]]]] = {
        2: ("C-2001", [("TENT-4P", 5, {}), ("PAD-INF", 4, {})]),
        4: (CREDIT_CUSTOMER, [("PACK-45", 6, {}), ("STOVE-CMP", 4, {})]),
        9: (ON_HOLD_CUSTOMER, [("BAG-20F", 3, {}), ("PAD-INF", 3, {})]),
        12: ("C-1001", [(UNKNOWN_SKU, 2, {}), ("LAMP-HL", 4, {})]),
        15: ("C-2002", [(INACTIVE_SKU, 5, {})]),
        18: (CREDIT_CUSTOMER, [("TENT-2P", 4, {})]),
        21: ("C-3002", [("BOTTLE-1L", "two", {})]),
        23: ("C-1001", [("FILTER-SQ", 6, {}), ("BOTTLE-1L", 6, {})]),
        26: ("C-4002", [("JACKET-RN", 2, {"requested_date": -2})]),
        29: (UNKNOWN_CUSTOMER, [("CHAIR-CMP", 2, {})]),
        30: ("C-1001", [("FUEL-230", 36, {}), ("STOVE-CMP", 6, {})]),
        33: (CREDIT_CUSTOMER, [("JACKET-RN", 5, {})]),
        36: ("C-1005", [("TENT-2P", 2, {"unit_price": D("249.00")}), ("MAP-TRAIL", 4, {})]),
        37: ("C-3001", [("STOVE-CMP", 2, {"unit_price": D("69.00")})]),
        40: (ON_HOLD_CUSTOMER, [("LANT-LED", 2, {})]),
        41: ("C-2003", [("FILTER-SQ", 4, {}), ("SOCK-MW", 6, {})]),
        44: ("C-4001", [("TENT-4P", 4, {}), ("PACK-45", 2, {})]),
        47: ("C-1004", [("PACK-65", 3, {}), ("PACK-45", 4, {}), ("FOOD-MEAL", 24, {})]),
        50: ("C-1005", [("PACK-65", 2, {}), ("TENT-4P", 2, {})]),
        53: ("C-1001", [("LAMP-HL", 12, {"warehouse": "EAST"})]),
    }
    records: list[dict[str, Any]] = []
    for i, day in enumerate(dates):
        order_id = f"SO-{10001 + i}"
        if i in special:
            customer, lines = special[i]
        else:
            customer = rng.choices(good_customers, weights)[0]
            n = rng.choices((1, 2, 3, 4), (20, 35, 25, 20))[0]
            lines = [(sku, _quantity(rng, sku), {}) for sku in rng.sample(ordinary, n)]
        priority = rng.choices(("Normal", "High", "Low"), (75, 15, 10))[0]
        requested = day + dt.timedelta(days=rng.randint(4, 14)) if rng.random() < 0.4 else None
        ship_method = None
        if rng.random() < 0.2:
            ship_method = {"US": "2nd Day Air", "DE": "Economy Select",
                           "GB": "Economy Select", "JP": "Express Worldwide"}.get(country.get(customer, ""))
        note = rng.choice(_NOTES) if rng.random() < 0.12 else None
        numbered = i < n_orders - 4  # the newest orders were just typed: Line left blank
        for ln, (sku, qty, extra) in enumerate(lines, start=1):
            rec = {"order_id": order_id, "line": ln if numbered else None, "order_date": day,
                   "customer_id": customer, "sku": sku, "quantity": qty, "unit_price": None,
                   "requested_date": requested, "priority": priority, "warehouse": None,
                   "ship_method": ship_method, "notes": note if ln == 1 else None}
            extra = dict(extra)
            if "requested_date" in extra:
                extra["requested_date"] = day + dt.timedelta(days=extra["requested_date"])
            rec.update(extra)
            records.append(rec)
    return records


def sample_data(today: dt.date) -> dict[str, list[list[Any]]]:
    """Rows (under the headers, in the specs' header order) of every input sheet and the
    Settings [Key, Value] rows, for a sample book as of `today`."""
    rng = random.Random(SEED)
    products = [{"sku": sku, "description": desc, "list_price": D(price), "weight": D(w),
                 "tax_class": cls, "active": "Yes" if active else "No"}
                for sku, desc, price, w, cls, active in PRODUCTS]
    customers = [dict(zip(("customer_id", "name", "email", "country", "currency",
                           "credit_limit", "payment_terms_days", "discount", "tax_exempt",
                           "on_hold", "ship_to", "bill_to", "tax_id"), c)) for c in CUSTOMERS]
    inventory = _inventory(rng)
    orders = _orders(rng, today)
    price_rules = [
        {"sku": "TENT-2P", "customer_id": "C-1001", "min_qty": 1, "unit_price": D("219.00"),
         "currency": "USD", "valid_from": today - dt.timedelta(days=90),
         "valid_to": today + dt.timedelta(days=275)},
        {"sku": "PACK-45", "customer_id": "C-4001", "min_qty": 1, "unit_price": D("25500"),
         "currency": "JPY"},
        {"sku": "FUEL-230", "min_qty": 24, "unit_price": D("6.25")},
        {"sku": "LAMP-HL", "min_qty": 10, "unit_price": D("33.00")},
        {"customer_id": "C-2001", "discount": D("0.08")},
        {"sku": "BAG-20F", "discount": D("0.15"), "valid_from": today - dt.timedelta(days=120),
         "valid_to": today - dt.timedelta(days=45)},  # last season's promotion, expired
    ]
    tax_rates = [{"country": c, "tax_class": k, "rate": D(r)} for c, k, r in TAX_RATES]
    fx_rates = [{"currency": c, "rate": D(r)} for c, r in FX_RATES]
    shipping = [{"carrier": ca, "service": sv, "country": co,
                 "max_weight": D(mw) if mw else None, "cost": D(cost), "transit_days": td}
                for ca, sv, co, mw, cost, td in SHIPPING_RATES]
    payments = [{**row, "date": today} for row in PAYMENTS]
    returns = [{**row, "date": today} for row in RETURNS]
    settings = s.settings_rows({"company_name": COMPANY_NAME, "company_address": COMPANY_ADDRESS,
                                "company_tax_id": COMPANY_TAX_ID,
                                "company_email": COMPANY_EMAIL, "bank_details": BANK_DETAILS,
                                "base_currency": "USD", "user": "Sam Rivera"})
    return {
        s.ORDERS.name: _rows(s.ORDERS, orders),
        s.PRODUCTS.name: _rows(s.PRODUCTS, products),
        s.INVENTORY.name: _rows(s.INVENTORY, inventory),
        s.CUSTOMERS.name: _rows(s.CUSTOMERS, customers),
        s.PRICE_RULES.name: _rows(s.PRICE_RULES, price_rules),
        s.TAX_RATES.name: _rows(s.TAX_RATES, tax_rates),
        s.FX_RATES.name: _rows(s.FX_RATES, fx_rates),
        s.SHIPPING_RATES.name: _rows(s.SHIPPING_RATES, shipping),
        s.PAYMENTS.name: _rows(s.PAYMENTS, payments),
        s.RETURNS.name: _rows(s.RETURNS, returns),
        s.MESSAGE_TEMPLATES.name: default_template_rows(),
        s.SETTINGS_SHEET: settings,
    }
