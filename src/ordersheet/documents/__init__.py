"""Printable documents: one content model per document (`model`), rendered to PDF (`pdf`)
and, by `book.print_sheet`, to the Invoice and Packing Slip print sheets.

Imports `domain` only (and fpdf2 in `pdf`); never `book`, `app` or the entry points."""
