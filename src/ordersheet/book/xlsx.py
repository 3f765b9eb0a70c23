"""The headless .xlsx engine: reads an order book fast and writes back only what changed.

Reading uses python-calamine (a native reader, the speed floor); where calamine is absent
(Pyodide) a pure-Python reader tokenises the same parts with regexes over normalised XML.
Before any parser sees a part, the package is checked from its zip directory and each part
is inflated under a hard cap (`safety`), so zip bombs, lying directories, DTD entity bombs
and absurd used ranges are refused with a one-line `WorkbookError` and bounded memory.

Writing works at the package level: every zip member the plan does not touch is copied
byte for byte (compressed bytes and all); only the worksheet parts a plan touches, and the
workbook, relationship, content-type, styles, table, comment and VML parts that go with
them, are rewritten. A worksheet is rewritten in one streaming pass: untouched rows are
copied as raw bytes, touched rows are merged cell by cell, so user cells, formulas, styles
and extensions (x14 data validations, sparklines, conditional formats in `extLst`) survive.
Strings are written as inline strings: text, never formulas. The file is replaced
atomically, keeping one `.bak` generation.

A 100,000-line run writes about nine million cells, so the write is built for that: no
sheet is ever held whole. A sheet is read in pieces (`_SheetStream`), its new cells are
rendered a chunk of rows at a time, column by column (`_render_column`), rows are joined
by slice assignment (`_join`), and the XML goes straight into the new zip, compressed in a
second thread while the next rows are rendered (`_PartStream`, `_Compressor`). The rows
of Orders that only get tool cells appended are checked in bulk (`_SheetWriter._bulk`);
every shortcut writes exactly what merging cell by cell writes (tests/book/
test_xlsx_writer.py holds them against it).
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import math
import posixpath
import re
import struct
import sys
import weakref
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice, repeat
from operator import ge
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import plan as p
from . import safety
from .port import WorkbookError
from .raw import CellError, RawSheet, block_from_grid, col_index, col_letter, split_a1

try:  # the native fast path; absent in Pyodide, where the expat reader takes over
    import python_calamine as _calamine
except ImportError:  # pragma: no cover - exercised by forcing reader="xml" in tests
    _calamine = None

engine_name = "xlsx"
NOTE_PREFIX = "ordersheet: "
NOTE_AUTHOR = "ordersheet"

# ---- OOXML names ----------------------------------------------------------------------

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
TABLE_STYLE = "TableStyleMedium2"
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                   "0.00%": 10, "@": 49}
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | \
    set(range(50, 59))
DURATION_FORMAT_IDS = {46}

# ---- small XML helpers (text level: parts are edited, never re-serialised) -------------

_ATTR = re.compile(rb"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ENTITY = re.compile(rb"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}


def _unescape(b: bytes) -> str:
    def sub(m: re.Match) -> bytes:
        k = m.group(1)
        if k in _NAMED:
            return _NAMED[k].encode()
        n = int(k[2:], 16) if k[:2] == b"#x" else int(k[1:])
        return chr(n).encode("utf-8", "surrogatepass")
    return _ENTITY.sub(sub, b).decode("utf-8", "replace") if b"&" in b else \
        b.decode("utf-8", "replace")


def _esc(s: str) -> str:
    if _ILLEGAL_XML.search(s):  # Excel's own escape for characters XML cannot hold
        s = _ILLEGAL_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    if "&" in s or "<" in s or ">" in s:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s


def _esc_attr(s: str) -> str:
    return _esc(s).replace('"', "&quot;").replace("\n", "&#10;").replace(
        "\r", "&#13;").replace("\t", "&#9;")


def _attrs(tag: bytes) -> dict[str, str]:
    """Attributes of one start tag, by qualified name."""
    return {m.group(1).decode(): _unescape(m.group(2) if m.group(2) is not None
                                           else m.group(3))
            for m in _ATTR.finditer(tag)}


_ATTR_PATTERNS: dict[str, re.Pattern] = {}


def _set_attr(tag: bytes, name: str, value: str | None) -> bytes:
    """Set (or with None remove) an attribute in a start tag, keeping everything else."""
    pat = _ATTR_PATTERNS.get(name)
    if pat is None:
        pat = _ATTR_PATTERNS[name] = re.compile(
            rb"""\s""" + re.escape(name.encode()) + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    if value is None:
        return pat.sub(b"", tag, count=1)
    new = b" " + name.encode() + b'="' + _esc_attr(value).encode() + b'"'
    if pat.search(tag):
        return pat.sub(lambda m: new, tag, count=1)
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    while end > 0 and tag[end - 1:end].isspace():
        end -= 1
    return tag[:end] + new + tag[end:]


def _prefix_of(data: bytes, root: str) -> bytes:
    """The namespace prefix a part uses for its root element (b'' or b'x:')."""
    m = re.search(rb"<([\w.\-]+:)?" + root.encode() + rb"[\s/>]", data[:65536])
    if m is None:
        raise WorkbookError(f"part has no <{root}> element")
    return m.group(1) or b""


def _elem_re(prefix: bytes, name: str, flags=re.S) -> re.Pattern:
    """A non-nesting element `<name .../>` or `<name ...>...</name>`."""
    P = re.escape(prefix)
    n = name.encode()
    return re.compile(rb"<" + P + n + rb"(?=[\s/>])[^>]*?(?:/>|>.*?</" + P + n + rb">)", flags)


def _start_re(prefix: bytes, name: str) -> re.Pattern:
    return re.compile(rb"<" + re.escape(prefix) + name.encode() + rb"(?=[\s/>])[^>]*>")


_UNUSUAL = re.compile(rb"<!--|<!\[CDATA\[|<\?(?!xml[\s?])")


def _normalise(data: bytes, what: str) -> bytes:
    """Re-serialise an XML part whose text our byte-level splicing cannot trust (comments,
    CDATA, processing instructions, a non-UTF-8 encoding): same elements, attributes and
    prefixes, comments dropped, CDATA as escaped text. DTDs are refused."""
    import pyexpat

    out: list[str] = [XML_DECL.decode()]
    open_tag: list[bool] = []  # per open element: start tag still unclosed ('>' pending)

    def close_pending() -> None:
        if open_tag and open_tag[-1]:
            out.append(">")
            open_tag[-1] = False

    def start(name, attrs):
        close_pending()
        parts = [f"<{name}"]
        for i in range(0, len(attrs), 2):
            parts.append(f' {attrs[i]}="{_esc_attr(attrs[i + 1])}"')
        out.append("".join(parts))
        open_tag.append(True)

    def end(name):
        if open_tag.pop():
            out.append("/>")
        else:
            out.append(f"</{name}>")

    def chars(text):
        close_pending()
        out.append(_esc(text) if not _ILLEGAL_XML.search(text) else
                   text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))

    def forbid(*_a):
        raise WorkbookError(f"{what} declares a DTD or XML entities: refused")

    parser = pyexpat.ParserCreate()
    parser.ordered_attributes = True
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as e:
        raise WorkbookError(f"{what} is not well-formed XML ({e})") from None
    return "".join(out).encode("utf-8")


def _utf8(data: bytes) -> bool:
    """Whether a part, by its start, is UTF-8 (no byte-order mark of UTF-16, no other
    declared encoding)."""
    head = data[:200]
    return not head.startswith((b"\xff\xfe", b"\xfe\xff")) and (
        not head.startswith(b"<?xml") or re.match(
            rb"<\?xml[^>]*encoding=[\"'](?:utf-8|UTF-8)[\"']", head) is not None
        or b"encoding" not in head.split(b"?>")[0])


def _trusted(data: bytes, what: str) -> bytes:
    """The part as UTF-8 text our regex splicing handles exactly; unusual ones normalised."""
    if _utf8(data) and _UNUSUAL.search(data) is None:
        safety.forbid_dtd_prolog(data, what)
        return data
    return _normalise(data, what)


# ---- package -----------------------------------------------------------------------------


@dataclass
class _Rel:
    id: str
    type: str
    target: str
    """part name (no leading slash) for internal targets, else the URL"""
    external: bool = False


@dataclass
class _Table:
    path: str
    rid: str
    id: int
    name: str
    display: str
    ref: str
    header_rows: int
    totals_rows: int
    columns: list[str]


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    state: str | None
    path: str | None
    kind: str
    """worksheet, chartsheet, dialogsheet or macrosheet"""
    rels: list[_Rel] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)

    @property
    def rels_path(self) -> str:
        d, f = posixpath.split(self.path or "")
        return posixpath.join(d, "_rels", f + ".rels")


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def _parse_rels(data: bytes, source_part: str, what: str) -> list[_Rel]:
    root = safety.parse_xml(data, what)
    out = []
    for el in root:
        if not el.tag.endswith("Relationship"):
            continue
        ext = el.get("TargetMode") == "External"
        target = el.get("Target", "")
        out.append(_Rel(el.get("Id", ""), el.get("Type", ""),
                        target if ext else _resolve(source_part, target), ext))
    return out


class _Package:
    """The zip directory of a book, and bounded access to its parts."""

    def __init__(self, path: Path, limits: safety.Limits):
        self.path = path
        self.limits = limits
        safety.sniff(path)
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                self.comment = zf.comment
        except zipfile.BadZipFile:
            raise WorkbookError(f"{path.name} is not an .xlsx workbook (damaged zip)") from None
        except (OSError, ValueError, NotImplementedError) as e:
            raise WorkbookError(f"{path.name} cannot be read ({e})") from None
        self.infos = infos
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        lower: set[str] = set()
        for info in infos:
            key = info.filename.lower()
            if key in lower:
                raise WorkbookError(f"{path.name} holds the part {info.filename} twice: "
                                    "refused (damaged or crafted package)")
            lower.add(key)
            self.by_name[info.filename] = info
        self._lower = {k.lower(): k for k in self.by_name}
        st = path.stat()
        self.identity = (st.st_size, st.st_mtime_ns, getattr(st, "st_ino", 0))

    def find(self, name: str) -> str | None:
        return self._lower.get(name.lstrip("/").lower())

    def info(self, name: str) -> zipfile.ZipInfo:
        real = self.find(name)
        if real is None:
            raise WorkbookError(f"{self.path.name}: part {name} is missing")
        return self.by_name[real]

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self.info(name)
        with open(self.path, "rb") as fp:
            return safety.read_member(fp, info, cap or self.limits.max_small_part_bytes)

    def read_head(self, name: str, n: int = 65536) -> bytes:
        info = self.info(name)
        out = b""
        with open(self.path, "rb") as fp:
            for block in safety.iter_member(fp, info, self.limits.max_part_bytes, chunk=n):
                out += block
                if len(out) >= n:
                    break
        return out

    def iter(self, name: str, chunk: int = 4 * safety.MiB):
        info = self.info(name)
        with open(self.path, "rb") as fp:
            yield from safety.iter_member(fp, info, self.limits.max_part_bytes, chunk)


# ---- values ------------------------------------------------------------------------------

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def _serial(v: dt.date, date1904: bool) -> int | float | None:
    """Excel serial of a date or datetime (None when Excel cannot show it)."""
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=None)
        d = v - (_EPOCH_1904 if date1904 else _EPOCH_1900)
        days: float | int = d.days + (d.seconds + d.microseconds / 1e6) / 86400
        whole = d.days
    else:
        whole = days = (v - (_EPOCH_1904 if date1904 else _EPOCH_1900).date()).days
    if not date1904 and whole < 61:  # Excel's 1900-02-29 that never was
        days -= 1
    if days < (0 if date1904 else 1):
        return None
    return days


def _from_serial(x: float, date1904: bool) -> dt.date | dt.datetime:
    if date1904:
        base = _EPOCH_1904
    elif x < 60:
        base = _EPOCH_1900 + dt.timedelta(days=1)
    elif x < 61:
        return dt.date(1900, 2, 28)
    else:
        base = _EPOCH_1900
    whole = math.floor(x)
    ms = round((x - whole) * 86_400_000)
    value = base + dt.timedelta(days=whole, milliseconds=ms)
    return value.date() if ms == 0 else value


def _number_text(v: Any) -> str | None:
    """The <v> text of a number, or None when it is not a finite number."""
    t = type(v)
    if t is int:
        return str(v)
    if t is float:
        return repr(v) if math.isfinite(v) else None
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        s = str(v)
        return s if "E" not in s else format(v, "f")
    return None


def _cell_xml(ref: str, s: int, v: Any, date1904: bool) -> str:
    """One <c> element for a plan value (None gives a styled empty cell)."""
    sa = f' s="{s}"' if s else ""
    t = type(v)
    if t is str and v:
        return _str_cell(ref, sa, v)
    if t is str:  # an empty string is an empty cell
        return f'<c r="{ref}"{sa}/>' if s else ""
    if t is bool:
        return f'<c r="{ref}"{sa} t="b"><v>{int(v)}</v></c>'
    if v is None:
        return f'<c r="{ref}"{sa}/>' if s else ""
    num = _number_text(v)
    if num is not None:
        return f'<c r="{ref}"{sa}><v>{num}</v></c>'
    if isinstance(v, dt.date):
        serial = _serial(v, date1904)
        if serial is not None:
            return f'<c r="{ref}"{sa}><v>{serial!r}</v></c>'
        return _str_cell(ref, sa, v.isoformat())
    return _str_cell(ref, sa, str(v))


def _str_cell(ref: str, sa: str, v: str) -> str:
    if len(v) > MAX_TEXT:
        v = v[:MAX_TEXT]
    sp = ' xml:space="preserve"' if v[:1].isspace() or v[-1:].isspace() else ""
    return f'<c r="{ref}"{sa} t="inlineStr"><is><t{sp}>{_esc(v)}</t></is></c>'


_NEEDS_ESC = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACES = " \t\r\n"


def _cell_fast(L: str, r: int, sa: str, v: Any, date1904: bool) -> str:
    """`_cell_xml` for the common value types with no calls on the hot path (the writer
    renders millions of cells); `sa` is the ready ' s="N"' attribute or ''."""
    c = v.__class__
    if c is str and v:
        if len(v) > MAX_TEXT:
            v = v[:MAX_TEXT]
        if _NEEDS_ESC.search(v) is not None:
            v = _esc(v)
        if v[0] in _SPACES or v[-1] in _SPACES:
            return f'<c r="{L}{r}"{sa} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
        return f'<c r="{L}{r}"{sa} t="inlineStr"><is><t>{v}</t></is></c>'
    if c is int:
        return f'<c r="{L}{r}"{sa}><v>{v}</v></c>'
    if c is Decimal and v.is_finite():
        t = str(v)
        if "E" in t:
            t = format(v, "f")
        return f'<c r="{L}{r}"{sa}><v>{t}</v></c>'
    if c is _DATE and not date1904:
        days = v.toordinal() - 693594  # date(1899, 12, 30)
        if days >= 61:
            return f'<c r="{L}{r}"{sa}><v>{days}</v></c>'
    return _cell_xml(f"{L}{r}", int(sa[4:-1]) if sa else 0, v, date1904)


_DATE = dt.date
_DATETIME = dt.datetime
_NONE = type(None)

Column = "list[str] | tuple[str, str, Sequence[str], str]"
"""A column of a chunk of rows, rendered (`_render_column`): each row's cell XML ('' for
no cell), or, when every row has a plain value, (head, mid, texts, tail) with the cell of
row r being head + r + mid + text + tail, so that whole rows are joined at once."""


def _render_column(L: str, rs: list[str], values: Sequence[Any], sa_of: Callable[[type], str],
                   date1904: bool, keep_empty: bool = False) -> Column:
    """Cell XML of one column for the rows numbered `rs` (row numbers as text); None and
    '' give no cell, or with `keep_empty` a styled empty cell when the value's style is not
    the default (as `_cell_xml` writes a single cell). A column of one plain type has its
    value texts made in one pass (`_PLAIN_COLUMN`); anything else goes cell by cell
    through `_cell_fast`. The writer renders millions of cells a chunk of rows at a time:
    this and `_join` are the hot loop of a save."""
    kinds = set(map(type, values))
    has_none = _NONE in kinds
    kinds.discard(_NONE)
    out = None
    if len(kinds) == 1:
        cls = kinds.pop()
        plain = _PLAIN_COLUMN.get(cls)
        got = plain(values, has_none, sa_of(cls), date1904) if plain is not None else None
        if got is not None:
            mid, texts, tail = got
            head = f'<c r="{L}'
            if not has_none and (cls is not str or "" not in values):
                return head, mid, texts, tail
            out = [f"{head}{r}{mid}{t}{tail}" if t else "" for r, t in zip(rs, texts)]
    elif not kinds:
        out = [""] * len(values)
    if out is None:
        out = [_cell_fast(L, r, sa_of(v.__class__), v, date1904)
               if v is not None and (v.__class__ is not str or v) else ""
               for r, v in zip(rs, values)]
    if keep_empty and "" in out:
        out = [t or _empty_cell(L, r, sa_of(v.__class__)) for r, t, v in zip(rs, out, values)]
    return out


def _empty_cell(L: str, r: str, sa: str) -> str:
    return f'<c r="{L}{r}"{sa}/>' if sa else ""


def _cell_at(col: Column, i: int, r: str) -> str:
    """The cell XML of row index i (row number r) of a rendered column."""
    if isinstance(col, tuple):
        head, mid, texts, tail = col
        return f"{head}{r}{mid}{texts[i]}{tail}"
    return col[i]


_NOT_PLAIN = bytes(range(32)) + b"&<>\x7f"
"""bytes a text needs escaped (or written as _xHHHH_) in XML, tab and line breaks included
(those count as edge whitespace too): such texts go cell by cell through `_cell_fast`"""


def _plain_texts(values: Sequence[Any], has_none: bool = True) -> bool:
    """Whether every non-empty text of a column can go into XML as it is: nothing to
    escape, no edge whitespace to preserve, within Excel's length limit. A few C-speed
    passes over the texts joined by '<' (which no plain text holds), not a regex per
    value."""
    present = list(filter(None, values)) if has_none else values
    if not present:
        return True
    try:
        joined = "<".join(present).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    if len(joined) - len(joined.translate(None, _NOT_PLAIN)) != len(present) - 1:
        return False
    if not joined.isascii() and (b"\xef\xbf\xbe" in joined or b"\xef\xbf\xbf" in joined):
        return False  # U+FFFE, U+FFFF
    if b" " in joined and (b"< " in joined or b" <" in joined or joined[:1] == b" " or
                           joined[-1:] == b" "):
        return False  # a text starting or ending with a space (other edge whitespace,
        # tab and line breaks, is in _NOT_PLAIN; `_cell_fast` preserves only those)
    if len(joined) <= MAX_TEXT:
        return True
    # A text of more than MAX_TEXT bytes covers a whole window of MAX_TEXT // 2 bytes
    # starting at a multiple of that: a '<' in every such window rules it out with a few
    # finds, instead of measuring every text (needed only when some window has none).
    w = MAX_TEXT // 2
    if all(joined.find(b"<", k, k + w) >= 0 for k in range(0, len(joined) - w + 1, w)):
        return True
    return max(map(len, present)) <= MAX_TEXT


_VALUE_MID, _VALUE_TAIL = "><v>", "</v></c>"
_TEXT_MID, _TEXT_TAIL = ' t="inlineStr"><is><t>', "</t></is></c>"


def _plain_str(values, has_none: bool, sa: str, _d1904: bool):
    if not _plain_texts(values, has_none):
        return None
    return f'"{sa}{_TEXT_MID}', values, _TEXT_TAIL


_SMALL_INTS: dict[int, str] = {}
"""0 ... 9999 -> '0' ... '9999', made once: quantities, line numbers and stock figures
are mostly small, and a look-up is several times cheaper than int to text"""


def _plain_int(values, has_none: bool, sa: str, _d1904: bool):
    if not _SMALL_INTS:
        _SMALL_INTS.update(zip(range(10_000), map(str, range(10_000))))
    # one C-level pass: None for a blank and for an int outside 0 ... 9999
    texts = list(map(_SMALL_INTS.get, values))
    if texts.count(None) != (values.count(None) if has_none else 0):
        texts = [str(v) if v is not None else None for v in values] if has_none else \
            list(map(str, values))
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_float(values, has_none: bool, sa: str, _d1904: bool):
    texts = [repr(v) if v is not None else None for v in values] if has_none else \
        list(map(repr, values))
    if "n" in "".join(filter(None, texts)):  # nan, inf: not numbers in a cell
        return None
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_decimal(values, has_none: bool, sa: str, _d1904: bool):
    texts = [str(v) if v is not None else None for v in values] if has_none else \
        list(map(str, values))
    joined = "".join(filter(None, texts))
    if "E" in joined or "N" in joined or "n" in joined or "I" in joined:
        return None  # exponent, NaN or Infinity: `_cell_fast` writes those cell by cell
    return f'"{sa}{_VALUE_MID}', texts, _VALUE_TAIL


def _plain_date(values, _has_none: bool, sa: str, date1904: bool):
    """Dates and datetimes repeat a lot (a run stamps thousands of rows with one date):
    each distinct value is converted once."""
    serials = {v: _serial(v, date1904) for v in set(values) if v is not None}
    if None in serials.values():
        return None  # before Excel's first date: written as text, cell by cell
    texts: dict[Any, str | None] = {v: repr(s) for v, s in serials.items()}
    texts[None] = None
    return f'"{sa}{_VALUE_MID}', list(map(texts.__getitem__, values)), _VALUE_TAIL


_PLAIN_COLUMN: dict[type, Callable[..., tuple[str, Sequence[str], str] | None]] = {
    str: _plain_str, int: _plain_int, float: _plain_float, Decimal: _plain_decimal,
    _DATE: _plain_date, _DATETIME: _plain_date}


def _join(rs: list[str], columns: list[Column], tagged: bool) -> str:
    """The cells of every row, each row wrapped in its <row> element (`tagged`) or ended
    by NUL, as one text built without a Python step per cell: one list holds every piece
    of every row (a per-row template repeated, row numbers and value texts put in by
    slice assignment) and is joined once."""
    items: list[Any] = ['<row r="', rs, '">'] if tagged else []
    for col in columns:
        if isinstance(col, tuple):
            head, mid, texts, tail = col
            items += [head, rs, mid, texts, tail]
        else:
            items.append(col)
    items.append("</row>" if tagged else "\x00")
    template: list[Any] = []
    fills: list[tuple[int, Sequence[str]]] = []
    for it in items:
        if isinstance(it, str):
            if template and isinstance(template[-1], str):
                template[-1] += it
            else:
                template.append(it)
        else:
            fills.append((len(template), it))
            template.append(None)
    m = len(template)
    parts = template * len(rs)
    for k, seq in fills:
        parts[k::m] = seq
    return "".join(parts)


class _Styler:
    """Style of a written cell, cached per (base style, plan format, value class, mark):
    one dict lookup per cell instead of format and xf derivation."""

    def __init__(self, styles: "_Styles"):
        self.styles = styles
        self.cache: dict[tuple, str] = {}
        self._fill = {sev: styles.fill_id(rgb) for sev, rgb in p.MARK_COLORS.items()}
        self._ours: dict[int, bool] = {}

    def sa(self, base: int, fmt: p.Fmt, cls: type, action: str | None) -> str:
        key = (base, fmt, cls, action)
        got = self.cache.get(key)
        if got is None:
            s = self.style(base, fmt, cls, action)
            got = self.cache[key] = f' s="{s}"' if s else ""
        return got

    def style(self, base: int, fmt: p.Fmt, cls: type, action: str | None) -> int:
        if cls is type(None):
            code = None
        elif issubclass(cls, dt.date) and fmt not in ("date", "datetime"):
            code = p.NUMBER_FORMATS["datetime" if issubclass(cls, dt.datetime) else "date"]
        else:
            code = p.NUMBER_FORMATS.get(fmt) if fmt else None
        s = self.styles.derive(base, numfmt=code) if code else base
        return self.mark(s, action)

    def mark(self, s: int, action: str | None) -> int:
        if action is None:
            return s
        if action == "clear":
            ours = self._ours.get(s)
            if ours is None:
                ours = self._ours[s] = self.styles.is_ours(s)
            return self.styles.derive(s, fill=0) if ours else s
        return self.styles.derive(s, fill=self._fill.get(action, self._fill["Warning"]))


def _is_date_code(code: str) -> str | None:
    """'date', 'duration' or None for a custom number format code."""
    s = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    kind = "date"
    for br in re.findall(r"\[([^\]]*)\]", s):
        if re.fullmatch(r"(?i)h+|m+|s+", br):
            kind = "duration"
    s = re.sub(r"\[[^\]]*\]", "", s).split(";")[0]
    if kind == "duration":
        return kind
    if re.search(r"(?i)[dmyhs]", s) and s.lower() != "general":
        return "date"
    return None


# ---- styles ------------------------------------------------------------------------------

_MIN_STYLES = (
    '<styleSheet xmlns="' + NS_MAIN + '"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                "cellStyles", "dxfs", "tableStyles", "colors", "extLst"]


class _Styles:
    """styles.xml, edited by appending: number formats, fills, fonts and cell formats
    (xf) cloned from a cell's own xf, deduplicated so repeated runs do not grow it."""

    def __init__(self, data: bytes | None):
        self.created = data is None
        self.text = (data or (XML_DECL + _MIN_STYLES.encode())).decode("utf-8")
        m = re.search(r"<([\w.\-]+:)?styleSheet[\s>]", self.text)
        if m is None:
            raise WorkbookError("styles part has no <styleSheet>")
        self.P = m.group(1) or ""
        self.items: dict[str, list[str]] = {}
        for sec, item in (("numFmts", "numFmt"), ("fonts", "font"), ("fills", "fill"),
                          ("cellXfs", "xf")):
            body = self._section(sec)
            pat = _elem_re(self.P.encode(), item)
            self.items[sec] = [x.decode() for x in pat.findall((body or "").encode())]
        if not self.items["cellXfs"]:
            self.items["cellXfs"] = [f'<{self.P}xf numFmtId="0" fontId="0" fillId="0" '
                                     f'borderId="0" xfId="0"/>']
            self._force = {"cellXfs"}
        else:
            self._force = set()
        if not self.items["fills"]:
            self.items["fills"] = [f"<{self.P}fill><{self.P}patternFill patternType=\"none\"/>"
                                   f"</{self.P}fill>",
                                   f"<{self.P}fill><{self.P}patternFill patternType="
                                   f"\"gray125\"/></{self.P}fill>"]
            self._force.add("fills")
        self.numfmts = {}
        for nf in self.items["numFmts"]:
            a = _attrs(nf.split(">")[0].encode())
            try:
                self.numfmts[int(a.get("numFmtId", ""))] = a.get("formatCode", "")
            except ValueError:
                pass
        self.added = {k: 0 for k in self.items}
        self._xf_index = {}
        for i, xf in enumerate(self.items["cellXfs"]):
            self._xf_index.setdefault(self._xf_key(xf), i)
        self._fill_index = {}
        for i, f in enumerate(self.items["fills"]):
            self._fill_index.setdefault(re.sub(r"\s+", "", f), i)
        self._derived: dict[tuple, int] = {}
        self._date_kind: dict[int, str | None] = {}

    def _section(self, sec: str) -> str | None:
        m = re.search(rf"<{re.escape(self.P)}{sec}(?=[\s/>])[^>]*?(?:/>|>(.*?)</"
                      rf"{re.escape(self.P)}{sec}>)", self.text, re.S)
        if m is None:
            return None
        return m.group(1) or ""

    @staticmethod
    def _xf_key(xf: str) -> tuple:
        head, _, rest = xf.partition(">")
        attrs = tuple(sorted(_attrs(head.encode()).items()))
        return attrs, re.sub(r"\s+", "", rest)

    def _add(self, sec: str, xml: str) -> int:
        self.items[sec].append(xml)
        self.added[sec] += 1
        return len(self.items[sec]) - 1

    # -- lookups --
    def xf_attr(self, idx: int, name: str, default: str = "0") -> str:
        xfs = self.items["cellXfs"]
        if not 0 <= idx < len(xfs):
            return default
        return _attrs(xfs[idx].split(">")[0].encode()).get(name, default)

    def date_kind(self, idx: int) -> str | None:
        """'date'/'duration'/None for a cell style (for the expat reader)."""
        if idx not in self._date_kind:
            try:
                nf = int(self.xf_attr(idx, "numFmtId"))
            except ValueError:
                nf = 0
            if nf in self.numfmts:
                kind = _is_date_code(self.numfmts[nf])
            else:
                kind = "duration" if nf in DURATION_FORMAT_IDS else \
                    "date" if nf in DATE_FORMAT_IDS else None
            self._date_kind[idx] = kind
        return self._date_kind[idx]

    def numfmt_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        for i, c in self.numfmts.items():
            if c == code:
                return i
        new = max([163] + list(self.numfmts)) + 1
        self.numfmts[new] = code
        self._add("numFmts", f'<{self.P}numFmt numFmtId="{new}" formatCode="'
                             f'{_esc_attr(code)}"/>')
        return new

    def fill_id(self, rgb: str) -> int:
        P = self.P
        xml = (f'<{P}fill><{P}patternFill patternType="solid"><{P}fgColor rgb="FF{rgb}"/>'
               f'<{P}bgColor rgb="FF{rgb}"/></{P}patternFill></{P}fill>')
        key = re.sub(r"\s+", "", xml)
        if key not in self._fill_index:
            self._fill_index[key] = self._add("fills", xml)
        return self._fill_index[key]

    def is_ours(self, idx: int) -> bool:
        """Is this cell format's fill one of ordersheet's highlight colours?"""
        try:
            fid = int(self.xf_attr(idx, "fillId"))
        except ValueError:
            return False
        fills = self.items["fills"]
        if not 0 <= fid < len(fills):
            return False
        f = fills[fid]
        if "solid" not in f:
            return False
        m = re.search(r'fgColor[^>]*rgb="([0-9A-Fa-f]{6,8})"', f)
        return bool(m) and m.group(1)[-6:].upper() in {c.upper() for c in p.MARK_COLORS.values()}

    def derive(self, base: int, numfmt: str | None = None, fill: int | None = None,
               bold: bool = False) -> int:
        """The index of `base` with a number format / fill / bold font, cloned when new."""
        key = (base, numfmt, fill, bold)
        got = self._derived.get(key)
        if got is not None:
            return got
        xfs = self.items["cellXfs"]
        src = xfs[base] if 0 <= base < len(xfs) else xfs[0]
        head, sep, rest = src.partition(">")
        selfclose = head.endswith("/")
        tag = (head + ">").encode()
        changed = tag
        if numfmt is not None:
            changed = _set_attr(changed, "numFmtId", str(self.numfmt_id(numfmt)))
            changed = _set_attr(changed, "applyNumberFormat", "1")
        if fill is not None:
            changed = _set_attr(changed, "fillId", str(fill))
            changed = _set_attr(changed, "applyFill", "1")
        if bold:
            changed = _set_attr(changed, "fontId", str(self._bold_font(
                int(_attrs(tag).get("fontId", "0") or 0))))
            changed = _set_attr(changed, "applyFont", "1")
        if changed == tag:
            idx = base if 0 <= base < len(xfs) else 0
        else:
            new = changed.decode() + ("" if selfclose else rest)
            k = self._xf_key(new)
            idx = self._xf_index.get(k)
            if idx is None:
                idx = self._add("cellXfs", new)
                self._xf_index[k] = idx
        self._derived[key] = idx
        return idx

    def _bold_font(self, font: int) -> int:
        fonts = self.items["fonts"]
        if not fonts:
            fonts.append(f"<{self.P}font><{self.P}sz val=\"11\"/></{self.P}font>")
            self._force.add("fonts")
        src = fonts[font] if 0 <= font < len(fonts) else fonts[0]
        if re.search(rf"<{re.escape(self.P)}b(?=[\s/>])", src):
            return font
        if src.rstrip().endswith("/>"):
            new = src.rstrip()[:-2] + f"><{self.P}b/></{self.P}font>"
        else:
            new = re.sub(rf"^(<{re.escape(self.P)}font[^>]*>)", rf"\1<{self.P}b/>", src)
        for i, f in enumerate(fonts):
            if f == new:
                return i
        return self._add("fonts", new)

    @property
    def changed(self) -> bool:
        return self.created or any(self.added.values()) or bool(self._force)

    def render(self) -> bytes:
        text = self.text
        for sec in ("numFmts", "fonts", "fills", "cellXfs"):
            if not self.added[sec] and sec not in self._force:
                continue
            items = self.items[sec]
            P = self.P
            new = f'<{P}{sec} count="{len(items)}">' + "".join(items) + f"</{P}{sec}>"
            m = re.search(rf"<{re.escape(P)}{sec}(?=[\s/>])[^>]*?(?:/>|>.*?</{re.escape(P)}"
                          rf"{sec}>)", text, re.S)
            if m:
                tag = re.match(rf"<{re.escape(P)}{sec}[^>]*?(?=/?>)", m.group(0)).group(0)
                tag = _set_attr((tag + ">").encode(), "count", str(len(items))).decode()
                text = text[:m.start()] + tag + "".join(items) + f"</{P}{sec}>" + text[m.end():]
            else:
                later = _STYLE_ORDER[_STYLE_ORDER.index(sec) + 1:]
                pos = None
                for nxt in later:
                    mm = re.search(rf"<{re.escape(P)}{nxt}(?=[\s/>])", text)
                    if mm:
                        pos = mm.start()
                        break
                if pos is None:
                    pos = text.rindex(f"</{P}styleSheet>")
                text = text[:pos] + new + text[pos:]
        return text.encode("utf-8")


# ---- reading -----------------------------------------------------------------------------


_ERROR_CELL = re.compile(rb"""<(?:[\w.\-]+:)?c(?=\s)([^>]*?\st=["']e["'][^>]*?)>(.{0,40000}?)"""
                         rb"""</(?:[\w.\-]+:)?c>""", re.S)
_ERROR_V = re.compile(rb"<(?:[\w.\-]+:)?v>([^<]*)</")
_REF_ATTR = re.compile(rb"""\sr=["']([A-Z]{1,3})(\d+)["']""")
_HIDDEN_ROW = re.compile(rb"""<(?:[\w.\-]+:)?row(?=\s)([^>]*\shidden=["'](?:1|true)["'][^>]*)>""")
_DIMENSION = re.compile(rb"""<(?:[\w.\-]+:)?dimension\s+ref=["']([^"']+)["']""")
_MERGE = re.compile(rb"""<(?:[\w.\-]+:)?mergeCell\s+ref=["']([^"']+)["']""")


def _area(ref: str) -> int:
    try:
        if ":" in ref:
            a, b = ref.split(":", 1)
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b)
        else:
            r1, c1 = r2, c2 = split_a1(ref)
    except ValueError:
        return 0
    return (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)


@dataclass
class _Scan:
    """What a bounded pass over a sheet part learned before a native parser reads it."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


def _big_refs(digits: int) -> tuple[re.Pattern, re.Pattern]:
    """Cell/row references whose row has at least `digits` digits (literal prefix: fast)."""
    return (re.compile(rb' r="[A-Z]{0,4}(\d{%d,})"' % digits),
            re.compile(rb" r='[A-Z]{0,4}(\d{%d,})'" % digits))


_MULTI_COL = (re.compile(rb' r="([A-Z]{2,})\d'), re.compile(rb" r='([A-Z]{2,})\d"))


def _check_head(head: bytes, sheet: _Sheet, limits: safety.Limits, what: str) -> None:
    """Refuse a sheet part whose first bytes hold a DTD or declare a used range beyond
    the cell limit (checked before anything is parsed)."""
    safety.forbid_dtd_prolog(head, what)
    m = _DIMENSION.search(head[:65536])
    if m and _area(m.group(1).decode("ascii", "replace")) > limits.max_cells:
        raise WorkbookError(
            f"sheet {sheet.name!r} declares the used range {m.group(1).decode()} "
            f"({_area(m.group(1).decode()):,} cells, limit {limits.max_cells:,}): "
            "refused; delete the stray rows and columns in Excel and save again")


def _scan_sheet(pkg: _Package, sheet: _Sheet, limits: safety.Limits) -> _Scan:
    """Inflate a sheet part under its caps and refuse absurd used ranges (a cell at
    XFD1048576 makes a dense reader allocate 17 billion cells), collecting the error
    cells, hidden rows and merged ranges calamine does not report.

    The used range is bounded without parsing: columns beyond Z and rows with as many
    digits as the row limit are found by literal-prefix regexes, so an ordinary book
    costs one inflate and two quick searches."""
    scan = _Scan()
    what = f"sheet {sheet.name!r}"
    tail = b""
    first = True
    multi: set[bytes] = set()
    d1 = len(str(max(1, limits.max_cells // 26)))
    big1 = _big_refs(d1)
    max_big = 0
    for block in pkg.iter(sheet.path):
        buf = tail + block
        if first:
            _check_head(buf, sheet, limits, what)
            first = False
        quotes = b"'" in buf  # single-quoted attributes are rare: skip their searches
        single = quotes and b" r='" in buf
        for i, pat in enumerate(_MULTI_COL):
            if i == 0 or single:
                multi.update(pat.findall(buf))
        for i, pat in enumerate(big1):
            if i == 0 or single:
                found = pat.findall(buf)
                if found:
                    max_big = max(max_big, max(map(int, found)))
        if max_big * 26 > limits.max_cells:
            raise _too_big(sheet.name, limits)
        if b't="e"' in buf or (quotes and b"t='e'" in buf):
            for m in _ERROR_CELL.finditer(buf):
                ref = _REF_ATTR.search(b" " + m.group(1))
                v = _ERROR_V.search(m.group(2))
                if ref and v:
                    rc = (int(ref.group(2)), col_index(ref.group(1).decode()))
                    scan.errors[rc] = v.group(1).decode("ascii", "replace")
        if b"hidden=" in buf:
            for m in _HIDDEN_ROW.finditer(buf):
                r = re.search(rb"""\sr=["'](\d+)""", b" " + m.group(1))
                if r:
                    scan.hidden_rows.append(int(r.group(1)))
        if b"mergeCell " in buf:
            scan.merged.extend(x.decode() for x in _MERGE.findall(buf))
        tail = block[-65536:]
    if multi:
        maxcol = max(col_index(x.decode()) for x in multi)
        if maxcol > MAX_COL:
            raise _too_big(sheet.name, limits)
        d2 = len(str(max(1, limits.max_cells // maxcol)))
        if d2 < d1:  # wide sheet: look again with the row threshold its width allows
            big2 = _big_refs(d2)
            tail = b""
            for block in pkg.iter(sheet.path):
                buf = tail + block
                for pat in big2:
                    found = pat.findall(buf)
                    if found:
                        max_big = max(max_big, max(map(int, found)))
                tail = block[-64:]
        if max_big * maxcol > limits.max_cells:
            raise _too_big(sheet.name, limits)
    scan.hidden_rows = sorted(set(scan.hidden_rows))
    scan.merged = sorted(set(scan.merged))
    return scan


def _table_of(sheet: Any) -> tuple[Any, tuple[int, int, int, int]]:
    """The sheet's (first) Excel Table and its range as (row1, col1, row2, col2); (None,
    zeros) when it has none or its `ref` cannot be read."""
    table = sheet.tables[0] if sheet.tables else None
    if table is not None:
        try:
            a, _, b = table.ref.partition(":")
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b or a)
            return table, (r1, c1, r2, c2)
        except ValueError:
            pass
    return None, (0, 0, 0, 0)


def _too_big(name: str, limits: safety.Limits) -> WorkbookError:
    return WorkbookError(f"sheet {name!r} has cells far outside its data (a used range over "
                         f"{limits.max_cells:,} cells): refused; delete the stray rows and "
                         "columns in Excel and save again")


def _clean_grid(grid: list[list[Any]]) -> list[list[Any]]:
    """calamine values -> the values `raw` allows, in place: '' is empty, whole floats are
    ints (a Customer ID 1001 must not become '1001.0'), times and durations are text."""
    f, s, tm, td = float, str, dt.time, dt.timedelta
    for row in grid:
        row[:] = [(v or None) if (c := v.__class__) is s else
                  (int(v) if v.is_integer() and -1e15 < v < 1e15 else v) if c is f
                  else str(v) if c is tm or c is td else v for v in row]
    return grid


def _blank(v: Any) -> bool:
    return v is None or (v.__class__ is str and not v.strip())


_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xunescape(s: str) -> str:
    """OOXML's `_xHHHH_` escapes (Excel writes control characters this way)."""
    return _XESC.sub(lambda m: chr(int(m.group(1), 16)), s) if "_x" in s else s


class _Lexer:
    """Regex tokenising of a trusted worksheet or shared-strings part (UTF-8, no comments,
    CDATA or DTD: `_trusted` guarantees it), with the part's namespace prefix."""

    def __init__(self, P: bytes):
        E = re.escape(P)
        self.P = P
        self.row_start = re.compile(rb"<" + E + rb"row(?=[\s/>])([^>]*?)(/?)>")
        self.row_end = b"</" + P + b"row>"
        self.cell = re.compile(rb"<" + E + rb"c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + E + rb"c>)",
                               re.S)
        self.v = re.compile(rb"<" + E + rb"v>([^<]*)</" + E + rb"v>")
        self.t = re.compile(rb"<" + E + rb"t(?:\s[^>]*)?>([^<]*)</" + E + rb"t>")
        self.rph = re.compile(rb"<" + E + rb"rPh(?=[\s/>]).*?</" + E + rb"rPh>", re.S)
        self.si = re.compile(rb"<" + E + rb"si(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + E + rb"si>)",
                             re.S)
        self.fast_attrs = re.compile(rb'^\s*r="([A-Z]{1,3})(\d+)"(?:\s+s="(\d+)")?'
                                     rb'(?:\s+t="(\w+)")?\s*$')
        # one match per cell: the usual attribute form in groups 1-4, anything else in 5
        self.any_cell = re.compile(
            rb"<" + E + rb'c(?: r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?|'
            rb"(?=[\s/>])([^>]*?))(?:/>|>(.*?)</" + E + rb"c>)", re.S)

    def text_of(self, inner: bytes) -> str:
        """Concatenated <t> texts of a string item (phonetic runs excluded)."""
        if b"rPh" in inner:
            inner = self.rph.sub(b"", inner)
        return _xunescape("".join(_unescape(t) for t in self.t.findall(inner)))

    def cell_attrs(self, attrs: bytes) -> tuple[int, int, int, str | None]:
        """(row or 0, col or 0, style, type) of a <c> start tag's attributes."""
        m = self.fast_attrs.match(attrs)
        if m:
            return (int(m.group(2)), col_index(m.group(1).decode()),
                    int(m.group(3)) if m.group(3) else 0,
                    m.group(4).decode() if m.group(4) else None)
        a = _attrs(attrs)
        r = c = 0
        if a.get("r"):
            try:
                r, c = split_a1(a["r"])
            except ValueError:
                pass
        try:
            sidx = int(a.get("s", 0) or 0)
        except ValueError:
            sidx = 0
        return r, c, sidx, a.get("t")


def _sheetdata_span(data: bytes, P: bytes) -> tuple[int, int, int, int]:
    """(start of <sheetData>, start of its content, end of content, end of element);
    for `<sheetData/>` the content is empty."""
    m = re.search(rb"<" + re.escape(P) + rb"sheetData(?=[\s/>])[^>]*?(/?)>", data)
    if m is None:
        raise WorkbookError("worksheet has no <sheetData>")
    if m.group(1):
        return m.start(), m.end(), m.end(), m.end()
    close = b"</" + P + b"sheetData>"
    e = data.rfind(close)
    if e < m.end():
        raise WorkbookError("worksheet <sheetData> is not closed")
    return m.start(), m.end(), e, e + len(close)


class _XmlReader:
    """The reader where calamine is unavailable (Pyodide): regex over trusted XML."""

    def __init__(self, pkg: _Package, styles: _Styles, sst_path: str | None, date1904: bool,
                 limits: safety.Limits):
        self.pkg = pkg
        self.styles = styles
        self.date1904 = date1904
        self.limits = limits
        self.sst: list[str] = self._read_sst(sst_path) if sst_path else []

    def _read_sst(self, path: str) -> list[str]:
        data = _trusted(self.pkg.read(path, self.limits.max_shared_strings_bytes),
                        "shared strings")
        lex = _Lexer(_prefix_of(data, "sst"))
        out = [lex.text_of(m.group(1) or b"") for m in lex.si.finditer(data)]
        if len(out) > self.limits.max_shared_strings_count:
            raise WorkbookError("the workbook has more shared strings than allowed "
                                f"({self.limits.max_shared_strings_count:,})")
        return out

    def read_sheet(self, sheet: _Sheet) -> tuple[dict[int, list[tuple[int, Any]]], _Scan]:
        """Sparse cells {row: [(col, value)]} (non-empty only) and the scan facts."""
        what = f"sheet {sheet.name!r}"
        data = _trusted(self.pkg.read(sheet.path, self.limits.max_part_bytes), what)
        lex = _Lexer(_prefix_of(data, "worksheet"))
        _, a, b, _ = _sheetdata_span(data, lex.P)
        scan = _Scan()
        if b"hidden=" in data[a:b]:
            for m in _HIDDEN_ROW.finditer(data, a, b):
                r = re.search(rb"""\sr=["'](\d+)""", b" " + m.group(1))
                if r:
                    scan.hidden_rows.append(int(r.group(1)))
        scan.merged = sorted(set(x.decode() for x in _MERGE.findall(data, b)))
        rows = self._cells_fast(lex, data, a, b, what)
        if rows is None:  # cells without references: walk row by row
            rows = self._cells_by_row(lex, data, a, b, what, sheet.name)
        return rows, scan

    def _cells_fast(self, lex: _Lexer, data: bytes, a: int, b: int, what: str):
        rows: dict[int, list[tuple[int, Any]]] = {}
        cols: dict[bytes, int] = {}
        sst, date_kind, date1904 = self.sst, self.styles.date_kind, self.date1904
        value = self._value
        for m in lex.any_cell.finditer(data, a, b):
            letters, digits, sidx, t, other, inner = m.groups()
            if letters is None:
                r, c, si, ty = lex.cell_attrs(other)
                if not r:
                    return None
                st, tt = si, ty
            else:
                r = int(digits)
                c = cols.get(letters)
                if c is None:
                    c = cols[letters] = col_index(letters.decode())
                st = int(sidx) if sidx else 0
                tt = t.decode() if t else None
            if not inner:
                continue
            if tt is None and not st and inner[:3] == b"<v>" and inner[-4:] == b"</v>":
                try:  # the common plain number, without a regex
                    x = float(inner[3:-4])
                    v: Any = int(x) if x.is_integer() and -1e15 < x < 1e15 else x
                except ValueError:
                    v = value(lex, inner, tt, st, sst, date_kind, date1904)
            else:
                v = value(lex, inner, tt, st, sst, date_kind, date1904)
            if v is not None:
                line = rows.get(r)
                if line is None:
                    line = rows[r] = []
                line.append((c, v))
        return rows

    def _cells_by_row(self, lex, data, a, b, what, name):
        rows: dict[int, list[tuple[int, Any]]] = {}
        sst, date_kind, date1904 = self.sst, self.styles.date_kind, self.date1904
        r = 0
        for m in lex.row_start.finditer(data, a, b):
            ra = _attrs(m.group(1))
            r = int(ra["r"]) if ra.get("r", "").isdigit() else r + 1
            if m.group(2):
                continue
            end = data.find(lex.row_end, m.end(), b)
            if end < 0:
                raise WorkbookError(f"{what}: a row is not closed")
            c = 0
            line = []
            for cm in lex.cell.finditer(data, m.end(), end):
                cr, cc, sidx, t = lex.cell_attrs(cm.group(1))
                c = cc or c + 1
                if c > MAX_COL or r > MAX_ROW:
                    raise _too_big(name, self.limits)
                inner = cm.group(2)
                if not inner:
                    continue
                v = self._value(lex, inner, t, sidx, sst, date_kind, date1904)
                if v is not None:
                    line.append((c, v))
            if line:
                rows[r] = line
        return rows

    @staticmethod
    def _value(lex: _Lexer, inner: bytes, t: str | None, sidx: int, sst, date_kind,
               date1904) -> Any:
        if t == "inlineStr":
            return lex.text_of(inner) or None
        vm = lex.v.search(inner)
        if vm is None:
            return None
        text = vm.group(1)
        if t == "s":
            try:
                return sst[int(text)] or None
            except (ValueError, IndexError):
                return None
        if t == "str":
            return _xunescape(_unescape(text)) or None
        if t == "b":
            return text.strip() in (b"1", b"true")
        if t == "e":
            return CellError(_unescape(text))
        if t == "d":
            try:
                d = dt.datetime.fromisoformat(_unescape(text))
            except ValueError:
                return _unescape(text) or None
            return d.date() if d.time() == dt.time() else d
        try:
            x = float(text)
        except ValueError:
            return _unescape(text) or None
        kind = date_kind(sidx) if sidx else None
        if kind is not None and math.isfinite(x) and 0 <= x < 2958466:
            if kind == "duration":
                return str(dt.timedelta(days=x))
            if x < 1:
                return str((dt.datetime(2000, 1, 1) + dt.timedelta(days=x)).time())
            return _from_serial(x, date1904)
        if x.is_integer() and -1e15 < x < 1e15:
            return int(x)
        return x


def _window(grid: list[list[Any]], r0: int, c0: int, first_row: int, last_row: int,
            first_col: int, last_col: int) -> list[list[Any]]:
    """Rows first_row..last_row by columns first_col..last_col (Excel, inclusive) of a grid
    whose top-left cell is (r0, c0), None outside it. A grid row that is exactly the
    window's width is shared, not copied."""
    width = max(last_col - first_col + 1, 0)
    lo = first_col - c0
    left = [None] * min(-lo, width) if lo < 0 else []
    out = []
    for i in range(first_row - r0, last_row - r0 + 1):
        row = grid[i] if 0 <= i < len(grid) else []
        if lo == 0 and len(row) == width:
            out.append(row)
            continue
        piece = left + row[max(lo, 0):max(lo + width, 0)]
        if len(piece) < width:
            piece += [None] * (width - len(piece))
        out.append(piece)
    return out


def _grid_from_sparse(rows: dict[int, list[tuple[int, Any]]], name: str,
                      limits: safety.Limits) -> tuple[list[list[Any]], int, int, int]:
    """Dense grid of the used range: (grid, first_row, first_col, last_col)."""
    if not rows:
        return [], 1, 1, 0
    r0, r1 = min(rows), max(rows)
    c0 = min(c for cells in rows.values() for c, _ in cells)
    c1 = max(c for cells in rows.values() for c, _ in cells)
    if (r1 - r0 + 1) * (c1 - c0 + 1) > limits.max_cells:
        raise _too_big(name, limits)
    width = c1 - c0 + 1
    grid = []
    for r in range(r0, r1 + 1):
        line = [None] * width
        for c, v in rows.get(r, ()):
            line[c - c0] = v
        grid.append(line)
    return grid, r0, c0, c1


# ---- counting a sheet's rows without reading it ------------------------------------------
# ordersheet appends to its log sheets (Stock Ledger, Audit Log) and never uses what they
# hold, yet they grow with every run (264,000 ledger rows after one 100,000-line run).
# Reading one only to count its rows took longer than reading Orders. The count below
# looks at the header (the head of the part) and at the last rows (its tail): worksheet
# rows are stored in ascending order, so the last data row is in the tail unless the tail
# holds only rows without values, and then the sheet is simply read.


_COUNT_CHUNK = 4 * safety.MiB
"""Inflated block size of the count; the head is one block, the tail the last two."""


class _SstPeek:
    """Shared strings parsed only as far as the highest index asked for."""

    def __init__(self, pkg: _Package, path: str | None, limits: safety.Limits):
        self.pkg, self.path, self.limits = pkg, path, limits
        self.items: list[str] = []
        self._more: Iterator[re.Match] | None = None
        self._lex: _Lexer | None = None

    def get(self, i: int) -> str | None:
        if self.path is None:
            return None
        if self._more is None:
            data = _trusted(self.pkg.read(self.path, self.limits.max_shared_strings_bytes),
                            "shared strings")
            self._lex = _Lexer(_prefix_of(data, "sst"))
            self._more = self._lex.si.finditer(data)
        while len(self.items) <= i:
            m = next(self._more, None)
            if m is None:
                return None
            self.items.append(self._lex.text_of(m.group(1) or b""))  # type: ignore[union-attr]
        return self.items[i]


def _filled(lex: _Lexer, t: str | None, inner: bytes | None, sst: _SstPeek) -> bool | None:
    """Whether a cell holds a value `read` keeps (a `raw` value that is not None and not
    blank text); None where only reading the cell the way calamine does can tell."""
    if not inner:
        return False
    if t == "inlineStr":
        return bool(lex.text_of(inner).strip())
    vm = lex.v.search(inner)
    if vm is None:
        return False if t in (None, "n", "s", "str", "b") else None
    text = vm.group(1)
    if t is None or t == "n":
        try:
            float(text)
        except ValueError:
            return None
        return True
    if t == "s":
        try:
            s = sst.get(int(text))
        except ValueError:
            return None
        return None if s is None else bool(s.strip())
    if t == "str":
        return bool(_xunescape(_unescape(text)).strip())
    if t in ("b", "e"):
        return True
    return None


def _filled_cells(lex: _Lexer, data: bytes, a: int, b: int,
                  sst: _SstPeek) -> tuple[dict[int, list[tuple[int, bool]]], int] | None:
    """{row: [(col, filled)]} of the complete rows in data[a:b] and the last row number;
    None when a cell has no reference or an unusual value (the caller reads instead)."""
    rows: dict[int, list[tuple[int, bool]]] = {}
    last = 0
    for m in lex.any_cell.finditer(data, a, b):
        letters, digits, _s, t, other, inner = m.groups()
        if letters is None:
            r, c, _si, ty = lex.cell_attrs(other)
            if not r or not c:
                return None
        else:
            r, c, ty = int(digits), col_index(letters.decode()), t.decode() if t else None
        if r < last:
            return None  # rows out of order: the tail may not hold the last one
        last = r
        f = _filled(lex, ty, inner, sst)
        if f is None:
            return None
        rows.setdefault(r, []).append((c, f))
    return rows, last


def _count_rows(pkg: _Package, sheet: _Sheet, limits: safety.Limits,
                sst: _SstPeek) -> tuple[int, int] | None:
    """(header row, data rows) exactly as `XlsxBook.read` would give them
    (`raw.header_row`, `len(raw.rows)`), from the head and the tail of the part only;
    None when that cannot be told for sure (then the caller reads the sheet)."""
    what = f"sheet {sheet.name!r}"
    head = b""
    tail: list[bytes] = []
    blocks = 0
    seam = b""
    for block in pkg.iter(sheet.path, _COUNT_CHUNK):
        if not blocks:
            _check_head(block, sheet, limits, what)
            if not _utf8(block):
                return None
            head = block
        # comments, CDATA or processing instructions: the regex tokens are not exact
        # ('!' and '?' are rare bytes: looking for them alone is a fast memchr)
        if (b"!" in block or b"?" in block) and _UNUSUAL.search(seam + block):
            return None
        seam = block[-8:]
        blocks += 1
        tail = tail[-1:] + [block]
    whole = blocks <= 2
    if whole:
        head = b"".join(tail)
    try:
        lex = _Lexer(_prefix_of(head, "worksheet"))
    except WorkbookError:
        return None
    m = re.search(rb"<" + re.escape(lex.P) + rb"sheetData(?=[\s/>])[^>]*?(/?)>", head)
    if m is None:
        return None
    a = m.end()
    if m.group(1):
        return None  # <sheetData/>: nothing to count, and reading it costs nothing
    table, (tr1, tc1, tr2, tc2) = _table_of(sheet)
    # The header: the first rows are enough, unless they hold no value (or not yet the
    # table's header row); then the whole head, which is every row when `whole`.
    head_rows: dict[int, list[tuple[int, bool]]] = {}
    for span in (65536, len(head)):
        b = head.rfind(lex.row_end, a, a + span)
        if b < 0:
            continue
        got = _filled_cells(lex, head, a, b + len(lex.row_end), sst)
        if got is None:
            return None
        head_rows, head_last = got
        if table is not None and table.header_rows:
            if head_last >= tr1:
                break
        elif any(f for cells in head_rows.values() for _, f in cells):
            break
    else:
        if not whole:
            return None
    if table is not None:
        names = list(table.columns)
        if table.header_rows:
            cells = dict(head_rows.get(tr1, ()))
            header = []
            for j, c in enumerate(range(tc1, tc2 + 1)):
                f = cells.get(c)
                if f is False:
                    return None  # blank text or no value: `read` may keep either
                header.append(True if f else j < len(names) and not _blank(names[j]))
            header_row = tr1
        else:
            header = [not _blank(x) for x in names]
            header_row = tr1 - 1
        if True not in header:
            return None
        lo = tc1 + header.index(True)
        hi = tc1 + len(header) - 1 - header[::-1].index(True)
        first, last_row = tr1 + (1 if table.header_rows else 0), tr2 - table.totals_rows
    else:
        filled = [r for r, cells in head_rows.items() if any(f for _, f in cells)]
        if not filled:
            return None
        header_row = min(filled)
        cols = [c for c, f in head_rows[header_row] if f]
        lo, hi = min(cols), max(cols)
        first, last_row = header_row + 1, MAX_ROW
    # The last data row: walk back from the end of the rows, one row at a time.
    data = head if whole else b"".join(tail)
    pos = data.rfind(b"</" + lex.P + b"sheetData>")
    stop = a if whole else 0
    if pos < stop:
        return None
    opener = b"<" + lex.P + b"row"
    later = MAX_ROW + 1
    while True:
        s = data.rfind(opener, stop, pos)
        while s >= 0 and data[s + len(opener):s + len(opener) + 1] not in b" \t\r\n/>":
            s = data.rfind(opener, stop, s)
        if s < 0:
            return (header_row, 0) if whole else None
        got = _filled_cells(lex, data, s, pos, sst)
        if got is None:
            return None
        rows, _ = got
        pos = s
        if not rows:
            continue  # a row without cells
        if len(rows) != 1:
            return None  # cells of several rows in one <row>
        (r, cells), = rows.items()
        if r >= later:
            return None  # rows out of order: the last one may be elsewhere
        later = r
        if r < first:
            return header_row, 0
        if r <= last_row and any(f and lo <= c <= hi for c, f in cells):
            return header_row, r - first + 1


# ---- the book ----------------------------------------------------------------------------


class _SheetCache(weakref.WeakValueDictionary):
    """The sheets `read` returned, for as long as the caller keeps them: the port must not
    hold a 100,000-row grid for the whole run once the book is loaded. Each sheet's header
    row outlives it (appending under a block needs only that)."""

    def __init__(self) -> None:
        super().__init__()
        self.header_row: dict[str, int] = {}

    def __setitem__(self, name: str, raw: RawSheet) -> None:
        super().__setitem__(name, raw)
        self.header_row[name] = raw.header_row

    def clear(self) -> None:
        super().clear()
        self.header_row.clear()


class _CalamineParser:
    """python-calamine parsing sheets on other threads while this one does Python work.

    calamine releases the GIL while it parses, so a sheet is parsed on the other core
    while this thread scans the next sheets and converts (and then loads) the ones
    already parsed: a processed 100k-line book, whose Orders, Shipments, Shipment Lines,
    Invoices and Invoice Lines are all big, reads in seconds less. A sheet is submitted
    only once its scan has passed, so calamine never sees a sheet the scan would refuse.

    `WORKERS` threads take the submitted sheets in order, each with its own workbook, and
    stop while `WORKERS` grids are parsed and not taken yet (memory stays near that of
    parsing that many sheets at once). Sheets may be taken in any order: one no thread
    has started is parsed by the caller itself, so taking never waits on a sheet that
    waits on it. Without threads (Pyodide) or with `synchronous`, every sheet is parsed
    that way.

    `close` always ends the threads and calamine's hold on the file, also when the caller
    stops early: a thread stops before its next sheet."""

    WORKERS = 2

    def __init__(self, path: Path, synchronous: bool = False):
        self.path = path
        self._wb: Any = None  # the caller's own workbook, for the sheets it parses
        self._submitted: set[str] = set()
        self._pending: list[str] = []
        self._got: dict[str, Any] = {}
        self._busy = 0
        self._stop = False
        self._threads: list = []
        self._cond: Any = None
        if not synchronous:
            try:
                import threading

                self._cond = threading.Condition()
                for k in range(self.WORKERS):
                    t = threading.Thread(target=self._work, name=f"ordersheet-read-{k}",
                                         daemon=True)
                    t.start()
                    self._threads.append(t)
            except (ImportError, RuntimeError):  # no threads here (Pyodide)
                self.close()
                self._cond, self._stop = None, False

    def _open(self) -> Any:
        try:
            return _calamine.CalamineWorkbook.from_path(str(self.path))
        except Exception as e:  # calamine's own refusal is still a refusal, not a crash
            raise WorkbookError(f"{self.path.name} cannot be read ({e})") from None

    @staticmethod
    def _parse(wb: Any, name: str) -> tuple[list[list[Any]], Any]:
        try:
            cs = wb.get_sheet_by_name(name)
            return cs.to_python(skip_empty_area=True), cs.start
        except Exception as e:
            raise WorkbookError(f"sheet {name!r} cannot be read ({e})") from None

    def _work(self) -> None:
        cond = self._cond
        wb = None
        try:
            while True:
                with cond:
                    while not self._stop and (not self._pending or
                                              self._busy >= self.WORKERS):
                        cond.wait()
                    if self._stop:
                        return
                    name = self._pending.pop(0)
                    self._busy += 1
                try:
                    if wb is None:
                        wb = self._open()
                    got: Any = self._parse(wb, name)
                except BaseException as e:  # handed to the caller by `result`
                    got = e
                with cond:
                    self._got[name] = got
                    cond.notify_all()
                del got
        finally:
            if wb is not None:
                wb.close()

    def submit(self, name: str) -> None:
        """Parse sheet `name` (its scan has passed)."""
        self._submitted.add(name)
        if self._cond is not None:
            with self._cond:
                self._pending.append(name)
                self._cond.notify_all()

    def result(self, name: str) -> tuple[list[list[Any]], Any]:
        """The grid and start (row, column; 0-based) of submitted sheet `name`, once;
        re-raises its `WorkbookError`."""
        if name not in self._submitted:
            raise KeyError(name)
        self._submitted.discard(name)
        cond = self._cond
        got: Any = None
        if cond is not None:
            with cond:
                if name in self._pending:  # no thread has started it: parse it here
                    self._pending.remove(name)
                else:
                    while name not in self._got:
                        cond.wait()
                    got = self._got.pop(name)
                    self._busy -= 1
                    cond.notify_all()
        if got is None:
            if self._wb is None:
                self._wb = self._open()
            got = self._parse(self._wb, name)
        if isinstance(got, BaseException):
            raise got
        return got

    def close(self) -> None:
        if self._threads:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            for t in self._threads:
                t.join()
            self._threads = []
        self._got, self._pending = {}, []
        if self._wb is not None:
            self._wb.close()
            self._wb = None


class _Reading(Mapping):
    """The sheets `XlsxBook.read` gives, each converted when it is first looked up.

    Every sheet is scanned when the reading opens (a refusal raises there, before
    calamine parses anything of it); calamine then parses them on other threads
    (`_CalamineParser`), so a caller that works through the sheets one at a time (`load`)
    converts and loads one while the next ones are parsed. Close it (or use it as a
    context manager) to end the threads and calamine's hold on the file."""

    def __init__(self, book: "XlsxBook", sheets: list[_Sheet]):
        self._book = book
        self._sheets = {s.name: s for s in sheets}
        self._held: dict[str, RawSheet] = {}
        self._scans: dict[str, _Scan] = {}
        self._parser: _CalamineParser | None = None
        todo = []
        for s in sheets:
            raw = book._cache.get(s.name)
            if raw is None:
                todo.append(s)
            else:
                self._held[s.name] = raw
        if not todo:
            return
        if book.reader != "calamine":
            self._held.update(book._read_xml(todo))
            return
        self._parser = _CalamineParser(book.path)
        try:
            for s in todo:
                self._scans[s.name] = _scan_sheet(book.pkg, s, book.limits)
                self._parser.submit(s.name)
        except BaseException:
            self.close()
            raise

    def __getitem__(self, name: str) -> RawSheet:
        raw = self._held.get(name)
        if raw is None:
            if name not in self._scans:
                raise KeyError(name)
            raw = self._held[name] = self._book._from_grid(
                self._sheets[name], *self._parser.result(name), self._scans.pop(name))
        return raw

    def __contains__(self, name: object) -> bool:
        return name in self._sheets

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()
            self._parser = None

    def __enter__(self) -> "_Reading":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class XlsxBook:
    """An .xlsx order book on disk (the CLI's engine). See the module docstring."""

    engine_name = engine_name

    def __init__(self, path: str | Path, limits: safety.Limits = safety.DEFAULT_LIMITS,
                 reader: str = "auto"):
        self.path = Path(path)
        self.limits = limits
        if reader not in ("auto", "calamine", "xml"):
            raise ValueError(f"unknown reader {reader!r}")
        if reader == "calamine" and _calamine is None:
            raise WorkbookError("python-calamine is not installed")
        self.reader = "calamine" if reader != "xml" and _calamine is not None else "xml"
        self._ops: list[p.Op] = []
        self._activate: str | None = None
        self._cache = _SheetCache()
        self._header_rows: dict[str, dict[int, dict[int, Any]]] = {}
        self._open()

    # -- opening: everything here is small and checked --
    def _open(self) -> None:
        name = self.path.name
        pkg = self.pkg = _Package(self.path, self.limits)
        safety.inspect_zip_infos(pkg.infos, name, self.limits)
        ct_name = pkg.find("[Content_Types].xml")
        root_rels = pkg.find("_rels/.rels")
        if ct_name is None or root_rels is None:
            raise WorkbookError(f"{name} is not an .xlsx workbook (no package manifest)")
        self.content_types = pkg.read(ct_name)
        ct_root = safety.parse_xml(self.content_types, f"{name} content types")
        self._ct_defaults = {el.get("Extension", "").lower(): el.get("ContentType", "")
                             for el in ct_root if el.tag.endswith("Default")}
        self._ct_overrides = {el.get("PartName", "").lstrip("/").lower():
                              el.get("ContentType", "")
                              for el in ct_root if el.tag.endswith("Override")}
        rels = _parse_rels(pkg.read(root_rels), "", f"{name} package relationships")
        doc = next((r for r in rels if r.type.endswith("/officeDocument")
                    and not r.external), None)
        if doc is None or pkg.find(doc.target) is None:
            raise WorkbookError(f"{name} is not an Excel workbook (no workbook part)")
        if "purl.oclc.org" in doc.type:
            raise WorkbookError(f"{name} is saved as Strict Open XML: save it as an ordinary "
                                "Excel Workbook (.xlsx) and run again")
        self.wb_path = pkg.find(doc.target)
        ct = self._content_type(self.wb_path)
        if "spreadsheetml" not in ct and "ms-excel" not in ct:
            raise WorkbookError(f"{name} is not an Excel workbook ({ct or 'unknown content'})")
        if ct.endswith(".main") or "binary" in ct:  # xlsb
            raise WorkbookError(f"{name} is a binary workbook (.xlsb): save it as .xlsx")
        self.wb_xml = _trusted(pkg.read(self.wb_path), f"{name} workbook")
        wb_root = safety.parse_xml(self.wb_xml, f"{name} workbook")
        if STRICT_MAIN in wb_root.tag:
            raise WorkbookError(f"{name} is saved as Strict Open XML: save it as an ordinary "
                                "Excel Workbook (.xlsx) and run again")
        self.wb_rels_path = posixpath.join(posixpath.dirname(self.wb_path), "_rels",
                                           posixpath.basename(self.wb_path) + ".rels")
        real = pkg.find(self.wb_rels_path)
        if real is None:
            raise WorkbookError(f"{name}: the workbook has no relationships part")
        self.wb_rels_path = real
        self.wb_rels_xml = _trusted(pkg.read(real), f"{name} workbook relationships")
        self.wb_rels = _parse_rels(self.wb_rels_xml, self.wb_path,
                                   f"{name} workbook relationships")
        by_id = {r.id: r for r in self.wb_rels}
        pr = next((el for el in wb_root if el.tag.endswith("}workbookPr")), None)
        self.date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
        self.sheets: list[_Sheet] = []
        sheets_el = next((el for el in wb_root if el.tag.endswith("}sheets")), None)
        for el in (sheets_el if sheets_el is not None else []):
            rid = el.get(f"{{{NS_R}}}id", "")
            rel = by_id.get(rid)
            kind = rel.type.rsplit("/", 1)[-1] if rel else "missing"
            path = pkg.find(rel.target) if rel and not rel.external else None
            try:
                sid = int(el.get("sheetId", "0"))
            except ValueError:
                sid = 0
            self.sheets.append(_Sheet(el.get("name", ""), sid, rid, el.get("state"),
                                      path, kind))
        if not self.sheets:
            raise WorkbookError(f"{name}: the workbook has no sheets")
        sst = next((r for r in self.wb_rels if r.type.endswith("/sharedStrings")), None)
        self.sst_path = pkg.find(sst.target) if sst else None
        sty = next((r for r in self.wb_rels if r.type.endswith("/styles")), None)
        self.styles_path = pkg.find(sty.target) if sty else None
        if self.sst_path:
            info = pkg.info(self.sst_path)
            if info.file_size > self.limits.max_shared_strings_bytes:
                raise WorkbookError(
                    f"{name}: its shared strings unpack to {safety._mb(info.file_size)} "
                    f"(limit {safety._mb(self.limits.max_shared_strings_bytes)}): refused")
            head = pkg.read_head(self.sst_path, 4096)
            safety.forbid_dtd_prolog(head, f"{name} shared strings")
            m = re.search(rb"""uniqueCount=["'](\d+)""", head) or \
                re.search(rb"""\scount=["'](\d+)""", head)
            if m and int(m.group(1)) > self.limits.max_shared_strings_count:
                raise WorkbookError(
                    f"{name}: it declares {int(m.group(1)):,} shared strings (limit "
                    f"{self.limits.max_shared_strings_count:,}): refused")
            # the body is inflated once under the cap before any parser sees it
            for _ in pkg.iter(self.sst_path):
                pass
        styles_raw = pkg.read(self.styles_path) if self.styles_path else None
        self.styles_xml = _trusted(styles_raw, f"{name} styles") if styles_raw else None
        if self.styles_xml:
            safety.parse_xml(self.styles_xml, f"{name} styles")
        self.table_names: set[str] = set()
        self.max_table_id = 0
        for sh in self.sheets:
            if sh.kind != "worksheet" or sh.path is None:
                continue
            rp = pkg.find(sh.rels_path)
            if rp:
                sh.rels = _parse_rels(pkg.read(rp), sh.path, f"relationships of {sh.name!r}")
            for rel in sh.rels:
                if rel.type.endswith("/table") and not rel.external and pkg.find(rel.target):
                    sh.tables.append(self._parse_table(pkg.find(rel.target), rel.id))
            for t in sh.tables:
                self.table_names.add(t.display.lower())
                self.max_table_id = max(self.max_table_id, t.id)
        self._defined_names = {el.get("name", "").lower() for el in wb_root.iter()
                               if el.tag.endswith("}definedName")}

    def _content_type(self, part: str) -> str:
        ct = self._ct_overrides.get(part.lower())
        if ct:
            return ct
        return self._ct_defaults.get(part.rsplit(".", 1)[-1].lower(), "")

    def _parse_table(self, path: str, rid: str) -> _Table:
        data = self.pkg.read(path)
        root = safety.parse_xml(data, f"table {path}")
        cols_el = next((el for el in root if el.tag.endswith("}tableColumns")), None)
        cols = [c.get("name", "") for c in (cols_el if cols_el is not None else [])]

        def num(key: str, default: int) -> int:
            try:
                return int(root.get(key, default))
            except ValueError:
                return default
        return _Table(path, rid, num("id", 0), root.get("name", ""),
                      root.get("displayName", root.get("name", "")), root.get("ref", "A1"),
                      num("headerRowCount", 1), num("totalsRowCount", 0), cols)

    # -- the port --
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def _sheet(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def read(self, names: list[str] | None = None) -> dict[str, RawSheet]:
        """Each worksheet's data block: its first Excel Table, else the block under the
        first non-empty row. Values are those `raw` allows; formulas give their cached
        value; error cells are `CellError`. `extra` carries hidden rows and merged ranges."""
        with self.reading(names) as sheets:
            return {name: sheets[name] for name in sheets}

    def reading(self, names: list[str] | None = None) -> _Reading:
        """`read`'s sheets as a mapping that converts each on first look-up while the
        others are parsed on other threads (see `_Reading`); close it when done."""
        return _Reading(self, [s for s in self.sheets if s.kind == "worksheet" and s.path
                               and (names is None or s.name in names)])

    def row_counts(self, names: list[str]) -> dict[str, int]:
        """How many data rows `read` would give each named worksheet, from the head and
        the tail of its part (`_count_rows`) instead of converting every cell; a sheet
        whose count that cannot tell for sure is read. Remembers each header row, which
        is all appending under the data needs."""
        wanted = [s for s in self.sheets if s.kind == "worksheet" and s.path
                  and s.name in names]
        out: dict[str, int] = {}
        todo = []
        sst = _SstPeek(self.pkg, self.sst_path, self.limits)
        for s in wanted:
            raw = self._cache.get(s.name)
            got = (raw.header_row, len(raw.rows)) if raw is not None else \
                _count_rows(self.pkg, s, self.limits, sst)
            if got is None:
                todo.append(s.name)
            else:
                self._cache.header_row[s.name], out[s.name] = got
        if todo:
            out.update((n, len(raw.rows)) for n, raw in self.read(todo).items())
        return {s.name: out[s.name] for s in wanted}

    def _from_grid(self, s: _Sheet, grid: list[list[Any]], start: Any,
                   scan: _Scan) -> RawSheet:
        """The `RawSheet` of a grid calamine parsed (`start`: its first cell, 0-based),
        with the error cells the scan found put in."""
        _clean_grid(grid)
        r0, c0 = (start[0] + 1, start[1] + 1) if start and grid else (1, 1)
        for (r, c), text in scan.errors.items():
            i, j = r - r0, c - c0
            if i >= 0 and j >= 0:
                while len(grid) <= i:
                    grid.append([])
                row = grid[i]
                if len(row) <= j:
                    row.extend([None] * (j + 1 - len(row)))
                row[j] = CellError(text)
        last = max((c0 + len(r) - 1 for r in grid), default=0)
        return self._store(s, grid, r0, c0, last, scan)

    def _read_xml(self, sheets: list[_Sheet]) -> dict[str, RawSheet]:
        reader = _XmlReader(self.pkg, self._styles(), self.sst_path, self.date1904,
                            self.limits)
        out: dict[str, RawSheet] = {}
        for s in sheets:
            rows, scan = reader.read_sheet(s)
            grid, r0, c0, c1 = _grid_from_sparse(rows, s.name, self.limits)
            del rows
            scan.hidden_rows = sorted(set(scan.hidden_rows))
            out[s.name] = self._store(s, grid, r0, c0, c1, scan)
            del grid
        return out

    def _store(self, s: _Sheet, grid: list[list[Any]], r0: int, c0: int, last_col: int,
               scan: _Scan) -> RawSheet:
        def cell(r: int, c: int) -> Any:
            i, j = r - r0, c - c0
            if 0 <= i < len(grid) and 0 <= j < len(grid[i]):
                return grid[i][j]
            return None

        table, (tr1, tc1, tr2, tc2) = _table_of(s)
        if table is not None:
            first_data = tr1 + (1 if table.header_rows else 0)
            last_data = tr2 - table.totals_rows
            # Cells outside the grid are empty: rows below it would be dropped as trailing
            # and columns right of it cut by the header, so neither is made.
            right = c0 + max(map(len, grid), default=0) - 1
            body = _window(grid, r0, c0, first_data, min(last_data, r0 + len(grid) - 1),
                           tc1, min(tc2, right))
            if table.header_rows:
                header = [cell(tr1, c) for c in range(tc1, tc2 + 1)]
                for j, name in enumerate(table.columns[:len(header)]):
                    if header[j] is None:
                        header[j] = name
                raw = block_from_grid(s.name, [header] + body, tr1, tc1, table.display)
            else:
                raw = block_from_grid(s.name, [list(table.columns)] + body, tr1 - 1, tc1,
                                      table.display)
            self._header_rows[s.name] = {tr1: {c: cell(tr1, c) for c in range(
                tc1, max(tc2, last_col) + 2)}}
        else:
            raw = block_from_grid(s.name, grid, r0, c0)
        raw.last_col = max(raw.last_col, last_col)
        if scan.hidden_rows:
            raw.extra["hidden_rows"] = scan.hidden_rows
        if scan.merged:
            raw.extra["merged"] = scan.merged
        self._cache[s.name] = raw
        return raw

    def _styles(self) -> _Styles:
        return _Styles(self.styles_xml)

    # -- writing --
    def apply(self, plan: p.WritePlan) -> None:
        """Buffer the plan; `save` writes it (one pass per sheet)."""
        for op in plan.ops:
            if not isinstance(op, (p.ReplaceSheet, p.AppendRows, p.UpdateColumns, p.SetCells,
                                   p.MarkCells)):
                raise TypeError(f"unknown plan operation {op!r}")
        self._ops.extend(plan.ops)
        if plan.activate:
            self._activate = plan.activate

    def save(self, dest: str | Path | None = None) -> None:
        """Write the buffered plan: `dest` None edits the book in place (keeping
        `BOOK.xlsx.bak`), else writes a new file. Atomic either way."""
        target = Path(dest) if dest else self.path
        in_place = target.resolve() == self.path.resolve()
        if in_place:
            target = target.resolve()  # a symlinked book: replace the file, keep the link
            if not self._ops and not self._activate:
                return
        safety.check_not_open(target)
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise WorkbookError(f"{self.path.name} was removed while ordersheet ran") from None
        if (st.st_size, st.st_mtime_ns, getattr(st, "st_ino", 0)) != self.pkg.identity:
            raise WorkbookError(f"{self.path.name} changed on disk after ordersheet read it: "
                                "run again")
        build = _Build(self, self._ops, self._activate)
        # Writing makes no reference cycles, but allocates enough to set off the cycle
        # collector, which would rescan a big run's records (hundreds of thousands,
        # alive until the command ends) again and again to free nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            safety.atomic_write(target, build.write, backup=in_place)
        finally:
            if collecting:
                gc.enable()
        self._ops = []
        self._activate = None
        if in_place:
            self._cache.clear()
            self._header_rows.clear()
            self._open()

    def _header_row(self, name: str) -> int:
        """Where a sheet's header is, for appending under its data."""
        sheet = self._sheet(name)
        if sheet is not None and sheet.tables:
            try:
                return split_a1(sheet.tables[0].ref.partition(":")[0])[0]
            except ValueError:
                pass
        if sheet is None or sheet.kind != "worksheet":
            return 1
        return self._cache.header_row.get(name) or self.read([name])[name].header_row

    def _header_cells(self, name: str, row: int) -> dict[int, Any]:
        if name not in self._header_rows:
            self.read([name])
        return self._header_rows.get(name, {}).get(row, {})

    def _plan_table_extension(self, sheet: _Sheet, op: p.UpdateColumns, e: _Edit,
                              heads: _Src, forced: _Src) -> None:
        """Tool columns just right of the user's Excel Table join it (a Table stays valid:
        each column named, names unique, header cells equal to the names)."""
        t = next((t for t in sheet.tables if t.display.lower() == op.table.lower()), None)
        if t is None or not t.header_rows:
            return
        try:
            a, _, b = t.ref.partition(":")
            (r1, c1), (r2, c2) = split_a1(a), split_a1(b or a)
        except ValueError:
            return
        if op.header_row != r1:
            return
        by_col = {c: h for c, h, _v, _f in op.columns}
        right = c2
        while right + 1 in by_col:
            right += 1
        if right == c2:
            return
        for other in sheet.tables:
            if other is t:
                continue
            try:
                oa, _, ob = other.ref.partition(":")
                (or1, oc1), (or2, oc2) = split_a1(oa), split_a1(ob or oa)
            except ValueError:
                continue
            if or1 <= r2 and r1 <= or2 and oc1 <= right and c2 + 1 <= oc2:
                return  # the columns belong to another table's area
        cells = self._header_cells(sheet.name, r1)
        seen = {c.lower() for c in t.columns}
        names = []
        for c in range(c2 + 1, right + 1):
            cur = cells.get(c)
            if not _blank(cur):
                name = str(cur)
                if name.lower() in seen:
                    return  # would need renaming the user's header: leave the table
            else:
                base = str(by_col[c]).strip() or f"Column{c - c1 + 1}"
                name, k = base, 2
                while name.lower() in seen:
                    name = f"{base}{k}"
                    k += 1
                forced.cells.setdefault(r1, {})[c] = (name, None)
            seen.add(name.lower())
            names.append(name)
        e.table_right[t.display.lower()] = (right, names)


# ---- writing: cell sources -----------------------------------------------------------------


@dataclass
class _Src:
    """One plan operation's cell values on one sheet; later sources win."""

    kind: str
    """'cols' (UpdateColumns), 'block' (AppendRows), 'cells' (SetCells), 'header' (write
    only where the cell is empty)"""
    first: int = 0
    n: int = 0
    cols: list[tuple[int, list[Any], p.Fmt]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    fmts: list[p.Fmt] = field(default_factory=list)
    cells: dict[int, dict[int, tuple[Any, p.Fmt]]] = field(default_factory=dict)

    def row_span(self) -> Iterable[int]:
        if self.kind in ("cols", "block"):
            return range(self.first, self.first + self.n)
        return self.cells.keys()

    def extent(self) -> tuple[int, int, int, int] | None:
        """(min row, min col, max row, max col) of the cells it writes."""
        if self.kind == "cols":
            if not self.cols or not self.n:
                return None
            cs = [c for c, _, _ in self.cols]
            return self.first, min(cs), self.first + self.n - 1, max(cs)
        if self.kind == "block":
            width = _rows_width(self.rows)
            if not self.n or not width:
                return None
            return self.first, 1, self.first + self.n - 1, width
        if not self.cells:
            return None
        cs = [c for row in self.cells.values() for c in row]
        return min(self.cells), min(cs), max(self.cells), max(cs)


@dataclass
class _Edit:
    """Everything one save changes on one sheet."""

    sources: list[_Src] = field(default_factory=list)
    marks: dict[int, dict[int, tuple[str, str]]] = field(default_factory=dict)
    clears: dict[int, set[int]] = field(default_factory=dict)
    replace: p.ReplaceSheet | None = None
    table_right: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    """table display name -> (new right column, names of the added columns)"""
    table_bottom: int = 0
    created: bool = False

    def touched_rows(self) -> list[int]:
        rows: set[int] = set()
        for s in self.sources:
            rows.update(s.row_span())
        rows.update(self.marks)
        rows.update(self.clears)
        return sorted(r for r in rows if 1 <= r <= MAX_ROW)

    def row_values(self, r: int, skip: int = -1) -> dict[int, tuple]:
        """col -> (value, fmt, only_if_empty, where) for row r (leaving out source `skip`);
        `where` is (source index, column index, row index) for values of an UpdateColumns
        column."""
        d: dict[int, tuple] = {}
        for si, s in enumerate(self.sources):
            if si == skip:
                continue
            k = s.kind
            if k == "cols":
                i = r - s.first
                if 0 <= i < s.n:
                    for ci, (c, values, fmt) in enumerate(s.cols):
                        if i < len(values):
                            d[c] = (values[i], fmt, False, (si, ci, i))
            elif k == "block":
                i = r - s.first
                if 0 <= i < s.n:
                    fmts = s.fmts
                    for j, v in enumerate(s.rows[i]):
                        d[j + 1] = (v, fmts[j] if j < len(fmts) else None, False, None)
            else:
                got = s.cells.get(r)
                if got:
                    only = k == "header"
                    for c, (v, fmt) in got.items():
                        d[c] = (v, fmt, only, None)
        return d

    def covered(self, r: int, c: int) -> bool:
        got = self.row_values(r).get(c)
        return got is not None and not got[2]

    def extent(self) -> tuple[int, int, int, int] | None:
        boxes = [e for e in (s.extent() for s in self.sources) if e]
        for rows in (self.marks, self.clears):
            for r, cols in rows.items():
                for c in cols:
                    boxes.append((r, c, r, c))
        if not boxes:
            return None
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))


class _Compressing:
    """Raw deflate of a part written in pieces: pieces are gathered up to `batch` bytes and
    compressed together (`_take` says where the compressed bytes go); CRC-32 and size of
    what was written are kept for the zip entry."""

    batch = 1 << 20

    def _start(self, level: int) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._pending: list[bytes] = []
        self._pending_len = 0
        self.crc = 0
        self.size = 0

    def write(self, b: bytes) -> None:
        self._pending.append(b)
        self._pending_len += len(b)
        if self._pending_len >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        pieces = self._pending
        self._pending = []
        self._pending_len = 0
        self._take(pieces)

    def _compress(self, pieces: list[bytes]) -> bytes:
        """CRC-32 and deflate of a batch of pieces. A big piece (a run of rows) goes to
        zlib as it is, and small ones are joined first: the batch is never copied whole
        into one string, which cost the main thread ~0.08 s per 100k-line save. (A
        deflate stream does not depend on how its input is cut.)"""
        out = []
        small: list[bytes] = []
        for piece in pieces:
            if len(piece) < _BIG_PIECE:
                small.append(piece)
                continue
            if small:
                out.append(self._deflate_one(b"".join(small)))
                small = []
            out.append(self._deflate_one(piece))
        if small:
            out.append(self._deflate_one(b"".join(small)))
        return b"".join(out)

    def _deflate_one(self, chunk: bytes) -> bytes:
        self.crc = zlib.crc32(chunk, self.crc)
        self.size += len(chunk)
        return self._z.compress(chunk)

    def _take(self, pieces: list[bytes]) -> None:
        raise NotImplementedError


_BIG_PIECE = 1 << 16
"""bytes from which a written piece is compressed on its own (fewer, larger zlib calls
below that)"""


class _Deflater(_Compressing):
    """A small new part's compressed bytes (styles, rels, notes...), kept until the zip is
    written. Worksheets do not go through here: they stream into the zip (`_PartStream`).
    `_Build.put` has the zip thread compress it (`fill`): the notes of a 100k-line run
    are megabytes at level 6."""

    def __init__(self, level: int):
        self._start(level)
        self._out: list[bytes] = []
        self.data = b""

    def _take(self, pieces: list[bytes]) -> None:
        out = self._compress(pieces)
        if out:
            self._out.append(out)

    def fill(self, data: bytes) -> "_Deflater":
        """The whole part at once."""
        self.write(data)
        return self.close()

    def close(self) -> "_Deflater":
        self._flush()
        self._out.append(self._z.flush())
        self.data = b"".join(self._out)
        self._out = []
        return self


_ROW_PREFIXED = re.compile(rb"<(/?)(c|v|is|t|f)(?=[\s/>])")


_ROW_R = re.compile(rb'\sr="(\d+)"')
_SPANS = re.compile(rb"""\sspans=(?:"[^"]*"|'[^']*')""")
_LAST_REF = re.compile(rb'<c r="([A-Z]{1,3})\d')


_ROW_SPANS = re.compile(rb"""(<row\s[^>]*?)\sspans=(?:"[^"]*"|'[^']*')""")
"""`spans` in a row's start tag (one per tag: a second would fail the check after)"""


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})\d+"')
"""the start of a cell with its reference first, as every writer puts it"""


_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="\w+")?(?:/>|>)')
"""a cell's column and style, in the usual attribute order"""


def _columns_from(c: int) -> bytes:
    """A regex matching the letters of every column from c on (to XFD)."""
    L = col_letter(c)
    k = len(L)
    alts = [L[:i] + f"[{chr(ord(L[i]) + 1)}-Z]" + "[A-Z]" * (k - i - 1)
            for i in range(k) if L[i] < "Z"]
    alts.append(L)
    if k < 3:
        alts.append(f"[A-Z]{{{k + 1},3}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _columns_before(c: int) -> bytes:
    """A regex matching the letters of every column left of column c (none for c = 1)."""
    L = col_letter(c)
    k = len(L)
    alts = [f"[A-Z]{{1,{k - 1}}}"] if k > 1 else []
    alts += [L[:i] + f"[A-{chr(ord(L[i]) - 1)}]" + "[A-Z]" * (k - i - 1)
             for i in range(k) if L[i] > "A"]
    return ("(?:" + "|".join(alts) + ")").encode() if alts else b"(?!)"


def _no_spans(attrs: bytes) -> bytes:
    """A row's attributes without `spans` (a hint of the columns it holds, which new
    cells would falsify); the usual form without a regex."""
    s = attrs.find(b' spans="')
    if s >= 0:
        q = attrs.find(b'"', s + 8)
        if q >= 0:
            out = attrs[:s] + attrs[q + 1:]
            if b"spans" not in out:
                return out
    return _SPANS.sub(b"", attrs)


def _row_number(attrs: bytes) -> str:
    m = _ROW_R.search(attrs)
    if m:
        return m.group(1).decode()
    return _attrs(attrs).get("r", "")


def _rows_width(rows: Sequence[Sequence[Any]]) -> int:
    width = getattr(rows, "width", None)
    if width is not None:
        return width
    return max(map(len, rows), default=0)


def _row_columns(rows: Sequence[Sequence[Any]], lo: int, hi: int,
                 width: int) -> list[Sequence[Any]]:
    """Columns 1..width of rows lo..hi-1 (short rows padded with None). A plan's rows may
    come as a record view with a `columns` method, which reads them straight off the
    records."""
    columns = getattr(rows, "columns", None)
    if columns is not None:
        got = list(columns(lo, hi))
    else:
        chunk = rows[lo:hi]
        if any(len(r) != width for r in chunk):
            chunk = [r if len(r) == width else list(r)[:width] + [None] * (width - len(r))
                     for r in chunk]
        got = list(zip(*chunk))
    n = hi - lo
    while len(got) < width:
        got.append([None] * n)
    return got


def _join_rows(rs: list[str], columns: list[Column]) -> str:
    """'<row r="N">cells</row>' for each row holding a cell, as one text."""
    if not columns:
        return ""
    if all(isinstance(col, list) and "" in col for col in columns):
        # some row may have no cell: it gets no element
        return "".join(f'<row r="{r}">{t}</row>'
                       for r, t in zip(rs, map("".join, zip(*columns))) if t)
    return _join(rs, columns, tagged=True)


def _join_cells(rs: list[str], columns: list[Column]) -> list[bytes]:
    """Each row's cells joined, as UTF-8: one join, one encode and one split per chunk of
    rows. (No cell text holds NUL: `_esc` writes control characters as _xHHHH_.)"""
    if not columns:
        return [b""] * len(rs)
    return _join(rs, columns, tagged=False).encode("utf-8").split(b"\x00")[:len(rs)]


class _Untrusted(Exception):
    """A part our byte-level splicing cannot take as it is streamed: it goes the
    whole-part way instead (`_trusted`, which normalises or refuses it)."""


_ROOT = re.compile(rb"<([\w.\-]+:)?worksheet[\s/>]")
_ENCODING_UTF8 = re.compile(rb"<\?xml[^>]*encoding=[\"'](?:utf-8|UTF-8)[\"']")


class _SheetStream:
    """A worksheet part read in pieces, so a 100,000-row sheet is never held whole:
    `head` (everything before <sheetData>), then `rows()` (runs of whole rows with the
    text between them, in order), then `tail` (everything after </sheetData>). On the way
    it checks what `_trusted` checks, and raises `_Untrusted` where that would normalise
    the part."""

    def __init__(self, chunks: Iterable[bytes], what: str, trusted: bool = False):
        self.what = what
        self._it = iter(chunks)
        self._trusted = trusted
        self._edge = b""
        self.tail = b""
        buf = b""
        checked = trusted
        P: bytes | None = None
        m = None
        while True:
            nxt = self._next()
            if nxt is not None:
                buf += nxt
            if not checked and (len(buf) >= 4096 or nxt is None):
                self._check_prolog(buf)
                checked = True
            if checked:
                if P is None:
                    root = _ROOT.search(buf, 0, 65536)
                    if root is not None:
                        P = root.group(1) or b""
                    elif len(buf) >= 65536 or nxt is None:
                        raise WorkbookError("part has no <worksheet> element")
                if P is not None:
                    m = re.search(rb"<" + re.escape(P) + rb"sheetData(?=[\s/>])[^>]*?(/?)>", buf)
                    if m is not None:
                        break
            if nxt is None:
                break
        if m is None or P is None:
            raise WorkbookError("worksheet has no <sheetData>")
        self.P = P
        self.head = buf[:m.start()]
        self.sd_tag = m.group(0)
        self.empty = bool(m.group(1))
        self.close = b"</" + P + b"sheetData>"
        self.row_end = b"</" + P + b"row>"
        self._rest = buf[m.end():]

    def _check_prolog(self, buf: bytes) -> None:
        head = buf[:200]
        enc_ok = not head.startswith((b"\xff\xfe", b"\xfe\xff")) and (
            not head.startswith(b"<?xml") or _ENCODING_UTF8.match(head) is not None
            or b"encoding" not in head.split(b"?>")[0])
        prolog = buf[:4096]
        if not enc_ok or b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise _Untrusted

    def _next(self) -> bytes | None:
        for chunk in self._it:
            if not chunk:
                continue
            if not self._trusted:
                self._scan(chunk)
            return chunk
        if not self._trusted and _UNUSUAL.search(self._edge) is not None:
            raise _Untrusted  # at the very end of the part
        self._trusted = True  # checked to the end
        return None

    def _scan(self, chunk: bytes) -> None:
        """`_UNUSUAL` over the pieces as over the whole part: a match is decided once six
        bytes follow it (`<?xml ` is usual), so one too near a piece's end waits for the
        next piece, which is searched together with the last bytes of this one."""
        edge = self._edge
        if edge:
            window = edge + chunk[:16]
            for m in _UNUSUAL.finditer(window):
                if m.start() >= len(edge):
                    break  # starts in this piece: searched below
                if m.start() + 6 <= len(window):
                    raise _Untrusted
        starts = [k for k in (chunk.find(b"<!"), chunk.find(b"<?")) if k >= 0]
        if starts:
            m = _UNUSUAL.search(chunk, min(starts))
            if m is not None and m.start() + 6 <= len(chunk):
                raise _Untrusted
        self._edge = (edge + chunk)[-16:] if len(chunk) < 16 else chunk[-16:]

    def _drain(self) -> bytes:
        parts = []
        while (nxt := self._next()) is not None:
            parts.append(nxt)
        return b"".join(parts)

    def rows(self) -> Iterator[bytes]:
        buf, self._rest = self._rest, b""
        if self.empty:
            self.tail = buf + self._drain()
            return
        close, row_end = self.close, self.row_end
        while True:
            e = buf.find(close)
            if e >= 0:
                if e:
                    yield buf[:e]
                self.tail = buf[e + len(close):] + self._drain()
                return
            k = buf.rfind(row_end)
            if k >= 0:
                k += len(row_end)
                yield buf[:k]
                buf = buf[k:]
            nxt = self._next()
            if nxt is None:
                raise WorkbookError("worksheet <sheetData> is not closed")
            buf += nxt


class _SheetWriter:
    """One streaming pass over a worksheet part: untouched rows are copied as bytes; a
    touched row that only gets new cells right of its own (the tool columns on Orders,
    rows appended to a log) takes its new cells pre-rendered a chunk of rows at a time;
    any other touched row is merged cell by cell."""

    CHUNK = 4096

    def __init__(self, name: str, head: bytes, P: bytes, edit: _Edit, styler: _Styler,
                 date1904: bool):
        self.name = name
        self.head = head
        self.edit = edit
        self.styler = styler
        self.date1904 = date1904
        self.P = P
        self.lex = _Lexer(self.P)
        self.formula_removed = False
        self._letters: dict[int, str] = {}
        self._cols: dict[bytes, int] = {}
        self._col_styles = self._read_col_styles()
        self._col_style: dict[int, int] = {}
        self._chunks: dict[int, list] = {}
        E = re.escape(P)
        self._cell_at = re.compile(rb"<" + E + rb"c(?=[\s/>])")
        self._row_open = b"<" + P + b"row"
        self._row_end = b"</" + P + b"row>"
        self._row_head = re.compile(rb"([ \t\r\n]*)<" + E + rb'row( r="(\d+)"[^>]*)>')
        self._row_nums = re.compile(rb"<" + E + rb'row r="(\d+)"')
        self.touched = edit.touched_rows()
        self.ti = 0
        self.last_r = 0
        self._special, self._fast_srcs = self._fast_sources()
        self._bad_cell: re.Pattern | None = None
        self._from_col: re.Pattern | None = None

    # -- helpers --
    def letters(self, c: int) -> str:
        s = self._letters.get(c)
        if s is None:
            s = self._letters[c] = col_letter(c)
        return s

    def col_of(self, letters: bytes) -> int:
        c = self._cols.get(letters)
        if c is None:
            c = self._cols[letters] = col_index(letters.decode())
        return c

    def _read_col_styles(self) -> list[tuple[int, int, int]]:
        out = []
        for m in _start_re(self.P, "col").finditer(self.head):
            at = _attrs(m.group(0))
            try:
                if at.get("style"):
                    out.append((int(at["min"]), int(at["max"]), int(at["style"])))
            except (KeyError, ValueError):
                pass
        return out

    def col_style(self, c: int) -> int:
        got = self._col_style.get(c)
        if got is None:
            got = 0
            for lo, hi, st in self._col_styles:
                if lo <= c <= hi:
                    got = st
                    break
            self._col_style[c] = got
        return got

    def render(self, r: int, c: int, value: Any, fmt: p.Fmt, base: int,
               action: str | None) -> bytes:
        sa = self.styler.sa(base, fmt, value.__class__, action)
        out = _cell_fast(self.letters(c), r, sa, value, self.date1904).encode("utf-8")
        return out if not self.P else _ROW_PREFIXED.sub(rb"<\1" + self.P + rb"\2", out)

    # -- which rows take pre-rendered cells --
    def _fast_sources(self) -> tuple[set[int], list[tuple[int, int, int, int]]]:
        """(rows that must be merged cell by cell, and the value sources whose other rows
        can take pre-rendered cells: (first row, end row, source index, first column)).
        Marked rows, single cells, header cells and rows two sources write are merged;
        `_soft` keeps, for marked rows and rows with single cells, their rightmost such
        column (such a row still takes the pre-rendered cells right of its own)."""
        e = self.edit
        special: set[int] = set(e.marks) | set(e.clears)
        soft: dict[int, int] = {}
        for rows in (e.marks, e.clears):
            for r, cols in rows.items():
                if cols:
                    soft[r] = max(soft.get(r, 0), max(cols))
        hard: set[int] = set()
        spans: list[tuple[int, int, int, int, bool]] = []
        for si, s in enumerate(e.sources):
            if s.kind == "header":
                special.update(s.cells)
                hard.update(s.cells)
            elif s.kind == "cells":
                special.update(s.cells)
                for r, cols in s.cells.items():
                    if cols:
                        soft[r] = max(soft.get(r, 0), max(cols))
            elif s.kind == "cols" and s.n:
                cols = [c for c, _, _ in s.cols]
                ok = bool(cols) and cols == sorted(set(cols))
                spans.append((s.first, s.first + s.n, si, cols[0] if cols else 1, ok))
            elif s.kind == "block" and s.n:
                ok = getattr(s.rows, "width", None) is not None or \
                    len(set(map(len, s.rows))) <= 1
                spans.append((s.first, s.first + s.n, si, 1, ok))
        for i, a in enumerate(spans):
            if not a[4]:
                special.update(range(a[0], a[1]))
                hard.update(range(a[0], a[1]))
            for b in spans[i + 1:]:
                special.update(range(max(a[0], b[0]), min(a[1], b[1])))
                hard.update(range(max(a[0], b[0]), min(a[1], b[1])))
        for r in hard:
            soft.pop(r, None)
        self._soft = soft
        if self.P:  # prefixed parts: every touched row is merged
            return special, []
        return special, [a[:4] for a in spans if a[4]]

    def _cover(self, r: int) -> tuple[int, int] | None:
        for first, end, si, first_col in self._fast_srcs:
            if first <= r < end:
                return si, first_col
        return None

    def _fast(self, r: int) -> tuple[int, int] | None:
        if r in self._special:
            return None
        for first, end, si, first_col in self._fast_srcs:
            if first <= r < end:
                return si, first_col
        return None

    def _chunk(self, si: int, k: int) -> list:
        """[chunk number, rendered columns, joined rows or None] of rows k*CHUNK... of
        source `si`: its cells rendered column by column, as `_render_column` does."""
        got = self._chunks.get(si)
        if got is not None and got[0] == k:
            return got
        src = self.edit.sources[si]
        lo = k * self.CHUNK
        n = min(self.CHUNK, src.n - lo)
        rs = list(map(str, range(src.first + lo, src.first + lo + n)))
        styler, d1904 = self.styler, self.date1904
        columns = []
        if src.kind == "cols":
            for c, values, fmt in src.cols:
                part = values[lo:lo + n]
                if len(part) < n:
                    part = list(part) + [None] * (n - len(part))
                base = self.col_style(c)
                columns.append(_render_column(
                    self.letters(c), rs, part,
                    lambda cls, b=base, f=fmt: styler.sa(b, f, cls, None), d1904))
        else:  # rows appended to a log: cell styles as `merge_row` gives them
            width = _rows_width(src.rows)
            values = _row_columns(src.rows, lo, lo + n, width)
            for j in range(width):
                fmt = src.fmts[j] if j < len(src.fmts) else None
                base = self.col_style(j + 1)
                columns.append(_render_column(
                    self.letters(j + 1), rs, values[j],
                    lambda cls, b=base, f=fmt: styler.sa(b, f, cls, None), d1904,
                    keep_empty=True))
        got = self._chunks[si] = [k, columns, None, rs]
        return got

    def _frag_chunk(self, si: int, k: int) -> list[bytes]:
        """Each row's new cells from source `si`, joined, for chunk k."""
        got = self._chunk(si, k)
        if got[2] is None:
            got[2] = _join_cells(got[3], got[1])
        return got[2]

    def _frag(self, si: int, r: int) -> bytes:
        """The new cells of row r from source `si`, joined."""
        i = r - self.edit.sources[si].first
        return self._frag_chunk(si, i // self.CHUNK)[i % self.CHUNK]

    def _column_text(self, where: tuple[int, int, int], c: int) -> str:
        """The new cell of an UpdateColumns value, from its chunk of rendered columns."""
        si, ci, i = where
        got = self._chunk(si, i // self.CHUNK)
        j = i % self.CHUNK
        return _cell_at(got[1][ci], j, got[3][j])

    def _cells_left_of(self, inner: bytes, first_col: int) -> bool:
        """Whether a row's cells all lie left of `first_col`, with nothing after them (the
        row then keeps its bytes and gets its new cells appended)."""
        k = inner.rfind(b"<c")
        if k < 0 or inner[k:k + 6] != b'<c r="':
            return False
        m = _LAST_REF.match(inner, k)
        if m is None or self.col_of(m.group(1)) >= first_col:
            return False
        return inner.endswith(b"</c>") or inner.endswith(b"/>")

    def _touched_row(self, r: int, attrs: bytes, inner: bytes, numbered: bool = True) -> bytes:
        """A touched row of the sheet, by the cheapest way that writes what `merge_row`
        writes: new cells appended after the row's own, or swapped for the old tool cells,
        or the marked cells merged and the new ones appended; else `merge_row`."""
        if not numbered or b"customFormat" in attrs:
            return self.merge_row(r, attrs, inner, numbered)
        fast = self._fast(r)
        if fast is not None:
            if not inner or self._cells_left_of(inner, fast[1]):
                new = inner + self._frag(fast[0], r)
            else:
                new = self._swap_tail(inner, fast[0], fast[1], r)
            if new is not None:
                tag = b"<row" + (_no_spans(attrs) if b"spans" in attrs else attrs) + b">"
                return tag + new + b"</row>"
        left = self._soft.get(r)
        if left is not None:
            # marks or single cells left of the tool columns: merge those, then append
            cover = self._cover(r)
            if cover is not None and left < cover[1] and (
                    not inner or self._cells_left_of(inner, cover[1])):
                return self.merge_row(r, attrs, inner, numbered, skip=cover[0],
                                      extra=self._frag(cover[0], r))
        return self.merge_row(r, attrs, inner, numbered)

    def _swap_tail(self, inner: bytes, si: int, first_col: int, r: int) -> bytes | None:
        """A row that already has the source's cells (a second run over Orders): its cells
        from `first_col` on replaced by the new ones, when that is exactly what merging
        them one by one gives: each old cell a plain value cell (no formula) in a column
        the new cells have, with the style the new cell gets. None otherwise."""
        if self._from_col is None:
            self._from_col = re.compile(rb'<c r="' + _columns_from(first_col) + rb"\d")
        m = self._from_col.search(inner)
        if m is None:
            return None
        tail = inner[m.start():]
        if b"<f" in tail or not tail.endswith((b"</c>", b"/>")):
            return None
        old = _PLAIN_CELL.findall(tail)
        n = tail.count(b"<c")
        if len(old) != n or tail.count(b"</c><c") + tail.count(b"/><c") != n - 1:
            return None
        head = inner[:m.start()]
        if not inner.startswith(b'<c r="%s%d"' % (self.letters(first_col).encode(), r),
                                m.start()):
            # merging reads every cell then, dropping any text between them
            k = head.count(b"<c")
            if k and (head.count(b"</c><c") + head.count(b"/><c") != k - 1 or
                      not head.endswith((b"</c>", b"/>")) or not head.startswith(b"<c")):
                return None
        frag = self._frag(si, r)
        pairs = _PLAIN_CELL.findall(frag)
        if pairs != old:  # not the same cells: each old one must have its new one
            new = dict(pairs)
            if any(new.get(letters) != s for letters, s in old):
                return None
        return head + frag

    def _insert(self, r: int) -> bytes:
        """A touched row the sheet does not have yet."""
        fast = self._fast(r)
        if fast is not None:
            frag = self._frag(fast[0], r)
            if frag:
                return b'<row r="%d">' % r + frag + b"</row>"
            if self.edit.sources[fast[0]].kind == "cols":
                return b""
        return self.merge_row(r, None, None)

    # -- the pass --
    def run(self, stream: _SheetStream, out: Callable[[bytes], None],
            head_edit: Callable[[bytes], bytes], tail_edit: Callable[[bytes], bytes]) -> None:
        P = self.P
        out(head_edit(stream.head))
        out(b"<" + P + b"sheetData>")
        for region in stream.rows():
            self._region(region, out)
        touched = self.touched
        while self.ti < len(touched):
            piece = self._insert(touched[self.ti])
            self.ti += 1
            if piece:
                out(piece)
        out(b"</" + P + b"sheetData>")
        out(tail_edit(stream.tail))

    def _out_of_order(self) -> WorkbookError:
        return WorkbookError(f"sheet {self.name!r}: its rows are out of order (damaged "
                             "sheet); open and save it in Excel first")

    def _region(self, data: bytes, out: Callable[[bytes], None]) -> None:
        """Whole rows: split at each row end, one regex match per row; a row the split
        cannot take goes through `_generic`."""
        touched, nt = self.touched, len(self.touched)
        ti, last_r = self.ti, self.last_r
        if ti < nt:
            nums = self._row_nums.findall(data)
            if nums and len(nums) == data.count(self._row_open):
                top = max(map(int, nums))
                if top < touched[ti]:  # appending below these rows (logs): copy them
                    out(data)
                    self.last_r = max(last_r, top)
                    return
                done = self._bulk(data, nums)
                if done is not None:
                    out(done)
                    return
        row_end, row_open = self._row_end, self._row_open
        pieces = data.split(row_end)
        rest = pieces.pop()
        parts: list[bytes] = []
        emit = parts.append
        match = self._row_head.match
        # the common case inline: one source of new cells right of every row's own
        if len(self._fast_srcs) == 1:
            ff, fe, fsi, fc = self._fast_srcs[0]
        else:
            ff = fe = fsi = fc = 0
        special, col_of, last_ref = self._special, self.col_of, _LAST_REF.match
        step = self.CHUNK
        frags: list[bytes] = []
        f_lo = f_hi = 0
        for piece in pieces:
            m = match(piece)
            if m is None or piece.find(row_open, m.end()) >= 0:
                self.ti, self.last_r = ti, last_r
                self._generic(piece + row_end, emit)
                ti, last_r = self.ti, self.last_r
                continue
            r = int(m.group(3))
            if r <= last_r or r > MAX_ROW:
                raise self._out_of_order()
            last_r = r
            if ti < nt and touched[ti] <= r:
                a = m.end(1)
                if a:
                    emit(piece[:a])
                while ti < nt and touched[ti] < r:
                    got = self._insert(touched[ti])
                    ti += 1
                    if got:
                        emit(got)
                if ti < nt and touched[ti] == r:
                    ti += 1
                    attrs = m.group(2)
                    e = m.end()
                    if ff <= r < fe and r not in special and b"customFormat" not in attrs:
                        if e == len(piece):
                            ok = True
                        else:
                            k = piece.rfind(b"<c")
                            ok = k >= e and piece.startswith(b'<c r="', k) and \
                                piece.endswith((b"</c>", b"/>"))
                            if ok:
                                ref = last_ref(piece, k)
                                ok = ref is not None and col_of(ref.group(1)) < fc
                        if ok:
                            i = r - ff
                            if not f_lo <= i < f_hi:
                                f_lo = i - i % step
                                frags = self._frag_chunk(fsi, f_lo // step)
                                f_hi = f_lo + len(frags)
                            if b"spans" in attrs:
                                emit(b"<row" + _no_spans(attrs) + b">")
                                emit(piece[e:])
                            else:
                                emit(piece[a:] if a else piece)
                            emit(frags[i - f_lo])
                            emit(row_end)
                            continue
                    emit(self._touched_row(r, attrs, piece[e:]))
                    continue
                emit(piece[a:] if a else piece)
            else:
                emit(piece)
            emit(row_end)
        self.ti, self.last_r = ti, last_r
        if rest.strip():
            self._generic(rest, emit)
        elif rest:
            emit(rest)
        out(b"".join(parts))

    def _bulk(self, data: bytes, nums: list[bytes]) -> bytes | None:
        """Whole rows that are all touched and numbered in order, whose cells all lie left
        of the one source of new cells (the tool columns of Orders on a first run): checked
        with a few C-level scans of the text and assembled by slice assignment, without a
        Python step per row. Rows that need more (marks, single cells, the header) go
        through `_touched_row`. None when the run is not that simple."""
        if len(self._fast_srcs) != 1:
            return None
        ff, fe, fsi, fc = self._fast_srcs[0]
        n = len(nums)
        rows = list(map(int, nums))
        r0 = rows[0]
        if r0 <= self.last_r or rows != list(range(r0, r0 + n)) or \
                self.touched[self.ti:self.ti + n] != rows or \
                data.count(b"<row") != n or b"customFormat" in data:
            return None
        pieces = data.split(b"</row>")
        rest = pieces.pop()
        if len(pieces) != n or rest.strip() or \
                not all(map(bytes.endswith, pieces, repeat((b"</c>", b"/>", b'">')))):
            return None  # something else than cells (or a row without an end tag)
        if self._bad_cell is None:  # a cell not of the form <c r="A1"... left of fc
            self._bad_cell = re.compile(rb'<c(?! r="' + _columns_before(fc) + rb"\d)")
        if self._bad_cell.search(data) is not None:
            return None
        if b"spans" in data:
            data = _ROW_SPANS.sub(rb"\1", data)
            if b"spans" in data:
                return None
            pieces = data.split(b"</row>")
            rest = pieces.pop()
        a, b = max(ff - r0, 0), min(fe - r0, n)
        others = self._special.intersection(rows)
        others.update(rows[:a])
        others.update(rows[b:])
        todo = sorted(others)  # in row order: chunk by chunk, styles made in order
        head = self._row_head.match
        frags: list[bytes] = [b""] * n
        merged: dict[int, bytes] = {}
        oi, i, step = 0, a, self.CHUNK
        while True:
            if i < b:  # the rows of one chunk of pre-rendered cells
                off = r0 + i - ff
                k, o = divmod(off, step)
                j = min(b, i + step - o)
                frags[i:j] = self._frag_chunk(fsi, k)[o:o + j - i]
            else:
                j = n
            while oi < len(todo) and todo[oi] - r0 < j:
                r = todo[oi]
                oi += 1
                piece = pieces[r - r0]
                m = head(piece)
                if m is None:
                    return None
                merged[r - r0] = piece[:m.end(1)] + self._touched_row(r, m.group(2),
                                                                      piece[m.end():])
            if j >= n:
                break
            i = j
        parts = [b"</row>"] * (3 * n)
        parts[0::3] = pieces
        parts[1::3] = frags
        for i, row in merged.items():
            parts[3 * i] = row
            parts[3 * i + 1] = parts[3 * i + 2] = b""
        parts.append(rest)
        self.ti += n
        self.last_r = rows[-1]
        return b"".join(parts)

    def _generic(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        """Row by row with the lexer's regex: rows closed by '/>', rows without a number,
        attributes in an unusual order."""
        touched, nt = self.touched, len(self.touched)
        ti, last_r = self.ti, self.last_r
        row_end = self.lex.row_end
        pos, b = 0, len(data)
        for m in self.lex.row_start.finditer(data):
            ra = _row_number(m.group(1))
            r = int(ra) if ra.isdigit() else last_r + 1
            if r <= last_r or r > MAX_ROW:
                raise self._out_of_order()
            last_r = r
            while ti < nt and touched[ti] < r:
                if pos < m.start():
                    emit(data[pos:m.start()])
                    pos = m.start()
                got = self._insert(touched[ti])
                ti += 1
                if got:
                    emit(got)
            if ti < nt and touched[ti] == r:
                if m.group(2):
                    inner, end = b"", m.end()
                else:
                    k = data.find(row_end, m.end(), b)
                    if k < 0:
                        raise WorkbookError(f"sheet {self.name!r}: a row is not closed")
                    inner, end = data[m.end():k], k + len(row_end)
                if pos < m.start():
                    emit(data[pos:m.start()])
                emit(self._touched_row(r, m.group(1), inner, ra.isdigit()))
                pos = end
                ti += 1
            elif not ra.isdigit():
                # a row without its number: number it, since rows inserted before it
                # would otherwise shift it
                if pos < m.start():
                    emit(data[pos:m.start()])
                emit(_set_attr(m.group(0), "r", str(r)))
                pos = m.end()
        if pos < b:
            emit(data[pos:b])
        self.ti, self.last_r = ti, last_r

    def merge_row(self, r: int, attrs: bytes | None, inner: bytes | None,
                  numbered: bool = True, skip: int = -1, extra: bytes = b"") -> bytes:
        """Row r merged cell by cell. `extra`: cells (of source `skip`, left out of the
        merge) that go after every other cell of the row."""
        edit = self.edit
        vals = edit.row_values(r, skip)
        marks = edit.marks.get(r)
        clears = edit.clears.get(r)
        actions: dict[int, str] = {}
        if clears:
            for c in clears:
                actions[c] = "clear"
        if marks:
            for c, (sev, _note) in marks.items():
                actions[c] = sev
        P = self.P
        row_base = 0
        if attrs is not None:
            if b"customFormat" in attrs:
                ra = _attrs(attrs)
                if ra.get("customFormat") in ("1", "true") and ra.get("s", "").isdigit():
                    row_base = int(ra["s"])
            tag = b"<" + P + b"row" + (_SPANS.sub(b"", attrs) if b"spans" in attrs
                                       else attrs) + b">"
            if not numbered:
                tag = _set_attr(tag, "r", str(r))
        else:
            tag = b"<" + P + b"row" + f' r="{r}"'.encode() + b">"
        new_cols = sorted(vals.keys() | actions.keys()) if actions else sorted(vals)
        if inner and not P and new_cols:
            spliced = self._splice(r, inner, new_cols, vals, actions, row_base)
            if spliced is not None:
                return b"".join((tag, spliced, extra, b"</row>"))
        pieces: list[bytes] = [tag]
        ni = 0
        trailer = b""
        if inner:
            prefix_end = self._untouched_prefix(inner, r, new_cols[0]) if new_cols else -1
            if prefix_end == len(inner):
                pieces.append(inner)  # every new cell lies right of the existing ones
                inner = b""
            elif prefix_end > 0:
                pieces.append(inner[:prefix_end])
                inner = inner[prefix_end:]
        if not inner and not actions and not P:
            # the hot path: only values, all new cells, in column order
            sa_of, d1904, letters = self.styler.sa, self.date1904, self._letters
            col_style = self._col_style
            texts = []
            for c in new_cols:
                v, fmt, _only, where = vals[c]
                if where is not None and not row_base:
                    texts.append(self._column_text(where, c))
                    continue
                base = row_base or col_style.get(c)
                if base is None:
                    base = self.col_style(c)
                if v is None and not base:
                    continue
                L = letters.get(c) or self.letters(c)
                texts.append(_cell_fast(L, r, sa_of(base, fmt, v.__class__, None), v, d1904))
            if attrs is None and not texts and not extra:
                return b""
            pieces.append("".join(texts).encode("utf-8"))
            pieces.append(extra)
            pieces.append(b"</row>")
            return b"".join(pieces)
        if inner:
            c = 0
            last_end = 0
            for m in self.lex.any_cell.finditer(inner):
                if ni >= len(new_cols) and not P:
                    rest = inner[m.start():]
                    n_cells = rest.count(b"<c")
                    if n_cells == rest.count(b'<c r="') and rest.endswith((b"</c>", b"/>")) \
                            and rest.count(b"</c><c") + rest.count(b"/><c") == n_cells - 1:
                        # nothing left to merge: the other cells stay as they are
                        pieces.append(rest)
                        last_end = len(inner)
                        break
                letters, digits, sidx, t, other, content = m.groups()
                has_ref = letters is not None
                if has_ref:
                    c = self.col_of(letters)
                    st = int(sidx) if sidx else 0
                else:
                    cr, cc, st, _t = self.lex.cell_attrs(other)
                    has_ref = cc > 0
                    c = cc or c + 1
                while ni < len(new_cols) and new_cols[ni] < c:
                    piece = self._new_cell(r, new_cols[ni], vals, actions, row_base)
                    if piece:
                        pieces.append(piece)
                    ni += 1
                raw = m.group(0)
                if ni < len(new_cols) and new_cols[ni] == c:
                    ni += 1
                    got = vals.get(c)
                    if got is not None and not (got[2] and _has_value(content)):
                        self._check_formula(r, c, content)
                        piece = self.render(r, c, got[0], got[1], st, actions.get(c))
                        if piece:
                            pieces.append(piece)
                    elif c in actions:
                        new_s = self.styler.mark(st, actions[c])
                        if new_s != st:
                            raw = self._restyle(raw, new_s)
                        pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                    else:
                        pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                else:
                    pieces.append(raw if has_ref else self._with_ref(raw, r, c))
                last_end = m.end()
            trailer = inner[last_end:]
            if trailer.strip() and not trailer.lstrip().startswith(b"<"):
                trailer = b""
        while ni < len(new_cols):
            piece = self._new_cell(r, new_cols[ni], vals, actions, row_base)
            if piece:
                pieces.append(piece)
            ni += 1
        if extra:
            pieces.append(extra)
        if attrs is None and len(pieces) == 1:
            return b""
        pieces.append(trailer)
        pieces.append(b"</" + P + b"row>")
        return b"".join(pieces)

    def _splice(self, r: int, inner: bytes, new_cols: list[int], vals: dict[int, tuple],
                actions: dict[int, str], row_base: int) -> bytes | None:
        """The cells `merge_row` writes for a row whose own cells are the usual kind
        (`<c r="A7"...`, back to back, in column order, no formula), found by position
        instead of parsed one by one: each new column's cell is swapped in (or restyled,
        for a mark) where the row has one, else put between its neighbours; every other
        byte stays. Orders rows with a highlighted cell or a filled-in Line number, and
        Inventory rows whose On Hand changed, are merged this way. None when the row is
        not that simple (or when `merge_row` takes its appending path)."""
        n = inner.count(b"<c")
        if inner.count(b"</c><c") + inner.count(b"/><c") != n - 1 or b"<f" in inner or \
                not inner.startswith(b'<c r="') or not inner.endswith((b"</c>", b"/>")):
            return None
        refs = _CELL_REF.findall(inner)
        cols = list(map(self._cols.get, refs))
        if None in cols:
            cols = list(map(self.col_of, refs))
        if len(cols) != n or any(map(ge, cols, islice(cols, 1, None))):
            return None  # a cell written another way, or cells out of column order
        if not actions and cols[-1] < new_cols[0]:
            return None  # all new cells go after the row's own: `merge_row` appends them
        row = b'%d"' % r

        def start(i: int) -> int:  # where cell i begins (the row's end for i = n)
            return inner.find(b'<c r="' + refs[i] + row) if i < n else len(inner)

        pieces: list[bytes] = []
        at = 0  # bytes of `inner` already in `pieces`
        for c in new_cols:
            i = bisect_left(cols, c)
            cut = start(i)
            if cut < at:
                return None  # a cell numbered for another row
            pieces.append(inner[at:cut])
            at = cut
            if i == n or cols[i] != c:  # a cell the row does not have yet
                pieces.append(self._new_cell(r, c, vals, actions, row_base))
                continue
            at = start(i + 1)
            if at < cut:
                return None  # the next cell numbered for another row
            cell = inner[cut:at]
            m = _PLAIN_CELL.match(cell)
            if m is None:
                return None  # attributes in another order: merged cell by cell
            st = int(m.group(2)) if m.group(2) else 0
            got = vals.get(c)
            if got is not None:
                if got[2]:
                    return None  # written only into an empty cell: merged cell by cell
                pieces.append(self.render(r, c, got[0], got[1], st, actions.get(c)))
            else:
                new_s = self.styler.mark(st, actions[c])
                pieces.append(cell if new_s == st else _restyle_plain(cell, m, new_s))
        pieces.append(inner[at:])
        return b"".join(pieces)

    def _untouched_prefix(self, inner: bytes, r: int, first_col: int) -> int:
        """Length of the leading run of `inner` holding only cells left of `first_col`
        (copied without parsing): all of it when the last cell lies left of it and
        nothing follows; -1 when unsure."""
        k = inner.rfind(b"<" + self.P + b"c")
        while k >= 0 and not self._cell_at.match(inner, k):
            k = inner.rfind(b"<" + self.P + b"c", 0, k)
        if k < 0:
            return -1
        m = self.lex.any_cell.match(inner, k)
        if m is None or m.group(1) is None:
            return -1
        if self.col_of(m.group(1)) < first_col:
            return len(inner) if not inner[m.end():].strip() else -1
        probe = b"<" + self.P + b'c r="' + self.letters(first_col).encode() + str(r).encode() \
            + b'"'
        k = inner.find(probe)
        return k if k > 0 else -1

    def _new_cell(self, r: int, c: int, vals, actions, row_base: int) -> bytes:
        base = row_base or self.col_style(c)
        got = vals.get(c)
        if got is not None:
            v, where, action = got[0], got[3], actions.get(c)
            if where is not None and action is None and not row_base and not self.P and (
                    (v is None and not base) or
                    (v is not None and (v.__class__ is not str or v))):
                # the column's own rendering, as the other rows of the chunk have it
                return self._column_text(where, c).encode("utf-8")
            return self.render(r, c, v, got[1], base, action)
        action = actions.get(c)
        if action is None or action == "clear":
            return b""
        return self.render(r, c, None, None, base, action)

    def _restyle(self, raw: bytes, s: int) -> bytes:
        k = raw.find(b">")
        tag = raw[:k + 1]
        new = _set_attr(tag, "s", str(s)) if s else _set_attr(tag, "s", None)
        return new + raw[k + 1:]

    def _with_ref(self, raw: bytes, r: int, c: int) -> bytes:
        k = raw.find(b">")
        return _set_attr(raw[:k + 1], "r", f"{self.letters(c)}{r}") + raw[k + 1:]

    def _check_formula(self, r: int, c: int, content: bytes | None) -> None:
        """Overwriting a formula cell: the calc chain must go; a shared formula's master
        must not leave other cells pointing at nothing."""
        if not content or b"<" + self.P + b"f" not in content:
            return
        self.formula_removed = True
        fm = re.search(rb"<" + re.escape(self.P) + rb"f(\s[^>]*)?/?>", content)
        if not fm or not fm.group(1):
            return
        fa = _attrs(fm.group(1))
        if fa.get("t") != "shared" or not fa.get("ref"):
            return
        try:
            a_, _, b_ = fa["ref"].partition(":")
            (r1, c1), (r2, c2) = split_a1(a_), split_a1(b_ or a_)
        except ValueError:
            return
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 2_000_000:
            bad = True
        else:
            bad = any(not self.edit.covered(rr, cc) for rr in range(r1, r2 + 1)
                      for cc in range(c1, c2 + 1) if (rr, cc) != (r, c))
        if bad:
            raise WorkbookError(
                f"{self.name}!{self.letters(c)}{r} holds a shared formula that cells "
                f"outside ordersheet's columns still use ({fa['ref']}); ordersheet will "
                "not break it: move that formula out of the column and run again")


def _restyle_plain(cell: bytes, m: re.Match, s: int) -> bytes:
    """`_SheetWriter._restyle` of a cell whose start tag `_PLAIN_CELL` matched (`m`),
    by slicing: the style's digits swapped, or its attribute dropped (s = 0) or put last
    in the tag, where `_set_attr` puts a new attribute."""
    if m.group(2) is not None:
        if not s:
            return cell[:m.start(2) - 4] + cell[m.end(2) + 1:]  # ' s="N"' dropped
        return b"%s%d%s" % (cell[:m.start(2)], s, cell[m.end(2):])
    end = m.end() - (2 if cell[m.end() - 2:m.end()] == b"/>" else 1)
    return b'%s s="%d"%s' % (cell[:end], s, cell[end:]) if s else cell


def _has_value(content: bytes | None) -> bool:
    if not content:
        return False
    return re.search(rb"<(?:[\w.\-]+:)?(?:v|is|f)(?=[\s/>])", content) is not None and \
        re.fullmatch(rb"\s*<(?:[\w.\-]+:)?v\s*/>\s*|\s*<(?:[\w.\-]+:)?v>\s*</(?:[\w.\-]+:)?v>\s*",
                     content) is None


# ---- writing: notes (legacy comments + their VML shapes) ---------------------------------

_VML_NEW = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
    'office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
    '<o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>{shapetype}{shapes}</xml>')
_VML_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path '
    'gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _vml_shape(sid: int, r: int, c: int) -> str:
    """The VML box Excel draws for a note on (r, c) (1-based), hidden until hovered."""
    anchor = f"{c}, 15, {max(r - 2, 0)}, 10, {c + 2}, 15, {max(r - 2, 0) + 4}, 4"
    return (f'<v:shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;z-index:{sid % 1024};'
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill '
            'color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path '
            'o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div '
            'style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            f'<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor><x:AutoFill>'
            f'False</x:AutoFill><x:Row>{r - 1}</x:Row><x:Column>{c - 1}</x:Column>'
            '</x:ClientData></v:shape>')


_VML_SHAPE_RE = re.compile(rb"<v:shape(?=[\s>])[^>]*>.*?</v:shape>", re.S)


def _vml_note_cell(shape: bytes) -> tuple[int, int] | None:
    if b'ObjectType="Note"' not in shape:
        return None
    r = re.search(rb"<x:Row>\s*(\d+)\s*</x:Row>", shape)
    c = re.search(rb"<x:Column>\s*(\d+)\s*</x:Column>", shape)
    if not r or not c:
        return None
    return int(r.group(1)) + 1, int(c.group(1)) + 1


@dataclass
class _NotesResult:
    comments: bytes | None
    """new comments part (None: no comments part any more)"""
    vml: bytes | None
    """new VML part (None: none any more)"""
    changed: bool


def _edit_notes(comments: bytes | None, vml: bytes | None, marks: dict[tuple[int, int], str],
                clears: set[tuple[int, int]], vml_block: int) -> _NotesResult:
    """Apply ordersheet's notes to a sheet's comments and VML parts (text edits: user
    notes, their rich text and Excel's uid attributes are kept byte for byte)."""
    if comments is not None:
        comments = _trusted(comments, "comments")
        P = _prefix_of(comments, "comments")
    else:
        P = b""
    lex = _Lexer(P)
    E = re.escape(P)
    existing: dict[tuple[int, int], tuple[bytes, bool]] = {}
    order: list[tuple[int, int]] = []
    authors: list[str] = []
    if comments is not None:
        for m in re.finditer(rb"<" + E + rb"author(?:\s[^>]*)?(?:/>|>(.*?)</" + E + rb"author>)",
                             comments, re.S):
            authors.append(_unescape(m.group(1) or b""))
        for m in re.finditer(rb"<" + E + rb"comment(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + E +
                             rb"comment>)", comments, re.S):
            ref = _attrs(m.group(1)).get("ref", "")
            try:
                rc = split_a1(ref)
            except ValueError:
                continue
            text = lex.text_of(m.group(2) or b"")
            existing[rc] = (m.group(0), text.startswith(NOTE_PREFIX.strip()))
            order.append(rc)
    changed = False
    removed: set[tuple[int, int]] = set()
    added: set[tuple[int, int]] = set()
    result: dict[tuple[int, int], bytes] = {rc: existing[rc][0] for rc in order}
    if NOTE_AUTHOR in authors:
        author_id = authors.index(NOTE_AUTHOR)
    else:
        author_id = len(authors)
    for rc in clears:
        if rc in marks:
            continue
        got = existing.get(rc)
        if got and got[1]:
            del result[rc]
            removed.add(rc)
            changed = True
    for rc, note in marks.items():
        got = existing.get(rc)
        if got and not got[1]:
            continue  # the user's own note: never replaced
        text = note if note.startswith(NOTE_PREFIX) else NOTE_PREFIX + note
        xml = (f'<{P.decode()}comment ref="{col_letter(rc[1])}{rc[0]}" authorId="{author_id}">'
               f'<{P.decode()}text><{P.decode()}t xml:space="preserve">{_esc(text)}</'
               f'{P.decode()}t></{P.decode()}text></{P.decode()}comment>').encode()
        if got is None:
            added.add(rc)
        if result.get(rc) != xml:
            result[rc] = xml
            changed = True
    if not changed:
        return _NotesResult(comments, vml, False)
    # comments part
    if not result:
        new_comments = None
    else:
        body = b"".join(result[rc] for rc in sorted(result))
        if comments is None:
            new_comments = (XML_DECL + f'<comments xmlns="{NS_MAIN}"><authors><author>'
                            f'{NOTE_AUTHOR}</author></authors><commentList>'.encode() +
                            body + b"</commentList></comments>")
        else:
            new_comments = comments
            if NOTE_AUTHOR not in authors and any(
                    x.startswith(b"<" + P + b"comment") and b'authorId="%d"' % author_id in x
                    for x in result.values()):
                am = re.search(rb"</" + E + rb"authors>", new_comments)
                item = b"<" + P + b"author>" + NOTE_AUTHOR.encode() + b"</" + P + b"author>"
                if am:
                    new_comments = new_comments[:am.start()] + item + new_comments[am.start():]
                else:
                    sm = re.search(rb"<" + E + rb"authors\s*/>", new_comments)
                    block = b"<" + P + b"authors>" + item + b"</" + P + b"authors>"
                    if sm:
                        new_comments = new_comments[:sm.start()] + block + \
                            new_comments[sm.end():]
                    else:
                        root = re.search(rb"<" + E + rb"comments[^>]*>", new_comments)
                        new_comments = new_comments[:root.end()] + block + \
                            new_comments[root.end():]
            lm = re.search(rb"<" + E + rb"commentList(?=[\s/>])[^>]*?(?:/>|>.*?</" + E +
                           rb"commentList>)", new_comments, re.S)
            new_list = b"<" + P + b"commentList>" + body + b"</" + P + b"commentList>"
            if lm:
                new_comments = new_comments[:lm.start()] + new_list + new_comments[lm.end():]
            else:
                end = new_comments.rindex(b"</" + P + b"comments>")
                new_comments = new_comments[:end] + new_list + new_comments[end:]
    # VML shapes
    new_vml = vml
    if vml is not None:
        shapes = {}
        for m in _VML_SHAPE_RE.finditer(vml):
            cell = _vml_note_cell(m.group(0))
            if cell:
                shapes[cell] = m
        gone = [shapes[rc] for rc in removed if rc in shapes]
        if gone:
            pieces, pos = [], 0
            for m in sorted(gone, key=lambda m: m.start()):
                pieces.append(vml[pos:m.start()])
                pos = m.end()
            pieces.append(vml[pos:])
            new_vml = b"".join(pieces)
        missing = sorted(rc for rc in result if rc not in shapes)
        if missing:
            ids = [int(x) for x in re.findall(rb"_x0000_s(\d+)", new_vml)]
            nxt = max(ids + [vml_block * 1024]) + 1
            add = "".join(_vml_shape(nxt + i, r, c) for i, (r, c) in enumerate(missing))
            if b"_x0000_t202" not in new_vml:
                add = _VML_SHAPETYPE + add
            end = new_vml.rfind(b"</xml>")
            if end >= 0:
                new_vml = new_vml[:end] + add.encode() + new_vml[end:]
        if not re.search(rb"<v:(?:shape|rect|roundrect|oval|line|polyline|arc|curve|group|"
                         rb"image)[\s>/]", new_vml):
            new_vml = None
    elif result:
        cells = sorted(result)
        blocks = len(cells) // 1024 + 1
        idmap = ",".join(str(vml_block + i) for i in range(blocks))
        shapes = "".join(_vml_shape(vml_block * 1024 + 1 + i, r, c)
                         for i, (r, c) in enumerate(cells))
        new_vml = _VML_NEW.format(idmap=idmap, shapetype=_VML_SHAPETYPE, shapes=shapes).encode()
    return _NotesResult(new_comments, new_vml, True)


# ---- writing: tables ----------------------------------------------------------------------


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


def _edit_table(xml: bytes, ref: str | None = None, add_columns: list[str] = ()) -> bytes:
    """Change a user table's range and append columns, keeping everything else."""
    xml = _trusted(xml, "table")
    P = _prefix_of(xml, "table")
    E = re.escape(P)
    if ref:
        root = re.search(rb"<" + E + rb"table(?=[\s>])[^>]*>", xml)
        xml = xml[:root.start()] + _set_attr(root.group(0), "ref", ref) + xml[root.end():]
        af = re.search(rb"<" + E + rb"autoFilter(?=[\s/>])[^>]*?/?>", xml)
        if af:
            xml = xml[:af.start()] + _set_attr(af.group(0), "ref", ref) + xml[af.end():]
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


# ---- writing: the zip ---------------------------------------------------------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01: new parts are reproducible byte for byte


class _ZipWriter:
    """A minimal zip writer: copies untouched members as raw compressed bytes (no
    recompression, so they stay byte-identical and cost nothing), and writes new ones,
    either from memory (`add`) or compressed as they are produced (`begin`)."""

    def __init__(self, f, worker: _Compressor | None = None):
        self.f = f
        self.central: list[bytes] = []
        self.worker = worker or _Compressor(synchronous=True)

    def _check(self, *n: int) -> None:
        if any(x >= 0xFFFFFFFF for x in n) or len(self.central) >= 0xFFFF:
            raise WorkbookError("the workbook would exceed 4 GB or 65,535 parts")

    def copy(self, src, info: zipfile.ZipInfo) -> None:
        src.seek(info.header_offset)
        head = src.read(30)
        if len(head) < 30 or head[:4] != safety.ZIP_SIGNATURE:
            raise WorkbookError(f"part {info.filename} has a damaged header")
        (_sig, _ver, _flag, _method, mtime, mdate, _crc, _cs, _us, fnlen,
         xlen) = struct.unpack("<IHHHHHIIIHH", head)
        name = src.read(fnlen)
        src.seek(info.header_offset + 30 + fnlen + xlen)
        offset = self.f.tell()
        self._check(offset, info.compress_size, info.file_size)
        flags = info.flag_bits & ~0x8  # sizes go in the header: no data descriptor
        version = max(info.extract_version, 20)
        self.f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags,
                                 info.compress_type, mtime, mdate, info.CRC,
                                 info.compress_size, info.file_size, len(name), 0) + name)
        left = info.compress_size
        while left:
            block = src.read(min(left, 1 << 20))
            if not block:
                raise WorkbookError(f"part {info.filename} is truncated")
            self.f.write(block)
            left -= len(block)
        self.central.append(struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, (info.create_system << 8) | 20, version,
            flags, info.compress_type, mtime, mdate, info.CRC, info.compress_size,
            info.file_size, len(name), 0, 0, 0, info.internal_attr, info.external_attr,
            offset) + name)

    @staticmethod
    def _stamp(name: str, like: zipfile.ZipInfo | None) -> tuple[bytes, int, int, int]:
        """(encoded name, flags, DOS time, DOS date) of a part written anew."""
        raw = name.encode("utf-8")
        flags = 0x800 if not raw.isascii() else 0
        mtime, mdate = 0, _DOS_DATE
        if like is not None:  # keep the member's timestamp
            y, mo, d, h, mi, s = like.date_time
            mdate = ((max(y, 1980) - 1980) << 9) | (mo << 5) | d
            mtime = (h << 11) | (mi << 5) | (s // 2)
        return raw, flags, mtime, mdate

    def _local(self, name: str, like: zipfile.ZipInfo | None, crc: int, csize: int,
               size: int) -> bytes:
        raw, flags, mtime, mdate = self._stamp(name, like)
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, mtime, mdate, crc,
                           csize, size, len(raw), 0) + raw

    def _entry(self, name: str, like: zipfile.ZipInfo | None, crc: int, csize: int,
               size: int, offset: int) -> bytes:
        raw, flags, mtime, mdate = self._stamp(name, like)
        ext = like.external_attr if like is not None else 0
        system = like.create_system if like is not None else 0
        return struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, (system << 8) | 20, 20, flags, 8, mtime,
            mdate, crc, csize, size, len(raw), 0, 0, 0, 0, ext, offset) + raw

    def add(self, name: str, part: _Deflater, like: zipfile.ZipInfo | None = None) -> None:
        offset = self.f.tell()
        self._check(offset, len(part.data), part.size)
        self.f.write(self._local(name, like, part.crc, len(part.data), part.size))
        self.f.write(part.data)
        self.central.append(self._entry(name, like, part.crc, len(part.data), part.size,
                                        offset))

    def begin(self, name: str, like: zipfile.ZipInfo | None, level: int) -> "_PartStream":
        return _PartStream(self, name, like, level)

    def close(self, comment: bytes = b"") -> None:
        if len(self.central) > 0xFFFF:
            raise WorkbookError("the workbook would exceed 4 GB or 65,535 parts")
        start = self.f.tell()
        for c in self.central:
            self.f.write(c)
        size = self.f.tell() - start
        self._check(start, size)
        comment = comment[:0xFFFF]
        self.f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.central),
                                 len(self.central), size, start, len(comment)) + comment)


_STREAM_BATCH = 4 << 20
"""bytes of XML per hand-over to the compressing thread when streaming a part (large:
the thread needs the GIL only to start each zlib call)"""


_SWITCH_INTERVAL = 0.0005
"""seconds the main thread may keep the GIL while the zip thread asks for it (Python's
default is 0.005)"""


class _Compressor:
    """The second thread of a save: CRC, deflate and file writes of the streamed parts,
    in the order they were queued. zlib and file writes release the GIL, so a sheet's
    compression runs on the other core while the next rows are rendered; at most a few
    batches wait in the queue, so memory stays small. Without threads (or with a
    `synchronous` writer) every task runs at once instead.

    The zip thread needs the GIL back after each zlib call, and the main thread, busy
    rendering, lets it go only every switch interval: at the default 5 ms the zip thread
    fell behind and the main thread waited on the full queue (a 100k-line save took about
    3.9 s against 3.2 s). While the thread runs, the interval is 0.5 ms (restored by
    `stop`)."""

    def __init__(self, synchronous: bool = False):
        self.error: BaseException | None = None
        self._q: "queue.Queue | None" = None
        self._thread: "threading.Thread | None" = None
        self._switch: float | None = None
        if not synchronous:
            try:
                import queue
                import threading

                self._q = queue.Queue(maxsize=2)
                self._thread = threading.Thread(target=self._work, name="ordersheet-zip",
                                                daemon=True)
                self._thread.start()
            except (ImportError, RuntimeError):  # no threads here (Pyodide)
                self._q = self._thread = None
            else:
                self._switch = sys.getswitchinterval()
                sys.setswitchinterval(min(self._switch, _SWITCH_INTERVAL))

    def _work(self) -> None:
        q = self._q
        while True:
            task = q.get()
            try:
                if task is None:
                    return
                if self.error is None:
                    task()
            except BaseException as e:  # handed to the main thread by `wait`
                self.error = e
            finally:
                q.task_done()

    def submit(self, task: Callable[[], None]) -> None:
        if self.error is not None:
            self._raise()
        if self._q is None:
            task()
        else:
            self._q.put(task)

    def wait(self) -> None:
        """Until every queued task has run; re-raises a task's error."""
        if self._q is not None:
            self._q.join()
        if self.error is not None:
            self._raise()

    def _raise(self) -> None:
        err, self.error = self.error, None
        raise err

    def stop(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._q = self._thread = None
        if self._switch is not None:
            sys.setswitchinterval(self._switch)
            self._switch = None


class _PartStream(_Compressing):
    """A new part compressed straight into the zip being written, as it is produced, so
    no sheet is held whole (neither its XML nor its compressed bytes): the local header
    goes first and gets the CRC and sizes when the part ends (the file is seekable). The
    central directory entry waits in `entry` until the writer lists the parts in order.
    The compressing and writing happen in the zip's `_Compressor`, header and end
    included: its tasks run in order, so the next sheet is rendered while the zip thread
    still compresses the end of this one (`entry` is ready once the worker is waited
    for)."""

    batch = _STREAM_BATCH

    def __init__(self, zw: "_ZipWriter", name: str, like: zipfile.ZipInfo | None, level: int):
        self.zw = zw
        self.name = name
        self.like = like
        self.offset = 0
        self._start(level)
        self.csize = 0
        self.entry = b""
        zw.worker.submit(self._open)

    def _open(self) -> None:
        f = self.zw.f
        self.offset = f.tell()
        f.write(self.zw._local(self.name, self.like, 0, 0, 0))

    def _take(self, pieces: list[bytes]) -> None:
        self.zw.worker.submit(lambda: self._deflate(pieces))

    def _deflate(self, pieces: list[bytes]) -> None:
        out = self._compress(pieces)
        if out:
            self.zw.f.write(out)
            self.csize += len(out)

    def close(self) -> "_PartStream":
        self._flush()
        self.zw.worker.submit(self._finish)
        return self

    def _finish(self) -> None:
        out = self._z.flush()
        f = self.zw.f
        f.write(out)
        self.csize += len(out)
        end = f.tell()
        self.zw._check(self.offset, self.csize, self.size)
        f.seek(self.offset + 14)  # CRC-32, compressed and uncompressed size
        f.write(struct.pack("<III", self.crc, self.csize, self.size))
        f.seek(end)
        self.entry = self.zw._entry(self.name, self.like, self.crc, self.csize, self.size,
                                    self.offset)

    def abort(self) -> None:
        """Drop what was written of this part (it is written again another way)."""
        self._pending = []
        self.zw.worker.wait()
        self.zw.f.seek(self.offset)
        self.zw.f.truncate()


# ---- writing: the package ------------------------------------------------------------------

SHEET_LEVEL = 2
"""zlib level for rewritten sheets: ~4x faster than level 6, files ~20% larger"""
SMALL_LEVEL = 6


def _rels_template() -> bytes:
    return XML_DECL + f'<Relationships xmlns="{NS_PKG_R}"></Relationships>'.encode()


class _Build:
    """One save: `write` renders every changed part into the new zip (worksheets stream
    straight into it as they are rendered; small parts wait in memory), then copies the
    untouched members and lists them all in their old order."""

    def __init__(self, book: "XlsxBook", ops: list[p.Op], activate: str | None):
        self.book = book
        self.ops = ops
        self.activate = activate
        self.pkg = book.pkg
        self.styles = book._styles()
        self.styler = _Styler(self.styles)
        self.zip: _ZipWriter | None = None
        self.parts: dict[str, _Deflater | _PartStream] = {}
        self.new_parts: list[str] = []
        self.removed: set[str] = set()
        self.ct_add: dict[str, str] = {}
        self.ct_default_add: dict[str, str] = {}
        self.rels: dict[str, bytes] = {}
        self.formula_removed = False
        self.values_changed = False
        self._taken = {n.lower() for n in self.pkg.by_name}
        self._vml_block = 0
        self._table_names = set(book.table_names) | book._defined_names
        self._max_table_id = book.max_table_id

    # -- parts --
    def put(self, name: str, data: bytes | _Deflater | _PartStream,
            level: int = SMALL_LEVEL) -> None:
        if isinstance(data, (_Deflater, _PartStream)):
            part = data
        else:  # compressed on the zip thread while the next part is rendered
            part = _Deflater(level)
            self.zip.worker.submit(partial(part.fill, data))
        real = self.pkg.find(name)
        if real is not None and real.lower() not in self.removed:
            self.parts[real] = part
        else:
            if name not in self.parts:
                self.new_parts.append(name)
            self.parts[name] = part
            self._taken.add(name.lower())

    def begin(self, name: str) -> tuple[str, _PartStream]:
        """Start writing a worksheet part into the zip: (its name in the package, the
        stream); `finish` registers it once closed."""
        real = self.pkg.find(name)
        if real is not None and real.lower() not in self.removed:
            return real, self.zip.begin(real, self.pkg.by_name[real], SHEET_LEVEL)
        return name, self.zip.begin(name, None, SHEET_LEVEL)

    def finish(self, name: str, part: _PartStream) -> None:
        self.put(name, part.close())

    def remove(self, name: str) -> None:
        real = self.pkg.find(name) or name
        self.removed.add(real.lower())
        self.parts.pop(real, None)
        if real in self.new_parts:
            self.new_parts.remove(real)
            del self.parts[real]

    def new_name(self, pattern: str) -> str:
        n = 1
        while pattern.format(n).lower() in self._taken:
            n += 1
        name = pattern.format(n)
        self._taken.add(name.lower())
        return name

    def vmlblock_from_grid(self) -> int:
        """A drawing id block no VML part of the book uses (Excel's o:idmap)."""
        if not self._vml_block:
            used = [0]
            for name in self.pkg.by_name:
                if name.lower().endswith(".vml"):
                    head = self.pkg.read_head(name, 4096)
                    m = re.search(rb'o:idmap[^>]*data="([\d,\s]+)"', head)
                    if m:
                        used += [int(x) for x in re.findall(rb"\d+", m.group(1))]
            self._vml_block = max(used) + 1
        else:
            self._vml_block += 2
        return self._vml_block

    # -- relationships --
    def rels_of(self, rels_path: str) -> bytes:
        if rels_path not in self.rels:
            real = self.pkg.find(rels_path)
            self.rels[rels_path] = _trusted(self.pkg.read(real), rels_path) if real \
                else _rels_template()
        return self.rels[rels_path]

    def rel_add(self, rels_path: str, source: str, rtype: str, target: str) -> str:
        xml = self.rels_of(rels_path)
        ids = set(x.decode() for x in re.findall(rb'\sId="([^"]*)"', xml))
        n = max([0] + [int(x[3:]) for x in ids if re.fullmatch(r"rId\d+", x)]) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        P = _prefix_of(xml, "Relationships")
        item = (b"<" + P + b'Relationship Id="' + rid.encode() + b'" Type="' +
                rtype.encode() + b'" Target="' +
                _esc_attr(_relative(source, target)).encode() + b'"/>')
        m = re.search(rb"</" + re.escape(P) + rb"Relationships>", xml)
        if m:
            xml = xml[:m.start()] + item + xml[m.start():]
        else:
            m = re.search(rb"<" + re.escape(P) + rb"Relationships([^>]*?)/>", xml)
            xml = (xml[:m.start()] + b"<" + P + b"Relationships" + m.group(1) + b">" + item +
                   b"</" + P + b"Relationships>" + xml[m.end():])
        self.rels[rels_path] = xml
        return rid

    def rel_remove(self, rels_path: str, rid: str) -> None:
        xml = self.rels_of(rels_path)
        pat = re.compile(rb"<(?:[\w.\-]+:)?Relationship(?=\s)[^>]*?\sId=\"" +
                         re.escape(rid.encode()) + rb"\"[^>]*?(?:/>|>.*?</(?:[\w.\-]+:)?"
                         rb"Relationship>)", re.S)
        self.rels[rels_path] = pat.sub(b"", xml, count=1)

    # -- the sheets --
    def run(self, ops: list[p.Op], activate: str | None) -> None:
        book = self.book
        existing = {s.name: s for s in book.sheets}
        lower = {s.name.lower() for s in book.sheets}
        order: list[str] = [s.name for s in book.sheets]
        edits: dict[str, _Edit] = {}
        hidden: dict[str, bool] = {}
        for op in ops:
            if isinstance(op, p.ReplaceSheet):
                _check_sheet_name(op.name)
                if op.name not in existing and op.name not in edits:
                    if op.name.lower() in lower:
                        raise WorkbookError(f"a sheet named like {op.name!r} already exists")
                    at = order.index(op.after) + 1 if op.after in order else len(order)
                    order.insert(at, op.name)
                    lower.add(op.name.lower())
                prev = edits.get(op.name)
                edits[op.name] = _Edit(replace=op, created=op.name not in existing)
                if prev is not None and prev.created:
                    edits[op.name].created = True
                hidden[op.name] = op.hidden
            elif isinstance(op, p.AppendRows):
                if op.name not in existing and op.name not in edits:
                    _check_sheet_name(op.name)
                    if op.name.lower() in lower:
                        raise WorkbookError(f"a sheet named like {op.name!r} already exists")
                    order.append(op.name)
                    lower.add(op.name.lower())
                    edits[op.name] = _Edit(replace=p.ReplaceSheet(
                        op.name, op.header, op.rows, op.formats, None, op.table_name),
                        created=True)
                    continue
                e = edits.setdefault(op.name, _Edit())
                if e.replace is not None:
                    start = 2 + len(e.replace.rows)
                else:
                    start = book._header_row(op.name) + 1 + op.existing_rows
                e.sources.append(_Src("block", start, len(op.rows), rows=op.rows,
                                      fmts=list(op.formats)))
                if op.rows:
                    e.table_bottom = max(e.table_bottom, start + len(op.rows) - 1)
            elif isinstance(op, p.UpdateColumns):
                if op.sheet not in existing and op.sheet not in edits:
                    raise WorkbookError(f"the plan writes to sheet {op.sheet!r}, which is not "
                                        "in the workbook")
                e = edits.setdefault(op.sheet, _Edit())
                n = max((len(v) for _, _, v, _ in op.columns), default=0)
                e.sources.append(_Src("cols", op.header_row + 1, n,
                                      cols=[(c, v, f) for c, _h, v, f in op.columns]))
                heads = _Src("header")
                forced = _Src("cells")
                for c, h, _v, _f in op.columns:
                    heads.cells.setdefault(op.header_row, {})[c] = (h, None)
                if op.table and op.sheet in existing and e.replace is None:
                    book._plan_table_extension(existing[op.sheet], op, e, heads, forced)
                e.sources.append(heads)
                if forced.cells:
                    e.sources.append(forced)
            elif isinstance(op, p.SetCells):
                if op.sheet not in existing and op.sheet not in edits:
                    raise WorkbookError(f"the plan writes to sheet {op.sheet!r}, which is not "
                                        "in the workbook")
                e = edits.setdefault(op.sheet, _Edit())
                src = _Src("cells")
                for (r, c), v in op.cells.items():
                    if 1 <= r <= MAX_ROW and 1 <= c <= MAX_COL:
                        src.cells.setdefault(r, {})[c] = (v, None)
                e.sources.append(src)
            elif isinstance(op, p.MarkCells):
                if op.sheet not in existing and op.sheet not in edits:
                    continue
                e = edits.setdefault(op.sheet, _Edit())
                for (r, c), (sev, note) in op.marks.items():
                    e.marks.setdefault(r, {})[c] = (sev, note)
                for (r, c) in op.clear:
                    if not (r in e.marks and c in e.marks[r]):
                        e.clears.setdefault(r, set()).add(c)
                        # a clear after a mark in the same plan wins over nothing else
            else:  # pragma: no cover - plan.Op is closed
                raise TypeError(f"unknown plan operation {op!r}")
        for name, e in edits.items():
            if e.replace is not None or e.sources:
                self.values_changed = True
        # which sheet shows, and which tabs are selected
        final_hidden = {s.name: s.state in ("hidden", "veryHidden") for s in book.sheets}
        final_hidden.update(hidden)
        active = activate if activate in order and not final_hidden.get(activate) else None
        for name in order:
            e = edits.get(name)
            sheet = existing.get(name)
            tab = None
            if active is not None:
                tab = name == active
            if sheet is None:
                self._create(name, e, tab is True)
            elif sheet.kind != "worksheet" or sheet.path is None:
                if e is not None and (e.replace or e.sources or e.marks or e.clears):
                    raise WorkbookError(f"sheet {name!r} is a {sheet.kind}, not a worksheet")
            elif e is not None and e.replace is not None:
                self._replace(sheet, e, tab)
            elif e is not None:
                self._edit(sheet, e, tab)
            elif tab is not None:
                self._tab_only(sheet, tab)
        self._workbook(order, hidden, active, edits)
        if self.styles.changed:
            data = self.styles.render()
            if self.styles.created or not self.book.styles_path:
                name = "xl/styles.xml" if "xl/styles.xml" not in self._taken else \
                    self.new_name("xl/styles{}.xml")
                self.put(name, data)
                self.ct_add[name] = CT_STYLES
                self.rel_add(self.book.wb_rels_path, self.book.wb_path, REL_STYLES, name)
            else:
                self.put(self.book.styles_path, data)
        if self.formula_removed:
            for rel in list(self.book.wb_rels):
                if rel.type.endswith("/calcChain"):
                    self.rel_remove(self.book.wb_rels_path, rel.id)
                    if self.pkg.find(rel.target):
                        self.remove(rel.target)
        for path, xml in self.rels.items():
            self.put(path, xml)
        self._content_types()

    def _sheet_data(self, sheet: _Sheet) -> bytes:
        return _trusted(self.pkg.read(sheet.path, self.book.limits.max_part_bytes),
                        f"sheet {sheet.name!r}")

    def _sheet_stream(self, sheet: _Sheet) -> _SheetStream:
        """The sheet in pieces; a part that needs normalising is read whole instead."""
        what = f"sheet {sheet.name!r}"
        try:
            return _SheetStream(self.pkg.iter(sheet.path), what)
        except _Untrusted:
            return self._sheet_whole(sheet)

    def _sheet_whole(self, sheet: _Sheet) -> _SheetStream:
        return _SheetStream([self._sheet_data(sheet)], f"sheet {sheet.name!r}", trusted=True)

    def _head_tail(self, sheet: _Sheet) -> tuple[bytes, bytes, bytes]:
        """(head, tail, prefix) of a sheet whose rows are about to be replaced."""
        s = self._sheet_stream(sheet)
        try:
            for _ in s.rows():
                pass
        except _Untrusted:
            s = self._sheet_whole(sheet)
            for _ in s.rows():
                pass
        return s.head, s.tail, s.P

    def _tab_only(self, sheet: _Sheet, tab: bool) -> None:
        head = self.pkg.read_head(sheet.path, 65536)
        sel = re.search(rb"""<(?:[\w.\-]+:)?sheetView(?=[\s/>])[^>]*\stabSelected=["'](?:1|true)""",
                        head)
        if bool(sel) == tab:
            return
        try:
            self._copy_with_tab(sheet, tab, self._sheet_stream(sheet))
        except _Untrusted:
            self._copy_with_tab(sheet, tab, self._sheet_whole(sheet))

    def _copy_with_tab(self, sheet: _Sheet, tab: bool, s: _SheetStream) -> None:
        name, part = self.begin(sheet.path)
        try:
            part.write(_head_edit(s.head, s.P, tab=tab))
            part.write(s.sd_tag)
            for region in s.rows():
                part.write(region)
            if not s.empty:
                part.write(s.close)
            part.write(s.tail)
        except _Untrusted:
            part.abort()
            raise
        self.finish(name, part)

    def _r_prefix(self, head: bytes) -> tuple[bytes, bytes]:
        """(head, prefix) where prefix is bound to the relationships namespace in the root
        start tag, declaring `r` when the part has none."""
        m = re.search(rb'xmlns:([\w.\-]+)="' + re.escape(NS_R.encode()) + rb'"', head)
        if m:
            return head, m.group(1) + b":"
        root = re.search(rb"<(?:[\w.\-]+:)?worksheet(?=[\s>])[^>]*>", head)
        pref = b"r"
        while re.search(rb"xmlns:" + pref + rb"=", head):
            pref += b"r"
        tag = _set_attr(root.group(0), "xmlns:" + pref.decode(), NS_R)
        return head[:root.start()] + tag + head[root.end():], pref + b":"

    def _notes(self, sheet: _Sheet, e: _Edit, tail: bytes) -> tuple[bytes | None, bool]:
        """Apply the marks' notes; returns (legacyDrawing r:id to set or None, remove it)."""
        marks = {(r, c): sev_note[1] for r, cols in e.marks.items()
                 for c, sev_note in cols.items()}
        clears = {(r, c) for r, cols in e.clears.items() for c in cols}
        if not marks and not clears:
            return None, False
        rels_path = sheet.rels_path
        com_rel = next((r for r in sheet.rels if r.type.endswith("/comments")
                        and not r.external and self.pkg.find(r.target)), None)
        ld = re.search(rb"""<(?:[\w.\-]+:)?legacyDrawing\s[^>]*?(?:[\w.\-]+:)?id=["']([^"']+)""",
                       tail)
        vml_rel = None
        if ld:
            vml_rel = next((r for r in sheet.rels if r.id == ld.group(1).decode()
                            and not r.external and self.pkg.find(r.target)), None)
        if not marks and com_rel is None:
            return None, False  # nothing of ours can be there
        comments = self.pkg.read(com_rel.target) if com_rel else None
        vml = self.pkg.read(vml_rel.target) if vml_rel else None
        res = _edit_notes(comments, vml, marks, clears, self.vmlblock_from_grid())
        if not res.changed:
            return None, False
        set_ld, drop_ld = None, False
        if res.comments is None:
            if com_rel:
                self.remove(com_rel.target)
                self.rel_remove(rels_path, com_rel.id)
        elif com_rel:
            self.put(com_rel.target, res.comments)
        else:
            name = self.new_name("xl/comments{}.xml")
            self.put(name, res.comments)
            self.ct_add[name] = CT_COMMENTS
            self.rel_add(rels_path, sheet.path, REL_COMMENTS, name)
        if res.vml is None:
            if vml_rel:
                self.remove(vml_rel.target)
                self.rel_remove(rels_path, vml_rel.id)
                drop_ld = True
        elif vml_rel:
            if res.vml != vml:
                self.put(vml_rel.target, res.vml)
        else:
            name = self.new_name("xl/drawings/vmlDrawing{}.vml")
            self.put(name, res.vml)
            self.ct_default_add["vml"] = CT_VML
            set_ld = self.rel_add(rels_path, sheet.path, REL_VML, name).encode()
        return set_ld, drop_ld

    def _tables_for_edit(self, sheet: _Sheet, e: _Edit) -> None:
        for t in sheet.tables:
            ext = e.table_right.get(t.display.lower())
            try:
                a, _, b = t.ref.partition(":")
                (r1, c1), (r2, c2) = split_a1(a), split_a1(b or a)
            except ValueError:
                continue
            new_c2, new_r2, add = c2, r2, []
            if ext:
                new_c2, add = ext
            if e.table_bottom and e.table_bottom > r2 - t.totals_rows:
                if t.totals_rows:
                    continue  # appending under a totals row would move it: leave it
                new_r2 = e.table_bottom
            if (new_c2, new_r2) == (c2, r2):
                continue
            ref = f"{col_letter(c1)}{r1}:{col_letter(new_c2)}{new_r2}"
            self.put(t.path, _edit_table(self.pkg.read(t.path), ref, add))

    def _edit(self, sheet: _Sheet, e: _Edit, tab: bool | None) -> None:
        s = self._sheet_stream(sheet)
        notes_first = bool(e.marks or e.clears) and \
            re.search(rb'xmlns:[\w.\-]+="' + re.escape(NS_R.encode()) + rb'"', s.head) is None
        if notes_first:  # a new note needs r: declared in the head: read the tail first
            s = self._sheet_whole(sheet)
        try:
            self._edit_from(sheet, e, tab, s, notes_first)
        except _Untrusted:
            self._edit_from(sheet, e, tab, self._sheet_whole(sheet), notes_first)

    def _edit_from(self, sheet: _Sheet, e: _Edit, tab: bool | None, s: _SheetStream,
                   notes_first: bool) -> None:
        """Rewrite an edited sheet in one streaming pass. Its notes are applied when the
        tail arrives (they need its legacyDrawing); only a head that does not declare the
        relationships namespace makes them come first, from the whole part."""
        P, head = s.P, s.head
        box = e.extent()
        ld: list = [None, False]
        if notes_first:
            data = self._sheet_data(sheet)
            _, _, _, e0 = _sheetdata_span(data, P)
            ld = list(self._notes(sheet, e, data[e0:]))
            rp_source = data[:200_000]
        else:
            rp_source = head
        self._tables_for_edit(sheet, e)

        def head_edit(h: bytes) -> bytes:
            if ld[0]:
                h, _ = self._r_prefix(h)
            return _head_edit(h, P, tab=tab, extent=box)

        def tail_edit(tail: bytes) -> bytes:
            if not notes_first:
                ld[:] = self._notes(sheet, e, tail)
            set_ld, drop_ld = ld
            if set_ld or drop_ld:
                rp = self._r_prefix(rp_source)[1] if set_ld else b""
                tail = _tail_legacy_drawing(tail, P, set_ld, rp)
            return tail

        writer = _SheetWriter(sheet.name, head, P, e, self.styler, self.book.date1904)
        name, part = self.begin(sheet.path)
        try:
            writer.run(s, part.write, head_edit, tail_edit)
        except _Untrusted:
            part.abort()
            raise
        self.formula_removed |= writer.formula_removed
        self.finish(name, part)

    def _table_for(self, sheet: _Sheet | None, op: p.ReplaceSheet, rels_path: str,
                   source: str) -> tuple[list[str], list[str], list[str]]:
        """(header cells to write, table rIds the sheet keeps, table rIds to drop)."""
        header = [h for h in op.header]
        keep: list[str] = []
        tables = sheet.tables if sheet else []
        if not op.table_name or not op.header:
            for t in tables:
                self.remove(t.path)
                self.rel_remove(rels_path, t.rid)
            return header, keep, [t.rid for t in tables]
        own = {t.display.lower() for t in tables}
        names = self._table_names - own
        name, k = _table_name(op.table_name), 2
        base = name
        while name.lower() in names:
            name = f"{base}{k}"
            k += 1
        self._table_names.add(name.lower())
        header = _unique_names(op.header)
        ref = f"A1:{col_letter(len(header))}{max(len(op.rows) + 1, 2)}"
        if tables:
            t0 = tables[0]
            for t in tables[1:]:
                self.remove(t.path)
                self.rel_remove(rels_path, t.rid)
            self.put(t0.path, _table_xml(t0.id or self._next_table_id(), name, ref, header))
            keep = [t0.rid]
            drop = [t.rid for t in tables[1:]]
        else:
            path = self.new_name("xl/tables/table{}.xml")
            self.put(path, _table_xml(self._next_table_id(), name, ref, header))
            self.ct_add[path] = CT_TABLE
            keep = [self.rel_add(rels_path, source, REL_TABLE, path)]
            drop = []
        return header, keep, drop

    def _next_table_id(self) -> int:
        self._max_table_id += 1
        return self._max_table_id

    ROWS_CHUNK = 4096

    def _rows(self, op: p.ReplaceSheet, header: list[Any], out: Callable[[bytes], None]) -> None:
        """The rows of a tool sheet: a bold header, then the values a chunk of rows at a
        time, rendered column by column (`_render_column`) and written as they come."""
        styler, d1904 = self.styler, self.book.date1904
        bold = self.styles.derive(0, bold=True)
        rows = op.rows
        width = max(len(header), _rows_width(rows))
        letters = [col_letter(j) for j in range(1, width + 1)]
        cells = "".join(_cell_xml(f"{letters[j]}1", bold, h, d1904)
                        for j, h in enumerate(header) if h is not None)
        if cells:
            out(f'<row r="1">{cells}</row>'.encode())
        n = len(rows)
        if not n:
            return
        fmts = list(op.formats) + [None] * (width - len(op.formats))
        sa_of = [lambda cls, fmt=fmt: styler.sa(0, fmt, cls, None) for fmt in fmts]
        step = self.ROWS_CHUNK
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            columns = _row_columns(rows, lo, hi, width)
            rs = list(map(str, range(lo + 2, hi + 2)))
            out(_join_rows(rs, [_render_column(letters[j], rs, columns[j], sa_of[j], d1904)
                                for j in range(width)]).encode("utf-8"))

    def _sheet_body(self, head: bytes, op: p.ReplaceSheet, header: list[Any], tail: bytes,
                    P: bytes, out: Callable[[bytes], None]) -> None:
        """A generated sheet's XML, piece by piece."""
        out(head)
        out(b"<" + P + b"sheetData>")
        if P:
            row_tag = rb"<\1" + P + rb"row"
            cell_tag = rb"<\1" + P + rb"\2"
            self._rows(op, header, lambda b: out(_ROW_PREFIXED.sub(
                cell_tag, re.sub(rb"<(/?)row(?=[\s>])", row_tag, b))))
        else:
            self._rows(op, header, out)
        out(b"</" + P + b"sheetData>")
        out(tail)

    def _finish_generated(self, name: str, path: str, e: _Edit,
                          body: Callable[[Callable[[bytes], None]], None]) -> None:
        """Write a generated sheet into the zip; plan operations after its ReplaceSheet
        patch it (then it is built in memory first: a rare, small case)."""
        if e.sources or e.marks or e.clears:
            buf = io.BytesIO()
            body(buf.write)
            s = _SheetStream([buf.getvalue()], f"sheet {name!r}", trusted=True)
            del buf
            after = _Edit(sources=e.sources, marks=e.marks, clears=e.clears)
            writer = _SheetWriter(name, s.head, s.P, after, self.styler, self.book.date1904)
            key, part = self.begin(path)
            writer.run(s, part.write, lambda h: _head_edit(h, writer.P, extent=after.extent()),
                       lambda t: t)
        else:
            key, part = self.begin(path)
            body(part.write)
        self.finish(key, part)

    def _replace(self, sheet: _Sheet, e: _Edit, tab: bool | None) -> None:
        op = e.replace
        head, tail, P = self._head_tail(sheet)
        header, keep, drop = self._table_for(sheet, op, sheet.rels_path, sheet.path)
        width = max(len(header), _rows_width(op.rows), 1)
        extent = (1, 1, max(len(op.rows) + 1, 1), width)
        head, rp = self._r_prefix(head) if keep else (head, b"")
        head = _head_edit(head, P, tab=tab, extent=extent, replace_extent=True,
                          widths=op.widths)
        tail = _tail_tables(tail, P, keep, rp, drop_merges=True)
        self.formula_removed = True  # the calc chain may point into the old rows
        self.values_changed = True
        self._finish_generated(sheet.name, sheet.path, e,
                               lambda out: self._sheet_body(head, op, header, tail, P, out))

    def _create(self, name: str, e: _Edit | None, tab: bool) -> None:
        op = e.replace
        path = self.new_name("xl/worksheets/sheet{}.xml")
        d, f = posixpath.split(path)
        rels_path = posixpath.join(d, "_rels", f + ".rels")
        header, keep, _ = self._table_for(None, op, rels_path, path)
        width = max(len(header), _rows_width(op.rows), 1)
        dim = f"A1:{col_letter(width)}{max(len(op.rows) + 1, 1)}"
        cols = "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                       for j, w in enumerate(op.widths, start=1) if w)
        head = (XML_DECL.decode() + f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">'
                f'<dimension ref="{dim}"/><sheetViews><sheetView '
                f'{"tabSelected=" + chr(34) + "1" + chr(34) + " " if tab else ""}'
                'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{cols}</cols>" if cols else "")).encode()
        tail = b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" ' \
               b'footer="0.3"/>'
        if keep:
            tail += (f'<tableParts count="{len(keep)}">' +
                     "".join(f'<tablePart r:id="{k}"/>' for k in keep) +
                     "</tableParts>").encode()
        tail += b"</worksheet>"
        self._finish_generated(name, path, e,
                               lambda out: self._sheet_body(head, op, header, tail, b"", out))
        self.ct_add[path] = CT_SHEET
        self.created_rids = getattr(self, "created_rids", {})
        self.created_rids[name] = self.rel_add(self.book.wb_rels_path, self.book.wb_path,
                                               REL_WORKSHEET, path)

    # -- workbook.xml and [Content_Types].xml --
    def _workbook(self, order: list[str], hidden: dict[str, bool], active: str | None,
                  edits: dict[str, _Edit]) -> None:
        book = self.book
        xml = book.wb_xml
        P = _prefix_of(xml, "workbook")
        E = re.escape(P)
        old_names = [s.name for s in book.sheets]
        sm = re.search(rb"<" + E + rb"sheets(?=[\s>])[^>]*>(.*?)</" + E + rb"sheets>", xml, re.S)
        if sm is None:
            raise WorkbookError("the workbook has no sheet list")
        elems = [m.group(0) for m in re.finditer(
            rb"<" + E + rb"sheet(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + rb"sheet>)", sm.group(1),
            re.S)]
        if len(elems) != len(book.sheets):
            raise WorkbookError("the workbook's sheet list is damaged")
        changed = order != old_names
        rm = re.search(rb'xmlns:([\w.\-]+)="' + re.escape(NS_R.encode()) + rb'"', xml)
        rdecl = b"" if rm else b' xmlns:r="' + NS_R.encode() + b'"'
        rp = rm.group(1) if rm else b"r"
        next_id = max([s.sheet_id for s in book.sheets] + [0]) + 1
        items = []
        for name in order:
            if name in old_names:
                el = elems[old_names.index(name)]
                if name in hidden:
                    end = el.find(b">") + 1
                    tag = el[:end]
                    state = _attrs(tag).get("state")
                    want = "hidden" if hidden[name] else None
                    if want is None and state == "veryHidden":
                        want = None
                    if state != want:
                        el = _set_attr(tag, "state", want) + el[end:]
                        changed = True
                items.append(el)
            else:
                rid = self.created_rids[name]
                state = b' state="hidden"' if hidden.get(name) else b""
                items.append(b"<" + P + b'sheet name="' + _esc_attr(name).encode() +
                             b'" sheetId="%d"' % next_id + state + rdecl + b" " + rp +
                             b':id="' + rid.encode() + b'"/>')
                next_id += 1
        new_index = {old: order.index(old) for old in old_names}
        if changed:
            xml = xml[:sm.start(1)] + b"".join(items) + xml[sm.end(1):]

        def remap(m: re.Match) -> bytes:
            tag = m.group(0)
            v = _attrs(tag).get("localSheetId")
            if v is not None and v.isdigit() and int(v) < len(old_names):
                return _set_attr(tag, "localSheetId", str(new_index[old_names[int(v)]]))
            return tag
        if order[:len(old_names)] != old_names:
            xml = re.sub(rb"<" + E + rb"definedName(?=\s)[^>]*>", remap, xml)
        visible = [i for i, n in enumerate(order) if not (
            hidden.get(n) if n in hidden else
            (book._sheet(n) is not None and book._sheet(n).state in ("hidden", "veryHidden")))]
        vm = re.search(rb"<" + E + rb"workbookView(?=[\s/>])[^>]*?/?>", xml)
        if vm is not None:
            tag = vm.group(0)
            a = _attrs(tag)
            old_active = int(a["activeTab"]) if a.get("activeTab", "").isdigit() else 0
            new_active = new_index.get(old_names[old_active], 0) if \
                old_active < len(old_names) else 0
            if active is not None:
                new_active = order.index(active)
            if visible and new_active not in visible:
                new_active = visible[0]
            new_tag = _set_attr(tag, "activeTab", str(new_active)) if new_active or \
                "activeTab" in a else tag
            first = int(a["firstSheet"]) if a.get("firstSheet", "").isdigit() else 0
            if first and first < len(old_names):
                first = new_index[old_names[first]]
            if first > new_active:
                new_tag = _set_attr(new_tag, "firstSheet", str(new_active))
            if new_tag != tag:
                xml = xml[:vm.start()] + new_tag + xml[vm.end():]
                changed = True
        elif active is not None and order.index(active):
            pos = sm.start()
            xml = (xml[:pos] + b"<" + P + b'bookViews><' + P + b'workbookView activeTab="%d"/>'
                   % order.index(active) + b"</" + P + b"bookViews>" + xml[pos:])
            changed = True
        if self.values_changed:
            cm = re.search(rb"<" + E + rb"calcPr(?=[\s/>])[^>]*?/?>", xml)
            if cm is not None:
                tag = _set_attr(cm.group(0), "fullCalcOnLoad", "1")
                if tag != cm.group(0):
                    xml = xml[:cm.start()] + tag + xml[cm.end():]
                    changed = True
            else:
                pos = None
                for nxt in ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                            "smartTagTypes", "webPublishing", "fileRecoveryPr",
                            "webPublishObjects", "extLst"):
                    mm = re.search(rb"<" + E + nxt.encode() + rb"(?=[\s/>])", xml)
                    if mm:
                        pos = mm.start()
                        break
                if pos is None:
                    pos = xml.rindex(b"</" + P + b"workbook>")
                xml = xml[:pos] + b"<" + P + b'calcPr fullCalcOnLoad="1"/>' + xml[pos:]
                changed = True
        if changed or xml != book.wb_xml:
            self.put(book.wb_path, xml)

    def _content_types(self) -> None:
        xml = _trusted(self.book.content_types, "content types")
        orig = xml
        P = _prefix_of(xml, "Types")
        E = re.escape(P)
        gone = self.removed
        if gone:
            def drop(m: re.Match) -> bytes:
                part = _attrs(m.group(0)).get("PartName", "").lstrip("/").lower()
                return b"" if part in gone else m.group(0)
            xml = re.sub(rb"<" + E + rb"Override(?=\s)[^>]*?(?:/>|>.*?</" + E + rb"Override>)",
                         drop, xml, flags=re.S)
        have_defaults = {k for k, v in self.book._ct_defaults.items()}
        add = b""
        for ext, ct in self.ct_default_add.items():
            if ext not in have_defaults:
                add += (b"<" + P + b'Default Extension="' + ext.encode() +
                        b'" ContentType="' + ct.encode() + b'"/>')
        for part, ct in self.ct_add.items():
            if part.lower() in gone:
                continue
            if self.book._ct_overrides.get(part.lower()) == ct:
                continue
            add += (b"<" + P + b'Override PartName="/' + _esc_attr(part).encode() +
                    b'" ContentType="' + ct.encode() + b'"/>')
        if add:
            end = xml.rindex(b"</" + P + b"Types>")
            xml = xml[:end] + add + xml[end:]
        if xml != orig:
            self.put(self.pkg.find("[Content_Types].xml"), xml)

    def write(self, f) -> None:
        """Render the plan into the zip `f` (a seekable file), then copy what it leaves
        alone and list every part in its old order, new parts last."""
        worker = _Compressor()
        w = self.zip = _ZipWriter(f, worker)
        try:
            self.run(self.ops, self.activate)
            worker.wait()
        finally:
            worker.stop()
        with open(self.pkg.path, "rb") as src:
            for info in self.pkg.infos:
                if info.filename.lower() in self.removed:
                    continue
                part = self.parts.get(info.filename)
                if part is None:
                    w.copy(src, info)
                elif isinstance(part, _PartStream):
                    w.central.append(part.entry)
                else:
                    w.add(info.filename, part, like=info)
        for name in self.new_parts:
            part = self.parts[name]
            if isinstance(part, _PartStream):
                w.central.append(part.entry)
            else:
                w.add(name, part)
        w.close(self.pkg.comment)


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name) or \
            name.startswith("'") or name.endswith("'") or name.lower() == "history":
        raise WorkbookError(f"{name!r} is not a valid sheet name")


def _head_edit(head: bytes, P: bytes, tab: bool | None = None,
               extent: tuple[int, int, int, int] | None = None, replace_extent: bool = False,
               widths: list[float] | None = None) -> bytes:
    """Edit the part of a worksheet before <sheetData>: tab selection, the declared used
    range, column widths. Everything else is kept byte for byte."""
    E = re.escape(P)
    if tab is not None:
        m = re.search(rb"<" + E + rb"sheetView(?=[\s/>])[^>]*?/?>", head)
        if m:
            tag = _set_attr(m.group(0), "tabSelected", "1" if tab else None)
            head = head[:m.start()] + tag + head[m.end():]
    if extent is not None:
        m = re.search(rb"<" + E + rb"dimension(?=[\s/>])[^>]*?/?>", head)
        r1, c1, r2, c2 = extent
        if m and not replace_extent:
            old = _attrs(m.group(0)).get("ref", "")
            try:
                a, _, b = old.partition(":")
                (or1, oc1), (or2, oc2) = split_a1(a), split_a1(b or a)
                r1, c1, r2, c2 = min(r1, or1), min(c1, oc1), max(r2, or2), max(c2, oc2)
            except ValueError:
                pass
        ref = f"{col_letter(c1)}{r1}" + (f":{col_letter(c2)}{r2}" if (r1, c1) != (r2, c2)
                                          else "")
        if m:
            head = head[:m.start()] + _set_attr(m.group(0), "ref", ref) + head[m.end():]
    if widths:
        cols = b"".join(b"<" + P + b'col min="%d" max="%d" width="%s" customWidth="1"/>'
                        % (j, j, f"{w:g}".encode()) for j, w in enumerate(widths, start=1) if w)
        m = re.search(rb"<" + E + rb"cols(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + rb"cols>)", head,
                      re.S)
        new = b"<" + P + b"cols>" + cols + b"</" + P + b"cols>" if cols else b""
        if m:
            head = head[:m.start()] + new + head[m.end():]
        else:
            head = head + new
    return head


_TAIL_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                      "webPublishItems", "tableParts", "extLst")


def _insert_before(tail: bytes, P: bytes, names: Iterable[str], item: bytes) -> bytes:
    E = re.escape(P)
    best = None
    for n in names:
        m = re.search(rb"<" + E + n.encode() + rb"(?=[\s/>])", tail)
        if m and (best is None or m.start() < best):
            best = m.start()
    ac = re.search(rb"<mc:AlternateContent(?=[\s>])", tail)
    if ac and (best is None or ac.start() < best):
        inner = tail[ac.start():ac.start() + 4096]
        if any(re.search(rb"<" + E + n.encode() + rb"(?=[\s/>])", inner) for n in names):
            best = ac.start()
    if best is None:
        best = tail.rindex(b"</" + P + b"worksheet>")
    return tail[:best] + item + tail[best:]


def _tail_legacy_drawing(tail: bytes, P: bytes, rid: bytes | None, rp: bytes) -> bytes:
    E = re.escape(P)
    tail = re.sub(rb"<" + E + rb"legacyDrawing(?=\s)[^>]*?(?:/>|>.*?</" + E +
                  rb"legacyDrawing>)", b"", tail, count=1, flags=re.S)
    if rid:
        tail = _insert_before(tail, P, _TAIL_AFTER_LEGACY,
                              b"<" + P + b"legacyDrawing " + rp + b'id="' + rid + b'"/>')
    return tail


def _tail_tables(tail: bytes, P: bytes, rids: list[str], rp: bytes,
                 drop_merges: bool = False) -> bytes:
    """Set the sheet's <tableParts>; for a replaced sheet drop merged cells and the
    sheet-level filter, which would clash with the new table."""
    E = re.escape(P)
    tail = re.sub(rb"<" + E + rb"tableParts(?=[\s/>])[^>]*?(?:/>|>.*?</" + E + rb"tableParts>)",
                  b"", tail, count=1, flags=re.S)
    if drop_merges:
        tail = re.sub(rb"<" + E + rb"mergeCells(?=[\s/>])[^>]*?(?:/>|>.*?</" + E +
                      rb"mergeCells>)", b"", tail, count=1, flags=re.S)
        af = re.search(rb"<" + E + rb"autoFilter(?=[\s/>])[^>]*?(?:/>|>.*?</" + E +
                       rb"autoFilter>)", tail, re.S)
        cv = re.search(rb"<" + E + rb"customSheetViews(?=[\s/>])", tail)
        if af and (cv is None or af.start() < cv.start()):
            tail = tail[:af.start()] + tail[af.end():]
    if rids:
        item = (b"<" + P + b'tableParts count="%d">' % len(rids) +
                b"".join(b"<" + P + b"tablePart " + rp + b'id="' + r.encode() + b'"/>'
                         for r in rids) + b"</" + P + b"tableParts>")
        tail = _insert_before(tail, P, ("extLst",), item)
    return tail
