"""One save (`_Build`): the write plan gathered into per-sheet edits, each changed part
rendered into the new zip (worksheets streamed, small parts compressed in memory), the
relationships updated, then every untouched member copied and all listed in their old
order. See README.md for the flow through the modules."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from .. import plan as p
from ..port import WorkbookError
from ..raw import split_a1
from .edits import _Edit, _Src
from .ooxml import CT_STYLES, MAX_COL, MAX_ROW, NS_PKG_R, REL_STYLES, XML_DECL
from .package import _relative
from .charts import _ChartParts
from .sheet_parts import _WorksheetParts
from .styles import _Styler
from .workbook_xml import _WorkbookParts, _check_sheet_name
from .xmltext import _esc_attr, _prefix_of, _trusted
from .zipout import _Compressor, _Deflater, _PartStream, _ZipWriter

if TYPE_CHECKING:  # only annotations name it: book.py imports this module
    from .book import XlsxBook


SHEET_LEVEL = 2
"""zlib level for rewritten sheets: ~4x faster than level 6, files ~20% larger"""
SMALL_LEVEL = 6


def _rels_template() -> bytes:
    return XML_DECL + f'<Relationships xmlns="{NS_PKG_R}"></Relationships>'.encode()


class _Build(_WorksheetParts, _WorkbookParts, _ChartParts):
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
        self.mark_fills: dict[str, dict[tuple[int, int], str]] = {}
        """sheet -> the fill each cell had when this save marked it"""
        self.values_changed = False
        self._taken = {n.lower() for n in self.pkg.by_name}
        self._vml_block = 0
        self._table_names = set(book.table_names) | book._defined_names
        self._max_table_id = book.max_table_id
        self.charts: dict[str, list[p.Chart]] = {}
        """sheet -> ordersheet's charts on it (`charts._ChartParts`)"""

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

    def vml_idmap_block(self) -> int:
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
                        op.name, op.header, op.rows, op.formats, None, op.table_name,
                        op.widths), created=True)
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
                e.widths.update(op.widths)
                n = max((len(v) for _, _, v, _ in op.columns), default=0)
                e.sources.append(_Src("cols", op.header_row + 1, n,
                                      cols=[(c, v, f) for c, _h, v, f in op.columns],
                                      runs=dict(op.row_formats)))
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
                        src.cells.setdefault(r, {})[c] = (v, op.formats.get((r, c)))
                e.sources.append(src)
                if op.table_bottom:
                    e.table_bottom = max(e.table_bottom, op.table_bottom)
            elif isinstance(op, p.ListValidation):
                if op.sheet in existing or op.sheet in edits:
                    edits.setdefault(op.sheet, _Edit()).validations.append(op)
            elif isinstance(op, p.MarkCells):
                if op.sheet not in existing and op.sheet not in edits:
                    continue
                e = edits.setdefault(op.sheet, _Edit())
                for (r, c), (sev, note) in op.marks.items():
                    e.marks.setdefault(r, {})[c] = (sev, note)
                for (r, c) in op.clear:
                    if not (r in e.marks and c in e.marks[r]):
                        e.clears.setdefault(r, set()).add(c)
                        if (r, c) in op.restore:
                            e.restore[(r, c)] = op.restore[(r, c)]
                        # a clear after a mark in the same plan wins over nothing else
            elif isinstance(op, p.AddCharts):
                if op.sheet not in edits or edits[op.sheet].replace is None:
                    raise TypeError(f"charts go on a sheet the same plan replaces: {op.sheet!r}")
                self.charts[op.sheet] = list(op.charts)
            else:  # pragma: no cover - plan.Op is closed
                raise TypeError(f"unknown plan operation {op!r}")
        for name, bottom in book.grown_tables.items():  # rows typed under a table join it
            if name in existing and (name not in edits or edits[name].replace is None):
                e = edits.setdefault(name, _Edit())
                e.table_bottom = max(e.table_bottom, bottom)
        for name, e in edits.items():
            if e.replace is not None or e.sources:
                self.values_changed = True
        # which sheet shows, and which tabs are selected
        final_hidden = {s.name: s.state in ("hidden", "veryHidden") for s in book.sheets}
        final_hidden.update(hidden)
        active = activate if activate in order and not final_hidden.get(activate) else None
        # The marks' sheet last: it notes the user's own fill of each cell marked above.
        for name in sorted(order, key=lambda n: n == p.STATE_SHEET):
            e = edits.get(name)
            if name == p.STATE_SHEET and e is not None and e.replace is not None:
                _note_fills(e.replace, self.mark_fills)
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


def _note_fills(op: p.ReplaceSheet, fills: dict[str, dict[tuple[int, int], str]]) -> None:
    """Fill in the Fill column of the marks' sheet (`render._marks` leaves it blank for a
    cell marked for the first time) with the fill that cell had before it was marked."""
    if len(op.header) < 3 or op.header[2] != "Fill":
        return
    for row in op.rows:
        if len(row) >= 3 and row[2] is None:
            try:
                rc = split_a1(str(row[1]))
            except ValueError:
                continue
            got = fills.get(str(row[0]), {}).get(rc)
            if got is not None:
                row[2] = got
