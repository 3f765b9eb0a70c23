"""Customer updates (domain/updates.py): each event on a small book, wording from the
templates, what was told already, and customer text never read as a template."""

from __future__ import annotations

import datetime as dt

import pytest

from ordersheet.domain import models as m
from ordersheet.domain import pipeline
from ordersheet.domain import updates as u
from tests.domain.factories import DAY, NOW, D, book, customer, line, product, stock

TEMPLATE_COLS = {"event": "A", "subject": "B", "body": "C"}


def run(bk: m.OrderBook, today: dt.date = DAY, dispatch: bool = False):
    res = pipeline.run(bk, operation="run", today=today, now=NOW, dispatch=dispatch)
    return res, u.due_updates(res.book, res.lines, res.outcomes, today)


def small_book(**kw) -> m.OrderBook:
    kw.setdefault("orders", (line("SO-1", 1, "A", 2, row=2), line("SO-1", 2, "B", 5, row=3)))
    kw.setdefault("products", (product("A", "10", description="Tent"),
                               product("B", "4", description="Mat")))
    kw.setdefault("inventory", (stock("A", 10), stock("B", 3, lead_time_days=14)))
    kw.setdefault("customers", (customer("C1", name="Rosa Alpine", email="rosa@example.com"),))
    return book(**kw)


def template(event: str, subject: str, body: str, row: int) -> m.MessageTemplate:
    return m.MessageTemplate(event=event, subject=subject, body=body, row=row,
                             cols=TEMPLATE_COLS)


def test_an_order_reserved_in_part_is_confirmed_and_backordered_once_each():
    _, due = run(small_book())
    assert [(x.event, x.order_id, x.document) for x in due.messages] == [
        ("confirmed", "SO-1", ""), ("backordered", "SO-1", "")]
    confirmed, backordered = due.messages
    assert confirmed.email == "rosa@example.com" and confirmed.subject == "Order SO-1 confirmed"
    # one message for the order, every line in it
    assert "- 2 x A Tent: USD 20.00\n- 5 x B Mat: USD 20.00, 2 to follow" in confirmed.body
    assert "Order total: USD 40.00" in confirmed.body
    assert confirmed.body.startswith("Dear Rosa Alpine,")
    # Lead Time Days of B's row: expected as of the run's date + 14 days
    assert "- B Mat: 2 of 5 to follow, expected by 2026-11-16" in backordered.body
    assert "We expect them by 2026-11-16" in backordered.body


def test_no_lead_time_says_the_date_will_be_confirmed():
    bk = small_book(inventory=(stock("A", 10), stock("B", 3)))
    _, due = run(bk)
    back = [x for x in due.messages if x.event == "backordered"][0]
    assert "expected by" not in back.body and "a date we will confirm" in back.body


def test_an_order_not_served_is_not_confirmed():
    bk = small_book(customers=(customer("C1", name="Rosa", email="r@x.org", on_hold=True),))
    _, due = run(bk)
    assert due.messages == []


def test_dispatch_names_carrier_tracking_and_expected_delivery():
    rates = (m.ShippingRate(carrier="UPS", service="Ground", country="*", cost=D("5"),
                            transit_days=3),
             m.ShippingRate(carrier="UPS", service="Express", country="*", cost=D("20"),
                            transit_days=1))
    bk = small_book(inventory=(stock("A", 10), stock("B", 10)), shipping_rates=rates)
    res, due = run(bk, dispatch=True)
    ship = res.book.shipments[0]
    assert ship.service == "Ground"
    # the user types the Tracking No; the next notify names it
    res2 = res.book.model_copy(update={"shipments": (ship.model_copy(
        update={"tracking_no": "1Z999"}),)})
    due = u.due_updates(res2, res.lines, res.outcomes, DAY)
    disp = [x for x in due.messages if x.event == "dispatched"]
    assert len(disp) == 1 and disp[0].document == ship.shipment_id
    body = disp[0].body
    assert "with UPS Ground" in body and "Tracking number: 1Z999" in body
    assert "Expected delivery: 2026-11-05" in body          # shipped 11-02 + 3 transit days
    assert "- 2 x A Tent\n- 10 x B Mat" not in body and "- 2 x A Tent\n- 5 x B Mat" in body


def test_an_invoice_is_announced_with_its_pdf_and_an_overdue_one_reminded():
    bk = small_book(inventory=(stock("A", 10), stock("B", 10)))
    res, due = run(bk, dispatch=True)
    inv = res.book.invoices[0]
    invoiced = [x for x in due.messages if x.event == "invoiced"]
    assert [(x.document, x.attach) for x in invoiced] == [(inv.invoice_no, inv.invoice_no)]
    assert f"Total: USD 40.00, due on {inv.due_date.isoformat()}" in invoiced[0].body
    assert not [x for x in due.messages if x.event == "overdue"]
    # a day after the due date, with the balance open: a reminder
    late = inv.due_date + dt.timedelta(days=1)
    due = u.due_updates(res.book, res.lines, res.outcomes, late)
    over = [x for x in due.messages if x.event == "overdue"]
    assert len(over) == 1 and over[0].subject == f"Reminder: invoice {inv.invoice_no} is overdue"
    assert "USD 40.00 is still open" in over[0].body
    # paid in full: no reminder (receivables.status_of decides)
    paid = res.book.model_copy(update={"invoices": (inv.model_copy(
        update={"paid": inv.total, "balance": D(0)}),)})
    assert not [x for x in u.due_updates(paid, res.lines, res.outcomes, late).messages
                if x.event == "overdue"]


def test_what_the_log_says_was_sent_or_drafted_is_not_due_again_failed_is():
    res, due = run(small_book())
    log = (due.messages[0].logged(NOW, "Sent"), due.messages[1].logged(NOW, "Failed"))
    again = u.due_updates(res.book.model_copy(update={"communication_log": log}),
                          res.lines, res.outcomes, DAY)
    assert [x.event for x in again.messages] == ["backordered"]
    log = (log[0], due.messages[1].logged(NOW, "Drafted"))
    assert u.due_updates(res.book.model_copy(update={"communication_log": log}),
                         res.lines, res.outcomes, DAY).messages == []


def test_wording_comes_from_the_template_sheet():
    rows = (template("Confirmed", "Bestätigung {order_id}",
                     "Hallo {customer_name}, {{Danke}} für {order_id}!", 2),)
    _, due = run(small_book(message_templates=rows))
    conf = due.messages[0]
    assert conf.subject == "Bestätigung SO-1"
    assert conf.body == "Hallo Rosa Alpine, {Danke} für SO-1!"
    # an event without a row keeps the default wording
    assert due.messages[1].subject == "Order SO-1: some items are delayed"


@pytest.mark.parametrize("typed", ["{order_no}", "{order_id.upper}", "{order_id:>10}",
                                   "{order_id!r}", "{0}", "{}"])
def test_an_unknown_placeholder_is_an_issue_at_its_cell_and_that_event_waits(typed):
    rows = (template("Backordered", "Delay", f"Dear {{customer_name}}, {typed}", 4),)
    _, due = run(small_book(message_templates=rows))
    assert [x.event for x in due.messages] == ["confirmed"]
    [issue] = due.issues
    assert (issue.code, issue.sheet, issue.cell) == ("unknown_placeholder",
                                                     "Message Templates", "C4")
    assert typed in issue.message and issue.is_error


def test_customer_text_is_never_read_as_a_template():
    name = "{order_id} {{x}} {customer_name.__class__} %s"
    bk = small_book(customers=(customer("C1", name=name, email="r@x.org"),))
    _, due = run(bk)
    assert due.messages[0].body.startswith(f"Dear {name},")
    assert due.issues == []


def test_a_customer_without_email_gets_an_issue_instead_of_a_message():
    cust = m.Customer(customer_id="C1", name="Rosa", country="US", row=7,
                      cols={"customer_id": "A", "email": "C"})
    _, due = run(small_book(customers=(cust,)))
    assert due.messages == []
    [issue] = due.issues
    assert (issue.code, issue.sheet, issue.cell) == ("missing_email", "Customers", "C7")
    assert "confirmed, backordered" in issue.message


def test_every_event_in_the_default_templates_uses_only_known_placeholders():
    for event, (subject, body) in u.DEFAULT_TEMPLATES.items():
        assert u.compile_template(subject)[1] == [] and u.compile_template(body)[1] == []
    assert [r[0] for r in u.default_template_rows()] == [e.capitalize() for e in u.EVENTS]


def test_a_mailto_link_carries_the_message_and_stays_short_enough_for_excel():
    from urllib.parse import parse_qs, urlsplit

    msg = u.Message("C1", "Rosa", "rosa@example.com", "confirmed", "SO-1", "",
                    "Order SO-1 & co", "Grüße\nline two")
    link = urlsplit(msg.mailto())
    assert (link.scheme, link.path) == ("mailto", "rosa@example.com")
    assert parse_qs(link.query) == {"subject": ["Order SO-1 & co"],
                                    "body": ["Grüße\r\nline two"]}
    long = u.Message("C1", "Rosa", "rosa@example.com", "confirmed", "SO-1", "", "S",
                     "ä" * 5000)
    cut = long.mailto()
    assert len(cut) <= u.MAILTO_LIMIT
    body = parse_qs(urlsplit(cut).query)["body"][0]
    assert body.endswith("\r\n[...]") and set(body[:-7]) == {"ä"}
