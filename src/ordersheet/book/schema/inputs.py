"""The sheets users type into (CONTRACT §3), column by column, and the columns ordersheet
adds to two of them (CONTRACT §5)."""

from __future__ import annotations

from decimal import Decimal

from .coerce import (to_bool, to_code, to_date, to_lenient_text, to_lower_text, to_money,
                     to_percent, to_priority, to_quantity, to_signed_money, to_text, to_whole)
from .spec import MNY, Col, D, SheetSpec, T

ORDERS = SheetSpec("Orders", (
    Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole),
    Col("order_date", "Order Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text, True),
    Col("sku", "SKU", to_text, True),
    Col("quantity", "Quantity", to_quantity, True, fmt="int"),
    Col("unit_price", "Unit Price", to_money, fmt=MNY),
    Col("requested_date", "Requested Date", to_date, fmt=D),
    Col("priority", "Priority", to_priority, default="Normal"),
    Col("warehouse", "Warehouse", to_text),
    Col("ship_method", "Ship Method", to_text),
    Col("notes", "Notes", to_text, default="", fmt=T),
), key=("order_id", "line"))

# Tool-managed columns on Orders (CONTRACT §5), in the order they are added.
ORDER_TOOL_COLUMNS: tuple[Col, ...] = (
    Col("status", "Status", to_lenient_text),
    Col("price", "Price", fmt="price"),
    Col("net", "Net", fmt=MNY),
    Col("tax", "Tax", fmt=MNY),
    Col("total", "Total", fmt=MNY),
    Col("currency", "Currency"),
    Col("reserved", "Reserved", fmt="int"),
    Col("backordered", "Backordered", fmt="int"),
    Col("shipped", "Shipped", fmt="int"),
    Col("shipment", "Shipment"),
    Col("invoice", "Invoice"),
    Col("explain", "Price Explained"),
)

PRODUCTS = SheetSpec("Products", (
    Col("sku", "SKU", to_text, True),
    Col("description", "Description", to_text, default=""),
    Col("list_price", "List Price", to_money, True, fmt=MNY),
    Col("weight", "Weight", to_money, default=Decimal(0)),
    Col("tax_class", "Tax Class", to_lower_text, default="standard"),
    Col("active", "Active", to_bool, default=True),
), key=("sku",))

INVENTORY = SheetSpec("Inventory", (
    Col("sku", "SKU", to_text, True),
    Col("warehouse", "Warehouse", to_text, default="MAIN"),
    Col("on_hand", "On Hand", to_whole, True, fmt="int"),
    Col("bin", "Bin", to_text, default=""),
    Col("reorder_point", "Reorder Point", to_whole),
    Col("reorder_qty", "Reorder Qty", to_whole),
    Col("lead_time_days", "Lead Time Days", to_whole),
), key=("sku", "warehouse"))

INVENTORY_TOOL_COLUMNS = (Col("reserved", "Reserved", fmt="int"),
                          Col("available", "Available", fmt="int"))

CUSTOMERS = SheetSpec("Customers", (
    Col("customer_id", "Customer ID", to_text, True),
    Col("name", "Name", to_text, default=""),
    Col("email", "Email", to_text, default=""),
    Col("country", "Country", to_code, default=""),
    Col("currency", "Currency", to_code, default=""),
    Col("credit_limit", "Credit Limit", to_money, fmt=MNY),
    Col("payment_terms_days", "Payment Terms Days", to_whole, default=30),
    Col("discount", "Discount %", to_percent, fmt="pct"),
    Col("tax_exempt", "Tax Exempt", to_bool, default=False),
    Col("on_hold", "On Hold", to_bool, default=False),
    Col("ship_to", "Ship To", to_text, default=""),
    Col("bill_to", "Bill To", to_text, default=""),
    Col("tax_id", "Tax ID", to_text, default=""),
), key=("customer_id",))

PRICE_RULES = SheetSpec("Price Rules", (
    Col("sku", "SKU", to_text),
    Col("customer_id", "Customer ID", to_text),
    Col("min_qty", "Min Qty", to_whole, default=1),
    Col("unit_price", "Unit Price", to_money, fmt=MNY),
    Col("discount", "Discount %", to_percent, fmt="pct"),
    Col("currency", "Currency", to_code, default=""),
    Col("valid_from", "Valid From", to_date, fmt=D),
    Col("valid_to", "Valid To", to_date, fmt=D),
))

TAX_RATES = SheetSpec("Tax Rates", (
    Col("country", "Country", to_code, True),
    Col("tax_class", "Tax Class", to_lower_text, True),
    Col("rate", "Rate %", to_percent, True, fmt="pct"),
), key=("country", "tax_class"))

FX_RATES = SheetSpec("FX Rates", (
    Col("currency", "Currency", to_code, True),
    Col("rate", "Rate", to_money, True),
), key=("currency",))

SHIPPING_RATES = SheetSpec("Shipping Rates", (
    Col("carrier", "Carrier", to_text, True),
    Col("service", "Service", to_text, True),
    Col("country", "Country", to_code, default="*"),
    Col("max_weight", "Max Weight", to_money),
    Col("cost", "Cost", to_money, True, fmt=MNY),
    Col("transit_days", "Transit Days", to_whole, default=0),
))

PAYMENTS = SheetSpec("Payments", (
    Col("payment_id", "Payment ID", to_text, True),
    Col("date", "Date", to_date, True, fmt=D),
    Col("customer_id", "Customer ID", to_text),
    Col("amount", "Amount", to_signed_money, True, fmt=MNY),
    Col("currency", "Currency", to_code, default=""),
    Col("reference", "Reference", to_text, default=""),
), key=("payment_id",))

RETURNS = SheetSpec("Returns", (
    Col("order_id", "Order ID", to_text, True),
    Col("line", "Line", to_whole),
    Col("sku", "SKU", to_text),
    Col("quantity", "Quantity", to_quantity, True),
    Col("date", "Date", to_date, True, fmt=D),
    Col("reason", "Reason", to_text, default=""),
    Col("condition", "Condition", to_text, default="Resellable"),
))

INPUT_SHEETS = (ORDERS, PRODUCTS, INVENTORY, CUSTOMERS, PRICE_RULES, TAX_RATES, FX_RATES,
                SHIPPING_RATES, PAYMENTS, RETURNS)
