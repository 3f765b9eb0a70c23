"""ordersheet for xlwings Lite: paste this file into the main.py tab of xlwings Lite and
put `ordersheet` in the requirements.txt tab (see README.md next to this file).

xlwings Lite lists every script (button) and custom function it finds in this module, so
importing them is all this file does. The code lives in the `ordersheet` package, the same
one the command line uses, so a button click and `ordersheet run` give the same results.
"""

from ordersheet.excel import (  # noqa: F401 - imported so xlwings Lite lists them
    create_invoices,
    dispatch_shipments,
    line_total,
    order_price,
    plan_shipments,
    price_orders,
    process_orders,
    reserve_stock,
    show_document,
    stock_available,
    validate_orders,
)
