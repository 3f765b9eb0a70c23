"""Any book the cell fuzzer makes gets a report (issue 22): after `run --dispatch`, a report
never fails, writes its three views, and changes no record (it is a run that finds nothing
left to do, plus the views)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from ordersheet import app
from ordersheet.book.openpyxl_engine import OpenpyxlBook
from tests.test_fuzz import NOW, TODAY, _snapshot, _workbook, books

EXAMPLES = int(os.environ.get("ORDERSHEET_FUZZ_EXAMPLES", "60"))
RECORDS = ["Orders", "Inventory", "Reservations", "Shipments", "Shipment Lines", "Invoices",
           "Invoice Lines", "Stock Ledger"]


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(books())
def test_any_book_gets_a_report_that_changes_no_record(sheets):
    wb = _workbook(sheets)
    port = OpenpyxlBook(wb=wb)
    app.execute(port, "run", today=TODAY, now=NOW, dispatch=True)
    before = _snapshot(wb, RECORDS)
    out = app.execute(port, "report", today=TODAY, now=NOW)
    assert out.result.ledger == () and out.result.new_invoices == ()
    assert repr(_snapshot(wb, RECORDS)) == repr(before)
    assert {"Dashboard", "Reorder", "Bottlenecks"} <= set(wb.sheetnames)
    dash = [r for r in wb["Dashboard"].iter_rows(values_only=True)]
    assert dash[0][:3] == ("Section", "Figure", "Value") and len(dash) > 10
