"""A worksheet's <dataValidations>: the dropdowns a plan writes (`plan.ListValidation`,
Shipments' Status), merged into the sheet's own.

A validation whose every range lies in the dropdown's column, from its first row down, is
ordersheet's from an earlier run (or one the dropdown replaces) and gives way; every other
one is the user's and is kept as it is, byte for byte, as are the x14 validations in the
sheet's extLst. The element goes where the OOXML schema puts it in a worksheet: after
conditionalFormatting, before hyperlinks, printOptions, pageMargins ... (CT_Worksheet's
sequence).
"""

from __future__ import annotations

import re

from .. import plan as p
from ..raw import col_letter, split_a1
from .xmltext import _attrs, _esc, _esc_attr

_AFTER = ("hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
          "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
          "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
          "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
"""What follows <dataValidations> in a worksheet, in order."""


def _element(P: bytes, name: bytes) -> re.Pattern:
    E = re.escape(P)
    return re.compile(rb"<" + E + name + rb"(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + name + rb">)",
                      re.S)


def _in_column(item: bytes, v: p.ListValidation) -> bool:
    """Does validation `item` cover only cells of `v`'s column from its first row down?"""
    sqref = _attrs(item.split(b">", 1)[0] + b">").get("sqref", "")
    try:
        boxes = [[split_a1(a) for a in part.split(":")] for part in sqref.split()]
    except ValueError:
        return False
    return bool(boxes) and all(
        all(c == v.col and r >= v.first_row for r, c in box) for box in boxes)


def _xml(P: bytes, v: p.ListValidation) -> bytes:
    words = ", ".join(v.choices)
    letter = col_letter(v.col)
    title = f' errorTitle="{_esc_attr(v.title)}"' if v.title else ""
    return (f'<{P.decode()}dataValidation type="list" errorStyle="stop" allowBlank="1" '
            f'showErrorMessage="1"{title} error="{_esc_attr("Choose one of: " + words)}" '
            f'sqref="{letter}{v.first_row}:{letter}{v.last_row}"><{P.decode()}formula1>'
            f'{_esc(chr(34) + ",".join(v.choices) + chr(34))}</{P.decode()}formula1>'
            f'</{P.decode()}dataValidation>').encode("utf-8")


def edit(tail: bytes, P: bytes, validations: list[p.ListValidation]) -> bytes:
    """The sheet's tail (what follows <sheetData>) with `validations` written in."""
    if not validations:
        return tail
    whole = _element(P, b"dataValidations").search(tail)
    items = _element(P, b"dataValidation").findall(whole.group(0)) if whole else []
    for v in validations:
        items = [x for x in items if not _in_column(x, v)]
    items += [_xml(P, v) for v in validations]
    new = (b"<" + P + b'dataValidations count="%d">' % len(items) + b"".join(items)
           + b"</" + P + b"dataValidations>")
    if whole:
        return tail[:whole.start()] + new + tail[whole.end():]
    from .sheet_parts import _insert_before

    return _insert_before(tail, P, _AFTER, new)
