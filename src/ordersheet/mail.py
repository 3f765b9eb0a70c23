"""Customer updates leave the computer: `.eml` drafts and SMTP (`ordersheet notify`).

Owns the e-mail of one message (`email_of`: standard library `email.message.EmailMessage`,
the invoice PDF attached, drawn by the same `documents` code as `ordersheet pdf`), the
drafts folder, and delivery over SMTP with the Settings SMTP Host, Port, From, User and
TLS; the password only from the environment variable ORDERSHEET_SMTP_PASSWORD, never from
the book. Each message gets an outcome for the Communication Log: Sent, Drafted, or
Failed with the reason (a refused recipient, a server that is down); a Failed message is
tried again by the next run.

Only the command line imports this module: xlwings Lite cannot open sockets (its script
`customer_updates` writes `mailto:` links instead), so the Lite bundle leaves it out.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Optional, Sequence

from .book import files
from .domain.models import OrderBook, Settings
from .domain.updates import DRAFTED, FAILED, SENT, Message

PASSWORD_ENV = "ORDERSHEET_SMTP_PASSWORD"
TIMEOUT = 30.0
"""Seconds to wait for the mail server before a message counts as Failed."""


def sender(settings: Settings) -> str:
    return (settings.smtp_from or settings.company_email).strip()


def email_of(msg: Message, settings: Settings, now: dt.datetime,
             pdf: Optional[bytes] = None) -> EmailMessage:
    """The e-mail of `msg`, with the PDF of its invoice when given."""
    em = EmailMessage()
    frm = sender(settings)
    if frm:
        em["From"] = frm
    em["To"] = msg.email
    em["Subject"] = msg.subject
    em["Date"] = format_datetime(now.astimezone())
    em["Message-ID"] = make_msgid(domain=frm.rpartition("@")[2] or None)
    em.set_content(msg.body)
    if pdf is not None:
        em.add_attachment(pdf, maintype="application", subtype="pdf",
                          filename=f"{msg.attach}.pdf")
    return em


def draft_name(msg: Message) -> str:
    """`C-1001 invoiced SO-10002 INV-00001.eml`: a file name on every file system."""
    parts = [msg.customer_id, msg.event, msg.order_id, msg.document]
    name = " ".join(p for p in parts if p)
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)[:150] + ".eml"


def _pdfs(book: OrderBook, doc_ids: set[str]) -> dict[str, bytes | str]:
    """Invoice No -> its PDF, or the reason it could not be drawn."""
    if not doc_ids:
        return {}
    from .documents import pdf
    from .documents.model import documents

    out: dict[str, bytes | str] = {}
    for drawn in pdf.render(documents(book, sorted(doc_ids)), workers=1):
        out[drawn.doc.doc_id] = drawn.data if drawn.data is not None else str(drawn.error)
    return out


@dataclass
class Postman:
    """`app.notify`'s `deliver`: writes each message as an .eml into `drafts` (when given)
    and, with `send`, hands it to the SMTP server. Returns (outcome, detail) per message."""

    now: dt.datetime
    drafts: Optional[Path] = None
    send: bool = False
    password: Optional[str] = None

    def __call__(self, messages: Sequence[Message], book: OrderBook) -> list[tuple[str, str]]:
        settings = book.settings
        pdfs = _pdfs(book, {m.attach for m in messages if m.attach})
        emails: list[Optional[EmailMessage]] = []
        results: list[tuple[str, str]] = []
        for msg in messages:
            pdf = pdfs.get(msg.attach) if msg.attach else None
            if isinstance(pdf, str):
                emails.append(None)
                results.append((FAILED, f"the PDF of {msg.attach} could not be made ({pdf})"))
                continue
            em = email_of(msg, settings, self.now, pdf)
            emails.append(em)
            results.append((DRAFTED, ""))
        if self.drafts is not None:
            files.make_folder(self.drafts, "--drafts:")
            files.remove_stale_files_in(self.drafts, ".eml")
            for msg, em in zip(messages, emails):
                if em is not None:
                    files.write_file(self.drafts / draft_name(msg), bytes(em))
        if self.send:
            sent = send_all([e for e in emails if e is not None], settings, self.password)
            it = iter(sent)
            results = [next(it) if em is not None else r for em, r in zip(emails, results)]
        return results


def send_all(emails: Sequence[EmailMessage], settings: Settings,
             password: Optional[str]) -> list[tuple[str, str]]:
    """Deliver `emails` over one SMTP connection: (Sent or Failed, detail) for each. A
    server that cannot be reached fails every message; a refused recipient fails its own
    message only."""
    if not emails:
        return []
    host = settings.smtp_host.strip()
    port = settings.smtp_port or (587 if settings.smtp_tls else 25)
    frm = sender(settings)
    if not host or not frm:
        why = ("Settings has no SMTP Host" if not host
               else "Settings has neither SMTP From nor Company Email")
        return [(FAILED, f"{why}: not sent")] * len(emails)
    try:
        conn = _connect(host, port, settings.smtp_tls)
    except (OSError, smtplib.SMTPException) as e:
        return [(FAILED, f"the mail server {host}:{port} could not be reached ({e})")] \
            * len(emails)
    out: list[tuple[str, str]] = []
    try:
        if password:
            conn.login(settings.smtp_user.strip() or frm, password)
        for em in emails:
            out.append(_send_one(conn, em, frm))
    except (OSError, smtplib.SMTPException) as e:
        out += [(FAILED, f"{host}:{port}: {e}")] * (len(emails) - len(out))
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return out


def _connect(host: str, port: int, tls: bool) -> smtplib.SMTP:
    if tls and port == 465:
        return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT,
                                context=ssl.create_default_context())
    conn = smtplib.SMTP(host, port, timeout=TIMEOUT)
    if tls:
        conn.starttls(context=ssl.create_default_context())
    return conn


def _send_one(conn: smtplib.SMTP, em: EmailMessage, frm: str) -> tuple[str, str]:
    try:
        refused = conn.send_message(em, from_addr=frm)
    except smtplib.SMTPRecipientsRefused as e:
        return FAILED, "refused: " + "; ".join(
            f"{addr} {code} {_text(reply)}" for addr, (code, reply) in e.recipients.items())
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        return FAILED, f"refused: {e.smtp_code} {_text(e.smtp_error)}"
    if refused:
        return FAILED, "refused: " + "; ".join(f"{a} {c} {_text(r)}"
                                             for a, (c, r) in refused.items())
    return SENT, ""


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def password_from_env() -> Optional[str]:
    return os.environ.get(PASSWORD_ENV) or None
