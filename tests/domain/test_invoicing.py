"""Invoicing: one invoice per dispatched shipment, numbered without gaps, lines that sum to
the header (CONTRACT §4 "Invoicing")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings as hyp_settings, strategies as st

from ordersheet.domain import models as m
from ordersheet.domain.invoicing import InvoiceRun, invoice_number, issue_invoices
from ordersheet.domain.money import quantize
from ordersheet.domain.models import LinePrice
from ordersheet.domain.rates import Rates

from .factories import DAY, book, customer, line, product

D = Decimal
TODAY = dt.date(2026, 11, 20)
SHIP_COLS = {"shipment_id": "A", "order_id": "B", "customer_id": "C", "status": "K"}


def shipment(sid: str, order: str, *, cust: str = "C1", cost: str = "0", row: int = 0,
             carrier: str = "UPS", service: str = "Ground") -> m.Shipment:
    return m.Shipment(shipment_id=sid, order_id=order, customer_id=cust, warehouse="MAIN",
                      carrier=carrier, service=service, cost=D(cost), planned_on=DAY,
                      status="Shipped", shipped_on=DAY, posted_on=DAY, row=row,
                      cols=SHIP_COLS)


def sline(sid: str, order: str, ln: int, sku: str, qty: int) -> m.ShipmentLine:
    return m.ShipmentLine(shipment_id=sid, order_id=order, line=ln, sku=sku, warehouse="MAIN",
                          quantity=qty)


def price(unit: str, rate: str = "0", ccy: str = "USD") -> LinePrice:
    # net/tax/total of the whole order line are not what an invoice uses (it bills what
    # shipped), so they are left at 0 here.
    return LinePrice(D(unit), D(0), D(rate), D(0), D(0), ccy)


def run(ships, slines, order_lines, prices, bk, today=TODAY) -> InvoiceRun:
    return issue_invoices(ships, slines, {ln.key: ln for ln in order_lines}, prices, bk, today,
                          rates=Rates(bk))


PRODUCTS = (product("A-1", description="Anvil"), product("B-2", description="Bolt"),
            product("BK", description="Book", tax_class="reduced"))


# ---- the basics ------------------------------------------------------------------------


def test_invoice_number_is_prefix_and_five_digits():
    assert invoice_number("INV-", 1) == "INV-00001"
    assert invoice_number("F", 42) == "F00042"
    assert invoice_number("INV-", 123456) == "INV-123456"


def test_one_invoice_bills_what_shipped_at_the_order_price():
    bk = book(products=PRODUCTS,
              customers=(customer("C1", name="Acme Corp", payment_terms_days=14),),
              settings=m.Settings(next_invoice_number=7, charge_shipping=False))
    orders = [line("O1", 1, "A-1", 5), line("O1", 2, "B-2", 2)]
    #           Shipment   Order Line SKU    Qty  (3 of 5 anvils in this box)
    slines = [sline("SHP-00001", "O1", 1, "A-1", 3),
              sline("SHP-00001", "O1", 2, "B-2", 2)]
    prices = {("O1", 1): price("19.99", "0.08"), ("O1", 2): price("0.35", "0.08")}

    r = run([shipment("SHP-00001", "O1")], slines, orders, prices, bk)

    assert r.issues == () and r.next_number == 8
    (inv,) = r.invoices
    assert (inv.invoice_no, inv.invoice_date, inv.due_date) == (
        "INV-00007", TODAY, dt.date(2026, 12, 4))
    assert (inv.customer_id, inv.customer_name, inv.order_id, inv.shipment_id, inv.currency) \
        == ("C1", "Acme Corp", "O1", "SHP-00001", "USD")
    assert [(il.sku, il.description, il.line, il.quantity, il.unit_price, il.net, il.tax,
             il.total) for il in r.lines] == [
        ("A-1", "Anvil", 1, 3, D("19.99"), D("59.97"), D("4.80"), D("64.77")),
        ("B-2", "Bolt", 2, 2, D("0.35"), D("0.70"), D("0.06"), D("0.76")),
    ]
    assert (inv.net, inv.tax, inv.shipping, inv.total, inv.paid, inv.balance, inv.status) == (
        D("60.67"), D("4.86"), D(0), D("65.53"), D(0), D("65.53"), "Open")
    assert {il.invoice_no for il in r.lines} == {"INV-00007"}


def test_due_date_uses_the_customers_payment_terms():
    bk = book(products=PRODUCTS, customers=(customer("C1"), customer("C2", payment_terms_days=0)))
    orders = [line("O1", 1, "A-1", 1), line("O2", 1, "A-1", 1, customer="C2")]
    r = run([shipment("SHP-00001", "O1"), shipment("SHP-00002", "O2", cust="C2")],
            [sline("SHP-00001", "O1", 1, "A-1", 1), sline("SHP-00002", "O2", 1, "A-1", 1)],
            orders, {("O1", 1): price("10"), ("O2", 1): price("10")}, bk)
    assert [i.due_date for i in r.invoices] == [dt.date(2026, 12, 20), TODAY]


# ---- numbering -------------------------------------------------------------------------


def _simple(n_ships: int, start: int = 1, first: int = 1):
    ships = [shipment(f"SHP-{i:05d}", f"O{i}") for i in range(first, first + n_ships)]
    slines = [sline(s.shipment_id, s.order_id, 1, "A-1", 1) for s in ships]
    orders = [line(s.order_id, 1, "A-1", 1) for s in ships]
    prices = {(s.order_id, 1): price("10") for s in ships}
    return ships, slines, orders, prices


def test_numbers_continue_across_runs_without_gaps():
    ships, slines, orders, prices = _simple(3)
    bk = book(products=PRODUCTS, customers=(customer("C1"),))
    first = run(ships[:2], slines, orders, prices, bk)
    assert [i.invoice_no for i in first.invoices] == ["INV-00001", "INV-00002"]
    assert first.next_number == 3

    bk2 = bk.model_copy(update={
        "invoices": first.invoices, "invoice_lines": first.lines,
        "settings": bk.settings.model_copy(update={"next_invoice_number": first.next_number})})
    second = run(ships[2:], slines, orders, prices, bk2)
    assert [i.invoice_no for i in second.invoices] == ["INV-00003"]
    assert second.next_number == 4 and second.issues == ()


def test_a_run_with_nothing_to_invoice_keeps_the_number():
    bk = book(products=PRODUCTS, customers=(customer("C1"),),
              settings=m.Settings(invoice_prefix="F-", next_invoice_number=41))
    r = run([], [], [], {}, bk)
    assert r == InvoiceRun((), (), 41, ())
    ships, slines, orders, prices = _simple(1)
    assert run(ships, slines, orders, prices, bk).invoices[0].invoice_no == "F-00041"


def test_a_shipment_that_cannot_be_invoiced_takes_no_number():
    ships, slines, orders, prices = _simple(3)
    ships[1] = ships[1].model_copy(update={"row": 3})
    del prices[("O2", 1)]  # order O2 became invalid: the pipeline priced none of its lines
    bk = book(products=PRODUCTS, customers=(customer("C1"),))

    r = run(ships, slines, orders, prices, bk)

    assert [(i.invoice_no, i.shipment_id) for i in r.invoices] == [
        ("INV-00001", "SHP-00001"), ("INV-00002", "SHP-00003")]
    assert r.next_number == 3
    (issue,) = r.issues
    assert (issue.code, issue.severity.value, issue.sheet, issue.cell, issue.order_id) == (
        "not_invoiced", "Warning", "Shipments", "A3", "O2")
    assert {il.invoice_no for il in r.lines} == {"INV-00001", "INV-00002"}


def test_unknown_customer_or_empty_shipment_is_not_invoiced():
    ships, slines, orders, prices = _simple(2)
    ships[0] = ships[0].model_copy(update={"customer_id": "GONE"})
    r = run(ships, slines[1:] + [sline("SHP-00001", "O1", 1, "A-1", 1)], orders, prices,
            book(products=PRODUCTS, customers=(customer("C1"),)))
    assert [i.code for i in r.issues] == ["not_invoiced"]
    assert "GONE" in r.issues[0].message
    r = run(ships[1:], [], orders, prices, book(products=PRODUCTS, customers=(customer("C1"),)))
    assert [i.code for i in r.issues] == ["not_invoiced"] and r.next_number == 1


def test_shipments_are_invoiced_in_shipment_id_order():
    ships, slines, orders, prices = _simple(3, first=9)  # SHP-00009 .. SHP-00011
    r = run(list(reversed(ships)), slines, orders, prices,
            book(products=PRODUCTS, customers=(customer("C1"),)))
    assert [(i.invoice_no, i.shipment_id) for i in r.invoices] == [
        ("INV-00001", "SHP-00009"), ("INV-00002", "SHP-00010"), ("INV-00003", "SHP-00011")]


def test_a_number_already_on_the_invoices_sheet_is_never_reused():
    old = m.Invoice(invoice_no="INV-00001", invoice_date=DAY, due_date=DAY, customer_id="C1",
                    order_id="O0", shipment_id="SHP-00000", currency="USD", net=D(1), tax=D(0),
                    total=D(1), balance=D(1))
    ships, slines, orders, prices = _simple(2)
    bk = book(products=PRODUCTS, customers=(customer("C1"),), invoices=(old,),
              settings=m.Settings(next_invoice_number=1, cells={"next_invoice_number": "B5"}))
    r = run(ships, slines, orders, prices, bk)
    assert [i.invoice_no for i in r.invoices] == ["INV-00002", "INV-00003"]
    assert r.next_number == 4
    assert [(i.code, i.sheet, i.cell) for i in r.issues] == [
        ("invoice_number_taken", "Settings", "B5")]


# ---- currencies, tax classes, shipping -------------------------------------------------

TAXES = (
    #          Country Tax Class   Rate
    m.TaxRate(country="US", tax_class="standard", rate=D("0.08")),
    m.TaxRate(country="US", tax_class="shipping", rate=D("0.08")),
    m.TaxRate(country="DE", tax_class="standard", rate=D("0.19")),
    m.TaxRate(country="DE", tax_class="reduced", rate=D("0.07")),
    m.TaxRate(country="DE", tax_class="shipping", rate=D("0.19")),
    m.TaxRate(country="JP", tax_class="standard", rate=D("0.10")),
    m.TaxRate(country="JP", tax_class="shipping", rate=D("0.10")),
    m.TaxRate(country="GB", tax_class="standard", rate=D("0.20")),
)
FX = (m.FxRate(currency="EUR", rate=D("0.92")), m.FxRate(currency="JPY", rate=D("150")))
CUSTOMERS = (
    customer("US1", name="Acme Corp", country="US"),
    customer("DE1", name="Müller GmbH", country="DE", currency="EUR"),
    customer("JP1", name="Tanaka KK", country="JP", currency="JPY"),
    customer("GB1", name="Brit Ltd", country="GB"),
    customer("EX1", name="Charity", country="US", tax_exempt=True),
)


def _mixed_run(**settings):
    bk = book(products=PRODUCTS, customers=CUSTOMERS, tax_rates=TAXES, fx_rates=FX,
              settings=m.Settings(**settings))
    orders = [line("O-US", 1, "A-1", 2, customer="US1"),
              line("O-DE", 1, "A-1", 3, customer="DE1"),
              line("O-DE", 2, "BK", 1, customer="DE1"),
              line("O-JP", 1, "A-1", 3, customer="JP1")]
    #             Shipment     Order  Customer Cost (USD)
    ships = [shipment("SHP-00001", "O-US", cust="US1", cost="12.50"),
             shipment("SHP-00002", "O-DE", cust="DE1", cost="12.50", carrier="DHL",
                      service="Express"),
             shipment("SHP-00003", "O-JP", cust="JP1", cost="12.50")]
    slines = [sline("SHP-00001", "O-US", 1, "A-1", 2),
              sline("SHP-00002", "O-DE", 1, "A-1", 3),
              sline("SHP-00002", "O-DE", 2, "BK", 1),
              sline("SHP-00003", "O-JP", 1, "A-1", 3)]
    #          Order Line       Unit     Tax    Currency
    prices = {("O-US", 1): price("19.99", "0.08", "USD"),
              ("O-DE", 1): price("9.99", "0.19", "EUR"),
              ("O-DE", 2): price("4.50", "0.07", "EUR"),
              ("O-JP", 1): price("1234.5", "0.10", "JPY")}
    return run(ships, slines, orders, prices, bk)


def _rows(r: InvoiceRun, no: str):
    return [(il.sku, il.description, il.line, il.quantity, il.unit_price, il.net,
             il.tax_rate, il.tax, il.total) for il in r.lines if il.invoice_no == no]


def test_mixed_currencies_and_tax_classes_with_shipping_converted_from_base():
    r = _mixed_run()
    assert r.issues == ()
    us, de, jp = r.invoices
    assert (us.currency, us.net, us.shipping, us.tax, us.total) == (
        "USD", D("52.48"), D("12.50"), D("4.20"), D("56.68"))
    assert _rows(r, de.invoice_no) == [
        ("A-1", "Anvil", 1, 3, D("9.99"), D("29.97"), D("0.19"), D("5.69"), D("35.66")),
        ("BK", "Book", 2, 1, D("4.50"), D("4.50"), D("0.07"), D("0.32"), D("4.82")),
        # 12.50 USD x 0.92 = 11.50 EUR, taxed at Germany's shipping rate
        ("SHIPPING", "Shipping: DHL Express", None, 1, D("11.50"), D("11.50"), D("0.19"),
         D("2.19"), D("13.69")),
    ]
    assert (de.currency, de.customer_name, de.net, de.shipping, de.tax, de.total) == (
        "EUR", "Müller GmbH", D("45.97"), D("11.50"), D("8.20"), D("54.17"))
    # Yen has no minor unit: 3 x 1234.5 = 3703.5 -> 3704; 12.50 USD x 150 = 1875 JPY.
    assert _rows(r, jp.invoice_no) == [
        ("A-1", "Anvil", 1, 3, D("1234.5"), D("3704"), D("0.10"), D("370"), D("4074")),
        ("SHIPPING", "Shipping: UPS Ground", None, 1, D("1875"), D("1875"), D("0.10"),
         D("188"), D("2063")),
    ]
    assert (jp.net, jp.shipping, jp.tax, jp.total) == (D("5579"), D("1875"), D("558"),
                                                        D("6137"))


def test_rounding_mode_half_even_applies_to_tax():
    r = _mixed_run(rounding_mode="half-even")
    de = r.invoices[1]
    # 11.50 x 0.19 = 2.185 -> 2.18 (half-even) instead of 2.19 (half-up)
    assert [il.tax for il in r.lines if il.invoice_no == de.invoice_no] == [
        D("5.69"), D("0.32"), D("2.18")]
    assert (de.tax, de.total) == (D("8.19"), D("54.16"))


def test_shipping_without_a_shipping_tax_rate_waits_and_exempt_customers_pay_none():
    """Issue 19: shipping with no `shipping` tax class row was taxed at a silent 0 %; the
    invoice now waits with missing_tax_rate, while a tax-exempt customer's shipping is
    untaxed as before."""
    bk = book(products=PRODUCTS, customers=CUSTOMERS, tax_rates=TAXES, fx_rates=FX)
    orders = [line("O-GB", 1, "A-1", 1, customer="GB1"), line("O-EX", 1, "A-1", 1,
                                                               customer="EX1")]
    ships = [shipment("SHP-00001", "O-GB", cust="GB1", cost="5"),
             shipment("SHP-00002", "O-EX", cust="EX1", cost="5")]
    slines = [sline("SHP-00001", "O-GB", 1, "A-1", 1), sline("SHP-00002", "O-EX", 1, "A-1", 1)]
    prices = {("O-GB", 1): price("10", "0.20"), ("O-EX", 1): price("10", "0")}
    r = run(ships, slines, orders, prices, bk)
    assert [(i.code, i.severity.value, i.order_id) for i in r.issues] == [
        ("missing_tax_rate", "Error", "O-GB")]
    assert "tax class 'shipping'" in r.issues[0].message
    ship_lines = [il for il in r.lines if il.sku == "SHIPPING"]
    assert [(il.net, il.tax_rate, il.tax) for il in ship_lines] == [(D("5.00"), D(0), D(0))]
    assert [(i.order_id, i.net, i.tax, i.total) for i in r.invoices] == [
        ("O-EX", D("15.00"), D(0), D("15.00"))]
    assert r.invoices[0].invoice_no == "INV-00001"  # no number used by the waiting one


def test_no_shipping_line_when_not_charged_or_free():
    r = _mixed_run(charge_shipping=False)
    assert not [il for il in r.lines if il.sku == "SHIPPING"]
    assert all(i.shipping == 0 for i in r.invoices)
    ships, slines, orders, prices = _simple(1)  # cost 0
    r = run(ships, slines, orders, prices, book(products=PRODUCTS, customers=(customer("C1"),)))
    assert [il.sku for il in r.lines] == ["A-1"]


def test_shipping_without_fx_rate_is_not_invoiced():
    bk = book(products=PRODUCTS, customers=(customer("C1", currency="CHF"),))
    r = run([shipment("SHP-00001", "O1", cost="7")], [sline("SHP-00001", "O1", 1, "A-1", 1)],
            [line("O1", 1, "A-1", 1)], {("O1", 1): price("10", "0", "CHF")}, bk)
    assert r.invoices == () and r.next_number == 1
    assert [i.code for i in r.issues] == ["not_invoiced"] and "CHF" in r.issues[0].message


# ---- tax rounding per line or per invoice ----------------------------------------------


def _cents(tax_rounding: str, nets=("0.10", "0.10", "0.10"), rate="0.05"):
    bk = book(products=PRODUCTS, customers=(customer("C1"),),
              settings=m.Settings(tax_rounding=tax_rounding, charge_shipping=False))
    orders = [line("O1", i, "B-2", 1) for i in range(1, len(nets) + 1)]
    slines = [sline("SHP-00001", "O1", i, "B-2", 1) for i in range(1, len(nets) + 1)]
    prices = {("O1", i): price(n, rate) for i, n in enumerate(nets, 1)}
    return run([shipment("SHP-00001", "O1")], slines, orders, prices, bk)


def test_tax_rounding_invoice_differs_from_line_and_lines_still_sum():
    # Three lines of 0.10 at 5 %: each line's 0.005 rounds up to 0.01 (0.03 in all), while
    # the invoice's 0.30 x 5 % = 0.015 rounds to 0.02 once.
    per_line = _cents("line")
    per_invoice = _cents("invoice")
    assert [il.tax for il in per_line.lines] == [D("0.01")] * 3
    assert per_line.invoices[0].tax == D("0.03")
    assert per_invoice.invoices[0].tax == D("0.02")
    assert sorted(il.tax for il in per_invoice.lines) == [D("0.00"), D("0.01"), D("0.01")]
    inv = per_invoice.invoices[0]
    assert sum(il.tax for il in per_invoice.lines) == inv.tax
    assert sum(il.total for il in per_invoice.lines) == inv.total == D("0.32")


def test_tax_rounding_invoice_gives_the_missing_cent_to_the_largest_remainder():
    # Per line 0.031 / 0.034 / 0.042 round to 0.03 + 0.03 + 0.04 = 0.10; the invoice's
    # 1.07 x 10 % = 0.107 rounds to 0.11. The extra cent goes to the line whose rounding
    # lost most (0.034 -> 0.03 lost 0.004).
    r = _cents("invoice", nets=("0.31", "0.34", "0.42"), rate="0.10")
    assert [il.tax for il in r.lines] == [D("0.03"), D("0.04"), D("0.04")]
    assert r.invoices[0].tax == D("0.11")


def test_tax_rounding_invoice_is_per_rate():
    bk = book(products=PRODUCTS, customers=(customer("C1"),),
              settings=m.Settings(tax_rounding="invoice", charge_shipping=False))
    nets_rates = [("0.10", "0.05"), ("0.10", "0.05"), ("0.10", "0.05"),
                  ("0.10", "0.15"), ("0.10", "0.15"), ("0.10", "0.15")]
    orders = [line("O1", i, "B-2", 1) for i in range(1, 7)]
    slines = [sline("SHP-00001", "O1", i, "B-2", 1) for i in range(1, 7)]
    prices = {("O1", i): price(n, r) for i, (n, r) in enumerate(nets_rates, 1)}
    res = run([shipment("SHP-00001", "O1")], slines, orders, prices, bk)
    by_rate: dict = {}
    for il in res.lines:
        by_rate[il.tax_rate] = by_rate.get(il.tax_rate, D(0)) + il.tax
    # 0.30 x 5 % = 0.015 -> 0.02; 0.30 x 15 % = 0.045 -> 0.05 (not 0.03 + 0.06 per line)
    assert by_rate == {D("0.05"): D("0.02"), D("0.15"): D("0.05")}
    assert res.invoices[0].tax == D("0.07")


# ---- invariants ------------------------------------------------------------------------

CCYS = {"USD": "USD", "EUR": "EUR", "JPY": "JPY"}
_line = st.tuples(st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2),
                  st.integers(min_value=1, max_value=40),
                  st.sampled_from([D(0), D("0.05"), D("0.07"), D("0.19"), D("0.2"),
                                   D("0.125")]))
_shipment = st.tuples(st.sampled_from(sorted(CCYS)),
                      st.lists(_line, min_size=1, max_size=6),
                      st.sampled_from([D(0), D("4.99"), D("12.345")]),
                      st.booleans())  # priced (False: order became invalid)


@hyp_settings(max_examples=60, deadline=None)
@given(ships=st.lists(_shipment, max_size=6), start=st.integers(min_value=1, max_value=99998),
       tax_rounding=st.sampled_from(["line", "invoice"]),
       mode=st.sampled_from(["half-up", "half-even"]))
def test_lines_sum_to_header_and_numbers_are_consecutive(ships, start, tax_rounding, mode):
    custs = (customer("USD", country="US"), customer("EUR", country="DE", currency="EUR"),
             customer("JPY", country="JP", currency="JPY"))
    taxes = (m.TaxRate(country="DE", tax_class="shipping", rate=D("0.19")),
             m.TaxRate(country="JP", tax_class="shipping", rate=D("0.10")),
             m.TaxRate(country="US", tax_class="shipping", rate=D("0")))
    bk = book(products=PRODUCTS, customers=custs, tax_rates=taxes, fx_rates=FX,
              settings=m.Settings(next_invoice_number=start, tax_rounding=tax_rounding,
                                  rounding_mode=mode))
    shipments, slines, orders, prices = [], [], [], {}
    for i, (ccy, lines, cost, priced) in enumerate(ships, 1):
        sid, oid = f"SHP-{i:05d}", f"O{i}"
        shipments.append(shipment(sid, oid, cust=ccy, cost=str(cost)))
        for n, (unit, qty, rate) in enumerate(lines, 1):
            orders.append(line(oid, n, "A-1", qty, customer=ccy))
            slines.append(sline(sid, oid, n, "A-1", qty))
            if priced:
                prices[(oid, n)] = LinePrice(unit, D(0), rate, D(0), D(0), ccy)

    r = run(shipments, slines, orders, prices, bk)

    priced_ids = [f"SHP-{i:05d}" for i, s in enumerate(ships, 1) if s[3]]
    assert [i.shipment_id for i in r.invoices] == priced_ids
    assert [i.invoice_no for i in r.invoices] == [
        invoice_number("INV-", start + k) for k in range(len(priced_ids))]
    assert r.next_number == start + len(priced_ids)
    assert len(r.issues) == len(ships) - len(priced_ids)
    for inv in r.invoices:
        mine = [il for il in r.lines if il.invoice_no == inv.invoice_no]
        assert sum(il.net for il in mine) == inv.net
        assert sum(il.tax for il in mine) == inv.tax
        assert sum(il.total for il in mine) == inv.total == inv.net + inv.tax == inv.balance
        assert all(il.total == il.net + il.tax for il in mine)
        assert all(quantize(x, inv.currency, mode) == x
                   for il in mine for x in (il.net, il.tax, il.total))
        assert inv.shipping == sum(il.net for il in mine if il.sku == "SHIPPING")
        if tax_rounding == "invoice":
            for rate in {il.tax_rate for il in mine}:
                at = [il for il in mine if il.tax_rate == rate]
                assert sum(il.tax for il in at) == quantize(
                    sum(il.net for il in at) * rate, inv.currency, mode)
