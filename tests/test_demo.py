"""`ordersheet demo`: the sample book through every step (run --dispatch, returns,
reconcile with a bank statement, report, notify, PDFs and a customer statement), each
step's result visible in the book and the folder, and a second demo in the same folder
leaving the same result (a fresh book each time).

The sample's Payments and Returns name invoices and orders by number (book/sample.py): the
assertions below pin that they exist, and match as the sample says, when the demo gets
there."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ordersheet.book.sample import DELIBERATE, DELIBERATE_LATER, PAYMENTS, RETURNS
from ordersheet.cli import cli

TODAY = "2026-11-20"
README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()


def demo(folder: Path):
    result = runner.invoke(cli, ["demo", str(folder), "--today", TODAY])
    assert result.exit_code == 0, result.output
    return result.output


def records(book: Path, sheet: str) -> list[dict]:
    ws = load_workbook(book)[sheet]
    head, *rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(head, r)) for r in rows if any(v is not None for v in r)]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "ordersheet-demo"  # created by the demo
    return folder, demo(folder)


def test_one_short_line_per_step_then_what_to_open(ran):
    folder, output = ran
    steps = re.findall(r"^(\d)\. (\w+)", output, re.M)
    assert steps == [("1", "run"), ("2", "returns"), ("3", "reconcile"), ("4", "report"),
                     ("5", "notify"), ("6", "PDFs")]
    assert "51 invoices (INV-00001..INV-00051)" in output
    assert "3 accepted, 3 credit notes (CN-00001..CN-00003), 1 exchange line" in output
    assert "1 rejected (return_exceeds_shipped)" in output
    assert "1 payment imported, 1 debit left out; 6 payments: 4 matched, 1 partly, " \
           "1 unmatched" in output
    assert "1 customer without an Email (missing_email)" in output
    assert output.rstrip().splitlines()[-1].startswith(f"Open {folder / 'order_book.xlsx'}")
    assert len(output.splitlines()) <= 10  # short: the sheets hold the details


def test_returns_make_credit_notes_on_invoices_and_one_is_rejected(ran):
    folder, _ = ran
    book = folder / "order_book.xlsx"
    notes = {r["Invoice No"]: r for r in records(book, "Invoices")
             if r["Invoice No"].startswith("CN-")}
    assert {n: r["Credits Invoice"] for n, r in notes.items()} == {
        "CN-00001": "INV-00016", "CN-00002": "INV-00047", "CN-00003": "INV-00044"}
    assert all(r["Total"] < 0 and r["Status"] == "Applied" for r in notes.values())
    assert notes["CN-00002"]["Currency"] == "EUR"
    invoices = {r["Invoice No"]: r for r in records(book, "Invoices")}
    credited = invoices["INV-00016"]
    assert credited["Balance"] == pytest.approx(credited["Total"] + notes["CN-00001"]["Total"])
    returns = records(book, "Returns")
    assert len(returns) == len(RETURNS)
    assert [(r["Order ID"], r["Status"], r["Credit Note"]) for r in returns] == [
        ("SO-10018", "Accepted", "CN-00001"), ("SO-10056", "Accepted", "CN-00002"),
        ("SO-10053", "Accepted", "CN-00003"), ("SO-10037", "Rejected", None)]
    exchange = [r for r in records(book, "Orders") if r["Order ID"] == "SO-10053"][-1]
    assert (exchange["SKU"], exchange["Line"]) == ("LANT-LED", 5)
    assert exchange["Status"] == "Reserved"  # the later steps do not dispatch
    assert "return_exceeds_shipped" in DELIBERATE_LATER["returns"]


def test_each_payment_is_matched_by_the_rule_the_sample_shows(ran):
    folder, _ = ran
    book = folder / "order_book.xlsx"
    rows = records(book, "Reconciliation")
    got = {(r["Payment ID"] if not r["Payment ID"].startswith("BANK-") else "BANK",
            r["Rule"], r["Invoice No"]) for r in rows}
    assert got == {
        ("PAY-0001", "reference", "INV-00002"),
        ("PAY-0002", "exact amount", "INV-00046"),  # not the older INV-00018
        ("PAY-0003", "oldest first", "INV-00019"),
        ("PAY-0004", "oldest first", "INV-00005"), ("PAY-0004", "oldest first", "INV-00031"),
        ("PAY-0004", "oldest first", "INV-00033"), ("PAY-0004", "unapplied", None),
        ("PAY-0005", "unmatched", None),
        ("BANK", "reference", "INV-00027"),  # from the bank statement
    }
    assert {p["payment_id"] for p in PAYMENTS} == {r["Payment ID"] for r in rows} - {
        r["Payment ID"] for r in rows if r["Payment ID"].startswith("BANK-")}
    unapplied = next(r for r in rows if r["Rule"] == "unapplied")
    assert unapplied["Unapplied"] == pytest.approx(93.60)
    invoices = {r["Invoice No"]: r for r in records(book, "Invoices")}
    assert invoices["INV-00019"]["Status"] == "Partially Paid"
    assert {invoices[n]["Status"] for n in ("INV-00002", "INV-00046", "INV-00027")} == {"Paid"}
    assert [p["Payment ID"][:5] for p in records(book, "Payments")].count("BANK-") == 1
    assert (folder / "bank-statement.csv").is_file()
    assert "payment_unmatched" in DELIBERATE_LATER["reconcile"]


def test_the_report_and_the_aging_are_in_the_book(ran):
    folder, _ = ran
    wb = load_workbook(folder / "order_book.xlsx")
    assert {"Dashboard", "Reorder", "Bottlenecks", "AR Aging"} <= set(wb.sheetnames)
    assert [c.value for c in wb["Dashboard"][1]][:3] == ["Section", "Figure", "Value"]
    assert len(wb["Dashboard"]._charts) == 4
    aging = records(folder / "order_book.xlsx", "AR Aging")
    assert any(r["Customer ID"] == "C-3001" and r["Unapplied Credit"] for r in aging)


def test_customers_are_told_in_drafts_and_the_communication_log(ran):
    folder, _ = ran
    book = folder / "order_book.xlsx"
    log = records(book, "Communication Log")
    drafts = sorted((folder / "drafts").glob("*.eml"))
    assert len(drafts) == len(log) > 50
    assert {r["Outcome"] for r in log} == {"Drafted"}
    assert {"Confirmed", "Dispatched", "Invoiced"} <= {r["Event"] for r in log}
    assert "C-1004" not in {r["Customer ID"] for r in log}  # no Email: missing_email
    issues = records(book, "Issues")  # the last step's issues
    assert [i["Cell"] for i in issues if i["Code"] == "missing_email"] == ["C5"]
    invoiced = next(p for p in drafts if " invoiced " in p.name)
    msg = email.message_from_bytes(invoiced.read_bytes(), policy=policy.default)
    attached = [a.get_filename() for a in msg.iter_attachments()]
    assert len(attached) == 1 and attached[0].startswith("INV-")


def test_pdfs_of_every_document_and_a_customer_statement(ran):
    folder, _ = ran
    pdfs = {p.name for p in (folder / "pdf").glob("*.pdf")}
    assert {"INV-00001.pdf", "INV-00051.pdf", "SHP-00001.pdf", "CN-00001.pdf",
            "CN-00003.pdf", "statement-C-1001.pdf"} <= pdfs
    assert len([n for n in pdfs if n.startswith("INV-")]) == 51
    assert len([n for n in pdfs if n.startswith("CN-")]) == 3
    assert all((folder / "pdf" / n).read_bytes()[:5] == b"%PDF-" for n in pdfs)


SAME = ("Orders", "Invoices", "Invoice Lines", "Returns", "Payments", "Reconciliation",
        "AR Aging", "Inventory", "Dashboard", "Reorder")


def snapshot(folder: Path) -> dict:
    wb = load_workbook(folder / "order_book.xlsx")
    out = {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in SAME}
    out["Communication Log"] = [list(r)[1:] for r in  # the Time is the clock's
                                wb["Communication Log"].iter_rows(values_only=True)]
    for sub in ("drafts", "pdf"):
        out[sub] = sorted(p.name for p in (folder / sub).iterdir())
    out["folder"] = sorted(p.name for p in folder.iterdir())
    return out


def test_a_second_demo_in_the_same_folder_gives_the_same_result(tmp_path):
    folder = tmp_path / "demo"
    first_output = demo(folder)
    first = snapshot(folder)
    (folder / "drafts" / "from an earlier demo.eml").write_text("old")
    (folder / "pdf" / "INV-09999.pdf").write_bytes(b"%PDF- old")
    second_output = demo(folder)
    assert snapshot(folder) == first
    assert second_output == first_output


def test_the_readme_lists_every_deliberate_problem_of_the_sample():
    text = README.read_text()
    start = text.index("| sheet | what is wrong | issue |")
    table = text[start:text.index("## The workflow for a specialist")]
    listed = re.findall(r"^\|[^|\n]+\|[^|\n]+\| `(\w+)` \|$", table, re.M)
    later = {code for codes in DELIBERATE_LATER.values() for code in codes}
    assert sorted(listed) == sorted(set(DELIBERATE) | later)
