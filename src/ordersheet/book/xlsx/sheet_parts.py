"""How a save writes each worksheet part, and the edits of a sheet's head (tab selection,
used range, column widths) and tail (legacy drawing, table parts) around its rows."""

from __future__ import annotations

import io
import posixpath
import re
from typing import Any, Callable, Iterable

from .. import plan as p
from ..raw import col_letter, split_a1
from .cells import (_ROW_PREFIXED, _cell_xml, _join_rows, _render_pieces, _row_columns,
                    _rows_width)
from .edits import _Edit
from . import validations
from .notes import _edit_notes
from .ooxml import (CT_COMMENTS, CT_SHEET, CT_TABLE, CT_VML, NS_MAIN, NS_R, REL_COMMENTS,
                    REL_TABLE, REL_VML, REL_WORKSHEET, XML_DECL)
from .package import _Sheet
from .sheet_stream import _SheetStream, _Untrusted
from .sheet_writer import _SheetWriter
from .tables import _edit_table, _table_name, _table_xml, _unique_names
from .xmltext import _attrs, _set_attr, _sheetdata_span, _trusted


class _WorksheetParts:
    """The worksheet steps of a save, a mixin of `save._Build` (which holds the parts,
    relationships and content types these methods add to): an edited sheet rewritten in
    one streaming pass (`_edit`), a tool sheet generated in place of one (`_replace`) or
    new (`_create`), a tab selection changed (`_tab_only`); with each, the sheet's notes
    (comments and VML parts) and its tables."""

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
        res = _edit_notes(comments, vml, marks, clears, self.vml_idmap_block())
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
            self.put(t.path, _edit_table(self.pkg.read(t.path), ref, add, t.totals_rows))

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
            return _head_edit(h, P, tab=tab, extent=box, col_widths=e.widths)

        def tail_edit(tail: bytes) -> bytes:
            if not notes_first:
                ld[:] = self._notes(sheet, e, tail)
            set_ld, drop_ld = ld
            if set_ld or drop_ld:
                rp = self._r_prefix(rp_source)[1] if set_ld else b""
                tail = _tail_legacy_drawing(tail, P, set_ld, rp)
            return validations.edit(tail, P, e.validations)

        writer = _SheetWriter(sheet.name, head, P, e, self.styler, self.book.date1904)
        name, part = self.begin(sheet.path)
        try:
            writer.run(s, part.write, head_edit, tail_edit)
        except _Untrusted:
            part.abort()
            raise
        self.formula_removed |= writer.formula_removed
        if writer.fills:
            self.mark_fills[sheet.name] = writer.fills
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
        used = set(fmts) | {f for runs in op.row_formats.values() for *_, f in runs}
        sa_of = {fmt: (lambda cls, fmt=fmt: styler.sa(0, fmt, cls, None)) for fmt in used}
        step = self.ROWS_CHUNK
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            columns = _row_columns(rows, lo, hi, width)
            rs = list(map(str, range(lo + 2, hi + 2)))
            out(_join_rows(rs, [_render_pieces(
                letters[j], rs, columns[j],
                [(a - lo, b - lo, f) for a, b, f in
                 p.segments(op.row_formats.get(j, []), fmts[j], lo, hi)],
                sa_of.__getitem__, d1904)
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
        charts = self.charts.get(sheet.name)
        head, rp = self._r_prefix(head) if keep or charts else (head, b"")
        head = _head_edit(head, P, tab=tab, extent=extent, replace_extent=True,
                          widths=op.widths)
        tail = validations.edit(_tail_tables(tail, P, keep, rp, drop_merges=True), P,
                                e.validations)
        tail = self._charts_tail(sheet, sheet.name, sheet.path, sheet.rels_path, tail, P, rp)
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
        tail = validations.edit(tail + b"</worksheet>", b"", e.validations if e else [])
        tail = self._charts_tail(None, name, path, rels_path, tail, b"", b"r:")
        self._finish_generated(name, path, e,
                               lambda out: self._sheet_body(head, op, header, tail, b"", out))
        self.ct_add[path] = CT_SHEET
        self.created_rids = getattr(self, "created_rids", {})
        self.created_rids[name] = self.rel_add(self.book.wb_rels_path, self.book.wb_path,
                                               REL_WORKSHEET, path)


def _head_edit(head: bytes, P: bytes, tab: bool | None = None,
               extent: tuple[int, int, int, int] | None = None, replace_extent: bool = False,
               widths: list[float] | None = None,
               col_widths: dict[int, float] | None = None) -> bytes:
    """Edit the part of a worksheet before <sheetData>: tab selection, the declared used
    range, column widths (`widths`: every column's, from A; `col_widths`: the width of
    some columns, the others' kept). Everything else is kept byte for byte."""
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
    if col_widths:
        head = _set_col_widths(head, P, col_widths)
    return head


def _set_col_widths(head: bytes, P: bytes, widths: dict[int, float]) -> bytes:
    """Give each column in `widths` its width; every other column keeps its <col> entry
    (an entry spanning a column that gets a width is split around it)."""
    E = re.escape(P)
    m = re.search(rb"<" + E + rb"cols(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + E + rb"cols>)", head,
                  re.S)
    entries: list[tuple[int, int, bytes]] = []  # (min, max, the <col/> tag)
    for tag in re.findall(rb"<" + E + rb"col(?=[\s/>])[^>]*?/?>", (m.group(1) or b"") if m
                          else b""):
        a = _attrs(tag)
        try:
            lo, hi = int(a["min"]), int(a["max"])
        except (KeyError, ValueError):
            continue
        cut = sorted(c for c in widths if lo <= c <= hi)
        for c in cut + [hi + 1]:
            if lo <= c - 1:
                entries.append((lo, c - 1, _set_attr(_set_attr(tag, "min", str(lo)), "max",
                                                     str(c - 1))))
            lo = c + 1
    for c, w in widths.items():
        entries.append((c, c, b"<" + P + b'col min="%d" max="%d" width="%s" customWidth="1"/>'
                        % (c, c, f"{w:g}".encode())))
    cols = b"<" + P + b"cols>" + b"".join(t for *_, t in sorted(entries)) + b"</" + P + b"cols>"
    if m:
        return head[:m.start()] + cols + head[m.end():]
    return head + cols  # the head ends where <sheetData> starts: <cols> goes just before it


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
