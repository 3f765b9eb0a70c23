"""The sheets users type into (CONTRACT §3), column by column, and the columns ordersheet
adds to two of them (CONTRACT §5)."""

from __future__ import annotations

from decimal import Decimal

from .coerce import (to_bool, to_code, to_date, to_lenient_text, to_lower_text, to_money,
                     to_percent, to_priority, to_quantity, to_rate, to_signed_money, to_text,
                     to_whole)
from .spec import MNY, Col, D, SheetSpec, T

# Headers other systems export a column under (`Col.also`), shared by several sheets.
_ITEM = ("Item Code", "Product Code", "Item No", "Item Number", "Part Number", "Article",
         "Internal Reference")
_CUSTOMER = ("Customer", "Customer Code", "Customer No", "Customer Number", "Client")
_COUNTRY = ("Country Code",)
_TAX_CLASS = ("Tax Category",)

ORDERS = SheetSpec("Orders", (
    Col("order_id", "Order ID", to_text, True,
        also=("Order", "Order No", "Order Number", "Sales Order", "Order Reference", "ID")),
    Col("line", "Line", to_whole, also=("Line No", "Line Number", "Position")),
    Col("order_date", "Order Date", to_date, True, fmt=D,
        also=("Date", "Transaction Date", "Date Order", "Ordered On")),
    Col("customer_id", "Customer ID", to_text, True, also=_CUSTOMER),
    Col("sku", "SKU", to_text, True, also=_ITEM + ("Item", "Product")),
    Col("quantity", "Quantity", to_quantity, True, fmt="int",
        also=("Qty", "Ordered Qty", "Order Qty", "Qty Ordered", "Quantity Ordered",
              "product_uom_qty")),
    Col("unit_price", "Unit Price", to_money, fmt=MNY,
        also=("Rate", "Unit Rate", "Price Each", "Sales Price", "price_unit")),
    Col("requested_date", "Requested Date", to_date, fmt=D,
        also=("Delivery Date", "Requested Delivery Date", "Required By", "Ship By",
              "Commitment Date")),
    Col("priority", "Priority", to_priority, default="Normal"),
    Col("warehouse", "Warehouse", to_text,
        also=("Delivery Warehouse", "Source Warehouse", "Ship From")),
    Col("ship_method", "Ship Method", to_text,
        also=("Shipping Method", "Delivery Method", "Ship Via")),
    Col("notes", "Notes", to_text, default="", fmt=T,
        also=("Note", "Comments", "Comment", "Remarks", "Memo")),
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
    Col("sku", "SKU", to_text, True, also=_ITEM),
    Col("description", "Description", to_text, default="",
        also=("Item Name", "Product Name", "Name")),
    Col("list_price", "List Price", to_money, True, fmt=MNY,
        also=("Price", "Unit Price", "Sales Price", "Selling Price", "Standard Selling Rate",
              "Rate")),
    Col("weight", "Weight", to_money, default=Decimal(0),
        also=("Weight Per Unit", "Unit Weight", "Net Weight")),
    Col("tax_class", "Tax Class", to_lower_text, default="standard", also=_TAX_CLASS),
    Col("active", "Active", to_bool, default=True, also=("Enabled",)),
    Col("lead_time_days", "Lead Time Days", to_whole, also=("Lead Time",)),
    Col("supplier", "Supplier", to_text, default="", also=("Vendor",)),
), key=("sku",))

INVENTORY = SheetSpec("Inventory", (
    Col("sku", "SKU", to_text, True, also=_ITEM + ("Item", "Product")),
    Col("warehouse", "Warehouse", to_text, default="MAIN",
        also=("Stock Location", "Site")),
    Col("on_hand", "On Hand", to_whole, True, fmt="int",
        also=("Qty", "Quantity", "Qty On Hand", "On Hand Qty", "Quantity On Hand",
              "Actual Qty", "Stock", "In Stock")),
    Col("bin", "Bin", to_text, default="", also=("Bin Location", "Shelf")),
    Col("reorder_point", "Reorder Point", to_whole, also=("Reorder Level", "Minimum Stock")),
    Col("reorder_qty", "Reorder Qty", to_whole, also=("Reorder Quantity",)),
    Col("lead_time_days", "Lead Time Days", to_whole, also=("Lead Time",)),
), key=("sku", "warehouse"))

INVENTORY_TOOL_COLUMNS = (Col("reserved", "Reserved", fmt="int"),
                          Col("available", "Available", fmt="int"))

CUSTOMERS = SheetSpec("Customers", (
    Col("customer_id", "Customer ID", to_text, True, also=_CUSTOMER + ("ID",)),
    Col("name", "Name", to_text, default="",
        also=("Customer Name", "Company Name", "Company", "Full Name")),
    Col("email", "Email", to_text, default="", also=("Email Address", "Email Id")),
    Col("country", "Country", to_code, default="", also=_COUNTRY),
    Col("currency", "Currency", to_code, default="",
        also=("Default Currency", "Billing Currency")),
    Col("credit_limit", "Credit Limit", to_money, fmt=MNY),
    Col("payment_terms_days", "Payment Terms Days", to_whole, default=30,
        also=("Net Days", "Payment Days")),
    Col("discount", "Discount %", to_percent, fmt="pct", also=("Discount",)),
    Col("tax_exempt", "Tax Exempt", to_bool, default=False),
    Col("on_hold", "On Hold", to_bool, default=False),
    Col("ship_to", "Ship To", to_text, default="",
        also=("Shipping Address", "Delivery Address")),
    Col("bill_to", "Bill To", to_text, default="",
        also=("Billing Address", "Invoice Address")),
    Col("tax_id", "Tax ID", to_text, default="",
        also=("VAT ID", "VAT Number", "Tax Number")),
), key=("customer_id",))

PRICE_RULES = SheetSpec("Price Rules", (
    Col("sku", "SKU", to_text),
    Col("customer_id", "Customer ID", to_text),
    Col("min_qty", "Min Qty", to_whole, default=1, also=("Minimum Qty", "Min Quantity")),
    Col("unit_price", "Unit Price", to_money, fmt=MNY, also=("Price", "Rate")),
    Col("discount", "Discount %", to_percent, fmt="pct", also=("Discount",)),
    Col("currency", "Currency", to_code, default=""),
    Col("valid_from", "Valid From", to_date, fmt=D),
    Col("valid_to", "Valid To", to_date, fmt=D),
))

TAX_RATES = SheetSpec("Tax Rates", (
    Col("country", "Country", to_code, True, also=_COUNTRY),
    Col("tax_class", "Tax Class", to_lower_text, True, also=_TAX_CLASS),
    Col("rate", "Rate %", to_percent, True, fmt="pct",
        also=("Rate", "Tax Rate", "Tax %", "VAT Rate", "VAT %")),
), key=("country", "tax_class"))

FX_RATES = SheetSpec("FX Rates", (
    Col("currency", "Currency", to_code, True, also=("Currency Code", "Code")),
    Col("rate", "Rate", to_rate, True, also=("Exchange Rate", "FX Rate", "Conversion Rate")),
), key=("currency",))

SHIPPING_RATES = SheetSpec("Shipping Rates", (
    Col("carrier", "Carrier", to_text, True),
    Col("service", "Service", to_text, True),
    Col("country", "Country", to_code, default="*"),
    Col("max_weight", "Max Weight", to_money, also=("Weight Limit",)),
    Col("cost", "Cost", to_money, True, fmt=MNY, also=("Price", "Rate", "Shipping Cost")),
    Col("transit_days", "Transit Days", to_whole, default=0,
        also=("Transit Time", "Delivery Days")),
))

PAYMENTS = SheetSpec("Payments", (
    Col("payment_id", "Payment ID", to_text, True,
        also=("Payment No", "Transaction ID", "ID")),
    Col("date", "Date", to_date, True, fmt=D,
        also=("Payment Date", "Posting Date", "Transaction Date", "Value Date")),
    Col("customer_id", "Customer ID", to_text, also=_CUSTOMER + ("Party",)),
    Col("amount", "Amount", to_signed_money, True, fmt=MNY,
        also=("Paid Amount", "Amount Paid")),
    Col("currency", "Currency", to_code, default=""),
    Col("reference", "Reference", to_text, default="", also=("Ref", "Reference No", "Memo")),
    # issue 21: the user's own match, and who paid as the bank names them
    Col("invoice_no", "Invoice No", to_text, default="", also=("Invoice", "Invoice Number",
                                                              "Invoices")),
    Col("payer", "Payer", to_text, default="", also=("Payer Name", "Remitter")),
), key=("payment_id",))

RETURNS = SheetSpec("Returns", (
    Col("order_id", "Order ID", to_text, True,
        also=("Order", "Order No", "Order Number", "Sales Order")),
    Col("line", "Line", to_whole, also=("Line No", "Line Number")),
    Col("sku", "SKU", to_text, also=_ITEM + ("Item", "Product")),
    Col("quantity", "Quantity", to_quantity, True, also=("Qty", "Return Qty", "Returned Qty")),
    Col("date", "Date", to_date, True, fmt=D, also=("Return Date",)),
    Col("reason", "Reason", to_text, default="", also=("Return Reason",)),
    Col("condition", "Condition", to_text, default="Resellable"),
    Col("exchange_sku", "Exchange SKU", to_text, default="",
        also=("Replacement SKU", "Exchange Item")),
))

MESSAGE_TEMPLATES = SheetSpec("Message Templates", (
    Col("event", "Event", to_text, True),
    Col("subject", "Subject", to_text, default="", fmt=T),
    Col("body", "Body", to_text, default="", fmt=T),
))
"""The wording of customer updates (issue 23, `domain/updates.py`)."""

RETURNS_TOOL_COLUMNS = (Col("status", "Status"), Col("credit_note", "Credit Note"))
"""ordersheet's columns at the right of Returns: Accepted / Rejected, and the credit note
an accepted return produced."""

INPUT_SHEETS = (ORDERS, PRODUCTS, INVENTORY, CUSTOMERS, PRICE_RULES, TAX_RATES, FX_RATES,
                SHIPPING_RATES, PAYMENTS, RETURNS, MESSAGE_TEMPLATES)
