"""Performance shape (issue 9), without timing anything: the faster forms the hot paths use
give exactly what the plain rule gives, and the work that should happen once per run does
happen once. Speed itself is measured in benchmarks/, never asserted here."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordersheet.domain import models as m
from ordersheet.domain import carriers, money, pricing
from ordersheet.domain.invoicing import issue_invoices
from ordersheet.domain.models import LinePrice
from ordersheet.domain.carriers import choose_rate
from ordersheet.domain.rates import Rates
from ordersheet.domain.shipping import plan_shipments

from .factories import DAY, NOW, D, book, customer, line, product, stock

# ---- carrier choice: the per-country index picks the row `min` would pick ---------------


def choose_rate_as_written(rates, country, weight, planned_on, requested_date, ship_method):
    """CONTRACT §4 "Shipping" carrier choice, spelled out with `min` over filtered rows
    (ties to the country's own row, then to sheet order): the oracle for the index."""
    c = (country or "").strip().upper()

    def own(r):
        return 0 if (r.country or "").strip().upper() == c else 1

    usable = [r for r in rates
              if ((r.country or "").strip().upper() in ("*", "", c))
              and (r.max_weight is None or r.max_weight >= weight)]
    method = (ship_method or "").strip().lower()
    if method:
        usable = [r for r in usable if (r.service or "").strip().lower() == method]
        return min(usable, key=lambda r: (r.cost, r.transit_days, own(r))) if usable else None
    if not usable:
        return None
    if requested_date is None:
        return min(usable, key=lambda r: (r.cost, r.transit_days, own(r)))
    on_time = [r for r in usable
               if planned_on + dt.timedelta(days=r.transit_days) <= requested_date]
    if on_time:
        return min(on_time, key=lambda r: (r.cost, r.transit_days, own(r)))
    return min(usable, key=lambda r: (r.transit_days, r.cost, own(r)))


rate_rows = st.lists(st.builds(
    m.ShippingRate,
    carrier=st.sampled_from(["UPS", "DHL"]),
    service=st.sampled_from(["Ground", "ground ", "Express", "Parcel"]),
    country=st.sampled_from(["*", "", "US", " us", "DE"]),
    max_weight=st.none() | st.sampled_from([D("1"), D("5"), D("5.0"), D("20")]),
    cost=st.sampled_from([D("5"), D("5.00"), D("8"), D("12.5")]),
    transit_days=st.integers(0, 6)), max_size=12)


@settings(max_examples=100, deadline=None)
@given(rates=rate_rows, country=st.sampled_from(["US", "de", "FR", "", " US "]),
       weight=st.sampled_from([D("0"), D("1"), D("4.5"), D("5"), D("30")]),
       due_in=st.none() | st.integers(-1, 7),
       method=st.none() | st.sampled_from(["", "ground", "EXPRESS", "Teleport"]))
def test_choose_rate_picks_the_same_row_as_the_rule_as_written(rates, country, weight,
                                                                due_in, method):
    due = DAY + dt.timedelta(days=due_in) if due_in is not None else None
    expected = choose_rate_as_written(rates, country, weight, DAY, due, method)
    assert choose_rate(rates, country, weight, DAY, due, method) is expected


def test_planning_indexes_the_shipping_rates_once_not_per_shipment(monkeypatch):
    built = []
    original = carriers.RateIndex.__init__

    def counting(self, rates):
        built.append(len(rates))
        original(self, rates)

    monkeypatch.setattr(carriers.RateIndex, "__init__", counting)
    orders = [line(f"O{n}", 1, "A", 1, customer="C1") for n in range(30)]
    reservations = [m.Reservation(order_id=f"O{n}", line=1, sku="A", warehouse="MAIN",
                                  quantity=1, reserved_on=DAY) for n in range(30)]
    bk = book(products=(product("A"),), inventory=(stock("A", 100),),
              customers=(customer("C1"),),
              shipping_rates=(m.ShippingRate(carrier="UPS", service="Ground", cost=D("9")),))

    plan = plan_shipments(orders, reservations, bk, DAY)

    assert len(plan.new_ids) == 30 and {s.carrier for s in plan.shipments} == {"UPS"}
    assert built == [1]


# ---- rounding: the cached quantum is the currency's minor unit ---------------------------


@settings(max_examples=100, deadline=None)
@given(amount=st.decimals(min_value=-10**9, max_value=10**9, places=5, allow_nan=False),
       currency=st.sampled_from(["USD", "JPY", "KWD", "EUR", "", "usd"]),
       mode=st.sampled_from(["half-up", "half-even"]))
def test_quantize_rounds_to_the_minor_unit_with_the_mode(amount, currency, mode):
    exponent = Decimal(1).scaleb(-money.minor_units(currency))
    rounding = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN}[mode]
    got = money.quantize(amount, currency, mode)
    assert str(got) == str(amount.quantize(exponent, rounding=rounding))


def test_quantize_still_refuses_an_unknown_rounding_mode():
    with pytest.raises(KeyError):
        money.quantize(D("1.005"), "USD", "sideways")


# ---- invoicing: a remembered shipping cost is the cost computed afresh -----------------


def test_equal_shipping_costs_typed_differently_invoice_the_same_amount():
    bk = book(products=(product("A"),),
              customers=(customer("C1", currency="EUR", country="DE"),),
              fx_rates=(m.FxRate(currency="EUR", rate=D("0.92")),),
              settings=m.Settings(charge_shipping=True))
    ships, slines, orders, prices = [], [], [], {}
    for n, cost in enumerate(["9.5", "9.50", "9.500", "12"], start=1):
        oid, sid = f"O{n}", f"SHP-{n:05d}"
        ships.append(m.Shipment(shipment_id=sid, order_id=oid, customer_id="C1",
                                warehouse="MAIN", carrier="UPS", service="Ground",
                                cost=D(cost), planned_on=DAY, status="Shipped",
                                shipped_on=DAY, posted_on=DAY))
        slines.append(m.ShipmentLine(shipment_id=sid, order_id=oid, line=1, sku="A",
                                     warehouse="MAIN", quantity=1))
        orders.append(line(oid, 1, "A", 1))
        prices[(oid, 1)] = LinePrice(D("10"), D("10"), D("0"), D("0"), D("10"), "EUR")

    r = issue_invoices(ships, slines, {ln.key: ln for ln in orders}, prices, bk, DAY,
                       rates=Rates(bk))

    shipping_lines = [il for il in r.lines if il.sku == "SHIPPING"]
    fresh = [money.quantize(Rates(bk).convert(s.cost, "USD", "EUR"), "EUR") for s in ships]
    assert [str(il.unit_price) for il in shipping_lines] == [str(f) for f in fresh] \
        == ["8.74", "8.74", "8.74", "11.04"]
    assert {il.description for il in shipping_lines} == {"Shipping: UPS Ground"}


# ---- the run: the cycle collector waits, and always comes back -------------------------


def test_a_run_pauses_the_cycle_collector_and_turns_it_back_on(monkeypatch, tmp_path):
    from ordersheet import app
    from ordersheet.book.openpyxl_engine import OpenpyxlBook
    from tests.bookfiles import basic_book

    seen = []
    price_lines = pricing.price_lines

    def spy(*args):
        seen.append(gc.isenabled())
        return price_lines(*args)

    monkeypatch.setattr(pricing, "price_lines", spy)
    assert gc.isenabled()
    port = OpenpyxlBook(basic_book(tmp_path / "b.xlsx"))
    out = app.execute(port, "run", dispatch=True, today=DAY, now=NOW)
    assert seen == [False] and gc.isenabled()
    assert out.result.status_counts() == {"Invoiced": 1}


def test_a_paused_collector_stays_off_when_it_was_off_and_comes_back_after_an_error():
    from ordersheet import app

    gc.disable()
    try:
        with app.cycle_collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError):
        with app.cycle_collector_paused():
            raise RuntimeError("a programmer mistake")
    assert gc.isenabled()
