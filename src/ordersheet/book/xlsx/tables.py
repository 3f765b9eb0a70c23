"""Excel Tables: the table part of a tool sheet, and a user table's range and columns
edited in place; valid table and column names."""

from __future__ import annotations

import re
from typing import Any

from ..plan import TABLE_STYLE
from ..port import WorkbookError
from .ooxml import NS_MAIN, XML_DECL
from .xmltext import _esc_attr, _prefix_of, _set_attr, _trusted


def _table_xml(tid: int, name: str, ref: str, columns: list[str]) -> bytes:
    cols = "".join(f'<tableColumn id="{i}" name="{_esc_attr(c)}"/>'
                   for i, c in enumerate(columns, start=1))
    return (XML_DECL + (
        f'<table xmlns="{NS_MAIN}" id="{tid}" name="{_esc_attr(name)}" '
        f'displayName="{_esc_attr(name)}" ref="{ref}" totalsRowShown="0"><autoFilter '
        f'ref="{ref}"/><tableColumns count="{len(columns)}">{cols}</tableColumns>'
        f'<tableStyleInfo name="{TABLE_STYLE}" showFirstColumn="0" showLastColumn="0" '
        'showRowStripes="1" showColumnStripes="0"/></table>').encode())


def _unique_names(names: list[Any]) -> list[str]:
    """Table column names: text, non-empty, unique ignoring case (Excel's rule)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, n in enumerate(names, start=1):
        base = str(n).strip() if n is not None and str(n).strip() else f"Column{i}"
        base = base.replace("\n", " ").replace("\r", " ")
        name, k = base, 2
        while name.lower() in seen:
            name = f"{base}{k}"
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def _table_name(want: str) -> str:
    """A valid Excel table name: letters, digits, '_' and '.', not a cell reference."""
    name = re.sub(r"[^\w.]", "_", want) or "Table"
    if not (name[0].isalpha() or name[0] == "_"):
        name = "_" + name
    if re.fullmatch(r"(?i)[a-z]{1,3}\d+|r\d*c\d*|[rc]", name):
        name = "_" + name
    return name[:255]


def _edit_table(xml: bytes, ref: str | None = None, add_columns: list[str] = (),
                totals_rows: int = 0) -> bytes:
    """Change a user table's range and append columns, keeping everything else. The
    autoFilter covers the header and data rows, never the totals row (Excel's own
    layout: a filter over the totals row hides it)."""
    xml = _trusted(xml, "table")
    P = _prefix_of(xml, "table")
    E = re.escape(P)
    if ref:
        root = re.search(rb"<" + E + rb"table(?=[\s>])[^>]*>", xml)
        xml = xml[:root.start()] + _set_attr(root.group(0), "ref", ref) + xml[root.end():]
        af = re.search(rb"<" + E + rb"autoFilter(?=[\s/>])[^>]*?/?>", xml)
        if af:
            filtered = ref
            if totals_rows:
                a, _, b = ref.partition(":")
                letters = "".join(ch for ch in b if ch.isalpha())
                last = int("".join(ch for ch in b if ch.isdigit())) - totals_rows
                filtered = f"{a}:{letters}{last}"
            xml = xml[:af.start()] + _set_attr(af.group(0), "ref", filtered) + xml[af.end():]
    if add_columns:
        ids = [int(x) for x in re.findall(rb"<" + E + rb"tableColumn\s[^>]*?\bid=\"(\d+)\"", xml)]
        nxt = max(ids + [0]) + 1
        items = b"".join(b"<" + P + b'tableColumn id="%d" name="' % (nxt + i) +
                         _esc_attr(n).encode() + b'"/>' for i, n in enumerate(add_columns))
        count = len(re.findall(rb"<" + E + rb"tableColumn(?=[\s/>])", xml)) + len(add_columns)
        end = xml.find(b"</" + P + b"tableColumns>")
        if end < 0:
            raise WorkbookError("a table has no column list")
        xml = xml[:end] + items + xml[end:]
        cm = re.search(rb"<" + E + rb"tableColumns(?=[\s>])[^>]*>", xml)
        xml = xml[:cm.start()] + _set_attr(cm.group(0), "count", str(count)) + xml[cm.end():]
    return xml
