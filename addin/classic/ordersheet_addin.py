"""Python side of the ordersheet ribbon add-in (ordersheet_addin.xlam).

xlwings' ribbon template wires its button to the VBA callback `RibbonMyAddin.RunMain`,
which runs `import ordersheet_addin; ordersheet_addin.main()` (the module is named after
the .xlam). Keep this file on the add-in's PYTHONPATH (see README.md).
"""

import xlwings as xw

from ordersheet import excel


def main():
    """Process orders: validate, price, reserve, plan shipments, invoice what is Shipped,
    on the workbook in front of the user (not on the add-in itself)."""
    excel.process_orders(xw.books.active)
