"""Pure order-management rules: stdlib + pydantic only, no I/O, no clock, no workbook."""
