"""Pricing (CONTRACT §4 "Pricing"): rule resolution, FX, tax, rounding, price_mismatch.

Each table reads like the Price Rules / Customers / Tax Rates sheets it stands for.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordersheet.domain import models as m
from ordersheet.domain import pricing
from ordersheet.domain.issues import Severity
from ordersheet.domain.rates import Rates

from .factories import DAY, D, book, customer, line, product

RULE_COLS = {"sku": "A", "customer_id": "B", "min_qty": "C", "unit_price": "D",
             "discount": "E", "currency": "F", "valid_from": "G", "valid_to": "H"}
FX_COLS = {"currency": "A", "rate": "B"}
TAX_COLS = {"country": "A", "tax_class": "B", "rate": "C"}
CUST_COLS = {"customer_id": "A", "country": "D", "currency": "E", "discount": "H"}


def rule(row: int, sku: str | None = None, cust: str | None = None, min_qty: int = 1,
         price: str | None = None, disc: str | None = None, ccy: str = "",
         valid_from: dt.date | None = None, valid_to: dt.date | None = None) -> m.PriceRule:
    return m.PriceRule(sku=sku, customer_id=cust, min_qty=min_qty,
                       unit_price=D(price) if price else None,
                       discount=D(disc) if disc else None, currency=ccy,
                       valid_from=valid_from, valid_to=valid_to, row=row, cols=RULE_COLS)


def fx(row: int, ccy: str, rate: str) -> m.FxRate:
    return m.FxRate(currency=ccy, rate=D(rate), row=row, cols=FX_COLS)


def tax(row: int, country: str, cls: str, rate: str) -> m.TaxRate:
    return m.TaxRate(country=country, tax_class=cls, rate=D(rate), row=row, cols=TAX_COLS)


def cust(cid: str = "C1", row: int = 2, **kw) -> m.Customer:
    return customer(cid, row=row, cols=CUST_COLS, **kw)


def price_lines(lines, b):
    """`pricing.price_lines` as the pipeline calls it: with the run's rates, whose issues
    (a duplicate FX or tax row) it reports too."""
    rates = Rates(b)
    prices, issues = pricing.price_lines(lines, b, rates)
    return prices, rates.issues + issues


def price_one(qty: int = 1, *, rules=(), customers=None, products=None, date=DAY,
              unit_price=None, **kw):
    """Price a single line O1/1 (Orders row 2) of SKU A for customer C1."""
    b = book(products=products or (product("A", "12"),), customers=customers or (cust(),),
             price_rules=tuple(rules), **kw)
    ln = line("O1", 1, "A", qty, date=date, row=2, unit_price=unit_price)
    prices, issues = price_lines([ln], b)
    return prices.get(("O1", 1)), issues


def unit(qty: int = 1, **kw) -> Decimal:
    p, issues = price_one(qty, **kw)
    assert p is not None, issues
    return p.unit_price


# ---- rule resolution ----------------------------------------------------------------

# One rule per specificity level (List Price 12): which wins when some are present.
LEVELS = {
    "cust+sku": rule(5, sku="A", cust="C1", price="11"),
    "sku": rule(6, sku="A", price="9"),          # cheaper than cust+sku: specificity wins
    "cust": rule(7, cust="C1", disc="0.5"),      # 6.00
    "any": rule(8, disc="0.75"),                 # 3.00
}


@pytest.mark.parametrize("present, expected", [
    ("cust+sku sku cust any", "11"),
    ("sku cust any", "9"),
    ("cust any", "6"),
    ("any", "3"),
    ("cust+sku any", "11"),
    ("", "12"),
])
def test_most_specific_rule_wins(present, expected):
    rules = [LEVELS[k] for k in present.split()]
    assert unit(rules=rules) == D(expected)


def test_rules_for_other_customers_or_skus_never_apply():
    rules = [rule(5, sku="B", price="1"), rule(6, cust="C2", price="1"),
             rule(7, sku="A", cust="C2", price="1")]
    assert unit(rules=rules) == D(12)


# Min Qty ladder on the SKU level: 1 -> 9, 10 -> 8, 50 -> 7.
LADDER = [rule(5, sku="A", price="9"), rule(6, sku="A", min_qty=10, price="8"),
          rule(7, sku="A", min_qty=50, price="7")]


@pytest.mark.parametrize("qty, expected", [(1, "9"), (9, "9"), (10, "8"), (49, "8"),
                                           (50, "7"), (500, "7")])
def test_highest_min_qty_met_wins(qty, expected):
    assert unit(qty, rules=LADDER) == D(expected)


def test_highest_min_qty_beats_a_lower_price_at_the_same_level():
    # Among equals the highest Min Qty first, the price only after that.
    rules = [rule(5, sku="A", price="6"), rule(6, sku="A", min_qty=10, price="8")]
    assert unit(10, rules=rules) == D(8)


def test_unmet_min_qty_on_a_specific_rule_falls_back_to_the_next_level():
    rules = LADDER + [rule(8, sku="A", cust="C1", min_qty=100, price="6.5")]
    assert unit(50, rules=rules) == D(7)
    assert unit(100, rules=rules) == D("6.5")


def test_lowest_price_among_equals_whatever_the_row_order():
    rules = [rule(5, sku="A", min_qty=10, price="8"), rule(6, sku="A", min_qty=10, price="7.5"),
             rule(7, sku="A", min_qty=10, disc="0.4")]  # 7.20
    assert unit(10, rules=rules) == D("7.2")
    assert unit(10, rules=rules[::-1]) == D("7.2")


WINDOW = [rule(5, sku="A", price="10", valid_from=dt.date(2026, 11, 1),
               valid_to=dt.date(2026, 11, 30)),
          rule(6, sku="A", price="11", valid_from=dt.date(2026, 12, 15)),   # open end
          rule(7, sku="A", price="11.5", valid_to=dt.date(2026, 10, 15))]   # open start


@pytest.mark.parametrize("day, expected", [
    (dt.date(2026, 10, 15), "11.5"), (dt.date(2026, 10, 16), "12"),
    (dt.date(2026, 11, 1), "10"), (dt.date(2026, 11, 30), "10"),
    (dt.date(2026, 12, 1), "12"), (dt.date(2026, 12, 15), "11"), (dt.date(2030, 1, 1), "11"),
])
def test_validity_window_is_inclusive_and_blank_is_open(day, expected):
    assert unit(rules=WINDOW, date=day) == D(expected)


@pytest.mark.parametrize("rules, expected", [
    ([rule(5, sku="A", disc="0.1")], "10.8"),                 # 10 % off list 12
    ([rule(5, sku="A", price="11")], "11"),                   # absolute
    ([rule(5, sku="A", price="11"), rule(6, sku="A", disc="0.1")], "10.8"),  # lower wins
    ([rule(5, sku="A", price="10"), rule(6, sku="A", disc="0.1")], "10"),
])
def test_discount_and_absolute_rules(rules, expected):
    assert unit(rules=rules) == D(expected)


@pytest.mark.parametrize("rules, qty, expected", [
    ([], 1, "11.4"),                                          # 5 % customer discount
    ([rule(5, sku="A", price="11.5")], 1, "11.5"),            # SKU level is more specific
    ([rule(5, cust="C1", disc="0.1")], 1, "10.8"),            # same level, lower price
    ([rule(5, cust="C1", price="11.9", min_qty=10)], 10, "11.9"),  # higher Min Qty
    ([rule(5, disc="0.2")], 1, "11.4"),                       # beats an 'all' rule
])
def test_customer_discount_is_a_customer_level_rule(rules, qty, expected):
    customers = (cust(discount=D("0.05")),)
    assert unit(qty, rules=rules, customers=customers) == D(expected)


def test_zero_customer_discount_is_no_rule():
    customers = (cust(discount=D(0)),)
    assert unit(rules=[rule(5, disc="0.25")], customers=customers) == D(9)


def test_list_price_fallback_and_explanations():
    p, issues = price_one(3)
    assert (p.unit_price, p.net, p.total, p.currency) == (D(12), D("36.00"), D("36.00"), "USD")
    assert p.explain == "List Price 12.00 USD"
    assert issues == []
    p, _ = price_one(10, rules=[rule(7, sku="A", min_qty=10, disc="0.1")])
    assert p.explain == "Price Rules row 7 (min qty 10): 10% off list 12.00 → 10.80 USD"
    p, _ = price_one(customers=(cust(row=4, discount=D("0.05")),))
    assert p.explain == "Customers row 4 discount: 5% off list 12.00 → 11.40 USD"


def test_bad_price_rules_are_reported_and_skipped():
    rules = [rule(5, sku="A"),                                   # neither price nor discount
             rule(6, sku="A", cust="C1", price="11", disc="0.5"),  # both: Unit Price used
             rule(7, sku="A", cust="C1", min_qty=2, price="1",
                  valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 11, 1))]
    p, issues = price_one(2, rules=rules)
    assert p.unit_price == D(11)
    got = sorted((i.code, i.cell, i.severity) for i in issues)
    assert got == [("bad_price_rule", "D5", Severity.WARNING),
                   ("bad_price_rule", "E6", Severity.WARNING),
                   ("bad_price_rule", "H7", Severity.WARNING)]


# ---- FX -----------------------------------------------------------------------------

RATES = (fx(2, "EUR", "1.085"), fx(3, "GBP", "0.8"), fx(4, "JPY", "150"),
         fx(5, "KWD", "0.30725"))


@pytest.mark.parametrize("ccy, rules, expected", [
    ("EUR", [], "13.02"),                                    # 12 × 1.085
    ("EUR", [rule(5, sku="A", price="11", ccy="EUR")], "11"),  # already in EUR
    ("EUR", [rule(5, sku="A", price="10", ccy="GBP")], "13.5625"),  # 10 / 0.8 × 1.085
    ("USD", [rule(5, sku="A", price="10", ccy="GBP")], "12.5"),     # 10 / 0.8
    ("", [rule(5, sku="A", price="9", ccy="")], "9"),        # blank = base
    ("EUR", [rule(5, sku="A", disc="0.1", ccy="GBP")], "11.718"),  # discount: base list
])
def test_fx_conversion_to_the_customer_currency(ccy, rules, expected):
    p, issues = price_one(rules=rules, customers=(cust(currency=ccy),), fx_rates=RATES)
    assert issues == []
    assert p.unit_price == D(expected)
    assert p.currency == (ccy or "USD")


def test_fx_explanation_names_the_rate_row():
    p, _ = price_one(rules=[rule(7, sku="A", disc="0.1")], customers=(cust(currency="EUR"),),
                     fx_rates=RATES)
    assert p.explain == ("Price Rules row 7: 10% off list 12.00 → 10.80 USD; "
                         "× 1.085 EUR/USD (FX Rates row 2) → 11.718 EUR")


def test_lowest_price_compares_across_currencies():
    rules = [rule(5, sku="A", price="10", ccy="GBP"),   # 12.50 USD
             rule(6, sku="A", price="12.4")]             # cheaper
    assert unit(rules=rules, fx_rates=RATES) == D("12.4")


def test_missing_customer_rate_is_an_error_on_the_orders_customer_cell():
    p, issues = price_one(customers=(cust(currency="CHF"),), fx_rates=RATES)
    assert p is None
    [i] = issues
    assert (i.code, i.severity, i.sheet, i.cell, i.order_id) == (
        "missing_fx_rate", Severity.ERROR, "Orders", "D2", "O1")
    assert "CHF" in i.message


def test_missing_rule_rate_is_an_error_on_the_price_rules_currency_cell():
    p, issues = price_one(rules=[rule(9, sku="A", price="10", ccy="CHF")], fx_rates=RATES)
    assert p is None
    [i] = issues
    assert (i.code, i.sheet, i.cell, i.order_id) == ("missing_fx_rate", "Price Rules", "F9",
                                                     "O1")


def test_zero_rate_counts_as_missing_and_duplicates_keep_the_first_row():
    p, issues = price_one(customers=(cust(currency="EUR"),), fx_rates=(fx(2, "EUR", "0"),))
    assert p is None and [i.code for i in issues] == ["missing_fx_rate"]
    p, issues = price_one(customers=(cust(currency="EUR"),),
                          fx_rates=(fx(6, "EUR", "2"), fx(3, "EUR", "1.5")))
    assert p.unit_price == D(18)
    assert [(i.code, i.sheet, i.cell) for i in issues] == [("duplicate_key", "FX Rates", "A6")]


# ---- tax ----------------------------------------------------------------------------

TAX = (tax(2, "US", "standard", "0.07"), tax(3, "GB", "standard", "0.2"),
       tax(4, "GB", "reduced", "0.05"), tax(5, "DE", "standard", "0.19"))


@pytest.mark.parametrize("country, cls, exempt, rate, tax_amount", [
    ("US", "standard", False, "0.07", "0.84"),
    ("GB", "standard", False, "0.2", "2.40"),
    ("GB", "reduced", False, "0.05", "0.60"),
    ("DE", "standard", False, "0.19", "2.28"),
    ("GB", "standard", True, "0", "0.00"),
    ("FR", "standard", True, "0", "0.00"),  # exempt needs no rate at all
])
def test_tax_by_country_and_class(country, cls, exempt, rate, tax_amount):
    p, issues = price_one(products=(product("A", "12", tax_class=cls),),
                          customers=(cust(country=country, tax_exempt=exempt),), tax_rates=TAX)
    assert issues == []
    assert (p.tax_rate, p.tax, p.total) == (D(rate), D(tax_amount), D(12) + D(tax_amount))


def test_missing_tax_rate_is_an_error_only_when_the_sheet_exists():
    kw = dict(products=(product("A", "12", tax_class="zero"),), customers=(cust(country="GB"),))
    p, issues = price_one(tax_rates=TAX, **kw)
    assert p is None
    [i] = issues
    assert (i.code, i.severity, i.cell, i.order_id) == ("missing_tax_rate", Severity.ERROR,
                                                        "E2", "O1")
    p, issues = price_one(present={"Tax Rates"}, **kw)   # sheet present but empty
    assert p is None and [i.code for i in issues] == ["missing_tax_rate"]
    p, issues = price_one(**kw)                          # no Tax Rates sheet: no tax
    assert issues == [] and p.tax == D(0) and p.total == D(12)


def test_the_runs_tax_rates_and_conversions():
    r, none = Rates(book(tax_rates=TAX, fx_rates=RATES)), Rates(book())
    assert r.tax_rate(cust(country="GB"), "reduced") == D("0.05")
    assert r.tax_rate(cust(country="GB"), "shipping") is None
    assert r.tax_rate(cust(country="GB", tax_exempt=True), "shipping") == 0
    assert none.tax_rate(cust(country="GB"), "shipping") == 0
    assert r.convert(D(10), "GBP", "EUR") == D("13.5625")
    assert r.convert(D(10), "", "JPY") == D(1500)
    assert none.convert(D(10), "EUR", "EUR") == D(10)
    assert r.convert(D(10), "USD", "CHF") is None


# ---- rounding -----------------------------------------------------------------------

@pytest.mark.parametrize("ccy, qty, mode, net", [
    ("JPY", 1, "half-up", "1499"),       # 9.99 × 150 = 1498.5
    ("JPY", 1, "half-even", "1498"),
    ("JPY", 3, "half-up", "4496"),       # 4495.5
    ("KWD", 1, "half-up", "3.069"),      # 9.99 × 0.30725 = 3.0694275
    ("KWD", 7, "half-up", "21.486"),     # 21.4859925
])
def test_currency_minor_units(ccy, qty, mode, net):
    p, _ = price_one(qty, products=(product("A", "9.99"),), customers=(cust(currency=ccy),),
                     fx_rates=RATES, settings=m.Settings(rounding_mode=mode))
    assert p.net == D(net)
    assert p.net.as_tuple().exponent == -{"JPY": 0, "KWD": 3}[ccy]


@pytest.mark.parametrize("price, qty, mode, net", [
    ("0.125", 1, "half-up", "0.13"),
    ("0.125", 1, "half-even", "0.12"),
    ("0.125", 3, "half-up", "0.38"),     # 0.375 exactly, never 0.37499999…
    ("0.125", 3, "half-even", "0.38"),
    ("0.135", 1, "half-even", "0.14"),
    ("0.1", 3, "half-up", "0.30"),
])
def test_half_up_and_half_even_at_exactly_half(price, qty, mode, net):
    p, _ = price_one(qty, products=(product("A", price),),
                     settings=m.Settings(rounding_mode=mode))
    assert p.unit_price == D(price)
    assert p.net == D(net) and str(p.net) == net


@pytest.mark.parametrize("mode, tax_amount", [("half-up", "0.53"), ("half-even", "0.52")])
def test_tax_rounds_per_line_with_the_rounding_mode(mode, tax_amount):
    p, _ = price_one(products=(product("A", "10.50"),), customers=(cust(country="NL"),),
                     tax_rates=(tax(2, "NL", "standard", "0.05"),),
                     settings=m.Settings(rounding_mode=mode, tax_rounding="invoice"))
    assert p.tax == D(tax_amount) and p.total == D("10.50") + D(tax_amount)


def test_unit_price_keeps_six_decimals():
    p, _ = price_one(1000, products=(product("A", "0.0123456789"),))
    assert p.unit_price == D("0.012346") and p.net == D("12.35")


# ---- price_mismatch -----------------------------------------------------------------

@pytest.mark.parametrize("typed, ccy, warned", [
    ("11", "", True), ("12", "", False), ("12.00", "", False),
    ("13.02", "EUR", False), ("13.0200", "EUR", False), ("13.01", "EUR", True),
])
def test_price_mismatch_warns_and_uses_the_computed_price(typed, ccy, warned):
    p, issues = price_one(2, unit_price=D(typed), customers=(cust(currency=ccy),),
                          fx_rates=RATES)
    assert p.net == p.unit_price * 2
    assert [(i.code, i.severity, i.cell, i.order_id) for i in issues] == (
        [("price_mismatch", Severity.WARNING, "G2", "O1")] if warned else [])


def test_typed_price_equal_at_the_currency_minor_unit_is_no_mismatch():
    p, issues = price_one(unit_price=D("11.72"), rules=[rule(5, sku="A", disc="0.1")],
                          customers=(cust(currency="EUR"),), fx_rates=RATES)
    assert p.unit_price == D("11.718") and issues == []


# ---- the single-line helper (Excel custom function) ---------------------------------

def test_unit_price_for():
    b = book(products=(product("A", "12"), product("X", "5", active=False)),
             customers=(cust(currency="EUR"),), fx_rates=RATES,
             price_rules=(rule(7, sku="A", min_qty=10, disc="0.1"),))
    p = pricing.Pricer(b, Rates(b))
    assert pricing.unit_price_for("A", 10, "C1", p, DAY)[:2] == (D("11.718"), "EUR")
    assert pricing.unit_price_for("A", 10.0, "", p, DAY)[:2] == (D("10.8"), "USD")
    assert pricing.unit_price_for("A", 1, None, p, DAY) == (D(12), "USD",
                                                             "List Price 12.00 USD")
    for args in (("Z", 1, "C1"), ("X", 1, "C1"), ("A", 0, "C1"), ("A", 1.5, "C1"),
                 ("A", 1, "NOPE")):
        price, _, text = pricing.unit_price_for(*args, p, DAY)
        assert price is None and text
    b2 = b.model_copy(update={"fx_rates": ()})
    assert pricing.unit_price_for("A", 1, "C1", pricing.Pricer(b2, Rates(b2)), DAY) == (
        None, "EUR", "no FX rate for EUR on the FX Rates sheet")


# ---- invariants ---------------------------------------------------------------------

SKUS = ("A", "B", "C")
CUSTS = ("C1", "C2", "C3")
CCYS = ("", "USD", "EUR", "JPY", "KWD")
money_st = st.decimals(min_value=D("0.001"), max_value=D(5000), places=3)


@st.composite
def books(draw):
    products = tuple(product(s, str(draw(money_st)), row=i + 2,
                             tax_class=draw(st.sampled_from(("standard", "reduced"))))
                     for i, s in enumerate(SKUS))
    customers = tuple(cust(c, row=i + 2, currency=draw(st.sampled_from(CCYS)),
                           country=draw(st.sampled_from(("US", "GB"))),
                           tax_exempt=draw(st.booleans()),
                           discount=draw(st.sampled_from((None, D("0.05"), D("0.125")))))
                      for i, c in enumerate(CUSTS))
    rules = []
    for i in range(draw(st.integers(0, 12))):
        absolute = draw(st.booleans())
        start = draw(st.sampled_from((None, DAY - dt.timedelta(days=5), DAY)))
        rules.append(rule(
            i + 2, sku=draw(st.sampled_from((None,) + SKUS)),
            cust=draw(st.sampled_from((None,) + CUSTS)),
            min_qty=draw(st.sampled_from((1, 5, 10))),
            price=str(draw(money_st)) if absolute else None,
            disc=None if absolute else str(draw(st.sampled_from(("0.1", "0.25", "0.333")))),
            ccy=draw(st.sampled_from(CCYS)) if absolute else "",
            valid_from=start, valid_to=draw(st.sampled_from((None, DAY + dt.timedelta(3))))))
    taxes = (tax(2, "US", "standard", "0.0725"), tax(3, "GB", "standard", "0.2"),
             tax(4, "GB", "reduced", "0.05"), tax(5, "US", "reduced", "0.01"))
    rates = (fx(2, "EUR", "1.0851"), fx(3, "JPY", "151.37"), fx(4, "KWD", "0.30725"))
    lines = [line(f"O{i}", 1, draw(st.sampled_from(SKUS)), draw(st.integers(1, 60)),
                  customer=draw(st.sampled_from(CUSTS)), row=i + 2,
                  date=DAY + dt.timedelta(days=draw(st.integers(-7, 7))))
             for i in range(draw(st.integers(1, 15)))]
    mode = draw(st.sampled_from(("half-up", "half-even")))
    b = book(products=products, customers=customers, price_rules=tuple(rules),
             tax_rates=taxes, fx_rates=rates, settings=m.Settings(rounding_mode=mode))
    return b, lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_total_is_net_plus_tax_and_every_amount_is_decimal(case):
    b, lines = case
    prices, issues = price_lines(lines, b)
    assert not [i for i in issues if i.is_error]
    assert set(prices) == {ln.key for ln in lines}
    for ln in lines:
        p = prices[ln.key]
        for amount in (p.unit_price, p.net, p.tax_rate, p.tax, p.total):
            assert type(amount) is Decimal
        assert p.total == p.net + p.tax
        places = -p.net.as_tuple().exponent
        assert places == {"JPY": 0, "KWD": 3}.get(p.currency, 2)
        assert -p.tax.as_tuple().exponent == places
        assert abs(p.net - p.unit_price * ln.quantity) <= Decimal(1).scaleb(-places) / 2
        assert -p.unit_price.as_tuple().exponent <= 6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(), st.randoms(use_true_random=False))
def test_prices_do_not_depend_on_row_order(case, rnd: random.Random):
    b, lines = case
    before, issues_before = price_lines(lines, b)

    def shuffled(items):
        items = list(items)
        rnd.shuffle(items)
        return tuple(items)

    b2 = b.model_copy(update={f: shuffled(getattr(b, f)) for f in (
        "price_rules", "products", "customers", "tax_rates", "fx_rates")})
    after, issues_after = price_lines(shuffled(lines), b2)
    assert after == before
    assert sorted(map(str, issues_after)) == sorted(map(str, issues_before))


def test_an_unbelievably_large_price_is_an_issue_not_a_crash():
    p, issues = price_one(10**9, products=(product("A", "999999999999999"),),
                          customers=(cust(currency="JPY"),), fx_rates=(fx(2, "JPY", "1e12"),))
    assert p is None
    assert [(i.code, i.cell, i.order_id) for i in issues] == [("price_out_of_range", "F2", "O1")]
