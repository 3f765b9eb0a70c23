"""The Python side of the ordersheet ribbon add-in (addin/classic/ordersheet_addin.xlam).

xlwings' ribbon template wires its one button to the VBA callback `RibbonMyAddin.RunMain`,
which runs `import ordersheet_addin; ordersheet_addin.main()`: the module is named after
the .xlam. It is installed with the ordersheet package (`pip install`), so Python finds it
without any PYTHONPATH setting.

One button, every operation: the Settings row `Run` says what the button does on the
workbook in front of the user (never on the add-in itself):

| Run               | does                                                        |
|-------------------|-------------------------------------------------------------|
| (no row, blank)   | every step: validate, price, reserve, ship, invoice Shipped |
| `run`             | the same                                                    |
| `validate`, `price`, `reserve`, `ship`, `invoice` | that step (and the ones before) |
| `returns`         | processes the new rows of the Returns sheet                 |
| `dispatch`        | dispatch every Ready shipment and invoice it                |
| `dispatch SHP-00003, SHP-00004` | only those shipments                          |
| `report`          | everything, then the Dashboard, Reorder and Bottlenecks     |
| `cancel SO-5 why` | cancels order SO-5 (the rest of the value is the reason)      |
| `show INV-00041`  | shows that invoice (or `SHP-...` packing slip) on its print sheet; |
|                   | `show` alone: the document named in the selected cell      |

A value the button does not know stops with a message naming it, before anything runs.
"""

from __future__ import annotations

from typing import Any, Callable

import xlwings as xw

from ordersheet import excel
from ordersheet.book import schema
from ordersheet.book.xlwings import XlwingsBook

RUN_KEY = "Run"

STEPS: dict[str, Callable[..., Any]] = {
    "run": excel.process_orders,
    "validate": excel.validate_orders,
    "price": excel.price_orders,
    "reserve": excel.reserve_stock,
    "ship": excel.plan_shipments,
    "invoice": excel.create_invoices,
    "notify": excel.customer_updates,
    "report": excel.refresh_dashboard,
    "reconcile": excel.reconcile_payments,
    "returns": excel.process_returns,
}
"""`Run` words that take no argument -> the script they run."""


def run_setting(book: Any) -> str:
    """The Value of the Settings row whose Key is `Run` ('' when there is none)."""
    if schema.SETTINGS_SHEET not in [s.name for s in book.sheets]:
        return ""
    raw = XlwingsBook(book).read([schema.SETTINGS_SHEET])[schema.SETTINGS_SHEET]
    for row in [raw.header] + raw.rows:
        if len(row) >= 2 and schema.norm(row[0]) == schema.norm(RUN_KEY):
            return "" if row[1] is None else str(row[1]).strip()
    return ""


def action(run: str) -> Callable[[Any], Any]:
    """What the button does for a Settings `Run` value."""
    word, _, rest = run.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("", "all") and not rest:
        return excel.process_orders
    if word in STEPS and not rest:
        return STEPS[word]
    if word == "dispatch":
        return lambda book: excel.dispatch_shipments(book, rest)
    if word == "show":
        return lambda book: excel.show_document(book, rest)
    if word == "cancel" and rest:
        order_id, _, reason = rest.partition(" ")
        return lambda book: excel.cancel_order(book, order_id, reason.strip())
    raise ValueError(f"Settings {RUN_KEY}: '{run}' is not something the button can do; use "
                     f"one of: (blank), {', '.join(STEPS)}, dispatch [IDs], show [ID], "
                     "cancel ORDER_ID [reason]")


def main() -> None:
    """The ribbon button: do what Settings `Run` says on the active workbook."""
    book = xw.books.active
    action(run_setting(book))(book)
