"""Workbooks for the .xlsx engine tests, built at test time into tmp folders.

- `orders_book`: a small order book (Excel Table or plain block at an offset, dates,
  error cells, numbers stored as text, formulas with cached values).
- `preservation_book`: every feature an in-place run must keep: charts, an image, a
  pivot table, x14 data validations and data bars, sparklines, slicers, a dynamic-array
  formula, cached formula values, notes, a form-control button, a chartsheet, sheet-scoped
  defined names, an `xl/webextensions` part (where xlwings Lite keeps its code) and, for
  .xlsm, a VBA project. xlsxwriter writes what it can; the rest is raw XML patched in.
- hostile packages (`zip_bomb`, `entity_bomb`, `huge_dimension`, `far_cell`,
  `huge_shared_strings`, `lying_zip`): small on disk, refused before their body is parsed.
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import xlsxwriter

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

ORDERS_HEADER = ["Order ID", "Order Date", "Customer ID", "SKU", "Quantity", "Note"]
ORDERS_ROWS = [
    ["SO-1", dt.date(2026, 3, 2), "C001", "SKU-A", 2, "rush"],
    ["SO-1", dt.date(2026, 3, 2), "C001", "SKU-B", 1, None],
    ["SO-2", dt.date(2026, 3, 3), "C002", "SKU-A", 5, "=cmd|' /C calc'!A0"],
    ["SO-3", dt.date(2026, 3, 4), "C003", "SKU-C", 3, "+1"],
    ["SO-4", dt.date(2026, 3, 5), "C001", "SKU-B", 4, "@SUM(1)"],
]


def tiny_png() -> bytes:
    """A valid 2x2 red PNG, written by hand (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def orders_book(path: Path, table: bool = True, origin: tuple[int, int] = (0, 0),
                rows: list[list] | None = None) -> Path:
    """Orders (+ Settings with a formula, Inventory as a plain block) with xlsxwriter.
    `origin` is the 0-based top-left of the Orders header (a plain block may start
    anywhere)."""
    rows = ORDERS_ROWS if rows is None else rows
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("Orders")
    r0, c0 = origin
    if table:
        ws.add_table(r0, c0, r0 + max(len(rows), 1), c0 + len(ORDERS_HEADER) - 1, {
            "name": "tblOrders", "columns": [{"header": h} for h in ORDERS_HEADER]})
    else:
        ws.write_row(r0, c0, ORDERS_HEADER)
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row, start=c0):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            elif isinstance(v, str):
                ws.write_string(i, j, v)
            else:
                ws.write(i, j, v)
    inv = wb.add_worksheet("Inventory")
    inv.write_row(2, 1, ["SKU", "Warehouse", "On Hand"])
    inv.write_row(3, 1, ["SKU-A", "MAIN", 10])
    inv.write_row(4, 1, ["SKU-B", "MAIN", "12"])  # a number stored as text
    inv.write_formula(5, 1, "=NA()", None, "#N/A")
    inv.write_row(5, 2, ["MAIN", 0])
    st = wb.add_worksheet("Settings")
    st.write_row(0, 0, ["Setting", "Value"])
    st.write_row(1, 0, ["Next Invoice Number", 41])
    st.write_string(2, 0, "Doubled")
    st.write_formula(2, 1, "=B2*2", None, 82)
    wb.close()
    return path


# ---- package patching ------------------------------------------------------------------


def patch_zip(path: Path, edits: dict[str, Callable[[bytes], bytes]] | None = None,
              add: dict[str, bytes] | None = None, dest: Path | None = None) -> Path:
    """Rewrite a package: `edits` transform existing parts, `add` appends new ones."""
    edits = edits or {}
    add = add or {}
    dest = dest or path
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename in edits:
                data = edits[info.filename](data)
            zout.writestr(info, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dest


def _insert(before: bytes, item: bytes) -> Callable[[bytes], bytes]:
    def f(xml: bytes) -> bytes:
        i = xml.rindex(before)
        return xml[:i] + item + xml[i:]
    return f


def _chain(*fs: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def f(xml: bytes) -> bytes:
        for g in fs:
            xml = g(xml)
        return xml
    return f


def _override(part: str, ct: str) -> bytes:
    return f'<Override PartName="/{part}" ContentType="{ct}"/>'.encode()


def _rel(rid: str, rtype: str, target: str) -> bytes:
    return f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>'.encode()


PIVOT_CACHE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotCacheDefinition xmlns="{NS_MAIN}" xmlns:r="{NS_R}" r:id="rId1" refreshOnLoad="1" \
recordCount="5" createdVersion="6" refreshedVersion="6" minRefreshableVersion="3">\
<cacheSource type="worksheet"><worksheetSource ref="D1:E6" sheet="Orders"/></cacheSource>\
<cacheFields count="2"><cacheField name="SKU" numFmtId="0"><sharedItems count="3">\
<s v="SKU-A"/><s v="SKU-B"/><s v="SKU-C"/></sharedItems></cacheField>\
<cacheField name="Quantity" numFmtId="0"><sharedItems containsSemiMixedTypes="0" \
containsString="0" containsNumber="1" containsInteger="1" minValue="1" maxValue="5"/>\
</cacheField></cacheFields></pivotCacheDefinition>""".encode()
PIVOT_RECORDS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotCacheRecords xmlns="{NS_MAIN}" xmlns:r="{NS_R}" count="5">\
<r><x v="0"/><n v="2"/></r><r><x v="1"/><n v="1"/></r><r><x v="0"/><n v="5"/></r>\
<r><x v="2"/><n v="3"/></r><r><x v="1"/><n v="4"/></r></pivotCacheRecords>""".encode()
PIVOT_TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotTableDefinition xmlns="{NS_MAIN}" name="PivotQty" cacheId="7" \
applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" \
applyAlignmentFormats="0" applyWidthHeightFormats="1" dataCaption="Values" \
updatedVersion="6" minRefreshableVersion="3" useAutoFormatting="1" itemPrintTitles="1" \
createdVersion="6" indent="0" outline="1" outlineData="1" multipleFieldFilters="0">\
<location ref="A3:B7" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>\
<pivotFields count="2"><pivotField axis="axisRow" showAll="0"><items count="4">\
<item x="0"/><item x="1"/><item x="2"/><item t="default"/></items></pivotField>\
<pivotField dataField="1" showAll="0"/></pivotFields><rowFields count="1"><field x="0"/>\
</rowFields><rowItems count="4"><i><x/></i><i><x v="1"/></i><i><x v="2"/></i>\
<i t="grand"><x/></i></rowItems><colItems count="1"><i/></colItems><dataFields count="1">\
<dataField name="Sum of Quantity" fld="1" baseField="0" baseItem="0"/></dataFields>\
<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1" \
showRowStripes="0" showColStripes="0" showLastColumn="1"/></pivotTableDefinition>""".encode()

SLICER_CACHE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<slicerCacheDefinition xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" \
xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x" \
xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" name="Slicer_SKU" \
sourceName="SKU"><pivotTables><pivotTable tabId="5" name="PivotQty"/></pivotTables><data>\
<tabular pivotCacheId="7"><items count="3"><i x="0" s="1"/><i x="1" s="1"/><i x="2" s="1"/>\
</items></tabular></data></slicerCacheDefinition>""".encode()
SLICER = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<slicers xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" \
xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x xr10" \
xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10">\
<slicer name="SKU" cache="Slicer_SKU" caption="SKU" rowHeight="241300"/></slicers>""".encode()

WEBEXT_TASKPANES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11">\
<wetp:taskpane dockstate="right" visibility="0" width="350" row="4"><wetp:webextensionref \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>\
</wetp:taskpane></wetp:taskpanes>""".encode()
XLWINGS_CODE = "import xlwings as xw\\n\\n@script\\ndef hello(book):\\n    pass\\n"
WEBEXT = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" \
id="{{6B5F7E1E-0C52-4B8F-9D0B-6A1C2B3D4E5F}}"><we:reference id="wa200008175" version="1.0.0.0" \
store="en-US" storeType="OMEX"/><we:alternateReferences/><we:properties>\
<we:property name="main.py" value="&quot;{XLWINGS_CODE}&quot;"/>\
<we:property name="requirements.txt" value="&quot;ordersheet\\n&quot;"/></we:properties>\
<we:bindings/><we:snapshot \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>\
</we:webextension>""".encode()

X14_DV_EXT = (
    b'<ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:dataValidations count="1" '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    b'<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>D2:D6</xm:sqref>'
    b'</x14:dataValidation></x14:dataValidations></ext>')
SLICER_LIST_EXT = (
    b'<ext uri="{A8765BA9-456A-4dab-B4F3-ACF838C121DE}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:slicerList><x14:slicer r:id="rIdSlicer1"/></x14:slicerList></ext>')
WB_SLICER_EXT = (
    b'<extLst><ext uri="{BBE1A952-AA13-448e-AADC-164F8A28A991}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:slicerCaches><x14:slicerCache r:id="rIdSlicerCache1"/></x14:slicerCaches></ext>'
    b'</extLst>')

def preservation_book(folder: Path, xlsm: bool = False) -> Path:
    """The preservation corpus (see module docstring). Sheet order: Orders, Lists,
    Dashboard, Pivot, Settings, Chart1 (a chartsheet)."""
    path = folder / ("corpus.xlsm" if xlsm else "corpus.xlsx")
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold_red = wb.add_format({"bold": True, "font_color": "#9C0006"})
    ws = wb.add_worksheet("Orders")
    ws.add_table(0, 0, len(ORDERS_ROWS), len(ORDERS_HEADER) - 1, {
        "name": "tblOrders", "columns": [{"header": h} for h in ORDERS_HEADER]})
    for i, row in enumerate(ORDERS_ROWS, start=1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            elif isinstance(v, str):
                ws.write_string(i, j, v, bold_red if j == 0 else None)
            else:
                ws.write(i, j, v)
    ws.data_validation("E2:E6", {"validate": "integer", "criteria": ">", "value": 0})
    ws.conditional_format("E2:E6", {"type": "data_bar", "data_bar_2010": True})
    ws.add_sparkline("H2", {"range": "Orders!E2:E6"})
    ws.write_comment("C3", "Customer asked for a call", {"author": "Ana"})
    ws.insert_button("J2", {"macro": "say_hello", "caption": "Hello", "width": 80,
                            "height": 30})
    ws.set_column("F:F", 30)
    lists = wb.add_worksheet("Lists")
    lists.write_column(0, 0, ["SKU-A", "SKU-B", "SKU-C"])
    dash = wb.add_worksheet("Dashboard")
    dash.write_row(0, 0, ["SKU", "Quantity"])
    dash.write_dynamic_array_formula("A2:A4", "=_xlfn.UNIQUE(Orders!D2:D6)", None, "SKU-A")
    dash.write_formula("B2", "=SUMIF(Orders!D2:D6,A2,Orders!E2:E6)", None, 7)
    dash.autofilter("A1:B4")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=Orders!$D$2:$D$6", "values": "=Orders!$E$2:$E$6",
                      "name": "Quantity"})
    dash.insert_chart("D2", chart)
    png = folder / "logo.png"
    png.write_bytes(tiny_png())
    dash.insert_image("D20", str(png))
    wb.define_name("Dashboard!LocalTotal", "=Dashboard!$B$2")
    wb.define_name("Lists!Skus", "=Lists!$A$1:$A$3")
    pivot = wb.add_worksheet("Pivot")
    pivot.write_row(2, 0, ["Row Labels", "Sum of Quantity"])
    for i, (k, v) in enumerate([("SKU-A", 7), ("SKU-B", 5), ("SKU-C", 3),
                                ("Grand Total", 15)], start=3):
        pivot.write_row(i, 0, [k, v])
    st = wb.add_worksheet("Settings")
    st.write_row(0, 0, ["Setting", "Value"])
    st.write_row(1, 0, ["Next Invoice Number", 41])
    st.write_string(2, 0, "Doubled")
    st.write_formula(2, 1, "=B2*2", None, 82)
    cs = wb.add_chartsheet("Chart1")
    chart2 = wb.add_chart({"type": "pie"})
    chart2.add_series({"categories": "=Pivot!$A$4:$A$6", "values": "=Pivot!$B$4:$B$6"})
    cs.set_chart(chart2)
    if xlsm:
        vba = folder / "vbaProject.bin"
        vba.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"ordersheet-test-vba" * 40)
        wb.add_vba_project(str(vba))
    wb.close()
    _add_raw_features(path)
    return path


def _sheet_part(path: Path, name: str) -> str:
    """The part name of sheet `name` (xlsxwriter numbers them in order)."""
    import re
    with zipfile.ZipFile(path) as z:
        wbx = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{name}" sheetId="\d+" r:id="(rId\d+)"', wbx).group(1)
    target = re.search(rf'Id="{rid}" Type="[^"]+" Target="([^"]+)"', rels).group(1)
    return "xl/" + target


def _add_raw_features(path: Path) -> None:
    """Pivot table, slicers, x14 data validation and the xlwings Lite web extension:
    parts xlsxwriter does not write."""
    orders = _sheet_part(path, "Orders")
    pivot = _sheet_part(path, "Pivot")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        orders_xml = z.read(orders)
    orders_rels = orders.replace("worksheets/", "worksheets/_rels/") + ".rels"
    pivot_rels = pivot.replace("worksheets/", "worksheets/_rels/") + ".rels"
    ct_pt = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    add = {
        "xl/pivotCache/pivotCacheDefinition1.xml": PIVOT_CACHE,
        "xl/pivotCache/pivotCacheRecords1.xml": PIVOT_RECORDS,
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            b'"http://schemas.openxmlformats.org/package/2006/relationships">' +
            _rel("rId1", NS_R + "/pivotCacheRecords", "pivotCacheRecords1.xml") +
            b"</Relationships>"),
        "xl/pivotTables/pivotTable1.xml": PIVOT_TABLE,
        "xl/pivotTables/_rels/pivotTable1.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            b'"http://schemas.openxmlformats.org/package/2006/relationships">' +
            _rel("rId1", NS_R + "/pivotCacheDefinition",
                 "../pivotCache/pivotCacheDefinition1.xml") + b"</Relationships>"),
        "xl/slicers/slicer1.xml": SLICER,
        "xl/slicerCaches/slicerCache1.xml": SLICER_CACHE,
        "xl/webextensions/taskpanes.xml": WEBEXT_TASKPANES,
        "xl/webextensions/webextension1.xml": WEBEXT,
        "xl/webextensions/_rels/taskpanes.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            b'"http://schemas.openxmlformats.org/package/2006/relationships">' +
            _rel("rId1", "http://schemas.microsoft.com/office/2011/relationships/webextension",
                 "webextension1.xml") + b"</Relationships>"),
    }
    if pivot_rels not in names:
        add[pivot_rels] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
            b'"http://schemas.openxmlformats.org/package/2006/relationships">' +
            _rel("rId1", NS_R + "/pivotTable", "../pivotTables/pivotTable1.xml") +
            b"</Relationships>")
    ext = X14_DV_EXT + SLICER_LIST_EXT
    if b"<extLst>" in orders_xml:
        orders_edit = _insert(b"</extLst>", ext)
    else:
        orders_edit = _insert(b"</worksheet>", b"<extLst>" + ext + b"</extLst>")
    edits = {
        "[Content_Types].xml": _insert(b"</Types>", b"".join([
            _override("xl/pivotCache/pivotCacheDefinition1.xml",
                      ct_pt + "pivotCacheDefinition+xml"),
            _override("xl/pivotCache/pivotCacheRecords1.xml", ct_pt + "pivotCacheRecords+xml"),
            _override("xl/pivotTables/pivotTable1.xml", ct_pt + "pivotTable+xml"),
            _override("xl/slicers/slicer1.xml", "application/vnd.ms-excel.slicer+xml"),
            _override("xl/slicerCaches/slicerCache1.xml",
                      "application/vnd.ms-excel.slicerCache+xml"),
            _override("xl/webextensions/taskpanes.xml",
                      "application/vnd.ms-office.webextensiontaskpanes+xml"),
            _override("xl/webextensions/webextension1.xml",
                      "application/vnd.ms-office.webextension+xml")])),
        "_rels/.rels": _insert(b"</Relationships>", _rel(
            "rIdWebExt", "http://schemas.microsoft.com/office/2011/relationships/"
            "webextensiontaskpanes", "xl/webextensions/taskpanes.xml")),
        "xl/_rels/workbook.xml.rels": _insert(b"</Relationships>", _rel(
            "rIdPivotCache1", NS_R + "/pivotCacheDefinition",
            "pivotCache/pivotCacheDefinition1.xml") + _rel(
            "rIdSlicerCache1", "http://schemas.microsoft.com/office/2007/relationships/"
            "slicerCache", "slicerCaches/slicerCache1.xml")),
        "xl/workbook.xml": _chain(
            _insert(b"</workbook>", b'<pivotCaches><pivotCache cacheId="7" '
                    b'r:id="rIdPivotCache1"/></pivotCaches>' + WB_SLICER_EXT),
            _insert(b"</definedNames>", b'<definedName name="Slicer_SKU">#N/A</definedName>')),
        orders: orders_edit,
        orders_rels: _insert(b"</Relationships>", _rel(
            "rIdSlicer1", "http://schemas.microsoft.com/office/2007/relationships/slicer",
            "../slicers/slicer1.xml")),
    }
    if pivot_rels in names:
        edits[pivot_rels] = _insert(b"</Relationships>", _rel(
            "rIdPivot1", NS_R + "/pivotTable", "../pivotTables/pivotTable1.xml"))
    patch_zip(path, edits, add)


# ---- hostile packages ------------------------------------------------------------------


def _minimal_parts(sheet_xml: bytes, sst: bytes | None = None) -> dict[str, bytes]:
    ct = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
          b'/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
          b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
          b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
          b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
          b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
          b'officedocument.spreadsheetml.worksheet+xml"/>' +
          (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
           b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if sst else b"") +
          b"</Types>")
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            b'//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>')
    wbx = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS_MAIN}" xmlns:r="{NS_R}">'
           '<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
    wbrels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
              b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
              b'"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              b'Target="worksheets/sheet1.xml"/>' +
              (b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
               b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' if sst else b"")
              + b"</Relationships>")
    parts = {"[Content_Types].xml": ct, "_rels/.rels": rels, "xl/workbook.xml": wbx,
             "xl/_rels/workbook.xml.rels": wbrels, "xl/worksheets/sheet1.xml": sheet_xml}
    if sst is not None:
        parts["xl/sharedStrings.xml"] = sst
    return parts


def _write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _sheet(body: bytes = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Order ID</t></is></c></row>',
           dimension: bytes = b"A1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS_MAIN}">'.encode() +
            b'<dimension ref="' + dimension + b'"/><sheetData>' + body +
            b"</sheetData></worksheet>")


def plain_book(path: Path) -> Path:
    """A valid minimal package (the base the bombs are variations of)."""
    return _write_parts(path, _minimal_parts(_sheet()))


def zip_bomb(path: Path, size: int = 300 * 1024 * 1024) -> Path:
    """A sheet part that unpacks to `size` bytes of padding (~300 KB on disk)."""
    parts = _minimal_parts(b"")
    del parts["xl/worksheets/sheet1.xml"]
    _write_parts(path, parts)
    head = _sheet(b"")[:-len(b"</sheetData></worksheet>")]
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(head)
            block = b" " * (1 << 20)
            for _ in range(size >> 20):
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    return path


def lying_zip(path: Path, size: int = 64 * 1024 * 1024) -> Path:
    """A bomb whose zip directory claims the sheet is tiny: the inflater must stop it."""
    zip_bomb(path, size)
    data = bytearray(path.read_bytes())
    # patch the uncompressed size of the sheet in its central directory entry
    name = b"xl/worksheets/sheet1.xml"
    i = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    struct.pack_into("<I", data, i + 24, 4096)
    # zip64 extra field (force_zip64) also carries the size: patch it too
    fnlen, xlen = struct.unpack_from("<HH", data, i + 28)
    extra = i + 46 + fnlen
    j = extra
    while j < extra + xlen:
        tag, ln = struct.unpack_from("<HH", data, j)
        if tag == 1:
            struct.pack_into("<Q", data, j + 4, 4096)
        j += 4 + ln
    path.write_bytes(bytes(data))
    return path


def entity_bomb(path: Path, where: str = "workbook") -> Path:
    """Billion laughs in the workbook part (or the sheet)."""
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
           b"".join(b'<!ENTITY lol%d "' % i + (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10
                    + b'">' for i in range(1, 10)) + b"]>")
    parts = _minimal_parts(_sheet())
    if where == "workbook":
        parts["xl/workbook.xml"] = lol + parts["xl/workbook.xml"].split(b"?>", 1)[1].replace(
            b'name="Orders"', b'name="&lol9;"')
    else:
        parts["xl/worksheets/sheet1.xml"] = lol + _sheet(
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>').split(
            b"?>", 1)[1]
    return _write_parts(path, parts)


def huge_dimension(path: Path) -> Path:
    return _write_parts(path, _minimal_parts(_sheet(dimension=b"A1:XFD1048576")))


def far_cell(path: Path) -> Path:
    """One real cell at XFD1048576: a dense reader would allocate 17 billion cells."""
    body = (b'<row r="1"><c r="A1"><v>1</v></c></row>'
            b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    return _write_parts(path, _minimal_parts(_sheet(body)))


def huge_shared_strings(path: Path, size: int = 100 * 1024 * 1024) -> Path:
    """100 MB of shared strings (compressible: ~100 KB on disk)."""
    parts = _minimal_parts(_sheet(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), sst=b"")
    del parts["xl/sharedStrings.xml"]
    _write_parts(path, parts)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS_MAIN}" count="1" '
                    'uniqueCount="1"><si><t>'.encode())
            block = b"x" * (1 << 20)
            for _ in range(size >> 20):
                f.write(block)
            f.write(b"</t></si></sst>")
    return path


def many_shared_strings_declared(path: Path) -> Path:
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS_MAIN}" count="2000000000" '
           'uniqueCount="2000000000"><si><t>a</t></si></sst>').encode()
    return _write_parts(path, _minimal_parts(
        _sheet(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), sst=sst))


def encrypted_book(path: Path) -> Path:
    """What Excel writes for a password-protected book: an OLE compound file."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    return path
