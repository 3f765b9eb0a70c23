"""Carrier choice: which carrier service carries a shipment (CONTRACT §4 "Shipping")."""

from __future__ import annotations

import datetime as dt

import pytest

from ordersheet.domain import models as m
from ordersheet.domain.carriers import choose_rate

from .factories import DAY, D


def rate(carrier: str, service: str, cost: str, days: int, country: str = "*",
         max_weight: str | None = None) -> m.ShippingRate:
    return m.ShippingRate(carrier=carrier, service=service, country=country, cost=D(cost),
                          transit_days=days,
                          max_weight=D(max_weight) if max_weight is not None else None)


#            carrier  service    cost  days country max kg
RATES = [rate("UPS", "Ground", "8", 5),
         rate("UPS", "Express", "25", 1),
         rate("DHL", "Economy", "6", 9, "US"),
         rate("DHL", "Parcel", "12", 3, "*", "5"),
         rate("FedEx", "Intl", "30", 4, "DE")]


@pytest.mark.parametrize("country, kg, due_in, method, expected", [
    ("US", "2", None, None, "Economy"),     # no requested date: cheapest overall
    ("US", "2", 9, None, "Economy"),        # cheapest arrives in time
    ("US", "2", 5, None, "Ground"),         # Economy too slow -> cheapest that meets it
    ("US", "2", 3, None, "Parcel"),
    ("US", "10", 3, None, "Express"),       # Parcel stops at 5 kg
    ("US", "2", 0, None, "Express"),        # nothing arrives in time -> fastest
    ("US", "5", 4, None, "Parcel"),         # Max Weight is inclusive
    ("DE", "2", None, None, "Ground"),      # Economy is US only; "*" rows apply
    ("FR", "2", 0, None, "Express"),
    ("DE", "2", None, "intl", "Intl"),      # ship method, case-insensitive
    ("US", "2", 0, "Ground", "Ground"),     # ship method beats the requested date
    ("US", "2", None, "intl", None),        # that service does not go to the US
    ("US", "10", None, "Parcel", None),     # nor carry 10 kg
    ("US", "2", None, "Teleport", None),
])
def test_choose_rate_table(country, kg, due_in, method, expected):
    due = DAY + dt.timedelta(days=due_in) if due_in is not None else None
    got = choose_rate(RATES, country, D(kg), DAY, due, method)
    assert (got.service if got else None) == expected


def test_choose_rate_weight_brackets_of_one_service():
    rates = [rate("UPS", "Ground", "9", 5, "*", "20"), rate("UPS", "Ground", "5", 5, "*", "5")]
    assert choose_rate(rates, "US", D("3"), DAY, None, "ground").cost == D("5")
    assert choose_rate(rates, "US", D("10"), DAY, None, "ground").cost == D("9")
    assert choose_rate(rates, "US", D("30"), DAY, None, "ground") is None
    assert choose_rate(rates, "US", D("30"), DAY, None, None) is None


def test_choose_rate_tie_prefers_the_countrys_own_row():
    rates = [rate("Any", "Std", "5", 3, "*"), rate("Local", "Std", "5", 3, "us")]
    assert choose_rate(rates, "US", D("1"), DAY, None, None).carrier == "Local"
    assert choose_rate(rates, "DE", D("1"), DAY, None, None).carrier == "Any"
