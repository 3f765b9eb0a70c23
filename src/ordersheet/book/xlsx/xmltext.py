"""XML at the text level: parts are edited in place, never re-serialised, so these helpers
escape and unescape text, read and set one attribute in a start tag, and find elements by
regex under the part's namespace prefix.

`_trusted` is the gate: a part goes to the regexes as it is only when it is UTF-8 without
comments, CDATA, processing instructions or a DTD; anything unusual is re-serialised by
expat first (`_normalise`), and a DTD is refused. `_Lexer` tokenises a trusted worksheet
or shared-strings part (rows, cells, values, string items)."""

from __future__ import annotations

import re

from ..port import WorkbookError
from ..raw import col_index, split_a1
from .limits import forbid_dtd_prolog
from .ooxml import XML_DECL


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
        forbid_dtd_prolog(data, what)
        return data
    return _normalise(data, what)


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
