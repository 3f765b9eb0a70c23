"""OOXML names the engine reads and writes: namespaces, relationship and content types,
the XML declaration of new parts, Excel's sheet and cell limits, the built-in number
formats (by id) and which of them show dates or durations."""

from __future__ import annotations


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = NS_R + "/"
REL_OFFICE_DOC = REL + "officeDocument"
REL_WORKSHEET = REL + "worksheet"
REL_SST = REL + "sharedStrings"
REL_STYLES = REL + "styles"
REL_TABLE = REL + "table"
REL_COMMENTS = REL + "comments"
REL_VML = REL + "vmlDrawing"
REL_CALCCHAIN = REL + "calcChain"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TEXT = 32_767
"""characters Excel holds in one cell; longer text makes Excel refuse the file"""


BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                   "0.00%": 10, "@": 49}
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | \
    set(range(50, 59))
DURATION_FORMAT_IDS = {46}
