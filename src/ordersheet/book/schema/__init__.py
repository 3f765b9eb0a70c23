"""The sheet and column contract (CONTRACT §2-§5): header matching, cell -> typed value,
and a sheet read into records that keep the address of every cell.

This is where floats stop: every number becomes `Decimal` or `int` as Excel shows it (15
significant digits, `coerce.shown`), every date a `datetime.date`, and every value keeps
the A1 address of the cell it came from. Problems become Issues with stable codes; a bad
cell never raises.

| module     | owns                                                                    |
|------------|-------------------------------------------------------------------------|
| `spec`     | the contract's types: `Col`, `SheetSpec`; `column_width` (one rule)     |
| `coerce`   | one cell -> typed value, one parser per kind of column; `Bad`           |
| `headers`  | which column holds which field (`norm`, repeats, other systems' names)  |
| `inputs`   | the sheets users type into, and the columns ordersheet adds to them     |
| `outputs`  | the sheets ordersheet writes                                            |
| `settings` | the Settings keys (one table), reading the Settings sheet, Column Map  |
| `parsed`   | a sheet as read: `SheetLayout`, `ParsedSheet`, `Records`                |
| `parse`    | `parse_sheet` (a raw sheet -> records + Issues), `build_records`        |
| `columns`  | the column-wise fast paths of `parse_sheet`, each held to `coerce`      |

Everything callers use is importable from here: `from ordersheet.book import schema as s;
s.ORDERS`, `s.parse_sheet`, `s.to_date`.
"""

from .coerce import (SHOWN, Bad, is_blank, shown, to_bool, to_code, to_date, to_datetime,
                     to_decimal, to_lenient_text, to_lower_text, to_money, to_percent, to_priority,
                     to_quantity, to_rate, to_signed_money, to_text, to_whole)
from .headers import norm
from .inputs import (CUSTOMERS, FX_RATES, INPUT_SHEETS, INVENTORY, INVENTORY_TOOL_COLUMNS,
                     MESSAGE_TEMPLATES, ORDER_TOOL_COLUMNS, ORDERS, PAYMENTS, PRICE_RULES,
                     PRODUCTS, RETURNS, SHIPPING_RATES, TAX_RATES)
from .outputs import (AR_AGING, AUDIT_LOG, COMMUNICATION_LOG, CUSTOMER_UPDATES, INVOICE_LINES,
                      INVOICES, ISSUES, PICK_LIST, RECONCILIATION, RESERVATIONS, SHIPMENT_LINES,
                      SHIPMENTS, STOCK_LEDGER)
from .inputs import RETURNS_TOOL_COLUMNS
from .parse import build_records, parse_sheet
from .parsed import ParsedSheet, Records, SheetLayout
from .settings import (COLUMN_MAP, SETTING, SETTINGS, SETTINGS_KEYS, SETTINGS_SHEET, Setting,
                       parse_column_map, parse_settings, settings_rows)
from .spec import Col, SheetSpec, column_width

__all__ = [
    "SHOWN", "Bad", "is_blank", "shown", "to_bool", "to_code", "to_date", "to_datetime",
    "to_decimal", "to_lenient_text", "to_lower_text", "to_money", "to_percent", "to_priority",
    "to_quantity", "to_rate", "to_signed_money", "to_text", "to_whole",
    "norm",
    "CUSTOMERS", "FX_RATES", "INPUT_SHEETS", "INVENTORY", "INVENTORY_TOOL_COLUMNS",
    "ORDER_TOOL_COLUMNS", "ORDERS", "PAYMENTS", "PRICE_RULES", "PRODUCTS", "RETURNS",
    "SHIPPING_RATES", "TAX_RATES", "MESSAGE_TEMPLATES",
    "COMMUNICATION_LOG", "CUSTOMER_UPDATES",
    "RETURNS_TOOL_COLUMNS",
    "AUDIT_LOG", "INVOICE_LINES", "INVOICES", "ISSUES", "PICK_LIST", "RESERVATIONS",
    "SHIPMENT_LINES", "SHIPMENTS", "STOCK_LEDGER", "AR_AGING", "RECONCILIATION",
    "build_records", "parse_sheet", "ParsedSheet", "Records", "SheetLayout",
    "COLUMN_MAP", "SETTING", "SETTINGS", "SETTINGS_KEYS", "SETTINGS_SHEET", "Setting",
    "parse_column_map", "parse_settings", "settings_rows",
    "Col", "SheetSpec", "column_width",
]
