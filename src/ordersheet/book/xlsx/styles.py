"""styles.xml: number formats, fills, fonts and cell formats (xf) added by appending and
deduplicated (`_Styles`), and the style of each written cell cached per base style, plan
format, value class and highlight (`_Styler`)."""

from __future__ import annotations

import datetime as dt
import re

from .. import plan as p
from ..port import WorkbookError
from .ooxml import BUILTIN_FORMATS, DATE_FORMAT_IDS, DURATION_FORMAT_IDS, NS_MAIN, XML_DECL
from .xmltext import _attrs, _elem_re, _esc_attr, _set_attr


CLEAR = "clear"
CLEAR_TO = "clear:"
"""A cell's highlight action: a severity marks it; `clear` removes ordersheet's mark
(no fill); `clear:` + a fill token (`_Styles.fill_token`) puts that fill back."""


def is_clear(action: str) -> bool:
    return action.startswith(CLEAR)


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

    def is_ours(self, s: int) -> bool:
        """Does style `s` show one of ordersheet's highlights?"""
        ours = self._ours.get(s)
        if ours is None:
            ours = self._ours[s] = self.styles.is_ours(s)
        return ours

    def mark(self, s: int, action: str | None) -> int:
        if action is None:
            return s
        if is_clear(action):
            if not self.is_ours(s):  # the user changed the fill since: theirs now
                return s
            token = action[len(CLEAR_TO):] if action.startswith(CLEAR_TO) else p.FILL_NONE
            return self.styles.derive(s, fill=self.styles.fill_of_token(token))
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

    def fill_token(self, idx: int) -> str:
        """The fill of cell format `idx`, as ordersheet notes it before marking a cell:
        `FILL_NONE`, `#RRGGBB` for a plain solid colour (what every engine can put back),
        else the fill's XML."""
        try:
            fid = int(self.xf_attr(idx, "fillId"))
        except ValueError:
            return p.FILL_NONE
        fills = self.items["fills"]
        if fid <= 0 or fid >= len(fills):
            return p.FILL_NONE
        f = fills[fid]
        if "patternType" not in f or 'patternType="none"' in f:
            return p.FILL_NONE
        m = re.fullmatch(r'\s*<(?:\w+:)?fill>\s*<(?:\w+:)?patternFill patternType="solid">\s*'
                         r'<(?:\w+:)?fgColor rgb="(?:[0-9A-Fa-f]{2})?([0-9A-Fa-f]{6})"\s*/>'
                         r'(?:\s*<(?:\w+:)?bgColor[^>]*/>)?\s*</(?:\w+:)?patternFill>\s*'
                         r'</(?:\w+:)?fill>\s*', f)
        return "#" + m.group(1).upper() if m else f

    def fill_of_token(self, token: str) -> int:
        """The fill index of a noted fill (`fill_token`), added when the book lacks it."""
        if not token:
            return 0
        if token.startswith("#") and len(token) == 7:
            return self.fill_id(token[1:].upper())
        key = re.sub(r"\s+", "", token)
        if key not in self._fill_index:
            self._fill_index[key] = self._add("fills", token)
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
