"""`ordersheet notify` on small books: drafts that any mail program opens, the
Communication Log as a posted record (nothing told twice, edits restored), and delivery to
a real SMTP server this test starts on the loopback interface (a minimal one written with
the standard library's socketserver: refused recipients, a server that is down)."""

from __future__ import annotations

import email
import socket
import socketserver
import threading
import zipfile
from email import policy
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ordersheet.cli import cli
from tests.bookfiles import D1, basic_book

TODAY = "2026-11-03"
runner = CliRunner()

RATES = [["Carrier", "Service", "Country", "Max Weight", "Cost", "Transit Days"],
         ["UPS", "Ground", "*", 100, 7.5, 4]]


def ordersheet(*args, env=None):
    return runner.invoke(cli, [str(a) for a in args], env=env)


def make_book(tmp_path: Path, settings=(), **extra) -> Path:
    book = basic_book(tmp_path / "b.xlsx", orders=[
        ["SO-1", 1, D1, "C1", "A-100", 2, None, None, "Normal", None, None, ""],
        ["SO-1", 2, D1, "C1", "B-200", 1, None, None, "Normal", None, None, ""],
        ["SO-2", 1, D1, "C2", "A-100", 1, None, None, "Normal", None, None, ""],
    ], **{"Shipping Rates": RATES,
          "Settings": [["Key", "Value"], ["Company Name", "Acme Trading"],
                       ["Company Address", "1 Dock Rd"], ["Company Email", "sales@acme.test"],
                       *settings]}, **extra)
    result = ordersheet("run", book, "--dispatch", "--today", TODAY)
    assert result.exit_code == 0, result.output
    return book


def rows(book: Path, sheet: str) -> list[tuple]:
    return [tuple(r) for r in load_workbook(book)[sheet].iter_rows(values_only=True)]


def log(book: Path) -> list[tuple]:
    """Communication Log rows without the time: (Customer, Email, Event, Order, Document,
    Subject, Outcome, Detail)."""
    return [r[1:] for r in rows(book, "Communication Log")[1:]]


def events(book: Path) -> list[tuple]:
    return sorted((r[0], r[2], r[3], r[6]) for r in log(book))


def test_notify_writes_a_draft_per_message_and_never_twice(tmp_path):
    book = make_book(tmp_path)
    drafts = tmp_path / "drafts"
    result = ordersheet("notify", book, "--drafts", drafts, "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert ("ordersheet notify: 6 messages (confirmed 2, dispatched 2, invoiced 2): sent 0, "
            "drafted 6, failed 0") in result.output
    assert events(book) == [
        ("C1", "Confirmed", "SO-1", "Drafted"), ("C1", "Dispatched", "SO-1", "Drafted"),
        ("C1", "Invoiced", "SO-1", "Drafted"), ("C2", "Confirmed", "SO-2", "Drafted"),
        ("C2", "Dispatched", "SO-2", "Drafted"), ("C2", "Invoiced", "SO-2", "Drafted")]
    view = rows(book, "Customer Updates")
    assert view[0] == ("Customer", "Email", "Event", "Order ID", "Subject", "Preview", "Status",
                       "Mail Link")
    assert len(view) == 7 and {r[6] for r in view[1:]} == {"Drafted"}
    assert view[1][7].startswith("mailto:a@x.com?subject=Order%20SO-1%20confirmed&body=Dear")
    # each draft parses back with the standard library; the invoice carries its PDF
    emls = sorted(p.name for p in drafts.iterdir())
    assert emls == ["C1 confirmed SO-1.eml", "C1 dispatched SO-1 SHP-00001.eml",
                    "C1 invoiced SO-1 INV-00001.eml", "C2 confirmed SO-2.eml",
                    "C2 dispatched SO-2 SHP-00002.eml", "C2 invoiced SO-2 INV-00002.eml"]
    msg = email.message_from_bytes((drafts / emls[2]).read_bytes(), policy=policy.default)
    assert (msg["To"], msg["From"], msg["Subject"]) == (
        "a@x.com", "sales@acme.test", "Invoice INV-00001 for order SO-1")
    assert "Total: USD 53.00, due on 2026-12-03." in msg.get_body(("plain",)).get_content()
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_filename() == "INV-00001.pdf" and pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF-")
    body = email.message_from_bytes((drafts / emls[1]).read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    assert "with UPS Ground" in text and "Expected delivery: 2026-11-07" in text
    # again: nothing is due, the log keeps its rows, the view is rebuilt empty
    again = ordersheet("notify", book, "--drafts", drafts, "--today", TODAY)
    assert again.exit_code == 0 and "0 messages" in again.output
    assert len(log(book)) == 6 and len(rows(book, "Customer Updates")) == 1


def test_an_edited_or_sorted_log_is_restored_and_still_nothing_is_told_twice(tmp_path):
    book = make_book(tmp_path)
    assert ordersheet("notify", book, "--drafts", tmp_path / "d", "--today", TODAY).exit_code == 0
    before = log(book)
    wb = load_workbook(book)
    ws = wb["Communication Log"]
    data = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    data.reverse()  # sorted the other way round ...
    data[0][7] = "Failed"  # ... and one outcome retyped, to make it look unsent
    for i, r in enumerate(data, start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(i, j).value = v
    ws.delete_rows(7)  # and a row deleted
    wb.save(book)
    result = ordersheet("notify", book, "--drafts", tmp_path / "d", "--today", TODAY,
                        "--json")
    assert result.exit_code == 1  # posted_record_edited is an error
    assert "0 messages" not in result.output
    codes = {i["code"] for i in __import__("json").loads(result.output)}
    assert codes == {"posted_record_edited"}
    assert log(book) == before  # restored, in the order it was written
    assert "messages: sent 0, drafted 0, failed 0" in rows(book, "Audit Log")[-1][3]


def test_a_customer_without_email_is_an_issue_not_a_message(tmp_path):
    book = make_book(tmp_path, Customers=[
        ["C1", "Acme", "a@x.com", "US", "USD", None, 30, None, "No", "No", "", ""],
        ["C2", "Beta", None, "US", "USD", None, 30, None, "No", "No", "", ""]])
    result = ordersheet("notify", book, "--drafts", tmp_path / "d", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "Customers!C3: customer C2 has no Email" in result.output
    assert {r[0] for r in log(book)} == {"C1"}
    issues = rows(book, "Issues")
    assert ("Customers", "C3", "Warning", "missing_email") in [r[:4] for r in issues]


def test_wording_from_the_template_sheet_and_an_unknown_placeholder_at_its_cell(tmp_path):
    templates = [["Event", "Subject", "Body"],
                 ["Confirmed", "Ihre Bestellung {order_id}", "Hallo {customer_name}!\n{lines}"],
                 ["Dispatched", "Versand {order_id}", "Paket {tracking_no:>12} ist unterwegs"]]
    book = make_book(tmp_path, **{"Message Templates": templates})
    drafts = tmp_path / "d"
    result = ordersheet("notify", book, "--drafts", drafts, "--today", TODAY)
    assert result.exit_code == 1
    assert "Message Templates!C3" in result.output and "{tracking_no:>12}" in result.output
    assert ("Message Templates", "C3", "Error", "unknown_placeholder") in [
        r[:4] for r in rows(book, "Issues")]
    assert sorted({r[2] for r in log(book)}) == ["Confirmed", "Invoiced"]  # dispatch waits
    msg = email.message_from_bytes((drafts / "C1 confirmed SO-1.eml").read_bytes(),
                                   policy=policy.default)
    assert msg["Subject"] == "Ihre Bestellung SO-1"
    assert msg.get_body(("plain",)).get_content().startswith(
        "Hallo Acme!\n- 2 x A-100 Widget: USD 20.00\n- 1 x B-200 Gadget: USD 25.50")
    # fixed: the dispatch notices go out on the next run, the others are not repeated
    wb = load_workbook(book)
    wb["Message Templates"]["C3"] = "Paket {tracking_no} ist unterwegs"
    wb.save(book)
    result = ordersheet("notify", book, "--drafts", drafts, "--today", TODAY)
    assert result.exit_code == 0 and "2 messages (dispatched 2)" in result.output


def test_notify_needs_drafts_or_send(tmp_path):
    book = make_book(tmp_path)
    result = ordersheet("notify", book)
    assert result.exit_code == 2 and "--drafts DIR" in result.output + str(result.stderr)


# ---- a real SMTP server on the loopback interface -----------------------------------------


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.refuse: set[str] = set()
        self.received: list[tuple[str, list[str], bytes]] = []


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, RSET, QUIT."""

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        srv: SMTPServer = self.server  # type: ignore[assignment]
        self.say("220 test.local ESMTP")
        sender, rcpts = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            cmd = raw.decode("utf-8", "replace").strip()
            verb = cmd.upper()
            if verb.startswith(("EHLO", "HELO")):
                self.say("250 test.local")
            elif verb.startswith("MAIL FROM:"):
                sender, rcpts = cmd[10:].strip().strip("<>"), []
                self.say("250 OK")
            elif verb.startswith("RCPT TO:"):
                addr = cmd[8:].strip().strip("<>")
                if addr in srv.refuse:
                    self.say("550 5.1.1 no such mailbox")
                else:
                    rcpts.append(addr)
                    self.say("250 OK")
            elif verb == "DATA":
                self.say("354 end with .")
                data = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b""):
                        break
                    data.append(line[1:] if line.startswith(b"..") else line)
                srv.received.append((sender, rcpts, b"".join(data)))
                self.say("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.say("250 OK")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


@pytest.fixture
def smtp():
    server = SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def smtp_settings(port: int) -> list[list]:
    return [["SMTP Host", "127.0.0.1"], ["SMTP Port", port], ["SMTP From", "orders@acme.test"],
            ["SMTP TLS", "No"]]


def test_send_delivers_refused_recipients_fail_and_are_sent_next_run(tmp_path, smtp):
    book = make_book(tmp_path, settings=smtp_settings(smtp.server_address[1]))
    smtp.refuse = {"b@x.com"}
    result = ordersheet("notify", book, "--send", "--today", TODAY)
    assert result.exit_code == 1, result.output  # failed sends are errors
    assert "sent 3, drafted 0, failed 3" in result.output
    assert {(r[0], r[6]) for r in log(book)} == {("C1", "Sent"), ("C2", "Failed")}
    failed = [r for r in log(book) if r[6] == "Failed"]
    assert all("b@x.com 550" in r[7] for r in failed)
    assert sorted(r[1] for r in smtp.received) == [["a@x.com"]] * 3
    sender, _, data = smtp.received[0]
    msg = email.message_from_bytes(data, policy=policy.default)
    assert sender == "orders@acme.test" and msg["From"] == "orders@acme.test"
    invoice = [email.message_from_bytes(d, policy=policy.default) for _, _, d in smtp.received
               if b"Subject: Invoice" in d][0]
    assert [a.get_filename() for a in invoice.iter_attachments()] == ["INV-00001.pdf"]
    issues = [r for r in rows(book, "Issues") if r[3] == "send_failed"]
    assert len(issues) == 3 and issues[0][2] == "Error"
    # the mailbox exists now: only what failed is sent, nothing twice
    smtp.refuse = set()
    result = ordersheet("notify", book, "--send", "--today", TODAY)
    assert result.exit_code == 0 and "sent 3, drafted 0, failed 0" in result.output
    assert sorted(r[1] for r in smtp.received) == [["a@x.com"]] * 3 + [["b@x.com"]] * 3
    assert ordersheet("notify", book, "--send", "--today", TODAY).output.startswith(
        "ordersheet notify: 0 messages")
    assert len(smtp.received) == 6


def test_a_server_that_is_down_fails_every_message_and_nothing_is_lost(tmp_path, smtp):
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]
    book = make_book(tmp_path, settings=smtp_settings(down))
    result = ordersheet("notify", book, "--send", "--drafts", tmp_path / "d", "--today", TODAY)
    assert result.exit_code == 1 and "sent 0, drafted 0, failed 6" in result.output
    assert {r[6] for r in log(book)} == {"Failed"}
    assert f"127.0.0.1:{down} could not be reached" in log(book)[0][7]
    assert len(list((tmp_path / "d").iterdir())) == 6  # the drafts are there all the same
    # the server is back (Settings point at it): all six go out, once
    wb = load_workbook(book)
    ws = wb["Settings"]
    for r in ws.iter_rows():
        if r[0].value == "SMTP Port":
            r[1].value = smtp.server_address[1]
    wb.save(book)
    result = ordersheet("notify", book, "--send", "--today", TODAY)
    assert result.exit_code == 0 and "sent 6" in result.output and len(smtp.received) == 6
    assert [r[6] for r in log(book)] == ["Failed"] * 6 + ["Sent"] * 6


def test_the_smtp_password_comes_from_the_environment_and_is_never_stored(tmp_path, smtp):
    book = make_book(tmp_path, settings=smtp_settings(smtp.server_address[1]))
    secret = "s3cret-pass-word"
    result = ordersheet("notify", book, "--send", "--today", TODAY,
                        env={"ORDERSHEET_SMTP_PASSWORD": secret})
    # this server offers no AUTH: the login fails, so every message is Failed (and retried)
    assert "failed 6" in result.output and smtp.received == []
    assert "AUTH" in log(book)[0][7]
    with zipfile.ZipFile(book) as z:
        assert not any(secret.encode() in z.read(n) for n in z.namelist())
