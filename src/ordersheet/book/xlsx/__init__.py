"""The headless .xlsx engine: reads an order book fast and writes back only what changed.

Reading uses python-calamine (a native reader, the speed floor); where calamine is absent
(Pyodide) a pure-Python reader tokenises the same parts with regexes over normalised XML.
Before any parser sees a part, the package is checked from its zip directory and each part
is inflated under a hard cap (`limits`), so zip bombs, lying directories, DTD entity bombs
and absurd used ranges (`scan`) are refused with a one-line `WorkbookError` and bounded
memory.

Writing works at the package level: every zip member the plan does not touch is copied
byte for byte (compressed bytes and all); only the worksheet parts a plan touches, and the
workbook, relationship, content-type, styles, table, comment and VML parts that go with
them, are rewritten. A worksheet is rewritten in one streaming pass: untouched rows are
copied as raw bytes, touched rows are merged cell by cell, so user cells, formulas, styles
and extensions (x14 data validations, sparklines, conditional formats in `extLst`) survive.
Strings are written as inline strings: text, never formulas. The file is replaced
atomically, keeping one `.bak` generation (`..files`).

A 100,000-line run writes about nine million cells, so the write is built for that: no
sheet is ever held whole. A sheet is read in pieces (`sheet_stream`), its new cells are
rendered a chunk of rows at a time, column by column (`cells._render_column`), rows are
joined by slice assignment (`cells._join`), and the XML goes straight into the new zip,
compressed in a second thread while the next rows are rendered (`zipout`). The rows of
Orders that only get tool cells appended are checked in bulk (`sheet_writer`); every
shortcut writes exactly what merging cell by cell writes (`row_merge`; tests/book/
test_xlsx_writer.py holds them against it).

README.md beside this file is the design note: why the package is edited in place, how a
save flows through these modules, and what each fast path saves.
"""

from .book import XlsxBook, engine_name

__all__ = ["XlsxBook", "engine_name"]
