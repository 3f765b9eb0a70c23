"""The sheets ordersheet writes (CONTRACT §4), column by column; all but the Pick List and
Issues are read back on the next run."""

from __future__ import annotations

from decimal import Decimal

from .coerce import (to_code, to_date, to_datetime, to_money, to_percent, to_signed_money,
                     to_text, to_whole)
from .spec import MNY, Col, D, SheetSpec, T

RESERVATIONS = SheetSpec("Reservations", (
    Col("order_id", "Order ID", to_text, True), Col("line", "Line", to_whole, True),
    Col("sku", "SKU", to_text, True), Col("warehouse", "Warehouse", to_text, True),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
    Col("reserved_on", "Reserved On", to_date, True, fmt=D),
))
SHIPMENTS = SheetSpec("Shipments", (
    Col("shipment_id", "Shipment ID", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("customer_id", "Customer ID", to_text, True),
    Col("warehouse", "Warehouse", to_text, True), Col("carrier", "Carrier", to_text, default=""),
    Col("service", "Service", to_text, default=""), Col("country", "Country", to_text, default=""),
    Col("weight", "Weight", to_money, default=Decimal(0)),
    Col("cost", "Cost", to_money, default=Decimal(0), fmt=MNY),
    Col("planned_on", "Planned On", to_date, True, fmt=D),
    Col("status", "Status", to_text, default="Ready"),
    Col("shipped_on", "Shipped On", to_date, fmt=D),
    Col("tracking_no", "Tracking No", to_text, default="", fmt=T),
    Col("posted_on", "Posted On", to_date, fmt=D),
), key=("shipment_id",))
SHIPMENT_LINES = SheetSpec("Shipment Lines", (
    Col("shipment_id", "Shipment ID", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole, True), Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, True),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
))
PICK_LIST = SheetSpec("Pick List", (
    Col("shipment_id", "Shipment ID"), Col("warehouse", "Warehouse"), Col("bin", "Bin"),
    Col("sku", "SKU"), Col("description", "Description"), Col("quantity", "Quantity", fmt="int"),
    Col("order_id", "Order ID"), Col("line", "Line"),
))
INVOICES = SheetSpec("Invoices", (
    Col("invoice_no", "Invoice No", to_text, True),
    Col("invoice_date", "Invoice Date", to_date, True, fmt=D),
    Col("due_date", "Due Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text, True),
    Col("customer_name", "Customer Name", to_text, default=""),
    Col("order_id", "Order ID", to_text, True),
    Col("shipment_id", "Shipment ID", to_text, default=""),
    Col("currency", "Currency", to_code, True),
    Col("net", "Net", to_signed_money, True, fmt=MNY),
    Col("tax", "Tax", to_signed_money, True, fmt=MNY),
    Col("shipping", "Shipping", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("total", "Total", to_signed_money, True, fmt=MNY),
    Col("paid", "Paid", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("balance", "Balance", to_signed_money, True, fmt=MNY),
    Col("status", "Status", to_text, default="Open"),
    Col("credits_invoice", "Credits Invoice", to_text, default=""),
), key=("invoice_no",))
INVOICE_LINES = SheetSpec("Invoice Lines", (
    Col("invoice_no", "Invoice No", to_text, True), Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole), Col("sku", "SKU", to_text, True),
    Col("description", "Description", to_text, default=""),
    Col("quantity", "Quantity", to_whole, True, fmt="int"),
    Col("unit_price", "Unit Price", to_signed_money, True, fmt="price"),
    Col("net", "Net", to_signed_money, True, fmt=MNY),
    Col("tax_rate", "Tax Rate", to_percent, True, fmt="pct"),
    Col("tax", "Tax", to_signed_money, True, fmt=MNY),
    Col("total", "Total", to_signed_money, True, fmt=MNY),
))
STOCK_LEDGER = SheetSpec("Stock Ledger", (
    Col("timestamp", "Timestamp", to_datetime, True, fmt="datetime"),
    Col("operation", "Operation", to_text, True), Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, True), Col("field", "Field", to_text, True),
    Col("change", "Change", to_whole, True, fmt="int"),
    Col("before", "Before", to_whole, True, fmt="int"),
    Col("after", "After", to_whole, True, fmt="int"),
    Col("order_id", "Order ID", to_text, default=""), Col("line", "Line", to_whole),
    # last: an older book's Stock Ledger gains it at the right, its other columns stay put
    Col("reason", "Reason", to_text, default=""),
))
AUDIT_LOG = SheetSpec("Audit Log", (
    Col("timestamp", "Timestamp", to_datetime, True, fmt="datetime"),
    Col("user", "User", to_text, default=""), Col("operation", "Operation", to_text, True),
    Col("details", "Details", to_text, default=""),
    # last: an older book's Audit Log gains it at the right, its other columns stay put
    Col("business_date", "Business Date", to_date, fmt=D),
))
COMMUNICATION_LOG = SheetSpec("Communication Log", (
    Col("time", "Time", to_datetime, True, fmt="datetime"),
    Col("customer_id", "Customer ID", to_text, True),
    Col("email", "Email", to_text, default=""), Col("event", "Event", to_text, True),
    Col("order_id", "Order ID", to_text, default=""),
    Col("document", "Document", to_text, default=""),
    Col("subject", "Subject", to_text, default=""),
    Col("outcome", "Outcome", to_text, True), Col("detail", "Detail", to_text, default=""),
))
"""Every customer update drafted or sent (issue 23): a posted record, append-only."""
CUSTOMER_UPDATES = SheetSpec("Customer Updates", (
    Col("customer", "Customer"), Col("email", "Email"), Col("event", "Event"),
    Col("order_id", "Order ID"), Col("subject", "Subject"), Col("preview", "Preview"),
    Col("status", "Status"), Col("mail_link", "Mail Link"),
))
"""The messages of the last notify run (a view, rebuilt by each): Status is Drafted,
Sent or Failed; Mail Link a `mailto:` link that opens the message in a mail program."""
ISSUES = SheetSpec("Issues", (
    Col("sheet", "Sheet"), Col("cell", "Cell"), Col("severity", "Severity"), Col("code", "Code"),
    Col("order_id", "Order ID"), Col("message", "Message"),
))
RECONCILIATION = SheetSpec("Reconciliation", (  # issue 21: posted, append-only
    Col("payment_id", "Payment ID", to_text, True), Col("date", "Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text, default=""),
    Col("invoice_no", "Invoice No", to_text, default=""),
    Col("applied", "Applied", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("rule", "Rule", to_text, True),
    Col("unapplied", "Unapplied", to_signed_money, default=Decimal(0), fmt=MNY),
    Col("note", "Note", to_text, default=""),
    Col("currency", "Currency", to_code, default=""),
    Col("posted_on", "Posted On", to_date, fmt=D),
))
AR_AGING = SheetSpec("AR Aging", (  # issue 21: a view, rebuilt
    Col("customer_id", "Customer ID"), Col("customer_name", "Customer Name"),
    Col("currency", "Currency"), Col("current", "Current", fmt=MNY),
    Col("d1_30", "1-30", fmt=MNY), Col("d31_60", "31-60", fmt=MNY),
    Col("d61_90", "61-90", fmt=MNY), Col("over_90", "Over 90", fmt=MNY),
    Col("total", "Total", fmt=MNY), Col("credit", "Unapplied Credit", fmt=MNY),
    Col("dso", "DSO", fmt=MNY), Col("dso_formula", "DSO Formula"),
))
