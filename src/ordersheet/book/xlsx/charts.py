"""Native charts on ordersheet's view sheets (the Dashboard, issue 22): the chart and
drawing parts, spliced into the package as the sheets are.

The DrawingML is not hand-written: openpyxl's chart model (`openpyxl.chart`) builds each
chart and `openpyxl.drawing.spreadsheet_drawing` the drawing that anchors them, and we
serialise those models to XML (as openpyxl's own writer does in `writer/excel.py`). It is
the one place this engine uses openpyxl, imported only when a plan has charts: a chart's
XML is a deep schema (axes ids, number caches, text properties) that a well-kept library
gets right, and the rest of the engine still edits the package in place.

Per sheet with an `AddCharts`: the drawing ordersheet put there before (it is ordersheet's
own sheet, rebuilt by every report) goes, with its chart parts and their relationships;
a new `xl/drawings/drawingN.xml` (+ rels) holds one anchor per chart, each
`xl/charts/chartN.xml` points its series at the sheet's own cells, the sheet gains
`<drawing r:id>` and a relationship, and [Content_Types].xml an override per part. No
other sheet's drawing is read or touched, so a user's chart elsewhere stays as it is.
"""

from __future__ import annotations

import posixpath
import re

from .. import plan as p
from ..raw import col_letter
from .ooxml import REL, XML_DECL
from .package import _parse_rels, _Sheet
from .sheet_parts import _insert_before
from .xmltext import _attrs

REL_DRAWING = REL + "drawing"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_AFTER_DRAWING = ("legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                  "controls", "webPublishItems", "tableParts", "extLst")
"""Elements of a worksheet that come after <drawing> (ECMA-376 CT_Worksheet order)."""


def _ref(sheet: str, col: int, r1: int, r2: int | None = None) -> str:
    quoted = "'" + sheet.replace("'", "''") + "'"
    letter = col_letter(col)
    cell = f"${letter}${r1}"
    return f"{quoted}!{cell}" + (f":${letter}${r2}" if r2 is not None else "")


def chart_model(chart: p.Chart, sheet: str):
    """The openpyxl chart of `chart`, its series and categories on `sheet`'s cells."""
    from openpyxl.chart import BarChart, LineChart, Reference, Series
    from openpyxl.chart.data_source import StrRef
    from openpyxl.chart.series import SeriesLabel

    model = LineChart() if chart.kind == "line" else BarChart()
    model.title = chart.title
    model.style = 10
    model.width, model.height = 16.0, 7.5
    first, last = chart.first_row + 1, chart.last_row
    for col in chart.series_cols:
        series = Series(Reference(range_string=_ref(sheet, col, first, last)))
        series.tx = SeriesLabel(strRef=StrRef(_ref(sheet, col, chart.first_row)))
        if chart.kind == "line":  # a month alone is a point: show it
            series.marker.symbol = "circle"
        model.series.append(series)
    model.set_categories(Reference(range_string=_ref(sheet, chart.cat_col, first, last)))
    if chart.y_title:
        model.y_axis.title = chart.y_title
    if chart.y_title == "%":
        model.y_axis.scaling.min, model.y_axis.scaling.max = 0, 100
    # openpyxl 3.1 writes axes as deleted unless told otherwise: Excel would hide them
    model.x_axis.delete = False
    model.y_axis.delete = False
    model.anchor = chart.anchor
    return model


def chart_parts(charts: list[p.Chart], sheet: str, numbers: list[int]
                ) -> tuple[bytes, bytes, list[bytes]]:
    """(drawing XML, drawing rels XML, each chart's XML) for `charts` on `sheet`, the
    charts to be stored as xl/charts/chart{numbers[i]}.xml."""
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.xml.functions import tostring

    drawing = SpreadsheetDrawing()
    models = []
    for chart, n in zip(charts, numbers):
        model = chart_model(chart, sheet)
        model._id = n  # its part name: /xl/charts/chart{n}.xml
        models.append(model)
    drawing.charts = models
    tree = drawing._write()
    rels = drawing._write_rels()
    return (XML_DECL + tostring(tree), XML_DECL + tostring(rels),
            [XML_DECL + tostring(m._write()) for m in models])


class _ChartParts:
    """The chart steps of a save, a mixin of `save._Build` (which holds the parts,
    relationships and content types these methods add to)."""

    def _charts_tail(self, sheet: _Sheet | None, name: str, path: str, rels_path: str,
                     tail: bytes, P: bytes, rp: bytes) -> bytes:
        """The sheet's tail with ordersheet's drawing of `name` replaced by one holding the
        plan's charts (none: the old drawing just goes)."""
        charts = self.charts.get(name)
        if charts is None:
            return tail
        E = re.escape(P)
        m = re.search(rb"<" + E + rb"drawing(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + rb"drawing>)",
                      tail, re.S)
        if m:
            rid = next((v for k, v in _attrs(m.group(0)).items() if k.endswith(":id")), "")
            old = next((r for r in (sheet.rels if sheet else []) if r.id == rid), None)
            if old is not None and not old.external:
                self._drop_drawing(old.target)
            if rid:
                self.rel_remove(rels_path, rid)
            tail = tail[:m.start()] + tail[m.end():]
        if not charts:
            return tail
        numbers = []
        for _ in charts:
            part = self.new_name("xl/charts/chart{}.xml")
            numbers.append(int(re.search(r"(\d+)\.xml$", part).group(1)))
        drawing_xml, drawing_rels, chart_xmls = chart_parts(charts, name, numbers)
        drawing = self.new_name("xl/drawings/drawing{}.xml")
        d, f = posixpath.split(drawing)
        self.put(drawing, drawing_xml)
        self.put(posixpath.join(d, "_rels", f + ".rels"), drawing_rels)
        self.ct_add[drawing] = CT_DRAWING
        for n, xml in zip(numbers, chart_xmls):
            part = f"xl/charts/chart{n}.xml"
            self.put(part, xml)
            self.ct_add[part] = CT_CHART
        rid = self.rel_add(rels_path, path, REL_DRAWING, drawing)
        item = b"<" + P + b"drawing " + rp + b'id="' + rid.encode() + b'"/>'
        return _insert_before(tail, P, _AFTER_DRAWING, item)

    def _drop_drawing(self, drawing: str) -> None:
        """Remove a drawing part of ordersheet's view sheet, the charts it anchors and
        what those charts refer to (their colours and styles)."""
        real = self.pkg.find(drawing)
        if real is None:
            return
        for part in [real] + self._targets(real):
            for inner in self._targets(part):
                self._remove_with_rels(inner)
            self._remove_with_rels(part)

    def _targets(self, part: str) -> list[str]:
        d, f = posixpath.split(part)
        rels = self.pkg.find(posixpath.join(d, "_rels", f + ".rels"))
        if rels is None:
            return []
        return [r.target for r in _parse_rels(self.pkg.read(rels), part, rels)
                if not r.external and self.pkg.find(r.target)]

    def _remove_with_rels(self, part: str) -> None:
        d, f = posixpath.split(part)
        self.remove(part)
        rels = self.pkg.find(posixpath.join(d, "_rels", f + ".rels"))
        if rels is not None:
            self.remove(rels)
