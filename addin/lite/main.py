"""ordersheet for xlwings Lite, to paste into the main.py tab.

This file only imports ordersheet's scripts (buttons) and custom functions, so that
xlwings Lite lists them; the code is the `ordersheet` package, the one the command line
uses. Paste it as it is when requirements.txt installs ordersheet from a hosted wheel
(`ordersheet lite DIR --wheel-url URL` writes both files and the wheel). Without a hosted
wheel, paste the main.py that `ordersheet lite DIR` writes instead: it carries the package.
"""

from ordersheet.excel import (  # noqa: E402,F401 - xlwings Lite lists what main.py imports
    cancel_order,
    create_invoices,
    customer_updates,
    dispatch_shipments,
    line_total,
    open_balance,
    order_price,
    plan_shipments,
    price_orders,
    process_orders,
    process_returns,
    reconcile_payments,
    refresh_dashboard,
    reserve_stock,
    show_document,
    stock_available,
    validate_orders,
)
