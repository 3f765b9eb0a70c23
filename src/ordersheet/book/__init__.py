"""The workbook boundary: sheet contract, cell coercion, and the engines that read and
write a workbook (.xlsx files for the CLI, live xlwings books for Excel)."""
